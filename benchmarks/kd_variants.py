"""KD loss variants against the released students, step for step on the same crops.

Trains an N=64 student at λ=0.025 by distillation from the released teacher with a given latent
set / normalisation / weights, on the reference students' schedule (``lic.release.recipes.STUDENT_STEPS``,
same seed, so the same init, crops and lr as the released ``student-kd-…`` and
``student-scratch-…`` of that seed), for at most ``--minutes``; the run checkpoints and resumes.
Prints and writes the training RD cost (λ·255²·MSE + bpp, the objective both students share)
in windows of steps beside the released KD and from-scratch students' curves, so a variant is
judged against both baselines on identical batches before any Kodak evaluation::

    python benchmarks/kd_variants.py --variant hints --latents y g_a.1 g_a.3 g_a.5 g_s.1 g_s.3 g_s.5 \
        --latent-norm teacher --seed 0 --minutes 4

``--init pruned-teacher`` starts the student from the teacher itself, its N channels cut to the
student's by filter L1 norm (:func:`lic.train.prune.prune_channels`: weight inheritance instead of a random
init). ``--finetune`` adds the recipe's 300-step fine-tune to λ=0.0067 and ``--kodak`` evaluates both
points on Kodak (real bitstreams) with BD-rates against the released teacher and students of that seed
(their manifest numbers: compare with ``--kodak 24``, the images they were measured on).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pandas as pd
import torch

from lic.codec import zoo
from lic.data.images import CropSampler
from lic.eval.stats import window_costs
from lic.release import recipes
from lic.train.kd import fit
from lic.train.specs import StudentSpec, lambda_tag

OUT = Path(__file__).resolve().parent / "results"
WORK = Path(__file__).resolve().parents[1] / "artifacts" / "kd_variants"
LMBDA = 0.025


def _reference(kind: str, N: int, lmbda: float, seed: int) -> StudentSpec:
    """The reference student of the zoo (:data:`lic.release.recipes.STUDENTS`) of that kind, width, λ and seed."""
    return {s.name: s for s in recipes.STUDENTS}[StudentSpec(kind, N, lmbda=lmbda, seed=seed).name]


def kodak_report(a, models: dict, sfx: str) -> None:
    """Kodak RD points of the trained variant (real bitstreams) and BD-rates against the released models."""
    from lic.data.images import load_kodak
    from lic.eval.metrics import bd_rate
    from lic.eval.rd import evaluate_codec

    images = load_kodak(limit=a.kodak)
    rows = []
    for lmbda, m in sorted(models.items()):
        res = evaluate_codec(m.eval(), images, desc=f"Kodak {a.variant} λ={lmbda}")
        rows.append({"model": a.variant, "lmbda": lmbda, **{k: float(res["mean"][k]) for k in ("bpp", "psnr")}})
    released = zoo.available()
    refs = {"teacher": [f"teacher-n128-m192-l{lambda_tag(l)}" for l in (0.0018, 0.0035, 0.0067, 0.025)],
            **{f"released {k}": [StudentSpec(k, a.N, lmbda=l, seed=a.seed).name for l in (0.0067, 0.025)]
               for k in ("kd", "scratch")}}
    for label, names in refs.items():
        for n in names:
            if n in released:
                e = released[n]
                rows.append({"model": label, "lmbda": e["lmbda"], "bpp": e["kodak"]["bpp"], "psnr": e["kodak"]["psnr"],
                             "images": e.get("kodak_images")})
    df = pd.DataFrame(rows)
    v = df[df.model == a.variant]
    print(f"\nKodak ({a.kodak} images; released rows: their manifest numbers)")
    print(df.round(4).to_string(index=False))
    for label in refs:
        r = df[df.model == label]
        if len(r) >= 2 and len(v) >= 2:
            print(f"BD-rate {a.variant} vs {label}: {bd_rate(r.bpp, r.psnr, v.bpp, v.psnr):+.2f}%")
    df.to_csv(OUT / f"kd_variant_{a.variant}{sfx}_kodak.csv", index=False)


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
    p.add_argument("--init", choices=("random", "pruned-teacher"), default="random")
    p.add_argument("--finetune", action="store_true", help="then the recipe's 300-step fine-tune to λ=0.0067")
    p.add_argument("--kodak", type=int, default=0, help="evaluate on this many Kodak images (0: no evaluation)")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    sfx = f"-s{a.seed}" if a.seed else ""
    ref = _reference("kd", a.N, LMBDA, a.seed)
    kinds = {"random": ("kd", "scratch"), "pruned-teacher": ("kd-pruned", "rd-pruned")}  # (KD, RD loss only)
    spec = dataclasses.replace(ref, kind=kinds[a.init][a.scratch], precision=a.precision or ref.precision)
    cfg = spec.train_config(ckpt_every=100)
    sampler = CropSampler(None, crop=cfg.crop, seed=cfg.seed)
    w = None if a.weights is None else dict(zip(("latent", "output", "rd"), a.weights))
    ckpt, max_s = WORK / f"{a.variant}{sfx}" / "train.pt", None if a.minutes is None else a.minutes * 60
    kd = {"weights": w, "latents": a.latents, "latent_norm": a.latent_norm, "max_seconds": max_s}
    model, info = fit(spec, zoo.load_pretrained(ref.teacher).float(), sampler, ckpt, cfg=cfg, desc=a.variant, **kd)
    done = info["step"]
    edges = list(range(0, done + 1, a.window))
    rows = {"variant": window_costs(info["history"], LMBDA, edges)}
    released = zoo.available()
    for k in ("kd", "scratch"):
        name = StudentSpec(k, a.N, lmbda=LMBDA, seed=a.seed).name
        if name in released:
            rows[f"released {k}"] = window_costs(zoo.released_curve(name), LMBDA, edges)
    df = pd.DataFrame(rows, index=[f"{x}-{y}" for x, y in zip(edges[:-1], edges[1:])])
    if "released scratch" in df:
        df["variant vs scratch %"] = 100 * (df["variant"] / df["released scratch"] - 1)
        if "released kd" in df:
            df["released kd vs scratch %"] = 100 * (df["released kd"] / df["released scratch"] - 1)
    print(f"{a.variant} seed {a.seed}: training RD cost by step window ({done} steps, {info['seconds']:.0f} s)")
    print(df.round(3).to_string())
    OUT.mkdir(exist_ok=True)
    if info["done"] and (a.finetune or a.kodak):
        models = {LMBDA: model}
        if a.finetune:  # the recipe's fine-tune, the variant's loss and precision
            ft = dataclasses.replace(_reference("kd", a.N, 0.0067, a.seed), kind=spec.kind, precision=spec.precision)
            models[ft.lmbda], finfo = fit(ft, zoo.load_pretrained(ft.teacher).float(), sampler,
                                          ckpt.with_name("finetune.pt"), cfg=ft.train_config(ckpt_every=100),
                                          init=model.train(), desc=f"{a.variant} λ={ft.lmbda}", **kd)
            if not finfo["done"]:
                print("fine-tune interrupted (checkpointed): run the same command again")
                return 0
        if a.kodak:
            kodak_report(a, models, sfx)
    df.assign(variant_name=a.variant, seed=a.seed, precision=cfg.precision, steps_done=done,
              loss="scratch" if a.scratch else f"kd latents={' '.join(a.latents)} norm={a.latent_norm} w={w}").to_csv(OUT / f"kd_variant_{a.variant}{sfx}.csv", index_label="steps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
