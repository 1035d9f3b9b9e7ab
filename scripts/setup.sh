#!/usr/bin/env bash
# Create .venv with the pinned requirements and the lic package (editable), plus the open
# hardware tools (g++, iverilog, yosys) and headless Chromium (report layout test, screenshots)
# from Debian when they are missing and apt is usable.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(sha256sum requirements.txt pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  export PIP_NO_CACHE_DIR=1  # the wheels (torch with its CUDA libraries: GBs) are not kept twice on disk
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.txt
  .venv/bin/pip install -q --no-deps -e .
  echo "$want" > "$stamp"
fi
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lic)" >/dev/null
missing=()
command -v g++ >/dev/null || missing+=(g++)
command -v iverilog >/dev/null || missing+=(iverilog)
command -v yosys >/dev/null || missing+=(yosys)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: ${missing[*]} not found; the tests needing them will be skipped (apt-get install ${missing[*]})" >&2
  fi
fi
echo "setup ok: $(.venv/bin/python -c 'import torch, compressai, brevitas; print("torch", torch.__version__, "compressai", compressai.__version__, "brevitas", brevitas.__version__)')"
