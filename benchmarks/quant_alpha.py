"""The GDN equalization exponent alpha of the hybrid 8/32 scheme, chosen on training crops (never Kodak).

For each released student and alpha, the model is equalized (:mod:`lic.quant.equalize`), quantized and calibrated as
stage 03 does (:func:`lic.quant.hybrid.quantize_calibrated`, the hybrid scheme with only ``equalize`` changed), and its
forward output on held-out training crops (sampler batches far from the calibration ones) is compared with the
float model's: PSNR change against the input, in dB (PTQ, no QAT, no entropy coding).

    python benchmarks/quant_alpha.py --alphas 0 0.25 0.5 0.75 1 --crops 16 --out benchmarks/results/quant_alpha.csv
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path

import pandas as pd
import torch

from lic.codec.zoo import load_pretrained
from lic.data.images import CropSampler
from lic.quant import hybrid as quant

#: sampler batch index of the held-out scoring crops (calibration reads from lic.quant.hybrid.CALIB_BATCH on)
SCORE_BATCH = 90_000


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return 10 * math.log10(1.0 / torch.mean((a - b) ** 2).item())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--student", default="student-kd-pruned-n64-m192", help="zoo name without the λ suffix")
    ap.add_argument("--lambdas", nargs="+", default=["0.0067", "0.0250"])
    ap.add_argument("--alphas", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    ap.add_argument("--crops", type=int, default=16, help="held-out 256² training crops (multiple of 4)")
    ap.add_argument("--train-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "photos"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    sampler = CropSampler(a.train_dir, crop=256, seed=17)
    x = torch.cat([sampler.batch(SCORE_BATCH + i, 4) for i in range(a.crops // 4)])
    rows = []
    for lm in a.lambdas:
        model = load_pretrained(f"{a.student}-l{lm}").float().eval()
        with torch.no_grad():
            ref = psnr(model(x)["x_hat"].clamp(0, 1), x)
        for alpha in a.alphas:
            scheme = dataclasses.replace(quant.SCHEMES["hybrid"], equalize=alpha)
            q = quant.quantize_calibrated(model, scheme, sampler)
            with torch.no_grad():
                d = psnr(q(x)["x_hat"].clamp(0, 1), x) - ref
            rows.append({"student": f"{a.student}-l{lm}", "alpha": alpha, "crops": len(x), "dpsnr_db": round(d, 4)})
            print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    print(df.pivot(index="alpha", columns="student", values="dpsnr_db").to_string())
    if a.out:
        df.to_csv(a.out, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
