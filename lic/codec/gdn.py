r"""GDN / IGDN variants behind one interface, a registry by name, and model surgery.

Every variant is a CompressAI :class:`~compressai.layers.GDN` subclass with the same
parameters (``beta [C]``, ``gamma [C, C]``, stored through CompressAI's
:class:`~compressai.ops.parametrizers.NonNegativeParametrizer`), so a trained model can switch
flavour without losing its weights (:func:`replace_gdn`). With ``D_i`` the denominator of
channel ``i`` (``gamma[i, j]``: row = output channel, as CompressAI's 1x1 conv uses it):

* ``"standard"`` — Ballé et al. 2016, CompressAI ``GDN``:
  :math:`y_i = x_i / \sqrt{\beta_i + \sum_j \gamma_{ij} x_j^2}` (IGDN multiplies).
* ``"simplified"`` — Johnston et al. 2019, CompressAI ``GDN1``:
  :math:`y_i = x_i / (\beta_i + \sum_j \gamma_{ij} |x_j|)`, no square, no square root.
* ``"fixed"`` — :class:`FixedPointGDN`: either formula with every operand and result on a
  signed/unsigned integer grid (``word_bits``, ``frac_bits``), straight-through rounding and
  counted saturation; the training proxy of the accelerator's GDN unit (:mod:`lic.hw.fixedpoint`).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from compressai.layers import GDN, GDN1
from torch import Tensor, nn

from lic.errors import ParameterError

__all__ = [
    "GDN_VARIANTS",
    "register_gdn",
    "make_gdn",
    "gdn_formula",
    "FixedPointGDN",
    "replace_gdn",
    "gdn_modules",
    "effective_params",
    "set_observing",
]

#: variant name -> GDN class (constructor ``cls(channels, inverse=..., **kwargs)``)
GDN_VARIANTS: dict[str, Callable[..., nn.Module]] = {}


def register_gdn(name: str):
    """Decorator (or call on an existing class): register a GDN class under ``name``."""

    def deco(cls):
        GDN_VARIANTS[name] = cls
        return cls

    return deco


register_gdn("standard")(GDN)
register_gdn("simplified")(GDN1)


def gdn_formula(m: nn.Module) -> str:
    """``"standard"`` or ``"simplified"``: the formula a GDN module computes."""
    if isinstance(m, FixedPointGDN):
        return m.base
    return "simplified" if isinstance(m, GDN1) else "standard"


def effective_params(m: nn.Module) -> tuple[Tensor, Tensor]:
    """``(beta [C], gamma [C, C])`` as the forward pass uses them (quantized for ``fixed``)."""
    with torch.no_grad():
        if isinstance(m, FixedPointGDN):
            return m.quantized_params()
        beta = m.beta_reparam(m.beta)
        return beta, m.gamma_reparam(m.gamma).reshape(beta.numel(), -1)


def _ste_round(x: Tensor) -> Tensor:
    """round(x) forward, identity backward."""
    return x + (torch.round(x) - x).detach()


def _pot_frac(amax: Tensor | float, qmax: int) -> int:
    """Largest ``f`` with ``amax * 2**f <= qmax`` (power-of-two scale, as Brevitas PoT)."""
    a = float(amax)
    if not a > 0:
        return 0
    return int(torch.floor(torch.log2(torch.tensor(qmax / a, dtype=torch.float64))).item())


@register_gdn("fixed")
class FixedPointGDN(GDN):
    r"""GDN/IGDN computed on a fixed-point grid (Q format), trainable with straight-through rounding.

    Every quantity ``q`` (input ``x``, ``beta``, ``gamma``, denominator ``D``, the norm ``S``
    and the output ``y``) is represented as ``code * 2**-f`` with an integer ``code`` of
    ``word_bits`` bits (signed for ``x``, ``y``; unsigned for the non-negative ``beta``,
    ``gamma``, ``D``, ``S``)::

        code = clamp(round(q * 2**f), lo, hi)       # round: STE; clamp: counted

    .. math::

        D_i = Q(\beta_i) + \sum_j Q(\gamma_{ij})\, Q(x_j)^p,\qquad
        S_i = Q(\sqrt{Q(D_i)})\ (p=2)\ \text{or}\ Q(D_i)\ (p=1),\qquad
        y_i = Q(Q(x_i) / S_i)\ \text{or}\ Q(Q(x_i)\, S_i)\ \text{(inverse)}

    ``p = 2`` for ``base="standard"``, ``p = 1`` for ``base="simplified"``.

    Positivity after quantisation: ``beta``/``gamma`` keep CompressAI's non-negative
    reparameterisation, ``Q(beta)``, ``Q(D)`` and ``Q(S)`` are clamped at the smallest positive
    code ``2**-f`` (no division by zero), ``Q(gamma)`` at 0.

    Saturation never wraps: values outside the word are clamped and the number of clamped
    elements is added to the buffer ``saturations`` (``[x, beta/gamma, D/S, y]``), readable as
    :attr:`saturated`. Counting is skipped while tracing/exporting.

    Args:
        in_channels: channels C.
        inverse: IGDN (multiply by the norm) instead of GDN (divide).
        base: ``"standard"`` (square root) or ``"simplified"`` (absolute value, no root).
        word_bits: integer width of every operand (32: the accelerator's GDN word; 8: int8).
        frac_bits: fractional bits of every operand (Q(word_bits - frac_bits).frac_bits), or
            ``None``: a power-of-two ``f`` per quantity, from the current max of ``beta``/``gamma``
            and from the running max-abs (buffer ``amax``) of ``x``, ``D``, ``S``, ``y`` observed
            in training mode or while :attr:`observing` (calibration).
    """

    variant = "fixed"

    def __init__(self, in_channels: int, inverse: bool = False, beta_min: float = 1e-6, gamma_init: float = 0.1,
                 base: str = "standard", word_bits: int = 32, frac_bits: int | None = 16):
        super().__init__(in_channels, inverse=inverse, beta_min=beta_min, gamma_init=gamma_init)
        if base not in ("standard", "simplified"):
            raise ParameterError(f"base must be 'standard' or 'simplified', got {base!r}")
        if not 4 <= int(word_bits) <= 48:
            raise ParameterError(f"word_bits must be in 4..48, got {word_bits}")
        if frac_bits is not None and not -8 <= int(frac_bits) < int(word_bits):
            raise ParameterError(f"frac_bits must be in -8..word_bits-1, got {frac_bits}")
        self.base = base
        self.word_bits = int(word_bits)
        self.frac_bits = None if frac_bits is None else int(frac_bits)
        self.observing = False
        self.register_buffer("saturations", torch.zeros(4, dtype=torch.int64))
        self.register_buffer("amax", torch.zeros(4))  # running max-abs of x, D, S, y

    def extra_repr(self) -> str:
        return (f"base={self.base}, inverse={self.inverse}, word_bits={self.word_bits}, "
                f"frac_bits={self.frac_bits}")

    @property
    def saturated(self) -> int:
        """Total number of clamped elements since the last :meth:`reset_saturations`."""
        return int(self.saturations.sum())

    def reset_saturations(self) -> None:
        self.saturations.zero_()

    def _counting(self) -> bool:
        return not (torch.jit.is_tracing() or torch.onnx.is_in_onnx_export() or torch.compiler.is_compiling())

    def _frac(self, amax: Tensor | float, signed: bool) -> int:
        if self.frac_bits is not None:
            return self.frac_bits
        qmax = (1 << (self.word_bits - (1 if signed else 0))) - 1
        return _pot_frac(amax, qmax)

    def _q(self, v: Tensor, f: int, signed: bool, slot: int, min_code: int | None = None) -> Tensor:
        """``clamp(round(v * 2**f)) * 2**-f`` with STE rounding; counts clamped elements."""
        hi = (1 << (self.word_bits - 1)) - 1 if signed else (1 << self.word_bits) - 1
        lo = -(1 << (self.word_bits - 1)) if signed else (0 if min_code is None else min_code)
        code = _ste_round(v * 2.0**f)
        if self._counting():
            self.saturations[slot] += ((code > hi) | (code < lo)).sum().detach()
        return torch.clamp(code, lo, hi) * 2.0**-f

    def _observe(self, slot: int, v: Tensor) -> None:
        if (self.training or self.observing) and self._counting():
            self.amax[slot] = torch.maximum(self.amax[slot], v.detach().abs().max())

    def quantized_params(self) -> tuple[Tensor, Tensor]:
        """``(Q(beta) [C], Q(gamma) [C, C])``, differentiable (STE)."""
        beta = self.beta_reparam(self.beta)
        gamma = self.gamma_reparam(self.gamma)
        C = beta.numel()
        bq = self._q(beta, self._frac(beta.detach().max(), False), False, 1, min_code=1)
        gq = self._q(gamma, self._frac(gamma.detach().max(), False), False, 1)
        return bq, gq.reshape(C, C)

    def forward(self, x: Tensor) -> Tensor:
        C = x.size(1)
        self._observe(0, x)
        xq = self._q(x, self._frac(self.amax[0], True), True, 0)
        beta, gamma = self.quantized_params()
        d = F.conv2d(xq**2 if self.base == "standard" else xq.abs(), gamma.reshape(C, C, 1, 1), beta)
        self._observe(1, d)
        d = self._q(d, self._frac(self.amax[1], False), False, 2, min_code=1)
        if self.base == "standard":
            s = torch.sqrt(d)
            self._observe(2, s)
            s = self._q(s, self._frac(self.amax[2], False), False, 2, min_code=1)
        else:
            s = d
        y = xq * s if self.inverse else xq / s
        self._observe(3, y)
        return self._q(y, self._frac(self.amax[3], True), True, 3)


def make_gdn(variant: str, channels: int, inverse: bool = False, **kwargs) -> nn.Module:
    """A GDN module of a registered ``variant``."""
    if variant not in GDN_VARIANTS:
        raise ParameterError(f"unknown GDN variant {variant!r}; known: {sorted(GDN_VARIANTS)}")
    return GDN_VARIANTS[variant](channels, inverse=inverse, **kwargs)


def gdn_modules(model: nn.Module, parts=("g_a", "g_s")) -> list[tuple[str, nn.Module]]:
    """``[(qualified name, module)]`` of the GDN layers in the transforms."""
    out = []
    for part in parts:
        sub = getattr(model, part, None)
        if sub is None:
            continue
        out += [(f"{part}.{n}", m) for n, m in sub.named_modules() if isinstance(m, GDN)]
    return out


def replace_gdn(model: nn.Module, variant: str, parts=("g_a", "g_s"), **kwargs) -> nn.Module:
    """Swap every GDN of ``model.g_a``/``model.g_s`` (in place) for ``variant``.

    The raw parameters ``beta``/``gamma`` (same reparameterisation) and the ``inverse`` flag
    are kept, so the effective ``beta``, ``gamma`` are unchanged; only the formula changes.
    ``variant="fixed"`` keeps the current formula as ``base`` unless ``base=`` is given.

    Returns:
        ``model`` (its ``gdn`` attribute set to ``variant`` when it has one).
    """
    if variant not in GDN_VARIANTS:
        raise ParameterError(f"unknown GDN variant {variant!r}; known: {sorted(GDN_VARIANTS)}")
    for name, old in gdn_modules(model, parts):
        kw = dict(kwargs)
        if variant == "fixed":
            kw.setdefault("base", gdn_formula(old))
        new = make_gdn(variant, old.beta.numel(), inverse=old.inverse, **kw)
        with torch.no_grad():
            new.beta.copy_(old.beta)
            new.gamma.copy_(old.gamma)
        new.to(old.beta.device)
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name), child, new)
    if hasattr(model, "gdn"):
        model.gdn = variant
    return model


def set_observing(model: nn.Module, flag: bool) -> None:
    """Turn range observation of every :class:`FixedPointGDN` on/off (PTQ calibration)."""
    for m in model.modules():
        if isinstance(m, FixedPointGDN):
            m.observing = bool(flag)
