"""Cross-layer equalization through the GDNs: per-channel activation ranges evened out before
8-bit quantization, with the float model's function unchanged.

A GDN output channel ``i`` scaled by ``c_i > 0`` is again a GDN (Ballé et al.):
``c_i x_i / sqrt(β_i + Σ_j γ_ij x_j²) = x_i / sqrt(β_i / c_i² + Σ_j γ_ij / c_i² x_j²)``, and for
the inverse GDN ``c_i x_i sqrt(β_i + Σ_j γ_ij x_j²) = x_i sqrt(c_i² β_i + Σ_j c_i² γ_ij x_j²)`` (the
simplified GDN, without the square root: ``c_i`` instead of ``c_i²``). The
conv that reads the GDN divides its input channel ``i`` by ``c_i``, so the codec computes the
same function; what changes is how the channels share the next conv's per-tensor 8-bit input
grid: with ``c_i = (R / r_i) ** alpha`` (``r_i`` channel ``i``'s calibrated max |output|, ``R`` the
largest) the small channels use more of it. ``alpha = 0.5`` balances the activations against the
weights, which take the inverse scale into their per-output-channel grid (as in data-free
quantization, Nagel et al. 2019, there for ReLU convs). Only parameters change: the integer
reference (:mod:`lic.hw.fixedpoint`), the C-sim and the RTL compute the equalized codec as any other.
"""

from __future__ import annotations

import copy

import torch
from compressai.layers import GDN
from torch import nn

from lic.codec.gdn import gdn_formula

__all__ = ["channel_ranges", "equalize_gdn", "gdn_conv_pairs"]


def gdn_conv_pairs(model: nn.Module, parts=("g_a", "g_s")) -> list[tuple[str, GDN, nn.Module]]:
    """``(name, gdn, conv)`` for every GDN/IGDN of ``parts`` whose output is the next conv's input."""
    out = []
    for part in parts:
        seq = getattr(model, part)
        for i in range(len(seq) - 1):
            if isinstance(seq[i], GDN) and isinstance(seq[i + 1], (nn.Conv2d, nn.ConvTranspose2d)):
                out.append((f"{part}.{i}", seq[i], seq[i + 1]))
    return out


@torch.no_grad()
def channel_ranges(model: nn.Module, pairs, batches) -> dict[str, torch.Tensor]:
    """Per-channel max |output| of each GDN of ``pairs`` over the calibration ``batches``."""
    amax: dict[str, torch.Tensor] = {}

    def hook(name):
        def f(_m, _inp, out):
            m = out.detach().abs().amax(dim=(0, 2, 3))
            amax[name] = torch.maximum(amax[name], m) if name in amax else m
        return f

    handles = [g.register_forward_hook(hook(n)) for n, g, _ in pairs]
    try:
        for x in batches:
            model(x)
    finally:
        for h in handles:
            h.remove()
    return amax


@torch.no_grad()
def equalize_gdn(model: nn.Module, batches, alpha: float = 0.5, floor: float = 1e-3) -> nn.Module:
    """An equalized copy of float codec ``model`` (see the module text); ``model`` is untouched.

    Args:
        batches: calibration images ``[B, 3, H, W]`` (an iterable, read once).
        alpha: 0 leaves the model as it is, 1 gives every channel the largest channel's range.
        floor: channels below ``floor`` x the largest range are scaled as if they had that range.
    """
    m = copy.deepcopy(model).eval()
    pairs = gdn_conv_pairs(m)
    ranges = channel_ranges(m, pairs, batches)
    for name, g, conv in pairs:
        r = ranges[name]
        c = (r.max() / r.clamp_min(floor * r.max())) ** alpha
        beta = g.beta_reparam(g.beta)
        gamma = g.gamma_reparam(g.gamma).reshape(beta.numel(), -1)
        k = 1 if gdn_formula(g) == "simplified" else 2
        if not g.inverse:  # β shrinks by c^k: keep it above its reparameterisation's lower bound
            c = torch.minimum(c, (beta / (4 * max(g.beta_reparam.minimum, 1e-12))) ** (1 / k))
        s = c ** k if g.inverse else c ** -k
        g.beta.copy_(g.beta_reparam.init(beta * s))
        g.gamma.copy_(g.gamma_reparam.init((gamma * s.reshape(-1, 1)).reshape(g.gamma.shape)))
        w = conv.weight  # Conv2d [O, I, k, k]; ConvTranspose2d [I, O, k, k]
        w.div_(c.reshape(-1, 1, 1, 1) if isinstance(conv, nn.ConvTranspose2d) else c.reshape(1, -1, 1, 1))
    return m
