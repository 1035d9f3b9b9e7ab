#!/usr/bin/env bash
# A continuation phase of released students (#32), each released into artifacts/<phase>/weights and adopted in place of
# the released student it continues only where its Kodak-24 RD cost (bpp + λ·255²·MSE of the means) is lower:
#   bash scripts/train_widths_phase.sh [PHASE] [recipe ...]
# PHASE (default widths-p2), one of lic.release.recipes' continuation presets (docs/CAMPAIGN.md): widths-p2 (the N=96
# students annealed by the RD loss alone), widths-p3 / widths-p4 (the N=96 students distilled further from the λ's
# teacher), widths-n32-p2 … -p5 (the N=32 students distilled further), widths-g64 / widths-g64-rd (N=96 grown from
# the N=64 students, then distilled / annealed by the RD loss). Recipes named after the phase train
# only those of it (two processes of one thread each use both cores). Resumable like scripts/train_widths.sh; release
# and adoption take a lock, so parallel processes do not interleave their manifest updates.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PHASE=${1:-widths-p2}
OUT=artifacts/${PHASE//-/_}/weights
mkdir -p "$OUT"
NAMES=$($PY -c "from lic.release.recipes import PRESETS; print(' '.join(PRESETS['$PHASE']))")
if [ $# -gt 1 ]; then
  for n in "${@:2}"; do
    [[ " $NAMES " == *" $n "* ]] || { echo "error: $n is not a recipe of $PHASE ($NAMES)" >&2; exit 2; }
  done
  NAMES="${*:2}"
fi
for name in $NAMES; do
  $PY -m lic.release train "$name" --threads "${LIC_THREADS:-1}"
  (
  flock 9
  $PY -c "import sys; from pathlib import Path; from lic.codec.zoo import available
sys.exit(0 if sys.argv[1] in available(Path(sys.argv[2])) else 1)" "$name" "$OUT" \
    || $PY -m lic.release release "$name" --weights-dir "$OUT"
  $PY -c "import sys; from lic.release.gpujob import adopt_if_better; adopt_if_better(sys.argv[1], sys.argv[2])" \
    "$name" "$OUT"
  ) 9>"$OUT/.lock"
done
