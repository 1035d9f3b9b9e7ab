"""KD vs RD-only from the pruned teacher, paired by seed (the ``gpu-kdrd`` preset of :mod:`lic.codec.zoo`).

Each KD student of the preset has an RD-only twin: the same released teacher pruned to N=64, the same λ, crops
(seed), steps and schedule; only the loss differs. This reads their Kodak measurements (``python -m lic.release
release gpu-kdrd --weights-dir DIR``, real bitstreams) and prints, per seed: BD-rate (PSNR, pchip) of KD against
its RD-only twin over the preset's λ, each student's BD-rate against the released teacher, and the change of the
RD cost λ·255²·MSE + bpp at each λ; then the mean, sd and 95 % CI over the seeds (:func:`lic.eval.stats.t_summary`)::

    python benchmarks/kdrd_seeds.py --weights-dir /tmp/kdrd/weights --out benchmarks/results/kdrd_seeds_gpu_kodak24.csv \
        --json benchmarks/results/kd_vs_rd_pruned_seeds.json

The JSON (setup, per-seed rows, summary) is the record the report cites (:func:`lic.eval.stats.recorded_kd_vs_rd`),
read through the index of benchmark records (``benchmarks/records.json``): ``--json`` registers it there
(:func:`register`) with the SHA-256 of this script, of the students' weights (from ``--weights-dir``'s manifest)
and of the released teachers they were pruned from and compared with.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from lic.codec import zoo
from lic.eval.metrics import bd_rate
from lic.eval.stats import t_summary
from lic.fileio import atomic_write_text, write_json
from lic.provenance import index_record
from lic.release import recipes
from lic.release.runlog import kodak_rd_cost
from lic.train.specs import StudentSpec, lambda_tag


def points(weights_dir: Path) -> pd.DataFrame:
    """One row per measured student of the preset: loss, seed, λ, Kodak bpp / PSNR, images, RD cost."""
    released = zoo.available(weights_dir)
    rows = []
    for name in recipes.PRESETS["gpu-kdrd"]:
        if name not in released:
            continue
        s, k = StudentSpec.from_recipe(recipes.REFERENCE[name]), released[name]
        rows.append({"name": name, "loss": s.loss, "seed": s.seed, "lmbda": s.lmbda, "bpp": k["kodak"]["bpp"],
                     "psnr": k["kodak"]["psnr"], "images": k.get("kodak_images"), "steps": k.get("steps"),
                     "cost": kodak_rd_cost(k, s.lmbda)})
    if not rows:
        raise SystemExit(f"no gpu-kdrd student released in {weights_dir}")
    return pd.DataFrame(rows)


def per_seed(pts: pd.DataFrame) -> pd.DataFrame:
    """Per seed: KD vs RD-only BD-rate, each vs the released teacher, and the RD-cost change at each λ."""
    released = zoo.available()
    lambdas = sorted(pts.lmbda.unique())
    teacher = [released[f"teacher-n128-m192-l{lambda_tag(lm)}"]["kodak"] for lm in lambdas]
    t_bpp, t_psnr = [t["bpp"] for t in teacher], [t["psnr"] for t in teacher]
    rows = []
    for seed, g in pts.groupby("seed"):
        kd, rd = (g[g.loss == x].sort_values("lmbda") for x in ("kd", "rd"))
        if len(kd) != len(lambdas) or len(rd) != len(lambdas):
            continue
        row = {"seed": int(seed), "kd_vs_rd_bd_pct": bd_rate(rd.bpp, rd.psnr, kd.bpp, kd.psnr),
               "kd_vs_teacher_bd_pct": bd_rate(t_bpp, t_psnr, kd.bpp, kd.psnr),
               "rd_vs_teacher_bd_pct": bd_rate(t_bpp, t_psnr, rd.bpp, rd.psnr)}
        for (_, a), (_, b) in zip(kd.iterrows(), rd.iterrows()):
            tag = lambda_tag(a.lmbda)
            row[f"cost_change_pct_l{tag}"] = 100 * (a.cost / b.cost - 1)
            row[f"dpsnr_db_l{tag}"] = a.psnr - b.psnr
            row[f"dbpp_pct_l{tag}"] = 100 * (a.bpp / b.bpp - 1)
        rows.append(row)
    return pd.DataFrame(rows)


def setup(pts: pd.DataFrame, weights_dir: Path) -> dict:
    """How the twins trained, from their manifest entries (one phase each): N, λ, seeds, steps, batch, crop,
    device, the teacher they inherited, the Kodak images measured and the commit of the recipes."""
    released = zoo.available(weights_dir)
    entries = [released[n] for n in pts.name]
    phases = [e["phases"][-1] for e in entries]
    one = lambda xs: sorted(set(xs))  # noqa: E731
    return {"N": one(e["config"]["N"] for e in entries), "lambdas": one(pts.lmbda), "seeds": one(int(x) for x in pts.seed),
            "steps": one(p["steps"] for p in phases), "batch_size": one(p["batch_size"] for p in phases),
            "crop": one(p["crop"] for p in phases), "device": one(p["device"] for p in phases),
            "precision": one(p["precision"] for p in phases), "teachers": one(e["inherit"] for e in entries),
            "kodak_images": one(int(x) for x in pts.images), "commit": one(e["commit"] for e in entries)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights-dir", type=Path, required=True, help="where gpu-kdrd was released")
    ap.add_argument("--out", type=Path, default=None, help="CSV of the per-seed rows")
    ap.add_argument("--json", type=Path, default=None, help="the record the report reads (setup, seeds, summary)")
    a = ap.parse_args()
    pts = points(a.weights_dir)
    print(pts.drop(columns="name").sort_values(["seed", "lmbda", "loss"]).to_string(index=False))
    seeds = per_seed(pts)
    print(seeds.round(3).to_string(index=False))
    summary = {c: t_summary(seeds[c]) for c in seeds.columns if c != "seed"}
    for c, s in summary.items():
        print(f"{c}: mean {s['mean_pct']:+.3f}, sd {s['sd']:.3f}, 95% CI ±{s['ci95']:.3f}, p {s['p']:.3f}, "
              f"resolved {s['resolved']}")
    if a.out:
        atomic_write_text(a.out, seeds.to_csv(index=False))
    if a.json:
        rec = {"setup": setup(pts, a.weights_dir), "seeds": seeds.to_dict("records"), "summary": summary,
               "points": pts.to_dict("records")}
        write_json(a.json, rec)
        register(a.json, rec, f"--weights-dir {a.weights_dir} --out {a.out} --json {a.json}", a.weights_dir)
    return 0


#: the record's name in the index of benchmark records (:data:`lic.eval.stats.KD_VS_RD_RECORD`)
NAME = "kd_vs_rd_pruned_seeds"


def register(path: Path, rec: dict, args: str, weights_dir: Path | None = None, notes: str | None = None,
             teachers: dict[str, dict] | None = None) -> dict:
    """Index the record ``rec`` written at ``path``: this script, the released teachers the students were pruned
    from and compared with (``teachers``: manifest entries, default the checkout's) and, where ``weights_dir`` is
    given, the students' weights there (SHA-256 from its manifest); the record's ``setup`` as parameters."""
    teachers = teachers or zoo.available()
    students = zoo.available(weights_dir) if weights_dir else {}
    inputs = {"benchmarks/kdrd_seeds.py": None,
              **{f"weights/{teachers[t]['file']}": teachers[t]["sha256"] for t in rec["setup"]["teachers"]},
              **{str(Path(weights_dir).resolve() / students[p["name"]]["file"]): students[p["name"]]["sha256"]
                 for p in rec["points"] if p["name"] in students}}
    return index_record(NAME, path, {"script": "benchmarks/kdrd_seeds.py", "args": args}, inputs,
                        "KD vs RD-only from the pruned teacher paired by seed (gpu-kdrd): Kodak BD-rate of KD against "
                        "its RD-only twin, each against the released teacher, RD-cost change per λ; Student-t over seeds",
                        params=rec["setup"], notes=notes)


if __name__ == "__main__":
    raise SystemExit(main())
