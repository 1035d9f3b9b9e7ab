"""The codec as a tool: compress any image to a ``.lic`` file and back, from Python or the shell.

Python::

    from lic.codec import api as codec
    data = codec.compress("photo.png", model="teacher-n128-m192-l0.0067-int")   # bytes
    x = codec.decompress(data)                                                # [3, H, W] in [0, 1]

Shell (exit 0: done, 1: bad input with one line on stderr, 2: usage)::

    python -m lic.codec compress photo.png photo.lic --model teacher-n128-m192-l0.0067-int
    python -m lic.codec decompress photo.lic photo.png
    python -m lic.codec info photo.lic
    python -m lic.codec models

Any image of at least 1x1 pixel in any PIL mode is accepted: it is converted to 8-bit RGB (16-bit
gray is scaled to 8 bits, palette/CMYK/gray/alpha images are converted, alpha is not coded),
replicate-padded to a multiple of 64 inside the codec and cropped back on decoding. The decoded
image is 8-bit RGB of the original size. The container (:mod:`lic.codec.bitstream`) holds the model's
fingerprint, so a file is never decoded by the wrong weights; files written here also hold the
model's name (a released name or a checkpoint path), so ``decompress`` needs no ``--model``.

Portable streams: a released ``-int`` model (the default) computes its entropy parameters in integers
(:mod:`lic.codec.intprior`), so its files decode to the same image on any machine and backend. Every file carries
an entropy check; a float model's file that another machine does not reproduce is refused (exit 1), never decoded
to a wrong image.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from lic.codec.bitstream import model_fingerprint, pack, read_header, unpack
from lic.data.images import crop_to, pad_to_multiple, to_uint8
from lic.errors import ArtifactError, BitstreamError, DataError, LicError

__all__ = ["PAD", "compress", "decompress", "load_model", "to_tensor", "save_png", "info", "models_table", "main"]

PAD = 64  # the hyperprior downsamples by 2^6
#: the integer-entropy teacher: its streams decode the same on any machine (lic.codec.intprior)
DEFAULT_MODEL = "teacher-n128-m192-l0.0067-int"


def load_model(model: str | os.PathLike | torch.nn.Module) -> tuple[torch.nn.Module, str | None]:
    """A codec and the name to store in its files.

    Args:
        model: a released model's name (``python -m lic.codec models``), a checkpoint file
            (ours or CompressAI's), or a model already built (eval mode, CDFs updated).

    Returns:
        ``(model, name)``; ``name`` is ``None`` for a model object.

    Raises:
        ArtifactError: unknown name or unreadable checkpoint.
    """
    if isinstance(model, torch.nn.Module):
        return model, None
    from lic.codec.zoo import available, load_pretrained

    name = str(model)
    if name in available():
        return load_pretrained(name), name
    if Path(name).is_file():
        from lic.codec.models import load_checkpoint

        return load_checkpoint(name), str(Path(name).resolve())
    raise ArtifactError(f"no released model or checkpoint file {name!r}; released: {sorted(available())}")


def to_tensor(image) -> torch.Tensor:
    """Any image -> ``[3, H, W]`` float in [0, 1].

    Args:
        image: a file path, a PIL image (any mode), an ``H x W`` / ``H x W x 3`` uint8 array,
            or a ``[3, H, W]`` tensor in [0, 1].

    Raises:
        DataError: unreadable file, unsupported mode or values, empty image.
    """
    from lic.data.images import _to_rgb_array, load_image  # one mode conversion for files and PIL images

    if isinstance(image, (str, os.PathLike)):
        x = load_image(image)
    elif isinstance(image, Image.Image):
        try:
            x = torch.from_numpy(_to_rgb_array(image, Path("<PIL image>")).copy()).permute(2, 0, 1).float() / 255
        except (OSError, ValueError) as exc:
            raise DataError(f"PIL image of mode {image.mode!r} cannot be converted to RGB ({exc})") from None
    elif isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
            raise DataError(f"array image must be uint8 HxW or HxWx3, got {image.dtype} {image.shape}")
        a = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image
        x = torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1).float() / 255
    elif torch.is_tensor(image):
        x = image
    else:
        raise DataError(f"cannot read an image from {type(image).__name__}")
    if x.dim() != 3 or x.shape[0] != 3:
        raise DataError(f"expected an image tensor [3, H, W], got {tuple(x.shape)}")
    if min(x.shape[-2:]) < 1:
        raise DataError(f"empty image {tuple(x.shape[-2:])}")
    if not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise DataError("image values must be finite and in [0, 1]")
    return x


@torch.no_grad()
def compress(image, model: str | os.PathLike | torch.nn.Module = DEFAULT_MODEL, name: str | None = None) -> bytes:
    """Compress one image into a ``.lic`` container (padding to a multiple of 64 inside).

    Args:
        image: see :func:`to_tensor` (any size >= 1x1, any PIL mode).
        model: see :func:`load_model`.
        name: the model name stored in the file (default: the released name or checkpoint path
            when ``model`` is one; none for a model object, which gives the study's version-1 file).

    Returns:
        The container's bytes; its bpp is ``8 * len(bytes) / (H * W)``.

    Raises:
        DataError: bad image. ArtifactError: unknown model. BitstreamError: image over 65535 px.
    """
    x = to_tensor(image)  # bad input fails before a model is loaded
    net, stored = load_model(model)
    xp, hw = pad_to_multiple(x.unsqueeze(0), PAD)
    out = net.compress(xp)
    strings = [s[0] for s in out["strings"]]
    name = name if name is not None else stored
    if name is not None and len(name.encode("utf-8")) > 255:
        name = None  # a long checkpoint path: the file decodes with --model
    check = out.get("check")
    return pack(strings, hw, tuple(out["shape"]), model_fingerprint(net), name, check[0] if check else None)


@torch.no_grad()
def decompress(data: bytes, model: str | os.PathLike | torch.nn.Module | None = None) -> torch.Tensor:
    """Decode a container into ``[3, H, W]`` in [0, 1] (the original size).

    Args:
        data: the container's bytes.
        model: the model that made it; ``None``: the model named in the file.

    Raises:
        BitstreamError: corrupt, truncated, made by another model, or no model named.
        ArtifactError: the named model is not available here.
    """
    if model is None:
        model = read_header(data).model
        if model is None:
            raise BitstreamError("the file names no model (a study file): pass the model that made it")
    net, _ = load_model(model)
    strings, hw, zhw = unpack(data, model_fingerprint(net))
    if len(strings) != 2:
        raise BitstreamError(f"expected 2 strings (y, z), got {len(strings)}")
    check = read_header(data).check
    try:
        out = net.decompress([[s] for s in strings], torch.Size(zhw), **({"check": [check]} if check is not None else {}))
    except BitstreamError:
        raise
    except (RuntimeError, ValueError, IndexError) as exc:
        raise BitstreamError(f"bitstream does not decode ({exc})") from None
    return crop_to(out["x_hat"][0], hw).clamp(0, 1)


def save_png(x: torch.Tensor, path: str | os.PathLike) -> Path:
    """Write ``[3, H, W]`` in [0, 1] as an 8-bit RGB PNG, atomically."""
    import io

    from lic.fileio import atomic_write_bytes

    buf = io.BytesIO()
    Image.fromarray(to_uint8(x)).save(buf, format="PNG")
    return atomic_write_bytes(path, buf.getvalue())


def info(data: bytes) -> dict:
    """What a container holds, read from its header (no model needed)."""
    h = read_header(data)
    return {"format_version": h.version, "model": h.model or "(not named)", "fingerprint": h.fingerprint.hex(),
            "width": h.image_hw[1], "height": h.image_hw[0], "bytes": h.size,
            "entropy_check": f"{h.check:08x}" if h.check is not None else "(none)",
            "bpp": round(8 * h.size / (h.image_hw[0] * h.image_hw[1]), 5) if min(h.image_hw) else None,
            "latent_bytes": {"y": h.lengths[0], "z": h.lengths[1]} if len(h.lengths) == 2 else list(h.lengths)}


def models_table():
    """Released models (``weights/manifest.json``) with their measured Kodak numbers (a DataFrame)."""
    import pandas as pd

    from lic.codec.zoo import available

    rows = []
    for name, e in sorted(available().items()):
        k, c = e.get("kodak") or {}, e.get("config") or {}
        rows.append({"model": name, "N": c.get("N"), "M": c.get("M"), "lambda": e.get("lmbda"),
                     "entropy": "integer" if e.get("int_prior") else "float",
                     "encoder": "integer g_a" if e.get("int_ga") else "float g_a",
                     "kodak_images": e.get("kodak_images"), "bpp": k.get("bpp"), "psnr_db": k.get("psnr"),
                     "ms_ssim": k.get("ms_ssim")})
    return pd.DataFrame(rows, columns=["model", "N", "M", "lambda", "entropy", "encoder", "kodak_images", "bpp",
                                       "psnr_db", "ms_ssim"])


def _read_bytes(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such file")
    return p.read_bytes()


def _out_dir_exists(out: str) -> None:
    parent = Path(out).expanduser().resolve().parent
    if not parent.is_dir():
        raise DataError(f"{parent}: output folder does not exist")


def _cmd(a) -> None:
    """Run one sub-command (raises lic errors for bad input)."""
    if a.cmd in ("compress", "decompress"):
        _out_dir_exists(a.out)  # before any work: nothing is created on the way
    if a.cmd == "compress":
        data = compress(a.image, a.model)
        from lic.fileio import atomic_write_bytes

        atomic_write_bytes(a.out, data)
        i = info(data)
        print(f"{a.out}: {i['width']}x{i['height']} px, {i['bytes']} bytes, {i['bpp']} bpp ({i['model']})")
    elif a.cmd == "decompress":
        x = decompress(_read_bytes(a.file), a.model)
        save_png(x, a.out)
        print(f"{a.out}: {x.shape[-1]}x{x.shape[-2]} px")
    elif a.cmd == "info":
        for k, v in info(_read_bytes(a.file)).items():
            print(f"{k}: {v}")
    else:
        t = models_table()
        if t.empty:
            print("no released models in weights/manifest.json")
        else:
            print(t.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m lic.codec", description="Compress images with the study's learned codec.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compress", help="IMAGE -> OUT.lic")
    c.add_argument("image")
    c.add_argument("out")
    c.add_argument("--model", default=DEFAULT_MODEL, help=f"released name or checkpoint (default {DEFAULT_MODEL})")
    d = sub.add_parser("decompress", help="IN.lic -> OUT.png (8-bit RGB, original size)")
    d.add_argument("file")
    d.add_argument("out")
    d.add_argument("--model", default=None, help="the model that made the file (default: the one it names)")
    i = sub.add_parser("info", help="what a .lic file holds")
    i.add_argument("file")
    sub.add_parser("models", help="released models with their Kodak numbers")
    return ap


def main(argv=None) -> int:
    """CLI entry point: 0 ok, 1 bad input (one line on stderr), 2 usage."""
    try:
        a = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors 2, --help 0
        return int(exc.code or 0)
    try:
        with warnings.catch_warnings():  # library deprecation notes are not the user's business here
            warnings.simplefilter("ignore", FutureWarning)
            _cmd(a)
    except (LicError, OSError, Image.DecompressionBombError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {msg}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
