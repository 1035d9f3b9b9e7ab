"""The FPGA encoder's bit-level reference: pixels -> integer g_a -> ŷ; h_a -> z symbols; h_s -> CDF indexes.

What the RTL encoder (:mod:`lic.hw.rtl.encoder`) computes, in pure integers, and what it is compared with bit
for bit:

1. **ŷ** = ``g_a.run(pixels)``: the integer g_a of the deployed quantised student (:mod:`lic.hw.fixedpoint`,
   signed ``latent_bits`` at scale 1, i.e. the rounded latents the rANS coder codes).
2. **h_a's input** (:func:`ha_input`): ``min(|ŷ| << y_frac, 2^16 - 1)``, ``y_frac`` = the prior's
   ``h_a.layers[0].attrs["in_frac"]``. This is :meth:`lic.codec.intprior.IntPrior.y_abs` applied to the
   *integer* latents ŷ: the FPGA has no float ``y``, only ŷ, so h_a reads ``|ŷ|`` on the 16-bit grid of
   ``|y|`` (exact: ``|ŷ| 2^y_frac`` is an integer). The CPU codec's h_a reads ``round(|y| 2^y_frac)`` of the
   float ``y`` instead, so the two encoders' z (and hence the rate of z and the indexes) differ; the
   integer prior's docstring puts the rate cost of reading ``|ŷ|`` at 12-24 %. A bit-exact alternative
   that keeps ``|y|`` would need g_a's last requantiser to emit a second, finer output (``rshift_round(acc,
   out_shift - y_frac)``; ŷ cannot be derived from it: double rounding) -- not built here.
3. **z symbols** ``q = rshift_round(z - m, z_frac)`` of ``z = h_a(·)`` (:meth:`IntPrior.symbols`), and
   ``ẑ = sat((q << z_frac) + m)`` (:meth:`IntPrior.z_hat`).
4. **indexes** = ``h_s.run(ẑ)``: deconv, deconv, conv 3x3 (each with its fused ReLU) to the 16-bit scales,
   then the index layer (``#{k : scale > T_k}``, uint8).

Given the same ŷ, a decoder running :meth:`IntPrior.indexes` on the decoded ``q`` gets exactly these
indexes (the entropy check of the container holds): the FPGA's streams decode with the CPU codec's
decoder, provided the encoder stores ŷ and q as produced here.
"""

from __future__ import annotations

import numpy as np

from lic.errors import ParameterError
from lic.fixedpoint.transform import IntTransform

__all__ = ["HA_IN_BITS", "ha_input", "reference"]

#: h_a's input words: unsigned 16 bit (IntPrior.y_abs's clamp)
HA_IN_BITS = 16


def ha_input(y_hat: np.ndarray, y_frac: int) -> np.ndarray:
    """h_a's input from the integer latents: ``min(|ŷ| << y_frac, 2^16 - 1)`` (int64).

    Raises:
        ParameterError: ``y_frac`` outside 0..16 (the RTL's shifter).
    """
    if not 0 <= int(y_frac) <= HA_IN_BITS:
        raise ParameterError(f"y_frac {y_frac} outside 0..{HA_IN_BITS}")
    a = np.left_shift(np.abs(np.asarray(y_hat, dtype=np.int64)), int(y_frac))
    return np.minimum(a, (1 << HA_IN_BITS) - 1)


def reference(ga: IntTransform, prior, pixels: np.ndarray) -> dict[str, np.ndarray]:
    """The whole FPGA encoder on uint8 ``pixels`` ``[3, H, W]`` (or ``[B, 3, H, W]``), H and W multiples of 64.

    ``ga``'s and ``prior.h_a`` / ``prior.h_s``'s saturation counters accumulate this run (reset them first
    to compare with the RTL's per-stage clamp counters).

    Returns:
        int64 arrays: ``y_hat`` ``[M, H/16, W/16]``, ``y_abs`` (h_a's input), ``z`` (h_a's output),
        ``q`` (z symbols) and ``z_hat`` ``[N, H/64, W/64]``, ``scales`` (h_s before the index layer) and
        ``indexes`` ``[M, H/16, W/16]``.

    Raises:
        ParameterError: a frame that is not a multiple of 64, or an ``h_s`` without its index layer.
    """
    pixels = np.asarray(pixels, dtype=np.int64)
    h, w = pixels.shape[-2:]
    if h % 64 or w % 64:
        raise ParameterError(f"frame {h}x{w}: the encoder needs multiples of 64 (pad like lic.codec.api)")
    if prior.h_s.layers[-1].kind != "index":
        raise ParameterError("h_s must end with its index layer")
    y_hat = ga.run(pixels)
    y_abs = ha_input(y_hat, prior.y_frac)
    z = prior.h_a.run(y_abs)
    q = prior.symbols(z)
    zh = prior.z_hat(q)
    n = len(prior.h_s.layers)
    scales = prior.h_s.run(zh, upto=n - 1)
    indexes = prior.h_s.run_layer(n - 1, scales)
    return {"y_hat": y_hat, "y_abs": y_abs, "z": z, "q": q, "z_hat": zh, "scales": scales, "indexes": indexes}
