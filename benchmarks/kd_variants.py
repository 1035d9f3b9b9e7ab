"""KD loss variants against the released students, step for step on the same crops.

Trains an N=64 student at λ=0.025 by distillation from the released teacher with a given latent
set / normalisation / weights, on the reference students' schedule (``lic.zoo.STUDENT_STEPS``,
same seed, so the same init, crops and lr as the released ``student-kd-…`` and
``student-scratch-…`` of that seed), for at most ``--minutes``; the run checkpoints and resumes.
Prints and writes the training RD cost (λ·255²·MSE + bpp, the objective both students share)
in windows of steps beside the released KD and from-scratch students' curves, so a variant is
judged against both baselines on identical batches before any Kodak evaluation::

    python benchmarks/kd_variants.py --variant hints --latents y g_a.1 g_a.3 g_a.5 g_s.1 g_s.3 g_s.5 \
        --latent-norm teacher --seed 0 --minutes 4
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import torch

from lic import zoo
from lic.data import CropSampler
from lic.distill import distill_student, train_scratch
from lic.train import TrainConfig

OUT = Path(__file__).resolve().parent / "results"
WORK = Path(__file__).resolve().parents[1] / "artifacts" / "kd_variants"
LMBDA = 0.025


def rd_cost(mse: float, bpp: float) -> float:
    return LMBDA * 255**2 * mse + bpp


def windows(rows: list[dict], edges: list[int]) -> list[float]:
    """Mean RD cost of ``rows`` (``step``, ``mse``, ``bpp``) in each window (edges[i], edges[i+1]]."""
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        w = [rd_cost(r["mse"], r["bpp"]) for r in rows if a < r["step"] <= b]
        out.append(sum(w) / len(w) if w else float("nan"))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variant", required=True, help="name of the run (work folder, CSV rows)")
    p.add_argument("--latents", nargs="+", default=["y"])
    p.add_argument("--latent-norm", default="none")
    p.add_argument("--weights", nargs=3, type=float, default=None, metavar=("LATENT", "OUTPUT", "RD"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--N", type=int, default=64)
    p.add_argument("--minutes", type=float, default=None)
    p.add_argument("--window", type=int, default=500)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--precision", default=None, help="fp32 or bf16 (default: the reference recipe's)")
    p.add_argument("--scratch", action="store_true", help="train the from-scratch control instead (RD loss only)")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    sfx = f"-s{a.seed}" if a.seed else ""
    ref = zoo.REFERENCE[f"student-kd-n{a.N}-m192-l0.0250{sfx}"]
    cfg = TrainConfig(lmbda=LMBDA, steps=ref["steps"], batch_size=ref["batch_size"], crop=ref["crop"], lr=ref["lr"],
                      seed=a.seed, ckpt_every=100, precision=a.precision or ref["precision"])
    sampler = CropSampler(None, crop=cfg.crop, seed=cfg.seed)
    w = None if a.weights is None else dict(zip(("latent", "output", "rd"), a.weights))
    ckpt, max_s = WORK / f"{a.variant}{sfx}" / "train.pt", None if a.minutes is None else a.minutes * 60
    if a.scratch:
        _, info = train_scratch(a.N, 192, cfg, sampler, ckpt, desc=a.variant, max_seconds=max_s)
    else:
        teacher = zoo.load_pretrained(ref["teacher"]).float()
        _, info = distill_student(teacher, a.N, cfg, sampler, ckpt, weights=w, latents=a.latents,
                                  latent_norm=a.latent_norm, desc=a.variant, max_seconds=max_s)
    done = info["step"]
    edges = list(range(0, done + 1, a.window))
    rows = {"variant": windows(info["history"], edges)}
    released = zoo.available()
    for kind in ("kd", "scratch"):
        name = f"student-{kind}-n{a.N}-m192-l0.0250{sfx}"
        if name in released:
            rows[f"released {kind}"] = windows(released[name]["curve"], edges)
    df = pd.DataFrame(rows, index=[f"{x}-{y}" for x, y in zip(edges[:-1], edges[1:])])
    if "released scratch" in df:
        df["variant vs scratch %"] = 100 * (df["variant"] / df["released scratch"] - 1)
        if "released kd" in df:
            df["released kd vs scratch %"] = 100 * (df["released kd"] / df["released scratch"] - 1)
    print(f"{a.variant} seed {a.seed}: training RD cost by step window ({done} steps, {info['seconds']:.0f} s)")
    print(df.round(3).to_string())
    OUT.mkdir(exist_ok=True)
    df.assign(variant_name=a.variant, seed=a.seed, precision=cfg.precision, steps_done=done,
              loss="scratch" if a.scratch else f"kd latents={' '.join(a.latents)} norm={a.latent_norm} w={w}").to_csv(OUT / f"kd_variant_{a.variant}{sfx}.csv", index_label="steps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
