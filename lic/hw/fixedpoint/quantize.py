"""Float transform -> :class:`~lic.fixedpoint.transform.IntTransform`: power-of-two scales from calibration."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from lic.codec.gdn import effective_params, gdn_formula
from lic.errors import ParameterError
from lic.fixedpoint.arith import FixedPointConfig, _frac_for, _round_half_up
from lic.fixedpoint.layers import calibrate, conv_layer
from lic.fixedpoint.transform import IntLayer, IntTransform

__all__ = ["gdn_params", "quantize_transform", "quantize_codec"]


def _gdn_kind(m: nn.Module) -> str | None:
    """"simplified" / "standard" for a GDN-like module (``lic.codec.gdn`` variants included), else None."""
    from compressai.layers import GDN

    if not isinstance(m, GDN):
        return None
    return gdn_formula(m)  # lic.codec.gdn knows the formula of its own variants (FixedPointGDN.base)


def gdn_params(m: nn.Module) -> tuple[np.ndarray, np.ndarray, bool]:
    """Effective ``(beta [C], gamma [C,C], inverse)`` of a CompressAI-style GDN module."""
    with torch.no_grad():
        beta, gamma = effective_params(m)  # as the forward pass uses them (quantized for FixedPointGDN)
        beta = beta.double().cpu().numpy().reshape(-1)
        gamma = gamma.double().cpu().numpy()
    return beta, gamma.reshape(beta.size, beta.size), bool(m.inverse)


def _conv_out_format(lname: str, role: str, last: bool, nxt: nn.Module | None, out_maxabs: float,
                     cfg: FixedPointConfig) -> tuple[int, bool, int, str]:
    """``(bits, signed, frac, kind)`` of a conv's output: latents, pixels, or the next GDN's input."""
    if last and role == "analysis":
        return cfg.latent_bits, True, 0, "latent"
    if last:
        return 8, False, 8, "pixel"
    if nxt is not None and _gdn_kind(nxt):
        gdn_qmax = (1 << (cfg.gdn_in_bits - 1)) - 1
        return cfg.gdn_in_bits, True, _frac_for(out_maxabs, gdn_qmax) - cfg.gdn_in_headroom, "gdn_in"
    raise ParameterError(f"{lname}: a conv must be followed by a GDN or be last")


def _gdn_layer(m: nn.Module, lname: str, fx: int, out_maxabs: float, cfg: FixedPointConfig,
               out_frac: int | None = None) -> IntLayer:
    """Integer GDN/IGDN: gamma and beta words at the largest scale whose denominator provably fits
    ``acc_bits``; output int8 at the calibrated scale (or at ``out_frac`` fractional bits where given);
    the divider's or the product's shifts."""
    a_bits, a_max = cfg.act_bits, (1 << (cfg.act_bits - 1)) - 1
    variant = _gdn_kind(m)
    beta, gamma, inverse = gdn_params(m)
    pw = 1 if variant == "simplified" else 2
    # inverse simplified GDN multiplies x * D: keep that product inside 62 bits
    acc_l = cfg.gdn_acc_bits
    if inverse and variant == "simplified":
        acc_l = min(acc_l, 62 - cfg.gdn_in_bits)
    fo = _frac_for(out_maxabs, a_max) if out_frac is None else int(out_frac)
    xmax = float(1 << (cfg.gdn_in_bits - 1)) * 2.0 ** -fx
    dmax = float(np.max(beta + gamma.sum(axis=1) * xmax**pw))
    fg = min(
        int(math.floor(math.log2(((1 << acc_l) - 1) / dmax))) - pw * fx - 1,
        _frac_for(float(gamma.max()), (1 << cfg.gdn_bits) - 1),
    )
    if variant == "standard":
        fg -= fg % 2
    g_q = np.clip(_round_half_up(gamma * 2.0**fg), 0, (1 << cfg.gdn_bits) - 1)
    b_q = np.clip(_round_half_up(beta * 2.0 ** (fg + pw * fx)), 1, (1 << acc_l) - 1)
    t = cfg.sqrt_frac if variant == "standard" else 0
    e = fg if variant == "simplified" else fg // 2 + t
    attrs = dict(
        in_ch=int(beta.size), out_ch=int(beta.size), variant=variant,
        in_bits=cfg.gdn_in_bits, in_signed=True, in_frac=int(fx),
        out_bits=a_bits, out_signed=True, out_frac=int(fo), out_kind="act",
        g_frac=int(fg), acc_bits=int(acc_l), sqrt_frac=int(t), div_bits=a_bits + 1,
    )
    if inverse:
        attrs["shift"] = int(2 * fx + e - fo)
    else:
        attrs["s_num"], attrs["s_den"] = max(e + fo, 0), max(-(e + fo), 0)
    _check_gdn_widths(lname, attrs, cfg)
    return IntLayer("igdn" if inverse else "gdn", lname, attrs, dict(gamma=g_q, beta=b_q))


def quantize_transform(
    seq: nn.Sequential,
    calib: torch.Tensor,
    cfg: FixedPointConfig | None = None,
    role: str = "analysis",
    name: str | None = None,
    act_fracs: dict[int, int] | None = None,
) -> IntTransform:
    """Turn a float ``g_a`` (``role="analysis"``) or ``g_s`` (``"synthesis"``) into integers.

    Args:
        seq: ``nn.Sequential`` of Conv2d/ConvTranspose2d (k=5, s=2) and GDN modules.
        calib: calibration input of ``seq`` (``g_a``: images in [0,1] ``[B,3,H,W]``;
            ``g_s``: latents, rounded to integers here).
        cfg: word widths (defaults: 8-bit conv, 32-bit GDN).
        role: "analysis" (image in, latents out) or "synthesis" (latents in, image out).
        name: stored name (default ``g_a``/``g_s``).
        act_fracs: module index of a GDN -> fractional bits of its 8-bit output (the next conv's input),
            instead of the power of two that covers its calibrated max |x|: the grids a quantized model
            was measured with (:func:`lic.quant.hybrid.export_int_params` passes Brevitas' activation scales).

    Raises:
        ParameterError: unknown role, no conv, a conv other than 5x5 stride 2 pad 2, a conv neither
            last nor followed by a GDN, an unsupported module, a GDN word out of 64-bit range.
    """
    cfg = cfg or FixedPointConfig()
    if role not in ("analysis", "synthesis"):
        raise ParameterError(f"role must be 'analysis' or 'synthesis', got {role!r}")
    calib = calib.detach().float().cpu()
    if role == "synthesis":
        calib = torch.round(calib)
    mods = list(seq)
    stats = calibrate(seq, calib)
    convs = [k for k, m in enumerate(mods) if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    if not convs:
        raise ParameterError("no conv layers in the transform")
    name = name or ("g_a" if role == "analysis" else "g_s")
    # input format of the first layer: pixels read with f=8 (analysis), integer latents (synthesis)
    fin = (8, False, 8) if role == "analysis" else (cfg.latent_bits, True, 0)
    layers: list[IntLayer] = []
    for k, m in enumerate(mods):
        lname = f"{name}.{k}"
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            if tuple(m.kernel_size) != (5, 5) or tuple(m.stride) != (2, 2) or tuple(m.padding) != (2, 2):
                raise ParameterError(f"{lname}: only 5x5 stride-2 pad-2 (de)convs are supported")
            last = k == convs[-1]
            fout = _conv_out_format(lname, role, last, mods[k + 1] if k + 1 < len(mods) else None, stats[k][1], cfg)
            if k == convs[0] and role == "analysis":
                gains = (256.0 / 255.0, 1.0)  # exact fold of p/255 into p*2**-8
            else:
                gains = (255.0 / 256.0, 255.0 / 256.0) if last and role == "synthesis" else (1.0, 1.0)
            layers.append(conv_layer(m, lname, fin, fout, cfg, *gains))
            fin = fout[:3]
        elif _gdn_kind(m):
            layers.append(_gdn_layer(m, lname, fin[2], stats[k][1], cfg, (act_fracs or {}).get(k)))
            fin = (cfg.act_bits, True, layers[-1].attrs["out_frac"])
        else:
            raise ParameterError(f"{lname}: unsupported module {type(m).__name__}")
    return IntTransform(layers, cfg, name)


def _check_gdn_widths(lname: str, a: dict, cfg: FixedPointConfig) -> None:
    """Every intermediate of the GDN unit must fit a signed 64-bit word (C++ int64_t)."""
    s_bits = a["acc_bits"] if a["variant"] == "simplified" else (a["acc_bits"] + 1) // 2 + a["sqrt_frac"]
    if "shift" in a:
        if cfg.gdn_in_bits + s_bits > 62 or not (0 <= a["shift"] <= 61):
            raise ParameterError(f"{lname}: inverse GDN product/shift out of 64-bit range")
    else:
        if cfg.gdn_in_bits + a["s_num"] + 1 > 62 or s_bits + a["s_den"] + a["div_bits"] > 62:
            raise ParameterError(f"{lname}: GDN divider operands out of 64-bit range")


def quantize_codec(model: nn.Module, calib: torch.Tensor, cfg: FixedPointConfig | None = None):
    """``(int g_a, int g_s)`` of a hyperprior model, calibrated on images ``calib``."""
    with torch.no_grad():
        y = model.g_a(calib)
    return (
        quantize_transform(model.g_a, calib, cfg, "analysis"),
        quantize_transform(model.g_s, torch.round(y), cfg, "synthesis"),
    )
