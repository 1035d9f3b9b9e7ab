#!/usr/bin/env python3
"""Is bf16 autocast training exact enough? An A/B from the same init, batches and noise.

Trains the same student (width N, λ, seed) twice, ``TrainConfig.precision`` fp32 and bf16, then
codes Kodak with real bitstreams (both models evaluated in float32) and reports steps/s, the final
training losses and Kodak bpp/PSNR side by side. Written to benchmarks/results/bf16_ab.json.

    .venv/bin/python benchmarks/bf16_ab.py [--N 64] [--steps 1500] [--kodak 8]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from lic.codec.models import build_model
from lic.data.images import CropSampler, load_kodak
from lic.eval.rd import evaluate_codec
from lic.fileio import write_json
from lic.train.loop import TrainConfig, train


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, default=64)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--lmbda", type=float, default=0.025)
    ap.add_argument("--kodak", type=int, default=8, help="Kodak images for the RD check")
    ap.add_argument("--out", default=str(Path(__file__).with_name("results") / "bf16_ab.json"))
    a = ap.parse_args(argv)
    images = load_kodak(limit=a.kodak)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for precision in ("fp32", "bf16"):
            torch.manual_seed(0)
            model = build_model(N=a.N, M=192)
            cfg = TrainConfig(lmbda=a.lmbda, steps=a.steps, lr=3e-4, precision=precision, ckpt_every=10**6)
            info = train(model, cfg, CropSampler(crop=cfg.crop, seed=0), Path(tmp) / f"{precision}.pt", desc=precision)
            tail = [h for h in info["history"] if h["step"] > a.steps - 200]
            res = evaluate_codec(model.eval(), images, progress=False)["mean"]
            rows.append({"precision": precision, "steps_per_s": a.steps / info["seconds"],
                         "train_loss_last200": float(np.mean([h["loss"] for h in tail])),
                         "kodak_bpp": res["bpp"], "kodak_psnr": res["psnr"], "kodak_ms_ssim": res["ms_ssim"]})
            print(rows[-1], flush=True)
    f, b = rows
    summary = {"speedup": b["steps_per_s"] / f["steps_per_s"], "d_psnr_db": b["kodak_psnr"] - f["kodak_psnr"],
               "d_bpp_rel": b["kodak_bpp"] / f["kodak_bpp"] - 1}
    print(f"bf16 vs fp32 (N={a.N}, {a.steps} steps, λ={a.lmbda}, Kodak n={a.kodak}): speed {summary['speedup']:.2f}x, "
          f"PSNR {summary['d_psnr_db']:+.3f} dB, bpp {summary['d_bpp_rel']:+.2%}")
    write_json(a.out, {"args": vars(a), "rows": rows, "summary": summary})


if __name__ == "__main__":
    main()
