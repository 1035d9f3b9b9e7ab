"""Integer-encoder variants of the released models: the FPGA encoder's own streams, written by the CPU codec too.

``<name>-fpga`` is the released ``<name>-int`` (the float fp16 weights and the integer prior, the same files) with an
integer g_a (:func:`lic.hw.encoder.integer_ga`: post-training quantisation of g_a, int8 weights, 8-bit activations,
32-bit GDN, uint8 pixels in, the latents at the prior's ``y_frac``). Its ``compress`` runs in integers only, bit for
bit what the RTL encoder computes (:mod:`lic.hw.rtl.encoder`): the file the FPGA's outputs make and the file
``python -m lic.codec compress --model <name>-fpga`` writes are the same bytes. Decoding is the ``-int`` model's
(float g_s), so ``-int`` and ``-fpga`` decode each other's files. Release::

    python -m lic.release fpga                       # the 4 deployed N=64 students
    python -m lic.release fpga student-kd-pruned-n64-m192-l0.0067 --limit 8

Each writes ``weights/<name>.ga.npz`` (:class:`lic.fixedpoint.transform.IntTransform`), a manifest entry
``<name>-fpga`` (``int_ga``: file, SHA-256, calibration, Kodak saturations; ``base``; ``vs_int``: the Kodak change
against the float-g_a model) and its per-image Kodak rows (:mod:`lic.eval.measured`).
"""

from __future__ import annotations

import time

from lic.codec import zoo
from lic.errors import ArtifactError
from lic.fileio import file_lock
from lic.provenance import git_commit, sha256_file
from lic.release.campaign import LOCK

__all__ = ["DEFAULT_BASES", "build", "release_fpga", "main"]

#: the deployed N=64 students (the models the accelerator runs)
DEFAULT_BASES = tuple(f"student-kd-pruned-n64-m192-l{l}" for l in ("0.0018", "0.0035", "0.0067", "0.0250"))


def build(name: str, calib):
    """The released ``<name>-int`` with its integer g_a attached (:func:`lic.codec.intprior.set_int_ga`).

    Raises:
        ArtifactError: ``<name>-int`` is not released.
    """
    from lic.codec.intprior import set_int_ga
    from lic.hw.encoder import integer_ga

    int_name = f"{name}{zoo.INT_SUFFIX}"
    if int_name not in zoo.available():
        raise ArtifactError(f"{int_name} is not released: python -m lic.release intprior {name}")
    model = zoo.load_pretrained(int_name)
    return set_int_ga(model, integer_ga(model, calib))


def release_fpga(name: str, calib, eval_limit: int | None = None) -> dict:
    """Build, measure on Kodak and release ``<name>-fpga`` beside ``<name>-int`` in ``weights/``; returns its entry."""
    from lic.data.images import load_kodak
    from lic.eval.rd import evaluate_codec

    model = build(name, calib)
    ga = model.int_ga
    kodak = load_kodak(limit=eval_limit)
    ga.reset_counters()
    per = evaluate_codec(model, kodak, desc=f"{name}{zoo.FPGA_SUFFIX}")["per_image"]
    path = zoo.WEIGHTS_DIR / f"{name}.ga.npz"
    ga.save(path)
    with file_lock(zoo.WEIGHTS_DIR / LOCK):  # read, update and write the manifest and the record at once
        return _record(name, ga, path, per, kodak)


def _record(name: str, ga, path, per, kodak) -> dict:
    """The manifest entry and Kodak rows of ``<name>-fpga`` (under the release lock)."""
    from lic.eval.measured import recorded, store
    from lic.hw.encoder import GA_CALIBRATION
    from lic.release.campaign import kodak_means, write_manifest

    models = zoo.available()
    base = models[f"{name}{zoo.INT_SUFFIX}"]
    ref = {r["image"]: r for r in recorded(f"{name}{zoo.INT_SUFFIX}").values()}
    entry = {
        **{k: base[k] for k in ("file", "sha256", "config", "lmbda", "int_prior", "steps", "total_steps", "phases",
                                "hardware", "inherit") if k in base},
        "base": name,
        "int_ga": {"file": path.name, "sha256": sha256_file(path), "config": ga.to_dict()[0]["config"],
                   "y_frac": int(ga.layers[-1].attrs["out_frac"]), "calibration": GA_CALIBRATION,
                   "kodak_saturations": {k: v for k, v in ga.saturations.items() if v}},
        "recipe": f"{name}-int + integer g_a (PTQ, lic.release.fpga)",
        "commit": git_commit(dirty=False), "command": f"python -m lic.release fpga {name}",
        **kodak_means(per),
        "vs_int": _change(per, ref),
        "released": time.strftime("%Y-%m-%d"),
    }
    models[f"{name}{zoo.FPGA_SUFFIX}"] = entry
    write_manifest(zoo.WEIGHTS_DIR, models, {})
    store(f"{name}{zoo.FPGA_SUFFIX}", zoo.release_digest(entry), kodak, per, zoo.WEIGHTS_DIR / "kodak_measured.json")
    return entry


def _change(per, ref: dict[str, dict]) -> dict:
    """The integer encoder against the float-g_a ``-int`` model's recorded rows (image -> row) of the same images."""
    if not set(per.image) <= set(ref):
        return {"images": len(per), "note": "no recorded -int rows of these images"}
    import numpy as np

    b = np.array([ref[i]["bytes"] for i in per.image], dtype=float)
    p = np.array([ref[i]["psnr"] for i in per.image], dtype=float)
    return {"images": len(per), "bytes_change_pct": round(100 * (per.bytes.sum() / b.sum() - 1), 4),
            "psnr_change_db": round(float(per.psnr.mean() - p.mean()), 5),
            "max_abs_psnr_change_db": round(float(np.abs(per.psnr.values - p).max()), 5)}


def main(argv=None) -> int:
    """``python -m lic.release fpga [NAME ...] [--limit N] [--train-dir DIR]`` (default: :data:`DEFAULT_BASES`)."""
    import argparse
    import sys

    from lic.errors import LicError
    from lic.hw.encoder import ga_calibration_batch

    ap = argparse.ArgumentParser(prog="python -m lic.release fpga", description=__doc__.splitlines()[0])
    ap.add_argument("name", nargs="*", help="released float models with an -int variant (default: the 4 deployed "
                                            "N=64 students)")
    ap.add_argument("--limit", type=int, default=None, help="Kodak images (default all 24)")
    ap.add_argument("--train-dir", default=None, help="calibration photos (default $LIC_TRAIN_DIR)")
    a = ap.parse_args(argv)
    try:
        calib = ga_calibration_batch(a.train_dir)
        for n in a.name or DEFAULT_BASES:
            e = release_fpga(n, calib, a.limit)
            print(f"{n}{zoo.FPGA_SUFFIX}: kodak {e['kodak']}, vs -int {e['vs_int']}, "
                  f"saturations {e['int_ga']['kodak_saturations']}", flush=True)
    except LicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
