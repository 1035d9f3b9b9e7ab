#!/usr/bin/env bash
# The GPU job, one time-boxed run on one GPU (about 8 minutes): at each of the teacher's four λ, in parallel
# (one process per λ sharing the GPU),
#   1. the released teacher (teacher-n128-m192-l<λ>) continued at the paper's 16 x 256² batches, CUDA autocast
#      (bf16, else fp16 + GradScaler), TF32, channels_last, crops from memory: recipe teacher-n128-m192-l<λ>-gpu,
#      $LIC_RUN_TEACHER_MIN minutes, the lr dropped 10x after 85 % of them;
#   2. then the KD student re-derived from that teacher (N pruned to 64, distilled from it):
#      recipe student-kd-pruned-n64-m192-l<λ>-gpu, $LIC_RUN_STUDENT_MIN minutes, likewise;
#   3. the training states slimmed into OUT_DIR/gpu-l<λ>[-s<seed>].tar (fp16 weights + history, python -m lic.release.gpujob pack)
#      and the throughput / curves into OUT_DIR/logs.tar;
#   4. where Kodak is there (LIC_KODAK_DIR or ../shared/data/kodak): released into OUT_DIR/weights (fp16, Kodak
#      measured on the CPU in float32, the hardware and every phase in the manifest) with the verdict against
#      the released weights in OUT_DIR/summary.json. Nothing in weights/ changes; adopting a result that beats
#      its released model: python -m lic.release.gpujob adopt <name> --from OUT_DIR/weights.
#
#   bash scripts/device_run.sh OUT_DIR
#
# LIC_RUN_PRESET="<presets of lic.release.recipes.PRESETS or recipe names>" instead trains each of those recipes as its own
# process, all at once, for up to $LIC_RUN_MIN minutes each (gpu-kdrd: KD vs RD-only from the pruned teacher, twelve
# students), then steps 3 and 4 as above.
#
# A device machine that reaches no network and takes a small working tree: python scripts/device_prepare.py
# writes .device/ (the training photos as JPEG within a byte budget, the wheels the GPU image lacks); carry
# .device, set LIC_TRAIN_DIR=.device/photos and LIC_RUN_WORK to a local folder, and release at home from the
# tars (tar -xf OUT_DIR/gpu-l*.tar -C OUT_DIR, then step 4 with LIC_ZOO_WORK=OUT_DIR/zoo).
# Dry run on a CPU (tests/test_device_run.py): LIC_RUN_STEPS=2 LIC_RUN_BATCH=1 LIC_RUN_CROP=64
# LIC_RUN_KODAK_LIMIT=1 bash scripts/device_run.sh /tmp/dry
set -euo pipefail
OUT=${1:?usage: scripts/device_run.sh OUT_DIR}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
WORK=${LIC_RUN_WORK:-$OUT}
mkdir -p "$WORK/log"
export LIC_ZOO_WORK="$WORK/zoo"
export LIC_TRAIN_DIR=${LIC_TRAIN_DIR:-../shared/data/photos}
export PYTHONUNBUFFERED=1
TEACHER_MIN=${LIC_RUN_TEACHER_MIN:-3}
STUDENT_MIN=${LIC_RUN_STUDENT_MIN:-3.5}
LAMBDAS=${LIC_RUN_LAMBDAS:-0.0018 0.0035 0.0067 0.0250}
over=()
[ -n "${LIC_RUN_STEPS:-}" ] && over+=(--steps "$LIC_RUN_STEPS")
[ -n "${LIC_RUN_BATCH:-}" ] && over+=(--batch-size "$LIC_RUN_BATCH")
[ -n "${LIC_RUN_CROP:-}" ] && over+=(--crop "$LIC_RUN_CROP")
limit=()
[ -n "${LIC_RUN_KODAK_LIMIT:-}" ] && limit+=(--limit "$LIC_RUN_KODAK_LIMIT")

{ date -u; nvidia-smi 2>&1 || echo "no nvidia-smi: CPU run"; "$PY" -c "import torch; print('torch', torch.__version__, \
'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu', \
'bf16', torch.cuda.is_available() and torch.cuda.is_bf16_supported())"; } > "$WORK/log/hardware.txt"
cat "$WORK/log/hardware.txt"
t0=$(date +%s)
pids=()
if [ -n "${LIC_RUN_PRESET:-}" ]; then
  read -r -a names <<< "$("$PY" -c "import sys; from lic.release.recipes import expand; print(' '.join(expand(sys.argv[1:])))" \
    $LIC_RUN_PRESET)"
  for n in "${names[@]}"; do
    "$PY" -m lic.release train "$n" --minutes "${LIC_RUN_MIN:-5.5}" ${over[@]+"${over[@]}"} > "$WORK/log/train_$n.log" 2>&1 &
    pids+=($!)
  done
else
  names=()
  for l in $LAMBDAS; do
    ( "$PY" -m lic.release train "teacher-n128-m192-l$l-gpu" --minutes "$TEACHER_MIN" ${over[@]+"${over[@]}"} \
      && "$PY" -m lic.release train "student-kd-pruned-n64-m192-l$l-gpu" --minutes "$STUDENT_MIN" ${over[@]+"${over[@]}"} \
    ) > "$WORK/log/train_l$l.log" 2>&1 &
    pids+=($!)
    names+=("teacher-n128-m192-l$l-gpu" "student-kd-pruned-n64-m192-l$l-gpu")
  done
fi
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
t1=$(date +%s)
for f in "$WORK"/log/train_*.log; do tail -n 3 "$f"; done
trained=()
for n in "${names[@]}"; do
  [ -f "$LIC_ZOO_WORK/$n/train.pt" ] && trained+=("$n")
done
names=(${trained[@]+"${trained[@]}"})
[ ${#names[@]} -gt 0 ] || { echo "no model trained"; exit 1; }
"$PY" -m lic.release.gpujob pack "${names[@]}" --out "$OUT"
echo "training $((t1 - t0)) s" > "$WORK/log/summary.txt"
kodak=${LIC_KODAK_DIR:-../shared/data/kodak}
if [ -d "$kodak" ] && [ -z "${LIC_RUN_NO_RELEASE:-}" ]; then
  "$PY" -m lic.release release "${names[@]}" --weights-dir "$OUT/weights" ${limit[@]+"${limit[@]}"} 2>&1 | tee "$WORK/log/release.log"
  "$PY" -m lic.release.runlog "${names[@]}" --out "$WORK/log" --weights-dir "$OUT/weights" 2>&1 | tee -a "$WORK/log/summary.txt"
  cp "$WORK/log/summary.json" "$OUT/summary.json"
else
  "$PY" -m lic.release.runlog "${names[@]}" --out "$WORK/log" 2>&1 | tee -a "$WORK/log/summary.txt"
fi
echo "all $(( $(date +%s) - t0 )) s" | tee -a "$WORK/log/summary.txt"
tar -cf "$OUT/logs.tar" -C "$WORK" log
exit $fail
