"""Seed and control students as numbers: the recorded figures of the extra seeds and the RD-only controls.

``weights/`` ships ten N=64 students that are no deployed model, only evidence: the KD and from-scratch
students of seeds 1 and 2 (the run-to-run noise of KD vs scratch) and the two RD-only students from the pruned
teacher (the control of KD from the pruned teacher). This keeps what they measured once their ``.pt`` files are
gone: it reads only ``weights/manifest.json`` (recipe and training budget, Kodak-24 means, SHA-256) and
``weights/kodak_measured.json`` (per-image rows: bytes, bpp, PSNR, MS-SSIM; through
:func:`lic.eval.measured.recorded`, bound to the file's SHA-256), never the weights themselves, and computes the
BD-rates stage 02 computes from them with the library's own functions (:func:`lic.eval.stats.seed_spread`,
:func:`lic.eval.stats.noise_summary`, :func:`lic.eval.stats.curve_bd`):

* KD vs scratch per seed (0, 1, 2) and each kind's seed-to-seed BD-rate against seed 0 (the noise table);
* KD from the pruned teacher vs its RD-only control at the released λ (the deployed ``kd-pruned`` students).

Each BD-rate twice: on the Kodak-24 means of the manifest and on the images every compared model has per-image
rows for (``kodak_measured.json`` holds Kodak-8 for most of these students). The main-seed anchors (seed 0 KD and
scratch, the deployed kd-pruned students) are read the same way and listed beside the ten::

    python benchmarks/seed_controls.py [--out benchmarks/results/seed_controls.json]

Writes the record and registers it in the index of benchmark records (``benchmarks/records.json``,
:func:`lic.provenance.index_record`) with the SHA-256 of every weights file it reports as inputs (from the
manifest: the files need not be there).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
from pathlib import Path

import pandas as pd

from lic.eval.stats import curve_bd, noise_summary, objective_summary, paired_objectives, seed_spread
from lic.fileio import write_json
from lic.provenance import ROOT, index_record
from lic.release.campaign import last_phase

#: the last commit whose weights/ held the ten students (their manifest entries, curves and per-image rows)
WEIGHTS_REV = "ee18d07"
#: the final fraction of each run the paired training objective averages over (stage 02's objective_tail)
TAIL = 0.15
#: the record's name in the index and its file
NAME = "seed_controls"
OUT = ROOT / "benchmarks" / "results" / "seed_controls.json"
N, M, LAMBDAS, SEEDS = 64, 192, ("0.0067", "0.0250"), (1, 2)
#: the ten seed / control students (to be deleted from weights/), then the main-seed anchors they are compared with
TEN = ([f"student-{k}-n{N}-m{M}-l{l}-s{s}" for k in ("kd", "scratch") for l in LAMBDAS for s in SEEDS]
       + [f"student-rd-pruned-n{N}-m{M}-l{l}" for l in LAMBDAS])
ANCHORS = ([f"student-{k}-n{N}-m{M}-l{l}" for k in ("kd", "scratch") for l in LAMBDAS]
           + [f"student-kd-pruned-n{N}-m{M}-l{l}" for l in LAMBDAS])
#: manifest fields kept per model (the training curve is not: it stays in the manifest)
_KEEP = ("file", "sha256", "lmbda", "config", "train_config", "phases", "steps", "total_steps", "train_seconds",
         "inherit", "commit", "released", "command", "kodak", "kodak_images")


def _kind(name: str) -> tuple[str, int]:
    """Student kind (``kd``, ``scratch``, ``kd-pruned``, ``rd-pruned``) and seed of a released name."""
    stem = name.removeprefix("student-").split(f"-n{N}-")[0]
    return stem, int(name.rsplit("-s", 1)[1]) if name.rsplit("-", 1)[1].startswith("s") else 0


def weights_json(rev: str, name: str) -> dict:
    """``weights/<name>`` as committed at ``rev`` (the record outlives the files it was measured on)."""
    out = subprocess.run(["git", "show", f"{rev}:weights/{name}"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"weights/{name} at {rev}: {out.stderr.strip()}")
    return json.loads(out.stdout)["models"]


def recorded_rows(measured: dict, name: str, sha256: str) -> list[dict]:
    """The per-image Kodak rows recorded for ``name``'s file (``kodak_measured.json``), empty for another file."""
    entry = measured.get(name) or {}
    return list(entry.get("images", {}).values()) if entry.get("sha256") == sha256 else []


def models(manifest: dict, measured: dict) -> dict[str, dict]:
    """name -> role (``seed/control`` or ``anchor``), kind, seed, the manifest's recipe and budget, the Kodak-24
    means and the per-image rows of ``kodak_measured.json`` (empty where none are recorded for this file)."""
    out = {}
    for name in TEN + ANCHORS:
        if name not in manifest:
            raise SystemExit(f"{name} is not in weights/manifest.json")
        e, (kind, seed) = manifest[name], _kind(name)
        rows = sorted(recorded_rows(measured, name, e["sha256"]), key=lambda r: r["image"])
        out[name] = {"role": "seed/control" if name in TEN else "anchor", "kind": kind, "seed": seed,
                     **{k: e[k] for k in _KEEP if k in e},
                     "per_image": [{c: r[c] for c in ("image", "bytes", "bpp", "psnr", "ms_ssim")} for r in rows]}
    return out


def rd_points(ms: dict[str, dict], images: list[str] | None) -> pd.DataFrame:
    """Stage 02's RD rows (``codec, N, lmbda, seed, bpp, psnr``): the Kodak-24 means (``images`` None) or the mean
    over ``images`` of the per-image rows."""
    rows = []
    for name, m in ms.items():
        if images is None:
            bpp, psnr = m["kodak"]["bpp"], m["kodak"]["psnr"]
        else:
            g = pd.DataFrame(m["per_image"])
            g = g[g.image.isin(images)] if not g.empty else g
            if len(g) != len(images):
                continue
            bpp, psnr = float(g.bpp.mean()), float(g.psnr.mean())
        rows.append({"codec": m["kind"], "N": N, "lmbda": m["lmbda"], "seed": m["seed"], "bpp": bpp, "psnr": psnr})
    return pd.DataFrame(rows)


def comparisons(ms: dict[str, dict], images: list[str] | None, same_teacher: bool) -> dict:
    """The noise table and its summary (KD vs scratch per seed, seed-to-seed per kind) and KD-pruned vs RD-pruned:
    as stage 02 states it (NaN unless both inherited the same teacher, ``same_teacher``) and as the curves give
    it regardless (``..._uncontrolled``: different lineage and budgets, not an effect of KD)."""
    rd = rd_points(ms, images)
    noise = seed_spread(rd, [N], 0, list(SEEDS))
    pruned = {k: rd[rd.codec == k].sort_values("lmbda") for k in ("kd-pruned", "rd-pruned")}
    bd = curve_bd(pruned["rd-pruned"], pruned["kd-pruned"])
    return {"images": images or "Kodak-24 (manifest means)", "rd": rd.to_dict("records"),
            "noise": noise.to_dict("records"), "noise_summary": noise_summary(noise),
            "kd_pruned_vs_rd_pruned_bd": bd if same_teacher else math.nan,
            "kd_pruned_vs_rd_pruned_bd_uncontrolled": bd}


def common_images(ms: dict[str, dict]) -> list[str]:
    """The images every model has a per-image row for."""
    sets = [{r["image"] for r in m["per_image"]} for m in ms.values()]
    return sorted(set.intersection(*sets)) if sets else []


def pruned_lineage(ms: dict[str, dict]) -> dict:
    """What the KD-pruned vs RD-pruned comparison stands on: each side's inherited teacher and training budget
    (stage 02 compares the two only where both inherited the same teacher)."""
    side = {k: [m for m in ms.values() if m["kind"] == k] for k in ("kd-pruned", "rd-pruned")}
    out = {k: {"inherit": sorted({str(m.get("inherit")) for m in v}),
               "total_steps": sorted({m.get("total_steps") for m in v}),
               "devices": sorted({p.get("device", "cpu (not stated)") for m in v for p in m.get("phases", [])})}
           for k, v in side.items()}
    out["same_teacher"] = out["kd-pruned"]["inherit"] == out["rd-pruned"]["inherit"]
    return out


def objective(ms: dict[str, dict], manifest: dict, curves: dict, images: list[str]) -> dict:
    """Stage 02's paired in-sample measure over the three seeds: KD vs scratch in the training RD cost over the final
    :data:`TAIL` of each seed's last phase (identical batches), beside the same change in the Kodak RD cost on
    ``images`` (:func:`lic.eval.stats.paired_objectives`, :func:`lic.eval.stats.objective_summary`)."""
    logs = {(m["kind"], N, m["lmbda"], m["seed"]): last_phase(manifest[n], curves.get(n, []))
            for n, m in ms.items() if m["kind"] in ("kd", "scratch")}
    per_image = pd.DataFrame([{"codec": m["kind"], "N": N, "lmbda": m["lmbda"], "seed": m["seed"], **r}
                              for m in ms.values() for r in m["per_image"] if r["image"] in images])
    table, _ = paired_objectives(logs, per_image, [N], [float(x) for x in LAMBDAS], [0, *SEEDS], TAIL)
    return {"tail": TAIL, "kodak_images": len(images), "rows": table.to_dict("records"),
            "summary": objective_summary(table)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT, help="the record (JSON)")
    ap.add_argument("--no-index", action="store_true", help="write the record only (do not register it)")
    ap.add_argument("--weights-rev", default=WEIGHTS_REV, help="the commit whose weights/ held the ten students")
    a = ap.parse_args(argv)
    manifest = weights_json(a.weights_rev, "manifest.json")
    ms = models(manifest, weights_json(a.weights_rev, "kodak_measured.json"))
    images, lineage = common_images(ms), pruned_lineage(ms)
    rec = {"students": ms, "seeds": [0, *SEEDS], "N": N, "M": M, "lambdas": [float(x) for x in LAMBDAS],
           "kodak24": comparisons(ms, None, lineage["same_teacher"]),
           "per_image_common": comparisons(ms, images, lineage["same_teacher"]) if images else None,
           "kd_pruned_vs_rd_pruned_lineage": lineage,
           "objective": objective(ms, manifest, weights_json(a.weights_rev, "curves.json"), images),
           "weights_rev": a.weights_rev,
           "note": "BD-rates (PSNR, %) by lic.eval.stats (seed_spread, noise_summary, curve_bd): negative = the "
                   "second-named model needs fewer bits; seed-to-seed rows compare seed s against seed 0"}
    write_json(a.out, rec)
    for key in ("kodak24", "per_image_common"):
        if rec[key]:
            print(key, rec[key]["images"] if key != "kodak24" else "")
            print(pd.DataFrame(rec[key]["noise"]).round(3).to_string(index=False))
            print("summary", rec[key]["noise_summary"], "\nKD-pruned vs RD-pruned BD % (uncontrolled)",
                  round(rec[key]["kd_pruned_vs_rd_pruned_bd_uncontrolled"], 3))
    print("objective (in-sample, paired by seed)", pd.DataFrame(rec["objective"]["summary"]).round(3).to_string())
    if not a.no_index:
        register(a.out, manifest)
    return 0


def register(out: Path, manifest: dict) -> dict:
    """Index the record: the script and the SHA-256 (from the manifest) of every weights file it reports."""
    inputs = {"benchmarks/seed_controls.py": None,
              **{f"weights/{manifest[n]['file']}": manifest[n]["sha256"] for n in TEN + ANCHORS}}
    return index_record(NAME, out, {"script": "benchmarks/seed_controls.py", "args": ""}, inputs,
                        "Recorded Kodak numbers and training budgets of the ten N=64 seed/control students (KD and "
                        "scratch seeds 1-2, RD-only from the pruned teacher) and the BD-rates stage 02 computes from "
                        "them: KD vs scratch per seed, seed-to-seed spread, KD-pruned vs RD-pruned",
                        params={"N": N, "M": M, "lambdas": list(LAMBDAS), "seeds": [0, *SEEDS],
                                "sources": ["weights/manifest.json", "weights/kodak_measured.json"]},
                        notes="inputs are the weights files the numbers were measured on (SHA-256 from the "
                              "manifest); the record keeps the numbers after the files are deleted")


if __name__ == "__main__":
    raise SystemExit(main())
