"""Float bridges: images to and from pixel integers, and the integer codec's RD next to the float one."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from lic.fixedpoint.arith import image_to_int
from lic.fixedpoint.transform import IntTransform

__all__ = ["image_to_int", "int_to_image", "dequantize", "evaluate_int_codec"]


def int_to_image(p: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(p, dtype=np.float32) / 255.0)


def dequantize(v: np.ndarray, frac) -> np.ndarray:
    """Real values of integers ``v`` with ``frac`` fractional bits (scalar or per channel)."""
    v = np.asarray(v, dtype=np.float64)
    frac = np.asarray(frac, dtype=np.float64)
    if frac.ndim == 1:  # per channel: axis 0 of [C,H,W] / [O,I,k,k]
        frac = frac.reshape((-1,) + (1,) * (v.ndim - 1))
    return v * np.exp2(-frac)


def evaluate_int_codec(model: nn.Module, x: torch.Tensor, int_ga: IntTransform,
                       int_gs: IntTransform | None = None, y_int: np.ndarray | None = None) -> dict:
    """PSNR / bpp of the float codec vs. the integer g_a (and optionally integer g_s).

    Args:
        model: the float hyperprior (eval mode is set here).
        x: images ``[B,3,H,W]`` in [0,1] (H, W multiples of 64).
        int_ga: integer analysis; its latents replace ``round(g_a(x))``.
        int_gs: optional integer synthesis (its uint8 output is the reconstruction).
        y_int: latents from elsewhere (C-sim / RTL) instead of ``int_ga.run``.

    Returns:
        dict with ``psnr_float, bpp_float, psnr_int, bpp_int, psnr_delta, bpp_delta``,
        ``psnr_int_gs`` when ``int_gs`` is given, and ``latent_mismatch_frac`` (fraction of
        latents differing from the float ``round(y)``).
    """
    model = model.eval()
    x = x.float()
    pix = image_to_int(x)
    x_ref = torch.from_numpy(pix.astype(np.float32) / 255.0)
    num_pixels = x.shape[0] * x.shape[2] * x.shape[3]

    def _code(y_hat: torch.Tensor) -> tuple[torch.Tensor, float]:
        with torch.no_grad():
            z = model.h_a(torch.abs(y_hat))
            z_hat, z_lik = model.entropy_bottleneck(z)
            scales = model.h_s(z_hat)
            _, y_lik = model.gaussian_conditional(y_hat, scales)
            x_hat = model.g_s(y_hat).clamp(0, 1)
        bits = -(torch.log2(y_lik).sum() + torch.log2(z_lik).sum())
        return x_hat, float(bits) / num_pixels

    def _psnr_of(a: torch.Tensor) -> float:
        mse = float(torch.mean((torch.round(a * 255) - torch.round(x_ref * 255)) ** 2))
        return float("inf") if mse == 0 else 10 * math.log10(255.0**2 / mse)

    with torch.no_grad():
        y_float = torch.round(model.g_a(x_ref))
    xf, bpp_f = _code(y_float)
    if y_int is None:
        y_int = int_ga.run(pix)
    y_i = torch.from_numpy(np.asarray(y_int, dtype=np.float32))
    xi, bpp_i = _code(y_i)
    out = {
        "psnr_float": _psnr_of(xf), "bpp_float": bpp_f,
        "psnr_int": _psnr_of(xi), "bpp_int": bpp_i,
        "latent_mismatch_frac": float((y_i != y_float).float().mean()),
        "latent_max_abs_diff": float((y_i - y_float).abs().max()),
    }
    out["psnr_delta"] = out["psnr_int"] - out["psnr_float"]
    out["bpp_delta"] = out["bpp_int"] - out["bpp_float"]
    if int_gs is not None:
        p_hat = int_gs.run(np.asarray(y_int, dtype=np.int64))
        out["psnr_int_gs"] = _psnr_of(int_to_image(p_hat))
    return out
