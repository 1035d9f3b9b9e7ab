"""Distortion and rate metrics: PSNR, MS-SSIM (pytorch-msssim), BD-rate (bjontegaard)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from pytorch_msssim import ms_ssim

__all__ = ["psnr", "msssim", "bd_rate", "bd_psnr", "quality_at_rate"]


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> float:
    """PSNR in dB between images in ``[0, data_range]`` (inf when identical)."""
    mse = torch.mean((x.float() - y.float()) ** 2).item()
    return math.inf if mse == 0 else 10 * math.log10(data_range**2 / mse)


def msssim(x: torch.Tensor, y: torch.Tensor) -> float:
    """MS-SSIM (5 scales) of ``[3,H,W]``/``[B,3,H,W]`` in [0,1]; NaN below 161 px a side."""
    x4, y4 = (t if t.dim() == 4 else t.unsqueeze(0) for t in (x, y))
    if min(x4.shape[-2:]) <= 160:  # the 4 downsamplings of the 11-px window need >160 px
        return math.nan
    return float(ms_ssim(x4.float(), y4.float(), data_range=1.0, size_average=True))


def rd_cost(mse, bpp, lmbda: float):
    """CompressAI's rate-distortion objective λ·255²·MSE + bpp (MSE of [0, 1] images)."""
    return lmbda * 255**2 * mse + bpp


def _bd(fn, r1, d1, r2, d2) -> float:
    r1, d1, r2, d2 = (np.asarray(a, dtype=float) for a in (r1, d1, r2, d2))
    if min(len(r1), len(r2)) < 2:
        return math.nan  # a curve needs two points
    o1, o2 = np.argsort(r1), np.argsort(r2)
    import bjontegaard as bd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(fn(bd, r1[o1], d1[o1], r2[o2], d2[o2]))
        except (ValueError, ZeroDivisionError):
            return math.nan


def bd_rate(rate_anchor, dist_anchor, rate_test, dist_test) -> float:
    """Bjøntegaard delta rate in % of ``test`` vs ``anchor`` (negative = test saves bits).

    Piecewise cubic (pchip) interpolation of the ``bjontegaard`` package; NaN when a curve
    has fewer than two points or the curves do not overlap in quality.
    """
    return _bd(
        lambda bd, a, b, c, d: bd.bd_rate(a, b, c, d, method="pchip", require_matching_points=False),
        rate_anchor, dist_anchor, rate_test, dist_test,
    )


def bd_psnr(rate_anchor, dist_anchor, rate_test, dist_test) -> float:
    """Bjøntegaard delta PSNR in dB of ``test`` vs ``anchor`` (positive = test better)."""
    return _bd(
        lambda bd, a, b, c, d: bd.bd_psnr(a, b, c, d, method="pchip", require_matching_points=False),
        rate_anchor, dist_anchor, rate_test, dist_test,
    )


def quality_at_rate(rate, quality, at) -> "np.ndarray":
    """A codec's quality (PSNR, ...) at the rates ``at``, read off its RD points.

    Piecewise linear in log-rate between measured points (the points are sorted by rate), NaN
    outside the measured range: a comparison "at matching bpp" is never extrapolated.
    """
    import numpy as np

    r, q = np.asarray(rate, dtype=float), np.asarray(quality, dtype=float)
    order = np.argsort(r)
    r, q = np.log(r[order]), q[order]
    x = np.log(np.asarray(at, dtype=float))
    out = np.interp(x, r, q)
    return np.where((x < r[0]) | (x > r[-1]), np.nan, out)
