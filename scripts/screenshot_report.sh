#!/usr/bin/env bash
# Render a report HTML in headless Chromium (Debian package `chromium`), save a full-page PNG and
# say whether any table or figure is wider than a 1024-px page (python -m lic.study.htmlcheck).
# Usage: bash scripts/screenshot_report.sh runs/<run>/report.html [out.png] [height_px] [width_px]
set -euo pipefail
cd "$(dirname "$0")/.." && root=$PWD && cd - >/dev/null
html=$(realpath "$1"); out=${2:-${1%.html}.png}; height=${3:-9000}; width=${4:-1300}
command -v chromium >/dev/null || { echo "chromium not found: apt-get install chromium" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
  --window-size="$width","$height" --screenshot="$(realpath -m "$out")" "file://$html" 2>/dev/null
echo "$out"
"$root/.venv/bin/python" -m lic.study.htmlcheck "$html" --width 1024 || true
