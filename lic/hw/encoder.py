"""The FPGA encoder's bit-level reference: pixels -> integer g_a -> y; ŷ and h_a -> z symbols; h_s -> CDF indexes.

What the RTL encoder (:mod:`lic.hw.rtl.encoder`) computes, in pure integers, and what it is compared with bit
for bit. It is the CPU codec's integer encoder too (a model with an integer g_a,
:func:`lic.codec.intprior.set_int_ga`; released as ``<name>-fpga``): both run one spec, so the stream made from
the RTL's outputs (:func:`stream`) is byte for byte the file ``python -m lic.codec compress`` writes.

1. **y** = ``g_a.run(pixels)``: the integer g_a of the deployed quantised student (:mod:`lic.hw.fixedpoint`), its
   last conv writing the latents at the prior's ``y_frac`` fractional bits
   (:meth:`lic.fixedpoint.transform.IntTransform.with_output_frac`).
2. **ŷ and h_a's input** (:meth:`lic.codec.intprior.IntPrior.latents`): ``ŷ = rshift_round(y, y_frac)`` (16 bit
   signed, what the rANS coder codes) and ``min(|y|, 2^16 - 1)``: h_a reads ``|y|`` at ``y_frac`` bits, as the
   float-g_a codec does (reading ``|ŷ|`` instead would cost 12–24 % of the rate).
3. **z symbols** ``q = rshift_round(z - m, z_frac)`` of ``z = h_a(·)`` (:meth:`IntPrior.symbols`), and
   ``ẑ = sat((q << z_frac) + m)`` (:meth:`IntPrior.z_hat`).
4. **indexes** = ``h_s.run(ẑ)``: deconv, deconv, conv 3x3 (each with its fused ReLU) to the 16-bit scales,
   then the index layer (``#{k : scale > T_k}``, uint8).

A decoder running :meth:`IntPrior.indexes` on the decoded ``q`` gets exactly these indexes (the container's
entropy check holds): the FPGA's streams decode with the CPU codec's decoder.
"""

from __future__ import annotations

import numpy as np
import torch

from lic.errors import ParameterError
from lic.fixedpoint.transform import IntTransform

__all__ = ["HA_IN_BITS", "GA_CALIBRATION", "ga_calibration_batch", "integer_ga", "check_latent_format", "reference",
           "stream"]

#: h_a's input words: unsigned 16 bit (IntPrior.latents's clamp)
HA_IN_BITS = 16
#: g_a's calibration crops (post-training quantisation, as for the RTL g_a records since benchmarks/rtl_ga_kodak.py)
GA_CALIBRATION = {"source": "training photos (LIC_TRAIN_DIR), CropSampler seed 17 over the first 32 photos, batch 0",
                  "images": 8, "crop": 256}


def ga_calibration_batch(train_dir=None) -> torch.Tensor:
    """The crops :data:`GA_CALIBRATION` names, ``[8, 3, 256, 256]`` (deterministic)."""
    from lic.data.images import CropSampler

    c = GA_CALIBRATION
    return CropSampler(train_dir, crop=c["crop"], seed=17, max_images=32).batch(0, c["images"])


def integer_ga(model: torch.nn.Module, calib: torch.Tensor) -> IntTransform:
    """The integer g_a of a float ``model`` that has its integer prior: the post-training quantisation of its g_a
    (:func:`lic.hw.fixedpoint.quantize_transform`, calibrated on ``calib``), latents at the prior's ``y_frac``.

    Raises:
        ParameterError: ``model`` has no integer prior.
    """
    from lic.hw.fixedpoint import quantize_transform

    prior = getattr(model, "int_prior", None)
    if prior is None:
        raise ParameterError("the integer g_a is built for a model with an integer prior (a released -int variant)")
    return quantize_transform(model.g_a, calib, role="analysis").with_output_frac(prior.y_frac)


def check_latent_format(ga: IntTransform, prior) -> None:
    """Raise ParameterError unless ``ga`` writes its latents at the prior's ``y_frac`` fractional bits."""
    a = ga.layers[-1].attrs
    if a.get("out_frac") != prior.y_frac:
        raise ParameterError(f"g_a writes its latents at {a.get('out_frac')} fractional bits, h_a reads y_frac = "
                             f"{prior.y_frac}: use ga.with_output_frac(prior.y_frac)")


def reference(ga: IntTransform, prior, pixels: np.ndarray) -> dict[str, np.ndarray]:
    """The whole FPGA encoder on uint8 ``pixels`` ``[3, H, W]`` (or ``[B, 3, H, W]``), H and W multiples of 64.

    ``ga``'s and ``prior.h_a`` / ``prior.h_s``'s saturation counters accumulate this run (reset them first
    to compare with the RTL's per-stage clamp counters).

    Returns:
        int64 arrays: ``y`` (g_a's output at ``y_frac``) and ``y_hat`` ``[M, H/16, W/16]``, ``y_abs`` (h_a's input),
        ``z`` (h_a's output), ``q`` (z symbols) and ``z_hat`` ``[N, H/64, W/64]``, ``scales`` (h_s before the index
        layer) and ``indexes`` ``[M, H/16, W/16]``.

    Raises:
        ParameterError: a frame that is not a multiple of 64, a g_a whose latents lack ``y_frac`` bits, or an
            ``h_s`` without its index layer.
    """
    pixels = np.asarray(pixels, dtype=np.int64)
    h, w = pixels.shape[-2:]
    if h % 64 or w % 64:
        raise ParameterError(f"frame {h}x{w}: the encoder needs multiples of 64 (pad like lic.codec.api)")
    if prior.h_s.layers[-1].kind != "index":
        raise ParameterError("h_s must end with its index layer")
    check_latent_format(ga, prior)
    y = ga.run(pixels)
    y_hat, y_abs = prior.latents(y)
    z = prior.h_a.run(y_abs)
    q = prior.symbols(z)
    zh = prior.z_hat(q)
    n = len(prior.h_s.layers)
    scales = prior.h_s.run(zh, upto=n - 1)
    indexes = prior.h_s.run_layer(n - 1, scales)
    return {"y": y, "y_hat": y_hat, "y_abs": y_abs, "z": z, "q": q, "z_hat": zh, "scales": scales, "indexes": indexes}


def stream(model: torch.nn.Module, outputs: dict[str, np.ndarray], hw: tuple[int, int], name: str | None = None) -> bytes:
    """The ``.lic`` file of one frame from an encoder's outputs ``{"y_hat", "q", "indexes"}`` (the RTL's, one frame:
    ``[M,h,w]``, ``[N,h/4,w/4]``, ``[M,h,w]``): their rANS strings (:meth:`IntPrior.encode_symbols`) in the
    container :func:`lic.codec.api.compress` writes for ``model`` (its fingerprint, ``name``, the entropy check).

    Args:
        hw: the image's size before padding, ``(H, W)``.
    """
    from lic.codec.bitstream import model_fingerprint, pack

    y_str, z_str, z_hw, check = model.int_prior.encode_symbols(
        *(np.asarray(outputs[k])[None] for k in ("y_hat", "q", "indexes")))
    return pack([y_str, z_str], tuple(int(v) for v in hw), z_hw, model_fingerprint(model), name, check)
