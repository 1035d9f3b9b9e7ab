"""Word formats and the integer primitives of the accelerator (spec: :mod:`lic.hw.fixedpoint`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lic.errors import LicError, ParameterError

__all__ = ["FixedPointConfig", "FixedPointOverflow", "rshift_round", "restoring_divide", "isqrt", "image_to_int"]


class FixedPointOverflow(LicError, OverflowError):
    """A value left its integer range while saturation is disabled."""


@dataclass(frozen=True)
class FixedPointConfig:
    """Word widths and policies of the accelerator.

    Args:
        weight_bits: conv/deconv weight width (signed, narrow range).
        act_bits: activation width between layers (signed; image pixels are unsigned 8 bit).
        acc_bits: conv accumulator width after saturation.
        gdn_bits: width of the unsigned gamma words.
        gdn_in_bits: width of the signed GDN input (conv output realigned to one scale).
        gdn_acc_bits: width of the unsigned GDN denominator and beta words (DSP48: 48).
        gdn_in_headroom: spare integer bits of the GDN input beyond the calibrated max-abs.
        latent_bits: width of the integer latents round(y).
        sqrt_frac: extra fractional bits ``t`` of the integer square root (standard GDN).
        rounding: only "half_up" (add half, arithmetic shift right).
        saturate: clamp and count (True) or raise :class:`FixedPointOverflow` (False).
    """

    weight_bits: int = 8
    act_bits: int = 8
    acc_bits: int = 32
    gdn_bits: int = 32
    gdn_in_bits: int = 16
    gdn_acc_bits: int = 48
    gdn_in_headroom: int = 1
    latent_bits: int = 16
    sqrt_frac: int = 4
    rounding: str = "half_up"
    saturate: bool = True

    def __post_init__(self):
        if self.rounding != "half_up":
            raise ParameterError(f"rounding {self.rounding!r} unsupported (only 'half_up')")
        if not (2 <= self.weight_bits <= 16 and 2 <= self.act_bits <= 16):
            raise ParameterError("weight_bits and act_bits must be in 2..16")
        if not (8 <= self.acc_bits <= 48 and 8 <= self.gdn_in_bits <= 24):
            raise ParameterError("acc_bits must be in 8..48 and gdn_in_bits in 8..24")
        if not (8 <= self.gdn_bits <= 32 and 16 <= self.gdn_acc_bits <= 48):
            raise ParameterError("gdn_bits must be in 8..32 and gdn_acc_bits in 16..48")


def rshift_round(v: np.ndarray, s) -> np.ndarray:
    """Round-half-up shift: ``(v + 2**(s-1)) >> s``; ``s <= 0`` shifts left. Elementwise ``s``."""
    v = np.asarray(v, dtype=np.int64)
    s = np.asarray(s, dtype=np.int64)
    pos = np.maximum(s, 0)
    half = np.where(pos > 0, np.left_shift(np.int64(1), np.maximum(pos - 1, 0)), 0)
    right = np.right_shift(v + half, pos)
    return np.where(s >= 0, right, np.left_shift(v, np.maximum(-s, 0)))


def restoring_divide(num: np.ndarray, den: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``k``-iteration restoring divider: ``(min(num // den, 2**k - 1), overflow)``.

    ``num >= 0``, ``den >= 1``. Iteration ``b = k-1 .. 0``: if ``r >= den << b`` then
    ``r -= den << b`` and set quotient bit ``b``. Equal to floor division when
    ``num < den << k``; otherwise the overflow flag is set and the quotient saturates. Computed here by that
    identity (NumPy floor division; the iterations are the hardware's, :func:`_restoring_divide_steps`).
    """
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    ovf = num >= np.left_shift(den, k)
    return np.where(ovf, (1 << k) - 1, num // np.maximum(den, 1)), ovf


def _restoring_divide_steps(num: np.ndarray, den: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`restoring_divide` iteration by iteration, as the RTL divider runs it (the tests hold both equal)."""
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    ovf = num >= np.left_shift(den, k)
    r = np.where(ovf, 0, num)
    q = np.zeros_like(r)
    for b in range(k - 1, -1, -1):
        d = np.left_shift(den, b)
        ge = r >= d
        r = np.where(ge, r - d, r)
        q = np.where(ge, q | (1 << b), q)
    return np.where(ovf, (1 << k) - 1, q), ovf


def isqrt(v: np.ndarray, bits: int = 62) -> np.ndarray:
    """``floor(sqrt(v))`` for ``0 <= v < 2**bits`` (bits even, at most 62): what the digit-by-digit root
    (:func:`_isqrt_digits`, the hardware's) gives, computed from the float root corrected to the exact integer."""
    v = np.asarray(v, dtype=np.int64)
    if bits > 62 or v.min(initial=0) < 0 or v.max(initial=0) >= (1 << bits):
        raise ParameterError(f"isqrt takes 0 <= v < 2**{bits} with bits <= 62")
    s = np.floor(np.sqrt(v.astype(np.float64))).astype(np.int64)
    for _ in range(2):  # the float root of a 62-bit integer is off by at most one
        s = np.where(s * s > v, s - 1, s)
        s = np.where((s + 1) * (s + 1) <= v, s + 1, s)
    return s


def _isqrt_digits(v: np.ndarray, bits: int = 62) -> np.ndarray:
    """Digit-by-digit integer square root ``floor(sqrt(v))`` for ``0 <= v < 2**bits`` (bits even)."""
    v = np.asarray(v, dtype=np.int64).copy()
    res = np.zeros_like(v)
    bit = np.int64(1) << np.int64(bits - 2)
    while bit:
        t = res + bit
        ge = v >= t
        v = np.where(ge, v - t, v)
        res = np.where(ge, (res >> 1) + bit, res >> 1)
        bit >>= 2
    return res


def _range(bits: int, signed: bool) -> tuple[int, int]:
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def _frac_for(maxabs: float, qmax: int) -> int:
    """Largest ``f`` with ``maxabs * 2**f <= qmax`` (power-of-two scale, no clipping)."""
    maxabs = float(maxabs)
    if not math.isfinite(maxabs) or maxabs <= 0:
        return 0
    return int(math.floor(math.log2(qmax / maxabs)))


def _round_half_up(x: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(x, dtype=np.float64) + 0.5).astype(np.int64)


def image_to_int(x) -> np.ndarray:
    """Float image(s) in [0,1] (tensor or array) -> uint8 pixel integers (int64), round half up: an integer g_a's
    input, on the CPU (the codec's integer encoder) as on the FPGA."""
    v = x.detach().cpu().double().numpy() if hasattr(x, "detach") else np.asarray(x, dtype=np.float64)
    return np.clip(_round_half_up(v * 255.0), 0, 255)
