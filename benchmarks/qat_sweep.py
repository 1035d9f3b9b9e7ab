"""QAT budget sweep: BD-rate of the hybrid 8/32 model vs its float control per (steps, lr) and seed.

Stage 03 builds every ablation row with one QAT budget (``qat_steps``, ``lr``); this script measures
how the hybrid row's BD-rate vs float moves with that budget, on released students, so the quick
preset's budget is chosen from numbers rather than guessed. Each (steps, lr, seed) builds the
``float`` control (same fine-tuning, unquantized) and the ``hybrid`` row exactly as stage 03 does
(:func:`lic.study.stages.quant._build`), codes the first ``--images`` Kodak images with real bitstreams
and prints the BD-rate (PSNR) of hybrid vs float over the λ points.

    python benchmarks/qat_sweep.py --configs 10:1e-5 30:5e-5 30:1e-4 10:1e-5:16 --seeds 0 1 --images 8
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import torch

from lic.codec.zoo import load_pretrained
from lic.data.images import CropSampler, load_kodak
from lic.eval.metrics import bd_rate
from lic.eval.rd import evaluate_codec
from lic.study.config import config
from lic.study.stages.quant import _build


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--student", default="student-kd-n64-m192", help="zoo name without the λ suffix")
    ap.add_argument("--lambdas", type=float, nargs="+", default=[0.0067, 0.025])
    ap.add_argument("--configs", nargs="+", default=["10:1e-5", "30:5e-5", "30:1e-4"],
                    help="steps:lr[:calib_batches] (calibration batches default: the quick preset's)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="CSV of every (config, seed, row, λ) point")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    images = load_kodak(limit=a.images)
    base_p = config("03", "quick")
    rows = []
    for cfg in a.configs:
        steps, lr, *calib = cfg.split(":")
        for seed in a.seeds:
            p = base_p.replace(qat_steps=int(steps), lr=float(lr), seed=seed,
                               calib_batches=int(calib[0]) if calib else base_p.calib_batches)
            sampler = CropSampler(None, crop=p["crop"], seed=seed)
            with tempfile.TemporaryDirectory() as tmp:
                st = SimpleNamespace(dir=Path(tmp))
                for lmbda in a.lambdas:
                    base = load_pretrained(f"{a.student}-l{lmbda:.4f}")
                    for row in ("float", "hybrid"):
                        t0 = time.monotonic()
                        model = _build(row, base, p, lmbda, sampler, st, progress=False)
                        res = evaluate_codec(model, images, progress=False)["mean"]
                        rows.append({"config": cfg, "seed": seed, "row": row, "lmbda": lmbda,
                                     "bpp": res["bpp"], "psnr": res["psnr"], "s": time.monotonic() - t0})
                        print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    if a.out:
        df.to_csv(a.out, index=False)
    out = []
    for (cfg, seed), g in df.groupby(["config", "seed"], sort=False):
        f, h = g[g.row == "float"], g[g.row == "hybrid"]
        out.append({"config": cfg, "seed": seed, "bd_rate_hybrid_vs_float": bd_rate(f.bpp, f.psnr, h.bpp, h.psnr),
                    "float_psnr": f.psnr.mean(), "hybrid_psnr": h.psnr.mean(), "seconds": g.s.sum()})
    t = pd.DataFrame(out)
    print(t.round(3).to_string(index=False))
    print(t.groupby("config", sort=False).bd_rate_hybrid_vs_float.agg(["mean", "min", "max"]).round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
