"""One layer on ``PE x SIMD`` lanes: cycles (the hls/src kernels' beats) and resources."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from lic.errors import ParameterError
from lic.hw.fpga_model.core import Assumptions, Layer, Resources
from lic.hw.kernel_beats import CONV_LB_ROWS, DECONV_LB_ROWS, conv_beats, deconv_beats, gdn_beats

__all__ = ["Stage", "stage_for_units", "conv_dsp", "bram18_for"]
@lru_cache(maxsize=4096)
def _options(in_dim: int, out_dim: int, folding: str) -> tuple[list, list, list]:
    """Pareto options of a layer's folding: ascending ``P = pe*simd`` with strictly fewer
    iterations ``ceil(in/simd)*ceil(out/pe)`` a matrix-vector product; returns
    ``(P list, negated iterations list (ascending, for bisect), (pe, simd) list)``."""
    if folding == "exact":
        sv = [d for d in range(1, in_dim + 1) if in_dim % d == 0]
        pv = [d for d in range(1, out_dim + 1) if out_dim % d == 0]
    else:  # ceil: the smallest simd for each distinct ceil(in/simd)
        sv = sorted({-(-in_dim // (-(-in_dim // s))) for s in range(1, in_dim + 1)})
        pv = sorted({-(-out_dim // (-(-out_dim // p))) for p in range(1, out_dim + 1)})
    best: dict[int, tuple[int, int, int]] = {}
    for sm in sv:
        for pe in pv:
            P, it = pe * sm, (-(-in_dim // sm)) * (-(-out_dim // pe))
            if P not in best or it < best[P][0] or (it == best[P][0] and sm > best[P][2]):
                best[P] = (it, pe, sm)
    Ps, its, ps = [], [], []
    for P in sorted(best):
        it, pe, sm = best[P]
        if not its or it < -its[-1]:
            Ps.append(P), its.append(-it), ps.append((pe, sm))
    return Ps, its, ps


@dataclass(frozen=True)
class Stage:
    """One layer with its parallelism, cycles a frame and resources.

    Args:
        layer: the layer.
        pe, simd: output / input parallelism (``units = pe * simd`` MAC units).
        nonlinear_units, mult_units: GDN rsqrt/divide units and 32-bit elementwise multipliers.
        compute_cycles: ``ceil(macs / units)``.
        cycles: ``compute_cycles`` plus overheads.
        fill_cycles: cycles before the stage emits its first output (latency only).
        resources: DSP, BRAM36, LUT, URAM of this stage.
    """

    layer: Layer
    pe: int
    simd: int
    nonlinear_units: int
    mult_units: int
    compute_cycles: int
    cycles: int
    fill_cycles: int
    resources: Resources

    @property
    def units(self) -> int:
        return self.pe * self.simd


def _overhead(layer: Layer, a: Assumptions) -> int:
    """Per-frame cycles that do not depend on the folding."""
    load = layer.hin * layer.win * layer.cin if a.serial_input_load else 0
    return a.stage_overhead_cycles + a.row_overhead_cycles * layer.grid_rows + load


_BRAM18_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))


def bram18_for(width_bits: int, depth: int) -> int:
    """BRAM18 blocks for one memory ``width_bits`` wide and ``depth`` deep (best aspect ratio
    of the UltraScale+ RAMB18E2; two BRAM18 make one BRAM36)."""
    if width_bits <= 0 or depth <= 0:
        return 0
    return min(-(-depth // d) * -(-width_bits // w) for d, w in _BRAM18_SHAPES)


def _bank(width_bits: int, depth: int, a: Assumptions) -> tuple[int, int]:
    """(BRAM18, LUT) of one memory: LUTRAM when at most ``lutram_max_depth`` deep."""
    if depth <= a.lutram_max_depth:
        return 0, -(-depth // 64) * width_bits
    return bram18_for(width_bits, depth), 0


def _weight_memory(layer: Layer, pe: int, simd: int, a: Assumptions) -> tuple[int, int, int]:
    """(BRAM36, URAM, LUT) holding the layer's weights and biases for ``pe`` x ``simd`` lanes."""
    if not a.weights_on_chip:
        return 0, 0, 0
    P = pe * simd
    wb = a.gdn_bits if layer.is_gdn else a.weight_bits
    bb = a.gdn_bits if layer.is_gdn else a.bias_bits
    lut = -(-layer.biases // 64) * bb  # biases / beta: small, LUTRAM
    words = layer.weights
    if a.schedule == "kernel" and layer.kind == "deconv" and layer.iters == layer.hout * layer.wout:
        words = 4 * layer.in_dim * layer.out_dim  # one 9-tap block an output phase (deconv.h)
    total = words * wb
    if a.weight_memory == "uram":
        return 0, max(-(-total // a.uram_bits), -(-(P * wb) // a.uram_port_bits)), lut
    if a.weight_banking == "reshape":
        return max(-(-total // a.bram_bits), -(-(P * wb) // a.bram_port_bits)), 0, lut
    if a.weight_banking == "finn":  # pe memories of simd-wide words, depth = folds
        depth = -(-words // P)
        b18, l = _bank(simd * wb, depth, a)
        return -(-(pe * b18) // 2), 0, lut + pe * l
    banks = min(P, words)
    depth = -(-words // banks)
    if depth <= a.lutram_max_depth:
        return 0, 0, lut + banks * -(-depth // 64) * wb
    bram18 = banks * -(-(depth * wb) // (a.bram_bits // 2))
    return -(-bram18 // 2), 0, lut


def _compute_cycles(layer: Layer, pe: int, simd: int, a: Assumptions) -> int:
    if a.folding == "ideal":
        return -(-layer.slots // (pe * simd))
    return layer.iters * (-(-layer.in_dim // simd)) * (-(-layer.out_dim // pe))


def conv_dsp(layer: Layer, pe: int, simd: int, a: Assumptions) -> int:
    """DSP48E2 of a conv/deconv stage: ``simd * pe / int8_macs_per_dsp``. Two MACs pack into one
    27x18 multiply (hls/src ``lic::mul2_shared``) only when they share the activation (pairs of
    PE lanes of one SIMD lane, WP486: PE even) and an int8 weight times the activation fits 17
    bits (``in_bits <= 9``); odd-PE stages and 16-bit inputs take one DSP a MAC."""
    k = a.int8_macs_per_dsp if layer.in_bits <= 9 and pe % a.int8_macs_per_dsp == 0 else 1
    return simd * (pe // k)


def _folds(layer: Layer, pe: int, simd: int) -> int:
    return (-(-layer.in_dim // simd)) * (-(-layer.out_dim // pe))


def _kernel_beats(layer: Layer, pe: int, simd: int, in_words: int) -> int:
    """Beats a frame of the hls/src kernel (:mod:`lic.hw.kernel_beats`)."""
    F = _folds(layer, pe, simd)
    if layer.is_gdn:
        return gdn_beats(layer.hin, layer.win, F, in_words)
    if layer.kind == "conv" and (layer.k, layer.stride) == (5, 2):
        return conv_beats(layer.hin, layer.win, F, in_words)
    if layer.kind == "deconv" and (layer.k, layer.stride) == (5, 2) and layer.iters == layer.hout * layer.wout:
        return deconv_beats(layer.hin, layer.win, F, in_words)
    # 3x3/s1 convs of the hyper transforms (no hls/src kernel yet): folds plus input words
    return max(layer.iters * F, layer.hin * layer.win * in_words)


def _kernel_resources(layer: Layer, pe: int, simd: int, in_words: int, a: Assumptions) -> Resources:
    """DSP / BRAM36 / LUT / URAM / FF of the hls/src kernel with ``pe`` x ``simd`` lanes."""
    P = pe * simd
    wbram, wuram, wlut = _weight_memory(layer, pe, simd, a)
    sf = -(-layer.in_dim // simd)
    mux = simd * (a.gdn_bits if layer.is_gdn else a.act_bits) * (-(-(sf - 1) // 3)) if sf > 1 else 0
    if layer.is_gdn:
        nl = pe  # one rsqrt/sqrt/divide unit an output lane
        mu = (layer.cin // in_words if a.gdn == "standard" else 0) + (pe if layer.kind == "igdn" else 0)
        dsp = (P + mu) * a.dsp_per_mul32 + nl * a.dsp_per_nonlinear
        lut = (P + mu) * a.lut_per_mac32 + nl * a.lut_per_nonlinear + a.lut_per_stage + mux
        ff = P * a.ff_per_mac32 + nl * a.ff_per_nonlinear + a.ff_per_stage + 2 * layer.cin * a.gdn_bits
        return Resources(dsp, wbram, lut + wlut, wuram, ff)
    taps = layer.k * layer.k if layer.kind == "conv" else (-(-layer.k // layer.stride)) ** 2
    rows = CONV_LB_ROWS if layer.kind == "conv" else DECONV_LB_ROWS
    if layer.stride == 1:
        rows = layer.k + 1
    b18, lb_lut = _bank(layer.cin * a.act_bits, layer.win, a)
    lb_bram = -(-(rows * b18) // 2)
    dsp = conv_dsp(layer, pe, simd, a)
    lut = P * a.lut_per_mac8 + a.lut_per_stage + mux + rows * lb_lut
    ff = P * a.ff_per_mac8 + a.ff_per_stage + 2 * taps * layer.cin * a.act_bits
    return Resources(dsp, lb_bram + wbram, lut + wlut, wuram, ff)


def stage_for_units(layer: Layer, pe: int, simd: int, a: Assumptions | None = None,
                    in_words: int | None = None) -> Stage:
    """Cost of ``layer`` run with ``pe`` x ``simd`` MAC lanes.

    With ``schedule="kernel"`` (default) the cycles are the beats of the hls/src kernel
    (:mod:`lic.hw.kernel_beats`) plus ``stage_overhead_cycles``; with ``"mac"`` they are
    ``iters * ceil(in_dim/simd) * ceil(out_dim/pe)`` (= ``slots / P`` under exact folding)
    plus overheads. GDN: one non-linear unit an output lane (PE) under ``"kernel"``.

    Args:
        layer: the layer.
        pe: output parallelism (divides ``layer.out_dim`` under exact folding).
        simd: input parallelism (divides ``layer.in_dim`` under exact folding).
        a: assumptions.
        in_words: stream words carrying one input pixel (``cin / width`` of the producer's
            words, its PE); default 1 (a whole pixel a beat).
    """
    a = a or Assumptions()
    pe, simd = int(pe), int(simd)
    in_words = 1 if in_words is None else int(in_words)
    if a.folding == "ideal" and pe == 1 and 1 <= simd <= layer.in_dim * layer.out_dim:
        pass  # ideal folding: P = simd lanes in any arrangement
    elif pe < 1 or simd < 1 or pe > layer.out_dim or simd > layer.in_dim:
        raise ParameterError(f"{layer.name}: pe={pe}, simd={simd} outside 1..{layer.out_dim} "
                             f"x 1..{layer.in_dim}")
    if a.folding == "exact" and (layer.out_dim % pe or layer.in_dim % simd):
        raise ParameterError(f"{layer.name}: pe={pe} must divide {layer.out_dim} and simd={simd} "
                             f"divide {layer.in_dim} (folding='exact')")
    if in_words < 1 or layer.cin % in_words:
        raise ParameterError(f"{layer.name}: in_words={in_words} must divide cin={layer.cin}")
    if a.schedule == "kernel" and a.folding != "ideal":
        comp = _kernel_beats(layer, pe, simd, in_words)
        res = _kernel_resources(layer, pe, simd, in_words, a)
        nl = pe if layer.is_gdn else 0
        mu = 0
        if layer.is_gdn:
            mu = (layer.cin // in_words if a.gdn == "standard" else 0) + (pe if layer.kind == "igdn" else 0)
        cycles = comp + a.stage_overhead_cycles
        fill_rows = 1 if layer.is_gdn else 3
        fill = int(math.ceil(comp * min(1.0, fill_rows / layer.hin))) + a.stage_overhead_cycles
        return Stage(layer, pe, simd, nl, mu, comp, cycles, fill, res)
    P = pe * simd
    comp = _compute_cycles(layer, pe, simd, a)
    nl = -(-layer.nonlinear // comp) if layer.nonlinear else 0
    mu = -(-layer.elementwise // comp) if layer.elementwise else 0
    wbram, wuram, wlut = _weight_memory(layer, pe, simd, a)
    if layer.is_gdn:
        dsp = (P + mu) * a.dsp_per_mul32 + nl * a.dsp_per_nonlinear
        lut = (P + mu) * a.lut_per_mac32 + nl * a.lut_per_nonlinear + a.lut_per_stage
        ff = P * a.ff_per_mac32 + nl * a.ff_per_nonlinear + a.ff_per_stage
        lb_bram = 0
    else:
        dsp = conv_dsp(layer, pe, simd, a)
        lut = P * a.lut_per_mac8 + a.lut_per_stage
        ff = P * a.ff_per_mac8 + a.ff_per_stage
        base = layer.k - 1 if layer.kind == "conv" else -(-layer.k // layer.stride) - 1
        rows = base + a.line_buffer_extra_rows
        lb_bits = rows * layer.win * layer.cin * a.act_bits
        banks = min(simd, layer.cin)  # cyclic partition of the channel dimension
        lb_bram = max(-(-lb_bits // a.bram_bits), -(-banks // 2)) if lb_bits else 0
    fold = 0 if a.folding == "ideal" else layer.iters * (-(-layer.out_dim // pe)) * a.fold_overhead_cycles
    cycles = comp + fold + _overhead(layer, a)
    if layer.is_gdn:
        fill_frac = 1.0 / max(1, layer.hin * layer.win)
    else:
        fill_rows = layer.k // 2 + 1 if layer.kind == "conv" else -(-layer.k // layer.stride)
        fill_frac = min(1.0, fill_rows / layer.hin)
    fill = int(math.ceil((comp + fold) * fill_frac)) + a.stage_overhead_cycles
    return Stage(layer, pe, simd, nl, mu, comp, cycles, fill,
                 Resources(dsp, lb_bram + wbram, lut + wlut, wuram, ff))


