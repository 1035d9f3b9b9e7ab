r"""Bit-accurate integer reference of the accelerator (the single source of truth).

Everything the FPGA computes is defined here with NumPy ``int64`` arithmetic; the HLS C-sim
(``hls/``) and the RTL must reproduce :meth:`IntTransform.run` bit for bit.

Number formats (all scales are powers of two, so rescaling is a shift)
---------------------------------------------------------------------
A value ``v`` stored with ``f`` fractional bits means ``real = v * 2**-f`` (``f`` may be
negative). Symmetric quantisation, no zero points, so zero padding is integer 0 everywhere.

* image in (g_a input): ``uint8`` pixels ``p``; the float model sees ``p/255``. We use an
  **exact scale fold**: the first conv's float weights are multiplied by ``256/255`` before
  quantisation and the input is read as ``p`` with ``f=8`` (``p/256 * 256/255 = p/255``).
* weights: ``int8`` in ``[-127, 127]`` (narrow range), one ``f_w[o]`` per output channel,
  ``f_w[o] = floor(log2(127 / max|w_o|))`` (Brevitas ``Int8WeightPerChannelFixedPoint``).
* activations between conv and GDN output: ``int8`` in ``[-128, 127]``, one ``f_a`` per
  tensor from calibration max-abs, ``f_a = floor(log2(127 / max|a|))``
  (Brevitas ``Int8ActPerTensorFixedPoint``).
* bias: ``int32`` at the accumulator scale ``f_a + f_w[o]``.
* GDN input ``x``: signed ``gdn_in_bits`` (16) with ``f_x`` from calibration
  (``gdn_in_headroom`` spare bits); GDN parameters: ``gamma`` unsigned ``gdn_bits`` (32)
  words with ``f_g`` fractional bits, ``beta`` unsigned ``gdn_acc_bits`` (48) words at the
  denominator scale ``p*f_x + f_g`` (``p=1`` simplified, ``p=2`` standard GDN).
  ``f_g`` is the largest value such that the denominator provably fits ``gdn_acc_bits``.
* latents (g_a out / g_s in): signed ``latent_bits`` (16) integers, scale 1 (``round(y)``).
* image out (g_s output): ``uint8``, the last layer's float weights/bias are multiplied by
  ``255/256`` and the output is read with ``f=8`` and clamped to ``[0, 255]``.

Primitive operations (identical in C++ ``hls/src/lic_types.h`` and RTL)
-----------------------------------------------------------------------
* ``rshift_round(v, s)`` = ``(v + 2**(s-1)) >> s`` for ``s > 0`` (arithmetic shift: round
  half **up**, i.e. towards +inf on ties), ``v`` for ``s == 0``, ``v << -s`` for ``s < 0``.
* ``sat(v, lo, hi)`` clamps and **counts** every clamped element in the layer's counter;
  with ``FixedPointConfig(saturate=False)`` a clamp raises :class:`FixedPointOverflow`.

Conv PE (``conv``: k=5, s=2, pad=2; ``deconv``: transposed, k=5, s=2, pad=2, out_pad=1)
------------------------------------------------------------------------------------------
.. math::

    acc[o,y,x] = b[o] + \sum_{i,k_y,k_x} a[i, 2y-2+k_y, 2x-2+k_x]\, w[o,i,k_y,k_x]

computed exactly (the hardware accumulator has ``acc_bits`` plus ``ceil(log2(25 C_in))`` guard
bits), then ``acc = sat(acc, acc_bits signed)`` and
``out = sat(rshift_round(acc, out_shift[o]), out_lo, out_hi)`` with
``out_shift[o] = f_in + f_w[o] - f_out``. The transposed conv is
``acc[o, 2y_i-2+k_y, 2x_i-2+k_x] += a[i, y_i, x_i] w[i,o,k_y,k_x]`` (PyTorch layout) and the
same requantisation.

GDN unit (per pixel, channels ``i, j``)
---------------------------------------
1. ``D_i = beta_i + sum_j gamma_ij * |x_j|`` (simplified, ``GDN1``) or ``* x_j**2``
   (standard), exact, then ``D_i = sat(D_i, 0, 2**gdn_acc_bits - 1)`` (never hit by
   construction of ``f_g``; counted anyway).
2. standard only: ``S_i = isqrt(D_i << 2t)`` (``t = sqrt_frac``), digit-by-digit integer
   square root with a fixed number of iterations; simplified: ``S_i = D_i``.
3. forward GDN: ``num = |x_i| << s_num``, ``den = S_i << s_den``; a restoring divider with
   ``K = act_bits + 1`` iterations gives ``qf = min(floor(2 num / den), 2**K - 1)``
   (``2 num >= den << K`` is an overflow, counted); ``q = (qf + 1) >> 1`` (= round half up of
   ``num/den``); ``out = sat(sign(x_i) * q, -128, 127)``.
   ``s_num - s_den = f_g + f_out`` (simplified) or ``f_g/2 + t + f_out`` (standard).
4. inverse GDN: ``out = sat(rshift_round(x_i * S_i, shift), -128, 127)`` with
   ``shift = 2 f_x + f_g - f_out`` (simplified) or ``2 f_x + f_g/2 + t - f_out`` (standard).

File format (:meth:`IntTransform.save`)
---------------------------------------
One ``.npz`` (written atomically). Key ``__meta__`` holds UTF-8 JSON (as ``uint8``) with
``{"format": "lic-int-transform", "version": 1, "name", "config": FixedPointConfig fields,
"layers": [{"kind", "name", "attrs": {...}}]}``; the arrays of layer ``k`` are stored under
``"L{k}.{param}"`` as ``int64``: conv/deconv ``weight`` (conv ``[O,I,5,5]``, deconv
``[I,O,5,5]``), ``w_frac [O]``, ``bias [O]``, ``out_shift [O]``; gdn/igdn ``gamma [C,C]``
(row ``i`` = output channel) and ``beta [C]``.
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .errors import LicError, ParameterError
from .fileio import atomic_write_bytes

__all__ = [
    "FixedPointConfig",
    "FixedPointOverflow",
    "IntLayer",
    "IntTransform",
    "rshift_round",
    "restoring_divide",
    "isqrt",
    "gdn_params",
    "quantize_transform",
    "quantize_codec",
    "image_to_int",
    "int_to_image",
    "dequantize",
    "evaluate_int_codec",
]

FORMAT = "lic-int-transform"
VERSION = 1


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


# --------------------------------------------------------------------------- primitives


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
    ``num < den << k``; otherwise the overflow flag is set and the quotient saturates.
    """
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


# --------------------------------------------------------------------------- layers


@dataclass
class IntLayer:
    """One integer layer: ``kind`` in conv/deconv/gdn/igdn, int64 ``params``, scalar ``attrs``."""

    kind: str
    name: str
    attrs: dict[str, Any]
    params: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def in_range(self) -> tuple[int, int]:
        return _range(self.attrs["in_bits"], self.attrs["in_signed"])

    @property
    def out_range(self) -> tuple[int, int]:
        return _range(self.attrs["out_bits"], self.attrs["out_signed"])


class IntTransform:
    """A quantized g_a or g_s: an ordered list of :class:`IntLayer`, run in pure integers.

    Attributes:
        saturations: ``{layer name: number of clamped values}`` accumulated over runs.
    """

    def __init__(self, layers: list[IntLayer], cfg: FixedPointConfig, name: str = "g_a"):
        self.layers = list(layers)
        self.cfg = cfg
        self.name = name
        self.saturations: dict[str, int] = {l.name: 0 for l in self.layers}

    def __len__(self) -> int:
        return len(self.layers)

    def reset_counters(self) -> None:
        self.saturations = {l.name: 0 for l in self.layers}

    # ------------------------------------------------------------------ execution
    def _sat(self, v: np.ndarray, lo: int, hi: int, layer: IntLayer, what: str) -> np.ndarray:
        n = int(np.count_nonzero((v < lo) | (v > hi)))
        if n:
            if not self.cfg.saturate:
                raise FixedPointOverflow(f"{layer.name}: {n} values of {what} outside [{lo}, {hi}]")
            self.saturations[layer.name] += n
        return np.clip(v, lo, hi)

    def run_layer(self, idx: int, x: np.ndarray) -> np.ndarray:
        """Run layer ``idx`` on an int array ``[C,H,W]`` or ``[B,C,H,W]``; returns int64."""
        layer = self.layers[idx]
        x = np.asarray(x)
        squeeze = x.ndim == 3
        x = (x[None] if squeeze else x).astype(np.int64)
        lo, hi = layer.in_range
        if x.min(initial=0) < lo or x.max(initial=0) > hi:
            raise ParameterError(f"{layer.name}: input outside its {layer.attrs['in_bits']}-bit range")
        fn = {"conv": self._conv, "deconv": self._conv, "gdn": self._gdn, "igdn": self._gdn}[layer.kind]
        y = fn(layer, x)
        return y[0] if squeeze else y

    def run(self, x: np.ndarray, upto: int | None = None) -> np.ndarray:
        """Run all layers (or the first ``upto``) on integer input; returns int64."""
        for k in range(len(self.layers) if upto is None else upto):
            x = self.run_layer(k, x)
        return x

    def _conv(self, layer: IntLayer, x: np.ndarray) -> np.ndarray:
        a, p = layer.attrs, layer.params
        # float64 is exact here: every partial sum is an integer below 2**53 (checked below)
        bound = (1 << a["in_bits"]) * int(np.abs(p["weight"]).sum()) + int(np.abs(p["bias"]).max())
        if bound >= 1 << 53:
            raise ParameterError(f"{layer.name}: accumulator bound exceeds 2**53")
        xt = torch.from_numpy(x.astype(np.float64))
        wt = torch.from_numpy(p["weight"].astype(np.float64))
        bt = torch.from_numpy(p["bias"].astype(np.float64))
        if layer.kind == "conv":
            acc = F.conv2d(xt, wt, bt, stride=a["stride"], padding=a["pad"])
        else:
            acc = F.conv_transpose2d(
                xt, wt, bt, stride=a["stride"], padding=a["pad"], output_padding=a["out_pad"]
            )
        acc = acc.numpy().astype(np.int64)
        acc = self._sat(acc, *_range(self.cfg.acc_bits, True), layer, "accumulator")
        y = rshift_round(acc, p["out_shift"].reshape(1, -1, 1, 1))
        return self._sat(y, *layer.out_range, layer, "output")

    def _gdn(self, layer: IntLayer, x: np.ndarray) -> np.ndarray:
        a, p = layer.attrs, layer.params
        mag = np.abs(x) if a["variant"] == "simplified" else x * x
        # sum of non-negative terms: all partial sums <= total, so float64 is exact while
        # the total < 2**53, and a total >= 2**gdn_acc_bits saturates either way
        d = np.einsum("ij,bjhw->bihw", p["gamma"].astype(np.float64), mag.astype(np.float64))
        d = np.minimum(d, float(1 << 62)).astype(np.int64) + p["beta"].reshape(1, -1, 1, 1)
        d = self._sat(d, 0, (1 << a["acc_bits"]) - 1, layer, "denominator")
        if a["variant"] == "standard":
            t = a["sqrt_frac"]
            s = isqrt(np.left_shift(d, 2 * t), bits=2 * ((a["acc_bits"] + 2 * t + 1) // 2))
        else:
            s = d
        lo, hi = layer.out_range
        if layer.kind == "igdn":
            y = rshift_round(x * s, a["shift"])
            return self._sat(y, lo, hi, layer, "output")
        num = np.left_shift(np.abs(x), a["s_num"] + 1)  # 2*num for round-half-up
        den = np.left_shift(s, a["s_den"])
        qf, ovf = restoring_divide(num, den, a["div_bits"])
        q = (qf + 1) >> 1
        y = np.where(x < 0, -q, q)
        n_ovf = int(np.count_nonzero(ovf & (y >= lo) & (y <= hi)))  # overflow not caught below
        if n_ovf:
            self.saturations[layer.name] += n_ovf
        return self._sat(y, lo, hi, layer, "output")

    # ------------------------------------------------------------------ I/O
    def to_dict(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "config": asdict(self.cfg),
            "layers": [{"kind": l.kind, "name": l.name, "attrs": l.attrs} for l in self.layers],
        }
        arrays = {f"L{k}.{n}": np.asarray(v, dtype=np.int64) for k, l in enumerate(self.layers) for n, v in l.params.items()}
        return meta, arrays

    def save(self, path: str | os.PathLike) -> None:
        """Write the documented ``.npz`` (arrays + JSON ``__meta__``) atomically."""
        meta, arrays = self.to_dict()
        arrays["__meta__"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "IntTransform":
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["__meta__"]).decode())
            if meta.get("format") != FORMAT or meta.get("version") != VERSION:
                raise ParameterError(f"{path}: not a {FORMAT} v{VERSION} file")
            layers = []
            for k, l in enumerate(meta["layers"]):
                pre = f"L{k}."
                params = {n[len(pre):]: z[n].astype(np.int64) for n in z.files if n.startswith(pre)}
                layers.append(IntLayer(l["kind"], l["name"], dict(l["attrs"]), params))
        return cls(layers, FixedPointConfig(**meta["config"]), meta["name"])

    def summary(self) -> list[dict]:
        """One row per layer: kind, name, channels and the fractional bits (for tables)."""
        return [{"name": l.name, "kind": l.kind, **l.attrs} for l in self.layers]


# --------------------------------------------------------------------------- quantization


def _gdn_kind(m: nn.Module) -> str | None:
    """"simplified" / "standard" for a GDN-like module (``lic.gdn`` variants included), else None."""
    from compressai.layers import GDN

    if not isinstance(m, GDN):
        return None
    try:  # lic.gdn knows the formula of its own variants (e.g. FixedPointGDN.base)
        from .gdn import gdn_formula
    except ImportError:  # pragma: no cover - lic.gdn is optional here
        from compressai.layers import GDN1

        return "simplified" if isinstance(m, GDN1) else "standard"
    return gdn_formula(m)


def gdn_params(m: nn.Module) -> tuple[np.ndarray, np.ndarray, bool]:
    """Effective ``(beta [C], gamma [C,C], inverse)`` of a CompressAI-style GDN module."""
    try:
        from .gdn import effective_params
    except ImportError:  # pragma: no cover
        effective_params = None
    with torch.no_grad():
        if effective_params is not None:
            beta, gamma = effective_params(m)
        else:
            beta, gamma = m.beta_reparam(m.beta), m.gamma_reparam(m.gamma)
        beta = beta.double().cpu().numpy().reshape(-1)
        gamma = gamma.double().cpu().numpy()
    return beta, gamma.reshape(beta.size, beta.size), bool(m.inverse)


def _collect(seq: nn.Sequential, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Float (input, output) max-abs of every module of ``seq`` on ``x``."""
    stats = []
    with torch.no_grad():
        for m in seq:
            y = m(x)
            stats.append((float(x.abs().max()), float(y.abs().max())))
            x = y
    return stats


def quantize_transform(
    seq: nn.Sequential,
    calib: torch.Tensor,
    cfg: FixedPointConfig | None = None,
    role: str = "analysis",
    name: str | None = None,
) -> IntTransform:
    """Turn a float ``g_a`` (``role="analysis"``) or ``g_s`` (``"synthesis"``) into integers.

    Args:
        seq: ``nn.Sequential`` of Conv2d/ConvTranspose2d (k=5, s=2) and GDN modules.
        calib: calibration input of ``seq`` (``g_a``: images in [0,1] ``[B,3,H,W]``;
            ``g_s``: latents, rounded to integers here).
        cfg: word widths (defaults: 8-bit conv, 32-bit GDN).
        role: "analysis" (image in, latents out) or "synthesis" (latents in, image out).
        name: stored name (default ``g_a``/``g_s``).
    """
    cfg = cfg or FixedPointConfig()
    if role not in ("analysis", "synthesis"):
        raise ParameterError(f"role must be 'analysis' or 'synthesis', got {role!r}")
    calib = calib.detach().float().cpu()
    if role == "synthesis":
        calib = torch.round(calib)
    mods = list(seq)
    stats = _collect(seq, calib)
    a_bits, a_max = cfg.act_bits, (1 << (cfg.act_bits - 1)) - 1
    w_max = (1 << (cfg.weight_bits - 1)) - 1
    gdn_qmax = (1 << (cfg.gdn_in_bits - 1)) - 1
    convs = [k for k, m in enumerate(mods) if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    if not convs:
        raise ParameterError("no conv layers in the transform")
    # input format of the first layer
    if role == "analysis":
        in_bits, in_signed, in_frac = 8, False, 8
    else:
        in_bits, in_signed, in_frac = cfg.latent_bits, True, 0
    layers: list[IntLayer] = []
    for k, m in enumerate(mods):
        lname = f"{name or ('g_a' if role == 'analysis' else 'g_s')}.{k}"
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            deconv = isinstance(m, nn.ConvTranspose2d)
            if tuple(m.kernel_size) != (5, 5) or tuple(m.stride) != (2, 2) or tuple(m.padding) != (2, 2):
                raise ParameterError(f"{lname}: only 5x5 stride-2 pad-2 (de)convs are supported")
            w = m.weight.detach().double().cpu().numpy()
            b = (m.bias.detach().double().cpu().numpy() if m.bias is not None
                 else np.zeros(m.out_channels))
            if k == convs[0] and role == "analysis":
                w = w * (256.0 / 255.0)  # exact fold of p/255 into p*2**-8
            last = k == convs[-1]
            if last and role == "synthesis":
                w, b = w * (255.0 / 256.0), b * (255.0 / 256.0)
            # per-output-channel power-of-two weight scales
            w_o = np.moveaxis(w, 1, 0) if deconv else w  # [O, I, k, k]
            maxabs = np.abs(w_o).reshape(w_o.shape[0], -1).max(axis=1)
            w_frac = np.array([_frac_for(v, w_max) for v in maxabs], dtype=np.int64)
            wq_o = np.clip(_round_half_up(w_o * np.exp2(w_frac)[:, None, None, None]), -w_max, w_max)
            wq = np.moveaxis(wq_o, 0, 1) if deconv else wq_o
            acc_frac = in_frac + w_frac
            acc_lo, acc_hi = _range(cfg.acc_bits, True)
            bias = np.clip(_round_half_up(b * np.exp2(acc_frac)), acc_lo, acc_hi)
            nxt = mods[k + 1] if k + 1 < len(mods) else None
            if last and role == "analysis":
                out_bits, out_signed, out_frac, out_kind = cfg.latent_bits, True, 0, "latent"
            elif last:
                out_bits, out_signed, out_frac, out_kind = 8, False, 8, "pixel"
            elif nxt is not None and _gdn_kind(nxt):
                out_bits, out_signed, out_kind = cfg.gdn_in_bits, True, "gdn_in"
                out_frac = _frac_for(stats[k][1], gdn_qmax) - cfg.gdn_in_headroom
            else:
                raise ParameterError(f"{lname}: a conv must be followed by a GDN or be last")
            attrs = dict(
                in_ch=int(m.in_channels), out_ch=int(m.out_channels), kernel=5, stride=2, pad=2,
                out_pad=int(m.output_padding[0]) if deconv else 0,
                in_bits=in_bits, in_signed=in_signed, in_frac=int(in_frac),
                out_bits=out_bits, out_signed=out_signed, out_frac=int(out_frac), out_kind=out_kind,
            )
            params = dict(weight=wq, w_frac=w_frac, bias=bias, out_shift=acc_frac - out_frac)
            layers.append(IntLayer("deconv" if deconv else "conv", lname, attrs, params))
        elif _gdn_kind(m):
            variant = _gdn_kind(m)
            beta, gamma, inverse = gdn_params(m)
            pw = 1 if variant == "simplified" else 2
            # inverse simplified GDN multiplies x * D: keep that product inside 62 bits
            acc_l = cfg.gdn_acc_bits
            if inverse and variant == "simplified":
                acc_l = min(acc_l, 62 - cfg.gdn_in_bits)
            fx = in_frac
            fo = _frac_for(stats[k][1], a_max)
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
            layers.append(IntLayer("igdn" if inverse else "gdn", lname, attrs, dict(gamma=g_q, beta=b_q)))
            fo_next = fo
            in_bits, in_signed, in_frac = a_bits, True, fo_next
            continue
        else:
            raise ParameterError(f"{lname}: unsupported module {type(m).__name__}")
        in_bits, in_signed, in_frac = out_bits, out_signed, out_frac
    return IntTransform(layers, cfg, name or ("g_a" if role == "analysis" else "g_s"))


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


# --------------------------------------------------------------------------- float bridges


def image_to_int(x: torch.Tensor) -> np.ndarray:
    """Float image(s) in [0,1] -> uint8 pixel integers (int64), round half up."""
    return np.clip(_round_half_up(x.detach().cpu().double().numpy() * 255.0), 0, 255)


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
