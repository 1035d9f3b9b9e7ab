"""Released reference weights (``weights/``), read only: list them, load one by name, fingerprint the set.

Like CompressAI's zoo, ``weights/manifest.json`` maps a name to its file, SHA-256, architecture and measured
Kodak numbers; files are fp16 state dicts (the entropy models' CDF tables are rebuilt on load). Each model's
training curve lies beside the manifest, in ``weights/curves.json`` (:func:`curves`, :func:`released_curve`), so the
manifest stays small. How the models were trained and released is :mod:`lic.release` (recipes and the campaign CLI).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from lic.errors import ArtifactError
from lic.fileio import read_json
from lic.provenance import ROOT, sha256_file

__all__ = ["WEIGHTS_DIR", "CURVES", "available", "curves", "released_curve", "load_pretrained", "fingerprint"]

WEIGHTS_DIR = ROOT / "weights"
#: the training curves of the released models, beside the manifest: ``{"models": {name: [row, ...]}}``
CURVES = "curves.json"


def available(weights_dir: Path | None = None) -> dict[str, dict]:
    """Released models: name -> manifest entry (empty if nothing is released)."""
    f = Path(weights_dir or WEIGHTS_DIR) / "manifest.json"
    return read_json(f)["models"] if f.exists() else {}


def curves(weights_dir: Path | None = None) -> dict[str, list[dict]]:
    """Training curves of the released models: name -> rows (``step`` counted from scratch over the whole
    ``init`` chain, ``loss``, ``bpp``, ``mse``, ``psnr_train``, windowed at release); empty if none."""
    f = Path(weights_dir or WEIGHTS_DIR) / CURVES
    return read_json(f)["models"] if f.exists() else {}


def released_curve(name: str, weights_dir: Path | None = None) -> list[dict]:
    """The training curve of released model ``name`` (:func:`curves`); empty when it has none recorded."""
    return curves(weights_dir).get(name, [])


def load_pretrained(name: str, verify: bool = True) -> torch.nn.Module:
    """A released reference model by name (eval mode, CDFs built).

    Raises:
        ArtifactError: unknown name, missing file or checksum mismatch.
    """
    from lic.codec.models import load_checkpoint

    models = available()
    if name not in models:
        raise ArtifactError(f"no released model {name!r} in {WEIGHTS_DIR}; released: {sorted(models)}")
    entry = models[name]
    path = WEIGHTS_DIR / entry["file"]
    if not path.exists():
        raise ArtifactError(f"{path} is listed in the manifest but missing")
    if verify and sha256_file(path) != entry["sha256"]:
        raise ArtifactError(f"{path}: SHA-256 mismatch with weights/manifest.json")
    return load_checkpoint(path)


def fingerprint() -> str:
    """12-hex digest of every released file's SHA-256 (changes with any new release)."""
    blob = ",".join(f"{k}:{v['sha256']}" for k, v in sorted(available().items()))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
