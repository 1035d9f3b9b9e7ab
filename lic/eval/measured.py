"""Kodak numbers of the released weights: measured once, reused where they are exact.

Coding all of Kodak with every released model is most of the quick preset's time, and it repeats
what the release already measured with the same code. ``weights/kodak_measured.json`` records, per
released model (bound to its file's SHA-256) and per image (bound to the SHA-1 of the image tensor),
the container bytes, bpp, PSNR and MS-SSIM of :func:`lic.eval.rd.evaluate_codec` (and the timings of
that run, for reference: reused rows report no timing).

:func:`evaluate` codes the first requested image again and reuses the record for the others only
when that image's bytes, PSNR and MS-SSIM equal the record to the last bit (an integer-entropy model: within
:data:`PORTABLE_TOL`, so its rows are reused on any CPU): a different machine, torch build, container format or
metric shows up there and then everything is coded live. The
stages say which rows were reused (``results["coding"]``).

Record (or refresh) the file after a release::

    python -m lic.eval.measured record            # every released model, Kodak-24
    python -m lic.eval.measured record --limit 8 student-kd-n64-m192-l0.0067   # one model, Kodak-8
    python -m lic.eval.measured check             # re-code one image per model, compare
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Sequence

import pandas as pd
import torch

from lic.codec.zoo import INT_SUFFIX, WEIGHTS_DIR, available, load_pretrained, release_digest
from lic.errors import ArtifactError, LicError
from lic.eval.rd import evaluate_codec
from lic.fileio import read_json, write_json
from lic.provenance import git_commit

__all__ = ["RECORD", "FORMAT", "image_digest", "recorded", "record", "store", "evaluate", "check", "main"]

#: the record beside the manifest
RECORD = WEIGHTS_DIR / "kodak_measured.json"
#: layout version of the record
FORMAT = 1
#: the per-image columns of :func:`lic.eval.rd.evaluate_codec` kept in the record
_COLUMNS = ("bytes", "bpp", "psnr", "ms_ssim", "enc_s", "dec_s")
#: columns that must be reproduced exactly by the spot check (timings never are)
_EXACT = ("bytes", "bpp", "psnr", "ms_ssim")
#: an integer-entropy model (:mod:`lic.codec.intprior`) decodes its streams the same on any machine, but its g_a and
#: g_s are float: on another CPU a latent on a rounding boundary of g_a may round the other way (measured with oneDNN
#: off and one thread: 4-8 bytes of 34-51 kB, 2 of 14 models on kodim01) and the decoded quality moves by g_s's
#: jitter. Its spot check accepts bytes (and bpp) within ``bytes_rel`` and PSNR / MS-SSIM within these
PORTABLE_TOL = {"bytes_rel": 1e-3, "psnr": 0.005, "ms_ssim": 5e-5}


def image_digest(x: torch.Tensor) -> str:
    """SHA-1 of an image tensor's float32 values and shape (what the codec actually sees)."""
    a = x.detach().to(torch.float32).contiguous().cpu().numpy()
    return hashlib.sha1(str(tuple(a.shape)).encode() + a.tobytes()).hexdigest()


def _load(path: Path) -> dict:
    if not path.exists():
        return {"format": FORMAT, "models": {}}
    rec = read_json(path)
    if rec.get("format") != FORMAT:
        raise ArtifactError(f"{path}: record format {rec.get('format')!r}, expected {FORMAT}; rerun "
                            "python -m lic.eval.measured record")
    return rec


def recorded(name: str, path: Path | None = None) -> dict[str, dict]:
    """image digest -> recorded row of the released model ``name`` (empty when not recorded or when the
    record belongs to another file of that name)."""
    entry = _load(Path(path or RECORD))["models"].get(name)
    rel = available().get(name)
    sha = release_digest(rel) if rel else None
    if not entry or sha is None or entry.get("sha256") != sha:
        return {}
    return entry["images"]


def record(names: Sequence[str] | None = None, images: Sequence[tuple[str, torch.Tensor]] | None = None,
           path: Path | None = None, progress: bool = True) -> dict:
    """Code ``images`` (default: Kodak-24) with each released model and write the record atomically.

    Entries of models not named are kept. Returns the whole record.

    Raises:
        ArtifactError: a name is not released.
    """
    from lic.data.images import load_kodak

    path = Path(path or RECORD)
    models = available()
    names = list(names or sorted(models))
    unknown = [n for n in names if n not in models]
    if unknown:
        raise ArtifactError(f"not released: {unknown}; released: {sorted(models)}")
    images = list(images) if images is not None else load_kodak()
    rec = _load(path)
    for name in names:
        df = evaluate_codec(load_pretrained(name), images, progress=progress, desc=name)["per_image"]
        rec = store(name, release_digest(models[name]), images, df, path)  # an interrupted run keeps what it measured
    return rec


def store(name: str, sha256: str, images: Sequence[tuple[str, torch.Tensor]], per_image: pd.DataFrame,
          path: Path | None = None) -> dict:
    """Write the rows of :func:`lic.eval.rd.evaluate_codec` (``per_image``, coded from ``images`` by the file with
    ``sha256``) as model ``name``'s entry of the record (``lic.release.campaign.release`` calls it). Returns the record."""

    path = Path(path or RECORD)
    digests = {stem: image_digest(x) for stem, x in images}
    rec = _load(path)
    rec["models"][name] = {"sha256": sha256, "commit": git_commit(), "torch": torch.__version__,
                           "images": {digests[r["image"]]: {"image": r["image"], **{c: r[c] for c in _COLUMNS}}
                                      for r in per_image.to_dict("records")}}
    write_json(path, rec)
    return rec


def _same(live: dict, rec: dict, portable: bool = False) -> bool:
    """Equal to the last bit (NaN equals NaN: MS-SSIM is undefined below 161 px); ``portable``: within
    :data:`PORTABLE_TOL`."""
    def eq(c):
        if live[c] == rec[c] or (live[c] != live[c] and rec[c] != rec[c]):
            return True
        if not portable:
            return False
        if c in ("bytes", "bpp"):
            return abs(live[c] - rec[c]) <= PORTABLE_TOL["bytes_rel"] * abs(rec[c])
        return abs(live[c] - rec[c]) <= PORTABLE_TOL[c]

    return all(eq(c) for c in _EXACT)


def evaluate(model: torch.nn.Module, images: Sequence[tuple[str, torch.Tensor]], origin: str | None = None,
             progress: bool = True, desc: str = "kodak", path: Path | None = None) -> dict:
    """:func:`lic.eval.rd.evaluate_codec`, reusing the record where it is exact.

    Args:
        origin: where ``model`` came from; ``"zoo:<name>"`` (a released model, unchanged) enables reuse (of
            ``<name>-int``'s rows when ``model`` carries an integer prior).

    Returns:
        evaluate_codec's ``{"per_image", "mean"}`` (timings NaN on reused rows, so the means are this run's
        coded images only) plus ``"coding"``: ``{"coded": n, "reused": n,
        "spot": image or None, "why": reason when nothing was reused}``.
    """
    name = origin.removeprefix("zoo:") if origin and origin.startswith("zoo:") else None
    if name and getattr(model, "int_prior", None) is not None and not name.endswith(INT_SUFFIX):
        name += INT_SUFFIX  # the released integer-entropy variant of that model: its own record
    rows = recorded(name, path) if name else {}
    digests = [image_digest(x) for _, x in images] if rows else []
    if not rows or not images or not all(d in rows for d in digests):
        why = "not a released model" if not (origin or "").startswith("zoo:") else "not recorded for these images"
        return _live(model, images, progress, desc, why)
    spot = evaluate_codec(model, images[:1], progress=False)["per_image"]
    live = spot.iloc[0].to_dict()
    portable = getattr(model, "int_prior", None) is not None
    if not _same(live, rows[digests[0]], portable):
        return _live(model, images, progress, desc, f"record not reproduced on {live['image']}")
    match = "exact" if _same(live, rows[digests[0]]) else "within PORTABLE_TOL (float g_a / g_s of a portable model)"
    # reused rows keep their recorded quality and bytes; their timings are not this run's: NaN
    per = [live] + [{**rows[d], "image": stem, "enc_s": float("nan"), "dec_s": float("nan")}
                    for d, (stem, _) in zip(digests[1:], images[1:])]
    df = pd.DataFrame(per)[["image", *_COLUMNS]]
    return {"per_image": df, "mean": df.drop(columns=["image"]).mean().to_dict(),
            "coding": {"coded": 1, "reused": len(images) - 1, "spot": live["image"], "why": None, "match": match}}


def _live(model, images, progress: bool, desc: str, why: str) -> dict:
    res = evaluate_codec(model, images, progress=progress, desc=desc)
    return {**res, "coding": {"coded": len(images), "reused": 0, "spot": None, "why": why}}


def check(names: Sequence[str] | None = None, path: Path | None = None) -> pd.DataFrame:
    """Re-code the first Kodak image with each recorded model: one row per model, ``exact`` True/False."""
    from lic.data.images import load_kodak

    image = load_kodak(limit=1)
    rec = _load(Path(path or RECORD))["models"]
    out = []
    for name in names or sorted(rec):
        rows = recorded(name, path)
        live = evaluate_codec(load_pretrained(name), image, progress=False)["per_image"].iloc[0].to_dict()
        want = rows.get(image_digest(image[0][1]))
        out.append({"model": name, "image": image[0][0], "bytes": live["bytes"],
                    "recorded_bytes": want["bytes"] if want else None, "exact": bool(want) and _same(live, want),
                    "portable": name.endswith(INT_SUFFIX),
                    "reusable": bool(want) and _same(live, want, name.endswith(INT_SUFFIX))})
    return pd.DataFrame(out)


def main(argv=None) -> int:
    """``python -m lic.eval.measured record|check [NAME ...]``; exit 1 when a check is not exact."""
    ap = argparse.ArgumentParser(prog="python -m lic.eval.measured", description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["record", "check"])
    ap.add_argument("names", nargs="*", help="released model names (default: all)")
    ap.add_argument("--limit", type=int, default=None, help="record the first LIMIT Kodak images (default 24)")
    a = ap.parse_intermixed_args(argv)
    try:
        if a.command == "record":
            from lic.data.images import load_kodak

            rec = record(a.names or None, load_kodak(limit=a.limit))
            print(f"{RECORD}: {len(rec['models'])} models")
            return 0
        df = check(a.names or None)
        print(df.to_string(index=False))
        return 0 if df.reusable.all() else 1
    except LicError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
