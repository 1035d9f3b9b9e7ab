"""The hyperprior's stages in RTL: h_a and h_s of an integer prior as folded pipeline stages.

What each layer of :class:`lic.codec.intprior.IntPrior` becomes (hand-written Verilog in ``hls/rtl/ga/``,
Python writes parameters, ROM files and instance lines, as :mod:`lic.hw.rtl.ga` does for g_a):

* conv 3x3 / stride 1 / pad 1 (``h_a.0``, ``h_s.4``): ``ga_win3_stage`` with ``PHASES=1``;
* conv 5x5 / stride 2 (``h_a.2``, ``h_a.4``): g_a's ``ga_conv_stage``;
* deconv 5x5 / stride 2 / pad 2 / output_pad 1 (``h_s.0``, ``h_s.2``): ``ga_win3_stage`` with ``PHASES=4``
  -- the four-phase sub-pixel decomposition (:func:`lic.hw.hls_export.deconv_phase_matrix`): output pixel
  ``(2i+py, 2j+px)`` is a 3x3 window of the input around ``(i, j)`` with phase ``py*2+px``'s weights;
* each of these as ``ga_direct_stage`` (``hls/rtl/ga/direct_stage.v``: the MAC lanes read the line buffer, no register
  window, bank or beat mux) where its SIMD divides its input channels (:func:`lic.hw.rtl.linebuf.direct`), which
  :func:`balanced_folds` prefers;
* the fused ReLU of every hidden layer (``relu`` attr) is ``RELU=1`` in the shared requantiser;
* the scale index (``h_s.index``): ``ga_index_stage``, a threshold ROM and ``index_pe`` comparator lanes.

All conv stages share g_a's MAC array (``ga_pe_array``: ``ga_mac_pe`` units, INT8 packing, shared
requantisers). Plans are :class:`lic.hw.folding.FoldingPlan` s (``"h_a"``, ``"h_s"``: the index stage is
not a folding-plan layer; its lanes are the encoder plan's ``index_pe``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lic.errors import ParameterError
from lic.fixedpoint.transform import IntTransform
from lic.hw.folding import FoldingPlan, LayerFold
from lic.hw.rtl import ga as rtl_ga
from lic.hw.rtl import linebuf

__all__ = ["HA_TOPOLOGY", "HS_TOPOLOGY", "WIN3_ROWS", "check_prior", "make_hyper_plan", "hyper_plan", "stage_cycles",
           "balanced_hyper_plan", "balanced_folds", "win3_roms", "conv_roms", "index_rom", "win3_inst", "direct_inst",
           "index_inst", "stage_inst", "index_levels"]

#: (kind, kernel, stride, relu) of the layers the RTL chains (the index layer of h_s apart)
HA_TOPOLOGY = [("conv", 3, 1, True), ("conv", 5, 2, True), ("conv", 5, 2, False)]
HS_TOPOLOGY = [("deconv", 5, 2, True), ("deconv", 5, 2, True), ("conv", 3, 1, True)]
#: line-buffer rows of a 3x3 window stage (3 in the window, 1 being written)
WIN3_ROWS = 4


def _topology(t: IntTransform) -> list[tuple]:
    return [(l.kind, l.attrs.get("kernel"), l.attrs.get("stride"), bool(l.attrs.get("relu")))
            for l in t.layers if l.kind != "index"]


def check_prior(prior) -> None:
    """Raise :class:`ParameterError` unless the RTL can build ``prior`` (its topology, pads, word widths).

    Needs: h_a = conv3x3/s1 + ReLU, conv5x5/s2 + ReLU, conv5x5/s2 with h_a's input unsigned 16 bit; h_s =
    deconv5x5/s2 + ReLU (x2), conv3x3/s1 + ReLU, index; pads 1 / 2 (output_pad 1); 0 <= y_frac, z_frac <= 16;
    at most 255 thresholds; medians below 2^30.
    """
    if _topology(prior.h_a) != HA_TOPOLOGY or _topology(prior.h_s) != HS_TOPOLOGY \
            or prior.h_s.layers[-1].kind != "index" or len(prior.h_s.layers) != 4:
        raise ParameterError(f"the RTL encoder needs h_a {HA_TOPOLOGY} and h_s {HS_TOPOLOGY} + index, got "
                             f"{_topology(prior.h_a)} / {_topology(prior.h_s)}")
    for l in [*prior.h_a.layers, *prior.h_s.layers[:3]]:
        a = l.attrs
        pad = 1 if a["kernel"] == 3 else 2
        if a["pad"] != pad or a.get("out_pad", 0) != (1 if l.kind == "deconv" else 0):
            raise ParameterError(f"{l.name}: pad {a['pad']} / out_pad {a.get('out_pad')} unsupported")
    a0 = prior.h_a.layers[0].attrs
    if a0["in_bits"] != 16 or a0["in_signed"]:
        raise ParameterError("h_a's input must be unsigned 16 bit")
    if not (0 <= prior.y_frac <= 16 and 0 <= prior.z_frac <= 16):
        raise ParameterError(f"y_frac {prior.y_frac} / z_frac {prior.z_frac} outside 0..16")
    if index_levels(prior) - 1 > 255:
        raise ParameterError("more than 255 index thresholds")
    if np.abs(prior.z_median).max(initial=0) >= 1 << 30:
        raise ParameterError("z medians of 2^30 or more")


def index_levels(prior) -> int:
    """Levels of the scale index (thresholds + 1)."""
    return int(prior.h_s.layers[-1].params["thresholds"].size) + 1


def make_hyper_plan(t: IntTransform, hw: tuple[int, int], folds: dict[str, tuple[int, int]] | None = None,
                    fifo_depth: int = 2, linebuf_rows: int = 7, **kw) -> FoldingPlan:
    """The plan of h_a (on the ``hw`` latent grid of ŷ) or h_s (on the grid of ẑ), ``folds[name] = (pe, simd)``.

    Raises:
        ParameterError: folds of unknown layers or that do not divide, an odd grid before a stride-2 conv.
    """
    geometry = [(l.name, l.kind, l.attrs["in_ch"], l.attrs["out_ch"], l.attrs["kernel"], l.attrs["stride"])
                for l in t.layers if l.kind != "index"]
    bits = {l.name: l.attrs["in_bits"] for l in t.layers}
    return hyper_plan(t.name, geometry, hw, folds, fifo_depth, linebuf_rows, in_bits=bits, **kw)


def hyper_plan(transform: str, geometry: list[tuple], hw: tuple[int, int],
               folds: dict[str, tuple[int, int]] | None = None, fifo_depth: int = 2, linebuf_rows: int = 7,
               in_bits: dict[str, int] | None = None, **kw) -> FoldingPlan:
    """:func:`make_hyper_plan` from the layers' geometry alone, ``(name, kind, cin, cout, kernel, stride)`` each
    (e.g. :func:`lic.hw.fpga_model.codec_layers`'s): a plan before there is a quantised transform. ``in_bits``
    (a layer's input bits; default 8) sets the line-buffer folds (:func:`lic.hw.rtl.linebuf.fold`).

    Raises:
        ParameterError: as :func:`make_hyper_plan`.
    """
    h, w = int(hw[0]), int(hw[1])
    folds = folds or {}
    unknown = set(folds) - {g[0] for g in geometry}
    if unknown:
        raise ParameterError(f"folds name layers {transform} lacks: {sorted(unknown)}")
    out = []
    for name, kind, cin, cout, k, stride in geometry:
        pe, simd = folds.get(name, (1, 1))
        k3 = k == 3
        if not k3 and kind == "conv" and (h % 2 or w % 2):
            raise ParameterError(f"{name}: a stride-2 conv needs an even grid, got {h}x{w}")
        lf = LayerFold(name=name, kind=kind, cin=cin, cout=cout, k=k, stride=stride, hin=h, win=w, pe=pe,
                       simd=simd, fifo_depth=fifo_depth,
                       linebuf_rows=WIN3_ROWS if k3 or kind == "deconv" else linebuf_rows, linebuf_width=w)
        out.append(replace(lf, in_bits=in_bits[name]) if in_bits else lf)
        if kind == "deconv":
            h, w = 2 * h, 2 * w
        elif not k3:
            h, w = h // 2, w // 2
    plan = FoldingPlan(transform, tuple(out), **kw)
    return replace(plan, layers=tuple(replace(l, cycles=stage_cycles(l)) for l in plan.layers))


def stage_cycles(l: LayerFold) -> int:
    """Beats plus row overheads of one stage a frame (the RTL's schedule, as :func:`lic.hw.rtl.ga.model_cycles`):
    conv 5x5/s2 ``HO (3 + WO F)``, conv 3x3/s1 ``H (3 + W F)``, deconv ``2H (3 + 2W F)`` (two passes a row,
    two output pixels a window) with ``F = NCO * NCI`` beats an output pixel; 3 is ``2 F + 5`` with folded
    line-buffer banks (:func:`lic.hw.rtl.linebuf.row_overhead`). A direct stage (:func:`lic.hw.rtl.linebuf.direct`):
    ``1`` a row pass and ``1 + F`` a window (``1 + 2 F`` a deconv window)."""
    f = l.folds[0] * l.folds[1]
    if linebuf.direct(l):  # ga_direct_stage: 1 cycle a row pass, 1 a window move
        if l.kind == "deconv":
            return 2 * l.hin * (1 + l.win * (1 + 2 * f))
        if l.k == 3:
            return l.hin * (1 + l.win * (1 + f))
        return (l.hin // 2) * (1 + (l.win // 2) * (1 + f))
    oh = linebuf.row_overhead(l)
    if l.kind == "deconv":
        return 2 * l.hin * (oh + 2 * l.win * f)
    if l.k == 3:
        return l.hin * (oh + l.win * f)
    return (l.hin // 2) * (oh + (l.win // 2) * f)


def balanced_hyper_plan(t: IntTransform, hw: tuple[int, int], target_cycles: int,
                        max_simd: int | None = None, **kw) -> FoldingPlan:
    """The plan whose every stage needs at most ``target_cycles`` a frame, a direct stage where one can
    (:func:`lic.hw.rtl.linebuf.direct`: no register window), then with the fewest multipliers (MAC lanes
    over :func:`lic.hw.rtl.ga.conv_pack`: INT8 packing halves them at an even PE on 8-bit inputs), then the
    fewest lanes, then the larger SIMD; ``max_simd`` caps SIMD (the window vector's width a beat).

    Raises:
        ParameterError: a layer cannot meet the target even fully unrolled.
    """
    layers = {l.name: l for l in t.layers}
    base = make_hyper_plan(t, hw, **kw)
    folds = balanced_folds(base, target_cycles, lambda lf: rtl_ga.conv_pack(layers[lf.name], lf, t.cfg), max_simd)
    return make_hyper_plan(t, hw, folds, **kw)


def balanced_folds(base: FoldingPlan, target_cycles: int, pack, max_simd: int | None = None) -> dict:
    """``name -> (pe, simd)`` of :func:`balanced_hyper_plan`'s rule for the layers of ``base``; ``pack(fold)``: the
    MAC lanes one multiplier computes at that fold (1, or 2 with INT8 packing).

    Raises:
        ParameterError: a layer cannot meet the target even fully unrolled.
    """
    folds = {}
    for l in base.layers:
        best = None
        for pe in (d for d in range(1, l.cout + 1) if l.cout % d == 0):
            for simd in (d for d in range(1, min(l.in_dim, max_simd or l.in_dim) + 1) if l.in_dim % d == 0):
                lf = replace(l, pe=pe, simd=simd)
                if stage_cycles(lf) <= target_cycles:
                    key = (not linebuf.direct(lf), pe * simd // pack(lf), pe * simd, -simd)
                    if best is None or key < best[0]:
                        best = (key, (pe, simd))
        if best is None:
            raise ParameterError(f"{l.name}: cannot reach {target_cycles} cycles a frame")
        folds[l.name] = best[1]
    return folds


# --------------------------------------------------------------------------- ROMs


def _window_weights(layer) -> np.ndarray:
    """``[phases, O, 9*I]`` weights over the window vector ``v[(a*3 + b)*I + c]`` = input ``(i-1+a, j-1+b)``.

    conv 3x3: ``w[o, c, a, b]``; deconv (PyTorch ``[I, O, 5, 5]``), phase ``py*2 + px``: tap
    ``(ky, kx) = (py + 2(2-a), px + 2(2-b))``, 0 where ``ky`` or ``kx`` is 5 (the idle taps)."""
    w = np.asarray(layer.params["weight"], dtype=np.int64)
    if layer.kind == "conv":
        return np.transpose(w, (0, 2, 3, 1)).reshape(1, w.shape[0], -1)
    cin, cout = w.shape[:2]
    out = np.zeros((4, cout, 3, 3, cin), dtype=np.int64)
    for py in range(2):
        for px in range(2):
            for a in range(3):
                for b in range(3):
                    ky, kx = py + 2 * (2 - a), px + 2 * (2 - b)
                    if ky < 5 and kx < 5:
                        out[py * 2 + px, :, a, b, :] = w[:, :, ky, kx].T
    return out.reshape(4, cout, 9 * cin)


def _bias_words(layer, lf: LayerFold, cfg) -> str:
    p = layer.params
    shift = np.asarray(p["out_shift"], dtype=np.int64)
    if shift.min() < -31 or shift.max() > 127:
        raise ParameterError(f"{layer.name}: out_shift outside the requantiser range -31..127")
    acc = cfg.acc_bits
    bs = (np.asarray(p["bias"], dtype=np.int64) & ((1 << acc) - 1)) | ((shift & 0xFF) << acc)
    return rtl_ga._hex_words(bs.reshape(lf.cout // lf.pe, lf.pe), acc + 8)


def win3_roms(layer, lf: LayerFold, cfg) -> tuple[str, str]:
    """``ga_win3_stage``'s weight ROM (word ``(ph*NCO + co)*NCI + ci`` = PE x SIMD weights) and
    {shift, bias} ROM (word ``co`` = PE words)."""
    wv = _window_weights(layer)
    nco, nci = lf.folds
    words = [w.reshape(nco, lf.pe, nci, lf.simd).transpose(0, 2, 1, 3).reshape(nco * nci, -1) for w in wv]
    return rtl_ga._hex_words(np.concatenate(words), cfg.weight_bits), _bias_words(layer, lf, cfg)


def conv_roms(layer, lf: LayerFold, cfg) -> tuple[str, str]:
    """ROMs of any conv stage: 5x5/s2 as g_a's (:mod:`lic.hw.rtl.ga`), 3x3 and deconv as :func:`win3_roms`."""
    if layer.kind == "conv" and layer.attrs["kernel"] == 5:
        return rtl_ga._conv_roms(layer, lf, cfg)
    return win3_roms(layer, lf, cfg)


def index_rom(layer) -> str:
    """The threshold ROM: ``T_k`` clamped to ``[-1, 2^in_bits - 1]`` (the same comparisons for every unsigned
    input), ``in_bits + 1``-bit two's complement words."""
    bits = int(layer.attrs["in_bits"])
    t = np.clip(np.asarray(layer.params["thresholds"], dtype=np.int64), -1, (1 << bits) - 1)
    return rtl_ga._hex_words(t.reshape(-1, 1), bits + 1)


# --------------------------------------------------------------------------- instance lines


def _inst(module: str, k: int, prm: dict, files: dict[str, str]) -> str:
    ps = ", ".join(f".{n}({int(v)})" for n, v in prm.items())
    fs = ", ".join(f".{n}(\"{v}\")" for n, v in files.items())
    return (f"    {module} #({ps},\n        {fs}) s{k} (\n"
            f"        .clk(clk), .rst(rst), .cycle(cycle), .in_valid(v{k}), .in_ready(r{k}), .in_data(d{k}),\n"
            f"        .out_valid(v{k + 1}), .out_ready(r{k + 1}), .out_data(d{k + 1}), "
            f".stats(stats[{k * rtl_ga.STATS_WIDTH} +: {rtl_ga.STATS_WIDTH}]));\n")


def win3_inst(k: int, layer, lf: LayerFold, cfg, rom_dir: str = "roms") -> str:
    """The ``ga_win3_stage`` instance line of stage ``k`` (conv 3x3/s1 or deconv 5x5/s2)."""
    a = layer.attrs
    prm = dict(CIN=lf.cin, COUT=lf.cout, H=lf.hin, W=lf.win, PE=lf.pe, SIMD=lf.simd, ROWS=lf.linebuf_rows,
               LB_FOLD=linebuf.fold(lf), PHASES=4 if layer.kind == "deconv" else 1, A_BITS=a["in_bits"], A_SIGNED=int(a["in_signed"]),
               W_BITS=cfg.weight_bits, ACC_BITS=cfg.acc_bits, SH_BITS=8, OUT_BITS=a["out_bits"],
               OUT_SIGNED=int(a["out_signed"]), RELU=int(bool(a.get("relu"))), DEPTH=lf.fifo_depth,
               FANIN=rtl_ga.FANIN, INT8_PACK=rtl_ga.INT8_PACK)
    return _inst("ga_win3_stage", k, prm, {"WFILE": f"{rom_dir}/L{k}.a.hex", "BFILE": f"{rom_dir}/L{k}.b.hex"})


def direct_inst(k: int, layer, lf: LayerFold, cfg, rom_dir: str = "roms") -> str:
    """The ``ga_direct_stage`` instance line of stage ``k`` (:func:`lic.hw.rtl.linebuf.direct`; the ROMs of
    :func:`conv_roms`)."""
    a = layer.attrs
    k5 = layer.kind == "conv" and a["kernel"] == 5
    prm = dict(CIN=lf.cin, COUT=lf.cout, H=lf.hin, W=lf.win, K=5 if k5 else 3, PHASES=4 if layer.kind == "deconv" else 1,
               PE=lf.pe, SIMD=lf.simd, ROWS=lf.linebuf_rows, A_BITS=a["in_bits"], A_SIGNED=int(a["in_signed"]),
               W_BITS=cfg.weight_bits, ACC_BITS=cfg.acc_bits, SH_BITS=8, OUT_BITS=a["out_bits"],
               OUT_SIGNED=int(a["out_signed"]), RELU=int(bool(a.get("relu"))), DEPTH=lf.fifo_depth,
               FANIN=rtl_ga.FANIN, INT8_PACK=rtl_ga.INT8_PACK, LB_LUT_MAX=linebuf.LB_LUT_MAX)
    return _inst("ga_direct_stage", k, prm, {"WFILE": f"{rom_dir}/L{k}.a.hex", "BFILE": f"{rom_dir}/L{k}.b.hex"})


def stage_inst(k: int, layer, lf: LayerFold, cfg, rom_dir: str = "roms") -> str:
    """The instance line of a hyper conv stage: ``ga_direct_stage`` where :func:`lic.hw.rtl.linebuf.direct`, else
    5x5/s2 as g_a's ``ga_conv_stage`` and the others as ``ga_win3_stage``."""
    if linebuf.direct(lf):
        return direct_inst(k, layer, lf, cfg, rom_dir)
    if layer.kind == "conv" and layer.attrs["kernel"] == 5:
        return rtl_ga.conv_inst(k, layer, lf, cfg, rom_dir)
    return win3_inst(k, layer, lf, cfg, rom_dir)


def index_inst(k: int, layer, channels: int, pe: int, npix: int, depth: int = 2, rom_dir: str = "roms") -> str:
    """The ``ga_index_stage`` instance line of stage ``k`` (``pe`` lanes, ``npix`` pixels a frame).

    Raises:
        ParameterError: ``pe`` does not divide ``channels``.
    """
    if pe < 1 or channels % pe:
        raise ParameterError(f"index_pe={pe} must divide the {channels} channels")
    prm = dict(C=channels, PE=pe, IN_BITS=layer.attrs["in_bits"], NT=layer.params["thresholds"].size,
               NPIX=npix, DEPTH=depth)
    return _inst("ga_index_stage", k, prm, {"TFILE": f"{rom_dir}/L{k}.t.hex"})
