r"""The simplified GDN (GDN1) with parameters fitted to the standard GDN it replaces.

Swapping the formula alone (:func:`lic.codec.gdn.replace_gdn`, the raw ``β``, ``γ`` kept) is another function:
``x_i / (β_i + Σ_j γ_ij |x_j|)`` with the ``β``, ``γ`` of ``x_i / sqrt(β_i + Σ_j γ_ij x_j²)`` divides by a
denominator that is neither the square root nor of the same scale, and a trained codec falls apart (stage 03's
"hybrid + simplified GDN" row did: about 14 dB, before any quantization). :func:`to_simplified` instead fits, per
GDN/IGDN and output channel ``i``, the denominator that the layer saw on calibration crops,

.. math:: \sqrt{\beta_i + \sum_j \gamma_{ij} x_j^2} \approx \beta'_i + \sum_j \gamma'_{ij} |x_j|,

by linear least squares in ``(β'_i, γ'_i)`` over the layer's inputs ``x`` (pixels sampled from the crops), then
clips ``γ' >= 0`` and ``β' >=`` :data:`BETA_FLOOR` (the parameterisation's bounds). The same denominator serves the
inverse GDN (it multiplies). Fine-tuning (stage 03's ``simplified_steps``) starts from there instead of from a broken
model.
"""

from __future__ import annotations

import copy

import torch
from compressai.layers import GDN
from torch import nn

from lic.codec.gdn import gdn_modules, replace_gdn

__all__ = ["BETA_FLOOR", "gdn_inputs", "fit_denominator", "to_simplified"]

#: the smallest β' the fit leaves (a denominator of almost 0 would blow a channel up)
BETA_FLOOR = 1e-4


@torch.no_grad()
def gdn_inputs(model: nn.Module, batches, max_pixels: int = 20000, seed: int = 0) -> dict[str, torch.Tensor]:
    """``{GDN name: [P, C]}``: every GDN's input pixels over the calibration ``batches`` (``model``'s forward
    pass), at most ``max_pixels`` a layer sampled at random."""
    acts: dict[str, list[torch.Tensor]] = {}
    hooks = [m.register_forward_hook(lambda _m, inp, _o, n=n: acts.setdefault(n, []).append(inp[0].detach()))
             for n, m in gdn_modules(model)]
    try:
        model.eval()
        for x in batches:
            model(x)
    finally:
        for h in hooks:
            h.remove()
    g = torch.Generator().manual_seed(seed)
    out = {}
    for n, a in acts.items():
        X = torch.cat([t.permute(0, 2, 3, 1).reshape(-1, t.shape[1]) for t in a]).double()
        out[n] = X[torch.randperm(len(X), generator=g)[:max_pixels]]
    return out


def fit_denominator(gdn: GDN, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(β' [C], γ' [C, C])`` of the simplified GDN whose denominator best matches ``gdn``'s (standard) on the
    input pixels ``X`` ``[P, C]`` (least squares, then the bounds)."""
    C = X.shape[1]
    beta = gdn.beta_reparam(gdn.beta).detach().double()
    gamma = gdn.gamma_reparam(gdn.gamma).detach().double().reshape(C, C)
    D = torch.sqrt(beta + (X ** 2) @ gamma.T)  # [P, C]: the standard denominators
    A = torch.cat([torch.ones(len(X), 1, dtype=X.dtype), X.abs()], 1)
    sol = torch.linalg.lstsq(A, D).solution  # [C + 1, C]
    return sol[0].clamp_min(BETA_FLOOR), sol[1:].T.clamp_min(0.0)


@torch.no_grad()
def to_simplified(model: nn.Module, batches, max_pixels: int = 20000) -> nn.Module:
    """A copy of float codec ``model`` with every standard GDN/IGDN of ``g_a``/``g_s`` replaced by a simplified one
    fitted to it on the calibration ``batches`` (``[B, 3, H, W]`` crops, read once); ``model`` is untouched."""
    m = copy.deepcopy(model).eval()
    X = gdn_inputs(m, batches, max_pixels)
    fitted = {n: fit_denominator(g, X[n]) for n, g in gdn_modules(m) if n in X}
    replace_gdn(m, "simplified")
    for n, g in gdn_modules(m):
        if n in fitted:
            b, G = fitted[n]
            g.beta.copy_(g.beta_reparam.init(b).to(g.beta.dtype))
            g.gamma.copy_(g.gamma_reparam.init(G.reshape(g.gamma.shape)).to(g.gamma.dtype))
    return m.eval()
