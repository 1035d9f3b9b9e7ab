"""Images in and out: folders of training photos, Kodak with checksums, padding.

Conversions (documented, not errors): grayscale and palette images are expanded to RGB,
the alpha channel of RGBA/LA images is dropped, 16-bit images are rescaled to 8 bits
(``v >> 8``). Everything else that is not a readable image raises :class:`DataError`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from lic.errors import DataError
from lic.provenance import ROOT, md5_file

__all__ = [
    "IMAGE_SUFFIXES",
    "load_image",
    "list_images",
    "resolve_dir",
    "verify_md5",
    "load_kodak",
    "CropSampler",
    "pad_to_multiple",
    "crop_to",
    "to_uint8",
]

DATA_DIR = ROOT / "data"  # project data/ (editable install)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm")


def _to_rgb_array(img: Image.Image, path: Path) -> np.ndarray:
    """PIL image of any common mode -> HxWx3 uint8 array (see module docstring)."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img, dtype=np.uint32)
        a = (a >> 8).clip(0, 255).astype(np.uint8) if a.max() > 255 else a.astype(np.uint8)
        return np.repeat(a[..., None], 3, axis=2)
    if mode == "F":
        raise DataError(f"{path}: floating-point images are not supported")
    if mode in ("RGBA", "LA", "P", "PA", "L", "1", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        img = img.convert("RGB")
    elif mode != "RGB":
        raise DataError(f"{path}: unsupported image mode {mode!r}")
    return np.asarray(img, dtype=np.uint8)


def load_image(path: str | os.PathLike) -> torch.Tensor:
    """Read one image as a float tensor ``[3, H, W]`` in ``[0, 1]``.

    Args:
        path: image file (PNG, JPEG, ...).

    Raises:
        DataError: missing, unreadable, truncated or non-image file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such image file")
    try:
        with Image.open(path) as img:
            img.load()
            arr = _to_rgb_array(img, path)
    except UnidentifiedImageError:
        raise DataError(f"{path}: not an image file (PIL cannot identify it)") from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated / corrupt payload
        raise DataError(f"{path}: unreadable image ({exc})") from None
    if arr.ndim != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise DataError(f"{path}: empty image")
    return torch.from_numpy(np.array(arr, copy=True)).permute(2, 0, 1).float().div_(255.0)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """``[3, H, W]`` float tensor in [0, 1] -> ``H x W x 3`` uint8 array (rounded)."""
    return x.detach().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()


_DEFAULTS = {"LIC_TRAIN_DIR": ("photos", "photos"), "LIC_KODAK_DIR": ("kodak", "kodak")}


def _default_dir(env: str) -> str | None:
    """Fallbacks when ``env`` is unset: ``data/<name>`` (fetch script), then ``../shared/data/<name>``."""
    if env not in _DEFAULTS:
        return None
    local, shared = _DEFAULTS[env]
    for cand in (DATA_DIR / local, DATA_DIR.parent.parent / "shared" / "data" / shared):
        if cand.is_dir():
            return str(cand)
    return None


def resolve_dir(path: str | os.PathLike | None, env: str, what: str) -> Path:
    """Directory from a parameter, else environment variable ``env``, else a default location.

    Defaults: ``data/kodak`` / ``data/photos`` in the project (``data/fetch_kodak.py`` fills the
    first), then ``../shared/data/{kodak,photos}`` beside the project (the CI layout).

    Raises:
        DataError: neither given, or the directory does not exist.
    """
    if path in (None, ""):
        path = os.environ.get(env) or _default_dir(env)
    if not path:
        raise DataError(f"no {what} directory: pass it as a parameter or set {env}")
    p = Path(path).expanduser()
    if not p.is_dir():
        raise DataError(f"{what} directory {p} does not exist (set {env} or the parameter)")
    return p


def list_images(root: str | os.PathLike) -> list[Path]:
    """Sorted image files directly inside ``root``.

    Raises:
        DataError: missing directory or no image in it.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"image directory {root} does not exist")
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"image directory {root} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return files


def read_md5sums(path: str | os.PathLike) -> dict[str, str]:
    """Parse an ``md5sum``-style file into ``{filename: hexdigest}``."""
    out = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            out[name.lstrip("*")] = digest.lower()
    return out


def verify_md5(root: Path, sums: dict[str, str]) -> None:
    """Check every file of ``sums`` exists in ``root`` with its MD5.

    Raises:
        DataError: a file is missing or differs.
    """
    for name, digest in sums.items():
        f = root / name
        if not f.is_file():
            raise DataError(f"{root}: {name} is missing (see data/fetch_kodak.py)")
        if md5_file(f) != digest:
            raise DataError(f"{f}: MD5 mismatch, the file differs from the Kodak original")


def kodak_md5s() -> dict[str, str]:
    """The Kodak checksums kept in the project (``data/kodak.md5``)."""
    return read_md5sums(DATA_DIR / "kodak.md5")


def load_kodak(
    root: str | os.PathLike | None = None, limit: int | None = None, verify: bool = True
) -> list[tuple[str, torch.Tensor]]:
    """Kodak images as ``[(name, [3, H, W] tensor)]``, checked against the stored MD5s.

    Args:
        root: Kodak directory; default ``$LIC_KODAK_DIR``.
        limit: keep only the first ``limit`` images (smoke runs).
        verify: check MD5s (only of the images loaded).
    """
    root = resolve_dir(root, "LIC_KODAK_DIR", "Kodak")
    sums = kodak_md5s()
    names = sorted(sums)[: limit or None]
    if verify:
        verify_md5(root, {n: sums[n] for n in names})
    return [(Path(n).stem, load_image(root / n)) for n in names]


def pad_to_multiple(x: torch.Tensor, multiple: int = 64) -> tuple[torch.Tensor, tuple[int, int]]:
    """Replicate-pad ``[B, C, H, W]`` (or ``[C, H, W]``) so H, W are multiples of ``multiple``.

    Returns:
        the padded tensor and the original ``(H, W)`` for :func:`crop_to`.
    """
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        squeeze = x.dim() == 3
        x4 = x.unsqueeze(0) if squeeze else x
        x4 = F.pad(x4, (0, pw, 0, ph), mode="replicate")
        x = x4.squeeze(0) if squeeze else x4
    return x, (h, w)


def crop_to(x: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """Undo :func:`pad_to_multiple`."""
    return x[..., : hw[0], : hw[1]]


class CropSampler:
    """Deterministic random crops with flips from a folder of images.

    All images are decoded once into memory (uint8), so sampling never waits on disk.
    Batch ``k`` depends only on ``(seed, k)``: a resumed run draws the same batches.

    Args:
        root: folder of training images (default ``$LIC_TRAIN_DIR``).
        crop: square crop size in pixels.
        seed: base seed.
        max_images: keep only the first images (smoke runs).
    """

    def __init__(self, root=None, crop: int = 256, seed: int = 0, max_images: int | None = None):
        if crop < 16:
            raise DataError(f"crop size must be >= 16, got {crop}")
        root = resolve_dir(root, "LIC_TRAIN_DIR", "training")
        files = list_images(root)[: max_images or None]
        self.images = []
        for f in files:
            img = (load_image(f) * 255).round().to(torch.uint8)
            if min(img.shape[-2:]) < crop:
                raise DataError(f"{f}: image {tuple(img.shape[-2:])} is smaller than the {crop}px crop")
            self.images.append(img)
        self.crop, self.seed, self.root = crop, seed, root

    def __len__(self) -> int:
        return len(self.images)

    def batch(self, index: int, size: int) -> torch.Tensor:
        """The ``index``-th batch: ``[size, 3, crop, crop]`` floats in [0, 1]."""
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
        out = torch.empty(size, 3, self.crop, self.crop)
        ids = torch.randint(len(self.images), (size,), generator=g)
        for i, k in enumerate(ids.tolist()):
            img = self.images[k]
            h, w = img.shape[-2:]
            y = int(torch.randint(h - self.crop + 1, (1,), generator=g))
            x = int(torch.randint(w - self.crop + 1, (1,), generator=g))
            c = img[:, y : y + self.crop, x : x + self.crop]
            if torch.rand(1, generator=g) < 0.5:
                c = c.flip(-1)
            if torch.rand(1, generator=g) < 0.5:
                c = c.flip(-2)
            out[i] = c.float().div_(255.0)
        return out

    def batches(self, start: int, batch_size: int, world: int = 1, rank: int = 0, stop: int | None = None):
        """Batches ``step*world + rank`` for ``step = start, start+1, ...`` (the training loop's interface,
        shared with :class:`lic.data.streaming.StreamingCrops`)."""
        step = start
        while stop is None or step < stop:
            yield self.batch(step * world + rank, batch_size)
            step += 1

    def skipped_counts(self) -> dict[str, int]:
        """Nothing is ever skipped here (an image smaller than the crop is refused up front)."""
        return {"too_small": 0, "unreadable": 0}

    def state(self, step: int, batch_size: int, world: int = 1) -> dict:
        """The position for a training checkpoint: batch ``k`` depends only on ``(seed, k)``."""
        return {"kind": "memory", "seed": self.seed, "crop": self.crop, "next_step": int(step)}

    def load_state(self, state: dict, step: int) -> None:
        """Nothing to restore: the step alone fixes the next batch."""
