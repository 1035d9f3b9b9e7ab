"""Float layers to :class:`~lic.fixedpoint.transform.IntLayer`: the quantisation rules of the spec (:mod:`lic.fixedpoint`).

One function a layer kind, shared by the accelerator's transforms (:mod:`lic.hw.fixedpoint.quantize`) and the codec's
integer entropy model (:mod:`lic.codec.intprior`), so that both round weights, biases and shifts the same way.
"""

from __future__ import annotations

import numpy as np
from torch import nn

from lic.errors import ParameterError
from lic.fixedpoint.arith import FixedPointConfig, _frac_for, _range, _round_half_up
from lic.fixedpoint.transform import IntLayer

__all__ = ["calibrate", "conv_layer", "index_layer"]


def calibrate(seq: nn.Sequential, x) -> list[tuple[float, float]]:
    """Float (input, output) max-abs of every module of ``seq`` run on ``x``: what the power-of-two scales cover."""
    import torch

    stats = []
    with torch.no_grad():
        for m in seq:
            y = m(x)
            stats.append((float(x.abs().max()), float(y.abs().max())))
            x = y
    return stats


def conv_layer(m: nn.Module, lname: str, fin: tuple[int, bool, int], fout: tuple[int, bool, int, str],
               cfg: FixedPointConfig, w_gain: float = 1.0, b_gain: float = 1.0, relu: bool = False) -> IntLayer:
    """Integer conv/deconv: int ``weight_bits`` weights with a power-of-two scale per output channel, the bias at
    the accumulator scale, the shift to the output format.

    Args:
        m: ``nn.Conv2d`` or ``nn.ConvTranspose2d`` (square kernel, equal strides and paddings).
        fin: ``(bits, signed, frac)`` of the input. fout: ``(bits, signed, frac, kind)`` of the output.
        w_gain, b_gain: exact pixel-scale folds of the weights and the bias.
        relu: a ReLU follows: the output is ``max(0, ·)`` before saturation (``fout`` should be unsigned).
    """
    deconv = isinstance(m, nn.ConvTranspose2d)
    k, s, p = m.kernel_size[0], m.stride[0], m.padding[0]
    if m.kernel_size[1] != k or m.stride[1] != s or m.padding[1] != p or m.groups != 1 or m.dilation != (1, 1):
        raise ParameterError(f"{lname}: only square, ungrouped, undilated (de)convs are supported")
    in_bits, in_signed, in_frac = fin
    out_bits, out_signed, out_frac, out_kind = fout
    w_max = (1 << (cfg.weight_bits - 1)) - 1
    w = m.weight.detach().double().cpu().numpy() * w_gain
    b = (m.bias.detach().double().cpu().numpy() if m.bias is not None else np.zeros(m.out_channels)) * b_gain
    # per-output-channel power-of-two weight scales
    w_o = np.moveaxis(w, 1, 0) if deconv else w  # [O, I, k, k]
    maxabs = np.abs(w_o).reshape(w_o.shape[0], -1).max(axis=1)
    w_frac = np.array([_frac_for(v, w_max) for v in maxabs], dtype=np.int64)
    wq_o = np.clip(_round_half_up(w_o * np.exp2(w_frac)[:, None, None, None]), -w_max, w_max)
    wq = np.moveaxis(wq_o, 0, 1) if deconv else wq_o
    acc_frac = in_frac + w_frac
    acc_lo, acc_hi = _range(cfg.acc_bits, True)
    bias = np.clip(_round_half_up(b * np.exp2(acc_frac)), acc_lo, acc_hi)
    attrs = dict(
        in_ch=int(m.in_channels), out_ch=int(m.out_channels), kernel=int(k), stride=int(s), pad=int(p),
        out_pad=int(m.output_padding[0]) if deconv else 0,
        in_bits=in_bits, in_signed=in_signed, in_frac=int(in_frac),
        out_bits=out_bits, out_signed=out_signed, out_frac=int(out_frac), out_kind=out_kind,
    )
    if relu:
        attrs["relu"] = True
    params = dict(weight=wq, w_frac=w_frac, bias=bias, out_shift=acc_frac - out_frac)
    return IntLayer("deconv" if deconv else "conv", lname, attrs, params)


def index_layer(lname: str, scale_table, fin: tuple[int, bool, int]) -> IntLayer:
    """Scale index of a Gaussian conditional: ``index = #{k < L-1 : x > T_k}`` with ``T_k = floor(s_k 2**f)``.

    For an integer ``x`` read with ``f`` fractional bits, ``x 2**-f > s_k`` exactly when ``x > floor(s_k 2**f)``,
    so the index equals CompressAI's ``build_indexes`` of the real value ``x 2**-f`` (the lower bound at ``s_0``
    included: anything at or below it gets index 0), computed here by integer comparisons alone.

    Args:
        scale_table: the Gaussian conditional's ``L`` scales, increasing.
        fin: ``(bits, signed, frac)`` of the scales.
    """
    table = np.asarray(scale_table, dtype=np.float64).reshape(-1)
    if table.size < 2 or np.any(np.diff(table) <= 0):
        raise ParameterError(f"{lname}: the scale table must hold at least two increasing scales")
    bits, signed, frac = fin
    thresholds = np.floor(table[:-1] * 2.0**frac).astype(np.int64)
    attrs = dict(in_ch=0, out_ch=0, levels=int(table.size), in_bits=bits, in_signed=signed, in_frac=int(frac),
                 out_bits=8, out_signed=False, out_frac=0, out_kind="index")
    return IntLayer("index", lname, attrs, {"thresholds": thresholds})
