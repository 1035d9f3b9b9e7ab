"""Integer-entropy variants of the released models: portable streams from the same weights.

``<name>-int`` is the released float model ``<name>`` (same fp16 file) with an integer h_a, h_s and entropy tables
(:class:`lic.codec.intprior.IntPrior`) calibrated on training crops (post-training quantisation: int8 weights, 8-bit
hidden activations; its rate cost against the float entropy model is measured on Kodak at release). Release::

    python -m lic.release intprior                       # the 4 teachers and the 4 deployed N=64 students
    python -m lic.release intprior teacher-n128-m192-l0.0067 --limit 8

Each writes ``weights/<name>.int.npz``, a manifest entry ``<name>-int`` (``int_prior``: file, SHA-256, config,
calibration; ``base``: the float model; ``kodak``; ``vs_float``: the Kodak rate change at equal ŷ) and the per-image
Kodak rows of the record (:mod:`lic.eval.measured`).
"""

from __future__ import annotations

import time
from dataclasses import asdict

import torch

from lic.codec import zoo
from lic.codec.intprior import IntPrior, PriorConfig
from lic.errors import ArtifactError
from lic.fileio import file_lock
from lic.provenance import git_commit, sha256_file

__all__ = ["DEFAULT_BASES", "CALIBRATION", "calibration_batch", "build", "release_int", "main"]

#: the float models that get an integer-entropy variant by default: the teachers and the deployed N=64 students
DEFAULT_BASES = tuple([f"teacher-n128-m192-l{l}" for l in ("0.0018", "0.0035", "0.0067", "0.0250")]
                      + [f"student-kd-pruned-n64-m192-l{l}" for l in ("0.0018", "0.0035", "0.0067", "0.0250")])
#: calibration crops: the training sampler's first batch (lic.data.images.CropSampler)
CALIBRATION = {"source": "training photos (LIC_TRAIN_DIR), CropSampler seed 0, batch 0", "images": 16, "crop": 256}


def calibration_batch(train_dir=None, images: int = CALIBRATION["images"], crop: int = CALIBRATION["crop"]) -> torch.Tensor:
    """The calibration crops ``[images, 3, crop, crop]`` (deterministic)."""
    from lic.data.images import CropSampler

    return CropSampler(train_dir, crop=crop, seed=0).batch(0, images)


def build(name: str, calib: torch.Tensor, cfg: PriorConfig | None = None) -> tuple[torch.nn.Module, IntPrior]:
    """The released float model ``name`` and its integer prior (attached to the model)."""
    model = zoo.load_pretrained(name)
    if getattr(model, "int_prior", None) is not None:
        raise ArtifactError(f"{name} is an integer-entropy model already")
    prior = IntPrior.from_model(model, calib, cfg)
    model.int_prior = prior
    return model, prior


def release_int(name: str, calib: torch.Tensor, eval_limit: int | None = None, cfg: PriorConfig | None = None) -> dict:
    """Build, measure on Kodak and release ``<name>-int`` beside ``name`` in ``weights/``; returns its entry."""
    from lic.data.images import load_kodak
    from lic.eval.measured import store
    from lic.eval.rd import evaluate_codec
    from lic.release.campaign import LOCK, kodak_means, write_manifest

    cfg = cfg or PriorConfig()
    model, prior = build(name, calib, cfg)
    models = zoo.available()
    base = models[name]
    kodak = load_kodak(limit=eval_limit)
    res = evaluate_codec(model, kodak, desc=f"{name}{zoo.INT_SUFFIX}")
    sat = {**prior.h_a.saturations, **prior.h_s.saturations}
    # the float model coded now too (same container, same images): its record is refreshed, and the rate change
    # is measured at equal ŷ (the same PSNR: the integer entropy model changes the rate only)
    flt = evaluate_codec(zoo.load_pretrained(name), kodak, desc=name)["per_image"]
    path = prior.save(zoo.WEIGHTS_DIR / f"{name}.int.npz")
    per = res["per_image"]
    entry = {
        "file": base["file"], "sha256": base["sha256"], "config": base["config"], "lmbda": base["lmbda"],
        "base": name,
        "int_prior": {"file": path.name, "sha256": sha256_file(path), "config": asdict(cfg),
                      "calibration": CALIBRATION, "kodak_saturations": {k: v for k, v in sat.items() if v}},
        "steps": base.get("steps"), "total_steps": base.get("total_steps"), "phases": base.get("phases"),
        "hardware": base.get("hardware"), "recipe": f"{name} + integer prior (PTQ, lic.release.intprior)",
        "commit": git_commit(dirty=False), "command": f"python -m lic.release intprior {name}",
        **kodak_means(per),
        "vs_float": {"images": len(per), "bytes_change_pct": round(100 * (per.bytes.sum() / flt.bytes.sum() - 1), 4),
                     "max_abs_psnr_change_db": float((per.psnr - flt.psnr).abs().max())},
        "released": time.strftime("%Y-%m-%d"),
    }
    if "inherit" in base:
        entry["inherit"] = base["inherit"]
    with file_lock(zoo.WEIGHTS_DIR / LOCK):  # read, update and write the manifest and the record at once
        models = zoo.available()
        models[f"{name}{zoo.INT_SUFFIX}"] = entry
        models[name].update(kodak_means(flt))  # the float model's numbers in today's container (its record's)
        write_manifest(zoo.WEIGHTS_DIR, models, {})
        store(name, zoo.release_digest(models[name]), kodak, flt, zoo.WEIGHTS_DIR / "kodak_measured.json")
        store(f"{name}{zoo.INT_SUFFIX}", zoo.release_digest(entry), kodak, per, zoo.WEIGHTS_DIR / "kodak_measured.json")
    return entry


def main(argv=None) -> int:
    """``python -m lic.release intprior [NAME ...] [--limit N] [--train-dir DIR]``: release the integer-entropy
    variants (default: :data:`DEFAULT_BASES`)."""
    import argparse
    import sys

    from lic.errors import LicError

    ap = argparse.ArgumentParser(prog="python -m lic.release intprior", description=__doc__.splitlines()[0])
    ap.add_argument("name", nargs="*", help="released float models (default: the 4 teachers, 4 deployed students)")
    ap.add_argument("--limit", type=int, default=None, help="Kodak images (default all 24)")
    ap.add_argument("--train-dir", default=None, help="calibration photos (default $LIC_TRAIN_DIR)")
    a = ap.parse_args(argv)
    try:
        calib = calibration_batch(a.train_dir)
        for n in a.name or DEFAULT_BASES:
            e = release_int(n, calib, a.limit)
            print(f"{n}{zoo.INT_SUFFIX}: kodak {e['kodak']}, vs float {e['vs_float']}, "
                  f"saturations {e['int_prior']['kodak_saturations']}", flush=True)
    except LicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
