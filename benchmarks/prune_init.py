"""Benchmark: how a student that inherits the teacher's weights starts, by pruning criterion (#32).

The released teacher of each λ pruned to N (:func:`lic.train.prune.prune_to_width`) by filter L1 and data-driven
(calibrated on 8 training crops of 256 px, seed 0: channels by their contribution to the next conv, the removed ones'
mean folded in), before any training: bpp from the likelihoods and PSNR of the forward pass on the first 4 Kodak
images. Writes ``benchmarks/results/prune_init.json``::

    .venv/bin/python benchmarks/prune_init.py [--lambdas 0.025] [--widths 96 64 32 16]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def forward_rd(model, images) -> dict:
    """Mean bpp (likelihoods) and PSNR of the forward pass."""
    bpp, psnr = [], []
    with torch.no_grad():
        for x in images:
            out = model(x[None])
            mse = float(((out["x_hat"].clamp(0, 1) - x[None]) ** 2).mean())
            psnr.append(10 * math.log10(1 / mse))
            bpp.append(sum(float(torch.log2(v).sum()) for v in out["likelihoods"].values()) / -(x.shape[-1] * x.shape[-2]))
    return {"bpp": round(sum(bpp) / len(bpp), 4), "psnr": round(sum(psnr) / len(psnr), 3)}


def main(argv=None) -> dict:
    from lic.codec import zoo
    from lic.data.images import CropSampler, load_kodak
    from lic.fileio import write_json
    from lic.train.prune import prune_to_width
    from lic.train.specs import lambda_tag

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lambdas", type=float, nargs="+", default=[0.025])
    ap.add_argument("--widths", type=int, nargs="+", default=[96, 64, 32, 16])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "prune_init.json"))
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.time()
    images = [x for _, x in load_kodak(limit=4)]
    calib = CropSampler(crop=256, seed=0).batch(0, 8)
    rows = []
    for lmbda in a.lambdas:
        name = f"teacher-n128-m192-l{lambda_tag(lmbda)}"
        teacher = zoo.load_pretrained(name).float().eval()
        rows.append({"model": name, "N": 128, "criterion": "none (the teacher)", **forward_rd(teacher, images)})
        for n in a.widths:
            for crit, c in (("filter L1", None), ("data-driven", calib)):
                rows.append({"model": name, "N": n, "criterion": crit,
                             **forward_rd(prune_to_width(teacher, n, c), images)})
                print(rows[-1], flush=True)
    out = {"images": "Kodak kodim01-04 (forward pass, no entropy coding)", "calibration": "8 training crops of 256 px, "
           "CropSampler seed 0", "rows": rows, "wall_s": round(time.time() - t0, 1)}
    write_json(a.out, out)
    return out


if __name__ == "__main__":
    main()
