#!/usr/bin/env bash
# Render a report HTML in headless Chromium (Debian package `chromium`) and save a full-page PNG.
# Usage: bash scripts/screenshot_report.sh runs/<run>/report.html [out.png] [height_px]
set -euo pipefail
html=$(realpath "$1"); out=${2:-${1%.html}.png}; height=${3:-9000}
command -v chromium >/dev/null || { echo "chromium not found: apt-get install chromium" >&2; exit 2; }
profile=$(mktemp -d)
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
  --window-size=1300,"$height" --screenshot="$(realpath -m "$out")" "file://$html" 2>/dev/null
rm -rf "$profile"
echo "$out"
