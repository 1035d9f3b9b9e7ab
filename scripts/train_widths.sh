#!/usr/bin/env bash
# Train the ``widths`` preset (#32) on the CPU, resumably, then release each student as it finishes:
#   bash scripts/train_widths.sh [96 32 16]     (widths, default all; LIC_THREADS threads, default 1)
# Every phase is a fixed number of steps (lic.release.recipes.WIDTH_STEPS): an interrupted run continues from its
# last checkpoint, a finished phase is not trained again, a released student is not released again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ $# -gt 0 ] || set -- 96 32 16
for n in "$@"; do
  for name in $($PY -c "from lic.release.recipes import PRESETS; print(' '.join(PRESETS['widths-n$n']))"); do
    $PY -m lic.release train "$name" --threads "${LIC_THREADS:-1}"
    case "$name" in
      *-kd) ;;
      *) $PY -c "import sys; from lic.codec.zoo import available; sys.exit(0 if '$name' in available() else 1)" \
           || $PY -m lic.release release "$name" ;;
    esac
  done
done
