#!/usr/bin/env bash
# The paper preset on a GPU, as one job of at most 9 minutes:
#   1. continue the released reference teacher (teacher-n128-m192-l0.0250) with the paper's 16 x 256² batches,
#      streamed from ../shared/data/photos by DataLoader workers, CUDA autocast (bf16, else fp16 + GradScaler),
#      TF32 and channels_last: recipe teacher-n128-m192-l0.0250-gpu, at most $LIC_RUN_TEACHER_MIN minutes;
#   2. then the released KD student from the pruned teacher (N=64), distilled from that teacher:
#      recipe student-kd-pruned-n64-m192-l0.0250-gpu, at most $LIC_RUN_STUDENT_MIN minutes;
#   3. release both into OUT_DIR/weights (fp16, Kodak measured on the CPU in float32, the hardware and every
#      phase in the manifest) and write throughput, training curves and the verdict against the released weights.
# Everything lands in OUT_DIR (training states under OUT_DIR/zoo); nothing in weights/ changes. Adopting a
# result that beats the released weights: LIC_ZOO_WORK=OUT_DIR/zoo python -m lic.zoo release <name>.
#
#   bash scripts/device_run.sh OUT_DIR
#
# Dry run on a CPU (what tests/test_device_run.py does): LIC_RUN_STEPS=1 LIC_RUN_BATCH=1 LIC_RUN_CROP=64
# LIC_RUN_KODAK_LIMIT=1 bash scripts/device_run.sh /tmp/dry
set -euo pipefail
OUT=${1:?usage: scripts/device_run.sh OUT_DIR}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export LIC_ZOO_WORK="$OUT/zoo"
export LIC_TRAIN_DIR=${LIC_TRAIN_DIR:-../shared/data/photos}
TEACHER_MIN=${LIC_RUN_TEACHER_MIN:-4}
STUDENT_MIN=${LIC_RUN_STUDENT_MIN:-2.5}
over=()
[ -n "${LIC_RUN_STEPS:-}" ] && over+=(--steps "$LIC_RUN_STEPS")
[ -n "${LIC_RUN_BATCH:-}" ] && over+=(--batch-size "$LIC_RUN_BATCH")
[ -n "${LIC_RUN_CROP:-}" ] && over+=(--crop "$LIC_RUN_CROP")
[ -n "${LIC_RUN_WORKERS:-}" ] && over+=(--workers "$LIC_RUN_WORKERS")
limit=()
[ -n "${LIC_RUN_KODAK_LIMIT:-}" ] && limit+=(--limit "$LIC_RUN_KODAK_LIMIT")

{ date -u; nvidia-smi 2>&1 || echo "no nvidia-smi: CPU run"; "$PY" -c "import torch; print('torch', torch.__version__, \
'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu', \
'bf16', torch.cuda.is_available() and torch.cuda.is_bf16_supported())"; } > "$OUT/hardware.txt"
cat "$OUT/hardware.txt"
t0=$(date +%s)
"$PY" -m lic.zoo train teacher-n128-m192-l0.0250-gpu --minutes "$TEACHER_MIN" ${over[@]+"${over[@]}"} 2>&1 | tee "$OUT/train_teacher.log"
"$PY" -m lic.zoo train student-kd-pruned-n64-m192-l0.0250-gpu --minutes "$STUDENT_MIN" ${over[@]+"${over[@]}"} 2>&1 \
  | tee "$OUT/train_student.log"
t1=$(date +%s)
"$PY" -m lic.zoo release gpu --weights-dir "$OUT/weights" ${limit[@]+"${limit[@]}"} 2>&1 | tee "$OUT/release.log"
"$PY" -m lic.runlog gpu --out "$OUT" --weights-dir "$OUT/weights" 2>&1 | tee "$OUT/summary.txt"
echo "training $((t1 - t0)) s, all $(( $(date +%s) - t0 )) s" | tee -a "$OUT/summary.txt"
