"""Evaluation with real bitstreams: encode/decode files, bpp from bytes, baselines, complexity.

bpp is always ``8 * len(file) / (H * W)`` of the whole container (:mod:`lic.codec.bitstream`),
header and CRC included. Every decoded image is checked against the model's forward
reconstruction (same rounding), so a broken entropy coder cannot go unnoticed.
"""

from __future__ import annotations

import io
import time
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from lic.codec.api import PAD, compress, decompress
from lic.data.images import crop_to, pad_to_multiple, to_uint8
from lic.errors import BitstreamError
from lic.eval.metrics import msssim, psnr
from lic.progress import tqdm

__all__ = [
    "encode_image",
    "decode_image",
    "evaluate_codec",
    "pillow_baseline",
    "baselines",
    "rd_point",
    "complexity",
]



@torch.no_grad()
def encode_image(model: torch.nn.Module, x: torch.Tensor) -> bytes:
    """Compress ``[3, H, W]`` in [0, 1] (any size >= 1x1, padded to x64 inside) into one container.

    The same operation as :func:`lic.codec.api.compress` with a model object (a version-1 container,
    which names no model: its bytes are what the study's bpp counts).
    """
    return compress(x, model)


@torch.no_grad()
def decode_image(model: torch.nn.Module, data: bytes) -> torch.Tensor:
    """Decompress a container made by the same model; ``[3, H, W]`` in [0, 1] (:func:`lic.codec.api.decompress`).

    Raises:
        BitstreamError: corrupt/truncated file or made by another model.
    """
    return decompress(data, model)


@torch.no_grad()
def evaluate_codec(
    model: torch.nn.Module,
    images: Sequence[tuple[str, torch.Tensor]],
    check_tol: float = 2e-3,
    progress: bool = True,
    desc: str = "kodak",
) -> dict:
    """Encode and decode every image; bpp from bytes, PSNR, MS-SSIM, timings.

    Args:
        model: codec in eval mode with updated CDFs.
        images: ``[(name, [3,H,W] tensor)]``.
        check_tol: max |decoded - forward reconstruction| allowed (float rounding only).

    Returns:
        ``{"per_image": DataFrame, "mean": {bpp, psnr, ms_ssim, enc_s, dec_s}}``.
    """
    model.eval()
    rows = []
    for name, x in tqdm(images, desc=desc, disable=not progress, leave=False):
        t0 = time.perf_counter()
        data = encode_image(model, x)
        t1 = time.perf_counter()
        x_dec = decode_image(model, data)
        t2 = time.perf_counter()
        xp, hw = pad_to_multiple(x.unsqueeze(0), PAD)
        if getattr(model, "int_ga", None) is not None:  # the integer encoder's ŷ, decoded by g_s
            y_hat = torch.from_numpy(model.integer_latents(xp)[0]).to(xp.dtype)
            x_fwd = crop_to(model.g_s(y_hat).clamp(0, 1)[0], hw)
        else:
            x_fwd = crop_to(model(xp)["x_hat"].clamp(0, 1)[0], hw)
        err = (x_fwd - x_dec).abs().max().item()
        if err > check_tol:
            raise BitstreamError(f"{name}: decoded image differs from the forward pass by {err:.4g}")
        h, w = x.shape[-2:]
        x8 = torch.from_numpy(to_uint8(x_dec)).permute(2, 0, 1).float() / 255  # what a viewer sees
        rows.append(
            {
                "image": name,
                "bytes": len(data),
                "bpp": 8 * len(data) / (h * w),
                "psnr": psnr(x, x8),
                "ms_ssim": msssim(x, x8),
                "enc_s": t1 - t0,
                "dec_s": t2 - t1,
            }
        )
    df = pd.DataFrame(rows)
    return {"per_image": df, "mean": df.drop(columns=["image"]).mean().to_dict()}


def _pillow_roundtrip(x: torch.Tensor, fmt: str, quality: int) -> tuple[int, torch.Tensor]:
    buf = io.BytesIO()
    kw = {"quality": int(quality)}
    if fmt == "WEBP":
        kw["method"] = 6
    if fmt == "JPEG":
        kw["subsampling"] = "4:2:0"
    Image.fromarray(to_uint8(x)).save(buf, format=fmt, **kw)
    n = buf.tell()
    buf.seek(0)
    dec = torch.from_numpy(np.array(Image.open(buf).convert("RGB"))).permute(2, 0, 1).float() / 255
    return n, dec


def pillow_baseline(
    images: Sequence[tuple[str, torch.Tensor]], fmt: str = "JPEG", qualities: Iterable[int] = (10, 30, 50, 70, 90)
) -> pd.DataFrame:
    """JPEG or WebP (Pillow) over a quality sweep: one row per (quality, image)."""
    fmt = fmt.upper()
    if fmt not in ("JPEG", "WEBP"):
        raise ValueError(f"baseline format must be JPEG or WEBP, got {fmt!r}")
    rows = []
    for q in qualities:
        for name, x in images:
            n, dec = _pillow_roundtrip(x, fmt, q)
            h, w = x.shape[-2:]
            rows.append({"codec": fmt.lower(), "quality": q, "image": name, "bytes": n,
                         "bpp": 8 * n / (h * w), "psnr": psnr(x, dec), "ms_ssim": msssim(x, dec)})
    return pd.DataFrame(rows)


def baselines(images, qualities=(10, 20, 30, 40, 50, 60, 70, 80, 90)) -> pd.DataFrame:
    """Mean RD points of JPEG and WebP: columns codec, quality, bpp, psnr, ms_ssim."""
    df = pd.concat([pillow_baseline(images, f, qualities) for f in ("JPEG", "WEBP")])
    return df.groupby(["codec", "quality"], as_index=False)[["bpp", "psnr", "ms_ssim"]].mean()


def rd_point(result: dict, **labels) -> dict:
    """One RD-curve point (mean over images) from :func:`evaluate_codec`, with labels."""
    m = result["mean"]
    return {**labels, "bpp": m["bpp"], "psnr": m["psnr"], "ms_ssim": m["ms_ssim"]}


@torch.no_grad()
def complexity(model: torch.nn.Module, hw: tuple[int, int] = (720, 1280)) -> dict:
    """Parameters and GFLOPs (2 x MACs, torch's FlopCounterMode) per sub-network and frame.

    GFLOPs count convolutions, transposed convolutions and the GDN 1x1 channel mixing;
    element-wise ops (sqrt, divide, entropy coding) are not counted, as usual in LIC papers.
    """
    h, w = (-(-s // PAD) * PAD for s in hw)
    out: dict = {"params": sum(p.numel() for p in model.parameters()),
                 "params_g_a": sum(p.numel() for p in model.g_a.parameters()),
                 "params_g_s": sum(p.numel() for p in model.g_s.parameters()),
                 "resolution": f"{hw[1]}x{hw[0]}"}
    x = torch.zeros(1, 3, h, w)
    total = 0
    for name in ("g_a", "h_a", "h_s", "g_s"):
        sub = getattr(model, name)
        with FlopCounterMode(display=False) as fc:
            y = sub(torch.abs(x) if name == "h_a" else x)
        out[f"gflops_{name}"] = fc.get_total_flops() / 1e9
        total += fc.get_total_flops()
        x = y
        if name == "h_s":
            x = torch.zeros(1, model.M, h // 16, w // 16)
    out["gflops"] = total / 1e9
    return out
