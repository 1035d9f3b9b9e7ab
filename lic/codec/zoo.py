"""Released reference weights (``weights/``), read only: list them, load one by name, fingerprint the set.

Like CompressAI's zoo, ``weights/manifest.json`` maps a name to its file, SHA-256, architecture and measured
Kodak numbers; files are fp16 state dicts (the entropy models' CDF tables are rebuilt on load). Each model's
training curve lies beside the manifest, in ``weights/curves.json`` (:func:`curves`, :func:`released_curve`), so the
manifest stays small. How the models were trained and released is :mod:`lic.release` (recipes and the campaign CLI).
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import torch

from lic.errors import ArtifactError, ParameterError
from lic.fileio import read_json
from lic.provenance import ROOT, sha256_file

__all__ = ["WEIGHTS_DIR", "CURVES", "INT_SUFFIX", "FPGA_SUFFIX", "available", "curves", "released_curve", "load_pretrained",
           "released_variant", "release_digest", "fingerprint"]

WEIGHTS_DIR = ROOT / "weights"
#: the name suffix of an integer-entropy variant (:mod:`lic.codec.intprior`): ``<float name>-int``
INT_SUFFIX = "-int"
#: the name suffix of an integer-encoder variant (integer g_a too: the FPGA encoder's bytes, lic.release.fpga)
FPGA_SUFFIX = "-fpga"
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
    c = curves(weights_dir)
    base = name.removesuffix(FPGA_SUFFIX).removesuffix(INT_SUFFIX)
    return c.get(name) or c.get(base, [])  # an -int / -fpga variant trained as its float model


def _verified(file: str, sha256: str, verify: bool) -> Path:
    path = WEIGHTS_DIR / file
    if not path.exists():
        raise ArtifactError(f"{path} is listed in the manifest but missing")
    if verify and sha256_file(path) != sha256:
        raise ArtifactError(f"{path}: SHA-256 mismatch with weights/manifest.json")
    return path


def load_pretrained(name: str, verify: bool = True) -> torch.nn.Module:
    """A released reference model by name (eval mode, CDFs built).

    An integer-entropy variant (entry ``int_prior``: its ``.npz`` file and SHA-256) is the float model's weights
    with the integer h_a, h_s and entropy tables attached (:class:`lic.codec.intprior.IntPrior`).

    Raises:
        ArtifactError: unknown name, missing file or checksum mismatch.
    """
    from lic.codec.models import load_checkpoint

    models = available()
    if name not in models:
        raise ArtifactError(f"no released model {name!r} in {WEIGHTS_DIR}; released: {sorted(models)}")
    entry = models[name]
    model = load_checkpoint(_verified(entry["file"], entry["sha256"], verify))
    if entry.get("int_prior"):
        from lic.codec.intprior import IntPrior

        model.int_prior = IntPrior.load(_verified(entry["int_prior"]["file"], entry["int_prior"]["sha256"], verify))
    if entry.get("int_ga"):
        from lic.codec.intprior import set_int_ga
        from lic.fixedpoint.transform import IntTransform

        try:
            ga = IntTransform.load(_verified(entry["int_ga"]["file"], entry["int_ga"]["sha256"], verify))
        except (OSError, ValueError, KeyError, ParameterError, zipfile.BadZipFile) as exc:
            raise ArtifactError(f"{name}: unreadable integer g_a ({type(exc).__name__}: {exc})") from None
        set_int_ga(model, ga)
    return model


def released_variant(name: str, entropy: str) -> str:
    """The released model to load for ``name`` under ``entropy`` ("integer" or "float"): its ``-int`` variant where
    one is released and the entropy is integer, else ``name`` itself."""
    return f"{name}{INT_SUFFIX}" if entropy == "integer" and f"{name}{INT_SUFFIX}" in available() else name


def release_digest(entry: dict) -> str:
    """The SHA-256 that binds records to a released model: its file's, joined by its integer prior's and its integer
    g_a's where it has them."""
    parts = [entry["sha256"], *(entry[k]["sha256"] for k in ("int_prior", "int_ga") if entry.get(k))]
    return "+".join(parts)


def fingerprint() -> str:
    """12-hex digest of every released file's SHA-256 (changes with any new release)."""
    blob = ",".join(f"{k}:{release_digest(v)}" for k, v in sorted(available().items()))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
