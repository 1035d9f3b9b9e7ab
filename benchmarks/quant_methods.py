"""Hybrid 8/32 quantization methods, one at a time, against the same float control.

Each method is a :class:`lic.quant.hybrid.QuantScheme` that differs from stage 03's ``hybrid`` row in one
field (weight scale by MSE, activation scale by MSE, bias correction) or in several (``all``). For
each seed and λ the float control (same fine-tuning, unquantized) and every method are built exactly
as stage 03 builds its rows (:func:`lic.study.stages.quant._build`: calibration, then ``--qat-steps`` of
QAT), the first ``--images`` Kodak images are coded with real bitstreams, and the BD-rate (PSNR) of
each method vs the float control is printed per seed, with the spread over seeds.

    python benchmarks/quant_methods.py --methods hybrid wmse amse bc all --seeds 0 1 --images 8 \\
        --out benchmarks/results/quant_methods.csv
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import torch

from lic.codec.zoo import load_pretrained
from lic.data.images import CropSampler, load_kodak
from lic.eval.metrics import bd_rate
from lic.eval.rd import evaluate_codec
from lic.quant import hybrid as quant
from lic.study.config import config
from lic.study.stages.quant import _build

_BASE = quant.SCHEMES["hybrid"]
#: the hybrid scheme before GDN equalization and MSE activation scales (stage 03's row until 2026-11-26)
_PLAIN = quant.QuantScheme(8, 8, 32, 16)
#: method -> the scheme it quantizes with ("hybrid" = stage 03's row as it stands); the one-at-a-time
#: methods change one field of ``_PLAIN``
METHODS = {
    "hybrid": _BASE,
    "plain": _PLAIN,
    "noeq": replace(_BASE, equalize=0.0),
    "eq": replace(_PLAIN, equalize=0.5),
    "wmse": replace(_PLAIN, weight_scale="mse"),
    "amse": replace(_PLAIN, act_scale="mse"),
    "bc": replace(_PLAIN, bias_correction=True),
    "wmse_bc": replace(_PLAIN, weight_scale="mse", bias_correction=True),
    "all": replace(_PLAIN, weight_scale="mse", act_scale="mse", bias_correction=True),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--student", default="student-kd-pruned-n64-m192", help="zoo name without the λ suffix")
    ap.add_argument("--lambdas", type=float, nargs="+", default=[0.0067, 0.025])
    ap.add_argument("--methods", nargs="+", default=["hybrid", "wmse", "amse", "bc"], choices=sorted(METHODS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--qat-steps", type=int, default=None, help="default: the quick preset's")
    ap.add_argument("--lr", type=float, default=None, help="QAT / fine-tuning lr (default: the quick preset's)")
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="CSV of every (method, seed, λ) point")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    images = load_kodak(limit=a.images)
    p0 = config("03", "quick", qat_steps=a.qat_steps, lr=a.lr)  # None: the quick preset's
    for name, scheme in METHODS.items():  # _build quantizes by scheme name
        quant.SCHEMES.setdefault(f"bench_{name}", scheme)
    rows = []
    for seed in a.seeds:
        p = p0.replace(seed=seed)
        sampler = CropSampler(None, crop=p["crop"], seed=seed)
        with tempfile.TemporaryDirectory() as tmp:
            st = SimpleNamespace(dir=Path(tmp))
            for lmbda in a.lambdas:
                base = load_pretrained(f"{a.student}-l{lmbda:.4f}")
                for method in ["float", *a.methods]:
                    t0 = time.monotonic()
                    row = "float" if method == "float" else f"bench_{method}"
                    model = _build(row, base, p, lmbda, sampler, st, progress=False)
                    res = evaluate_codec(model, images, progress=False)["mean"]
                    rows.append({"method": method, "seed": seed, "lmbda": lmbda, "bpp": res["bpp"],
                                 "psnr": res["psnr"], "s": time.monotonic() - t0})
                    print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    if a.out:
        df.to_csv(a.out, index=False)
    out = []
    for (seed, method), g in df[df.method != "float"].groupby(["seed", "method"], sort=False):
        f = df[(df.seed == seed) & (df.method == "float")]
        out.append({"method": method, "seed": seed, "bd_rate_vs_float": bd_rate(f.bpp, f.psnr, g.bpp, g.psnr),
                    "dpsnr": g.psnr.mean() - f.psnr.mean(), "dbpp_pct": 100 * (g.bpp.mean() / f.bpp.mean() - 1)})
    t = pd.DataFrame(out)
    print(t.round(3).to_string(index=False))
    print(t.groupby("method", sort=False).bd_rate_vs_float.agg(["mean", "min", "max"]).round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
