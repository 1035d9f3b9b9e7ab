"""The whole analysis transform ``g_a`` in RTL for a folding plan, simulated with Verilator.

A generated top (``ga_top``) chains hand-written, parameterised Verilog stages from
``hls/rtl/ga/`` -- as hls4ml does, Python writes only parameters and instance lines:

* ``ga_conv_stage`` (5x5/s2 conv): line buffer of column pairs, sliding window, PE
  ``conv_pe`` units x SIMD lanes, weight / bias+shift ROMs, output collector + FIFO;
* ``ga_gdn_stage`` (GDN): PE ``gdn_unit`` lanes x SIMD, gamma / beta ROMs, collector + FIFO;

with the widths, shifts and folds of the :class:`lic.hw.folding.FoldingPlan` and the
:class:`lic.hw.fixedpoint.IntTransform` (one source of truth: the ROM files are the transform's
integer parameters, the Verilog parameters its attrs). :func:`measure` runs one image
through the Verilator build (``hls/rtl/ga/tb_ga.cpp``) and holds the latents against
``IntTransform.run`` bit for bit, the per-stage counters against :func:`model_cycles`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from lic.errors import ParameterError
from lic.fileio import atomic_write_bytes, atomic_write_text
from lic.hw.csim import HLS_DIR
from lic.hw.fixedpoint import IntTransform
from lic.hw.folding import FoldingPlan, LayerFold
from lic.hw.rtl import linebuf
from lic.hw.rtl import verilator as vl
from lic.hw.rtl.tools import GA_RTL_DIR, RTL_DIR

__all__ = ["SOURCES", "STATS_WIDTH", "ROW_OVERHEAD", "FANIN", "INT8_PACK", "conv_pack", "gamma_bits", "make_plan",
           "replace_cycles", "balanced_plan", "regrid", "model_cycles", "conv_inst", "gdn_inst", "generate", "measure"]

#: the hand-written Verilog of the g_a stages (the generated ``ga_top.v`` instantiates them)
SOURCES = [GA_RTL_DIR / f for f in ("fifo.v", "collect.v", "mac_pe.v", "requant.v", "lbuf_fold.v",
                                    "conv_stage.v", "gdn_stage.v")] + [RTL_DIR / "conv_pe.v", RTL_DIR / "gdn_unit.v"]
_STAT_FIELDS = ("busy", "stall", "starve", "fill", "first", "last", "sat", "pixels", "last0")
STATS_WIDTH = 32 * len(_STAT_FIELDS)  # stats bits a stage
ROW_OVERHEAD = 3  # conv stage cycles a row outside the fold loop: wait test + 2 window fills (unfolded)
#: register stages besides NCI, tree levels (and PE / NRQ): conv, GDN (simplified, 9 divider steps); hls/rtl/ga/README
CONV_STAGES, GDN_STAGES = 13, 19
FANIN = 4  # conv PE adder tree: inputs a registered level (ga_mac_pe)
INT8_PACK = 1  # conv: two int8 MACs sharing an activation in one DSP multiply where legal


def conv_pack(layer, lf: LayerFold, cfg) -> int:
    """Output channels a conv MAC unit computes with one multiply a SIMD lane (WP486 INT8
    packing in ``ga_mac_pe``): 2 when ``INT8_PACK``, PE is even, the activations fit 9 bits
    as signed and the weights 8 bits (:func:`lic.hw.fpga_model.conv_dsp`'s rule), else 1."""
    a = layer.attrs
    ax = a["in_bits"] + (0 if a["in_signed"] else 1)
    ok = INT8_PACK and FANIN > 1 and lf.pe % 2 == 0 and ax <= 9 and cfg.weight_bits <= 8
    return 2 if ok else 1


def _requantisers(pe: int, nci: int) -> int:
    """Requantisers a conv stage shares among its ``pe`` units (``conv_stage.v``'s ``nrq``): the fewest that
    divide ``pe`` and issue every unit's result within its ``nci``-cycle accumulation, so the array never waits."""
    return min(r for r in range(1, pe + 1) if pe % r == 0 and pe // r <= nci)


def _tree_levels(simd: int) -> int:
    n, k = simd, 0
    while n > 1:
        n, k = -(-n // FANIN), k + 1
    return k


def _check_transform(t: IntTransform) -> None:
    kinds = [l.kind for l in t.layers]
    if not kinds or kinds[0] != "conv" or any(k not in ("conv", "gdn") for k in kinds) \
            or kinds[-1] != "conv":
        raise ParameterError(f"g_a RTL needs conv (gdn conv)* layers, got {kinds}")
    a0 = t.layers[0].attrs
    if a0["in_bits"] != 8 or a0["in_signed"]:
        raise ParameterError("the first layer must read uint8 pixels")
    if t.layers[-1].attrs["out_bits"] > 32:
        raise ParameterError("latents wider than 32 bits are not supported")


def make_plan(t: IntTransform, hw: tuple[int, int], folds: dict[str, tuple[int, int]] | None = None,
              fifo_depth: int = 2, linebuf_rows: int = 7, board: str = "",
              clock_mhz: float = 0.0, resolution: tuple[int, int] = (0, 0)) -> FoldingPlan:
    """A plan for ``t`` on an ``hw = (H, W)`` image, ``folds[name] = (pe, simd)`` (default 1, 1).

    Args:
        t: integer g_a.
        hw: input image height and width (multiples of 16 for four stride-2 convs).
        folds: per layer name ``(pe, simd)``.
        fifo_depth, linebuf_rows: FIFO depth after every stage; conv line-buffer rows (>= 6).
        board, clock_mhz, resolution: carried into the plan.

    Raises:
        ParameterError: a transform the RTL cannot build, a grid that is not a multiple of 16,
            fewer than 6 line-buffer rows, or folds of unknown layers (or that do not divide).
    """
    _check_transform(t)
    h, w = int(hw[0]), int(hw[1])
    if h % 16 or w % 16 or h < 16 or w < 16:
        raise ParameterError(f"image {h}x{w}: height and width must be positive multiples of 16")
    if linebuf_rows < 6:
        raise ParameterError("linebuf_rows must be >= 6 (5 window rows + 1 being written)")
    folds = folds or {}
    unknown = set(folds) - {l.name for l in t.layers}
    if unknown:
        raise ParameterError(f"folds name layers the transform lacks: {sorted(unknown)}")
    layers = []
    for l in t.layers:
        pe, simd = folds.get(l.name, (1, 1))
        conv = l.kind == "conv"
        layers.append(LayerFold(
            name=l.name, kind=l.kind, cin=l.attrs["in_ch"], cout=l.attrs["out_ch"],
            k=5 if conv else 1, stride=2 if conv else 1, hin=h, win=w, pe=pe, simd=simd,
            fifo_depth=fifo_depth, linebuf_rows=linebuf_rows if conv else 0,
            linebuf_width=w if conv else 0, in_bits=l.attrs["in_bits"] if conv else 8))
        if conv:
            h, w = h // 2, w // 2
    plan = FoldingPlan("g_a", tuple(layers), board=board, resolution=resolution,
                       clock_mhz=clock_mhz)
    return replace_cycles(plan)


def replace_cycles(plan: FoldingPlan) -> FoldingPlan:
    """The plan with each layer's ``cycles`` set to this architecture's model (:func:`model_cycles`)."""
    m = model_cycles(plan)["layers"]
    return replace(plan, layers=tuple(replace(l, cycles=m[l.name]) for l in plan.layers))


def regrid(t: IntTransform, plan: FoldingPlan, hw: tuple[int, int]) -> FoldingPlan:
    """``plan``'s folds (e.g. :func:`lic.hw.fpga_model.folding_plan`'s, sized for 1280x720) on
    an ``hw = (H, W)`` image: same PE, SIMD and line-buffer rows a layer; the FIFO depth in
    PE-wide words becomes ``max(2, depth * pe / cout)`` whole pixels (this RTL's FIFO word).
    The source plan's per-layer ``cycles`` go to ``notes["source_cycles"]``.
    """
    folds = {l.name: (l.pe, l.simd) for l in plan.layers}
    new = make_plan(t, hw, folds, board=plan.board, clock_mhz=plan.clock_mhz,
                    resolution=plan.resolution)
    layers = tuple(replace(n, fifo_depth=max(2, o.fifo_depth * o.pe // o.cout),
                           linebuf_rows=max(6, o.linebuf_rows) if n.kind == "conv" else 0)
                   for n, o in zip(new.layers, plan.layers))
    notes = {**plan.notes, "source_cycles": {l.name: l.cycles for l in plan.layers},
             "source_hw": (plan.layers[0].hin, plan.layers[0].win)}
    return replace_cycles(replace(new, layers=layers, notes=notes))


def _stage_cycles(l: LayerFold) -> int:
    nco, nci = l.folds
    if l.kind == "conv":
        ho, wo = l.hin // 2, l.win // 2
        return ho * (linebuf.row_overhead(l) + wo * nco * nci)
    return l.hin * l.win * nco * nci


def balanced_plan(t: IntTransform, hw: tuple[int, int], target_cycles: int,
                  max_lanes: dict[str, int] | None = None, **kw) -> FoldingPlan:
    """The plan whose every stage needs at most ``target_cycles`` a frame with the fewest
    MAC lanes (ties: the larger SIMD, as each PE lane carries its own requantiser/divider).

    Raises:
        ParameterError: a layer cannot meet the target even fully unrolled.
    """
    base = make_plan(t, hw, **kw)
    folds = {}
    for l in base.layers:
        best = None
        for pe in (d for d in range(1, l.cout + 1) if l.cout % d == 0):
            for simd in (d for d in range(1, l.in_dim + 1) if l.in_dim % d == 0):
                c = _stage_cycles(replace(l, pe=pe, simd=simd))
                if c <= target_cycles:
                    key = (pe * simd, -simd)
                    if best is None or key < best[0]:
                        best = (key, (pe, simd))
        if best is None:
            raise ParameterError(f"{l.name}: cannot reach {target_cycles} cycles a frame")
        folds[l.name] = best[1]
    return make_plan(t, hw, folds, **kw)


def model_cycles(plan: FoldingPlan) -> dict:
    """Analytic cycles of this RTL architecture for one frame.

    Per stage: conv ``HO * (3 + WO * NCO * NCI)`` (3 cycles a row: row test, two window
    fills; ``2 F + 5`` with banks folded ``F`` times, :mod:`lic.hw.rtl.linebuf`; with a 6-row line buffer plus one upstream row time a row), GDN
    ``pixels * NCO * NCI``. The frame: stage ``l`` starts when its first input is
    there (conv: 3 input rows, GDN: one pixel, produced at the rate of the slowest stage up to
    ``l - 1``; the image arrives at one pixel a cycle) and ends at
    ``max(start + its own cycles, upstream end + its last row or pixel)`` plus its latency.

    Frames streamed back to back: one every ``interval`` = the slowest stage's cycles (or the
    input's, one pixel a cycle).

    Returns:
        ``{"layers": {name: cycles}, "bottleneck": name, "frame": cycles, "interval": cycles}``.
    """
    layers = plan.layers
    own = {l.name: _stage_cycles(l) for l in layers}
    eff = {}
    l0 = layers[0]
    rows, rate_d = l0.hin, float(l0.hin * l0.win)  # upstream rows, upstream duration
    start, end = 3.0 * l0.win, float(l0.hin * l0.win)
    slow = prev = rate_d
    for l in layers:
        nco, nci = l.folds
        t = own[l.name]
        if l.kind == "conv" and l.linebuf_rows < 7:
            # 6 rows: the second new input row of the next output row is written only
            # after the current one is done: one upstream row time a row
            # (the upstream stage's own row time; slower producers further up are
            # accounted for by "upstream end + last row" below)
            row, row_in = t / (l.hin // 2), max(float(l.win), prev / l.hin)
            t = (l.hin // 2 - 1) * max(row + row_in, 2 * row_in) + row
        if l is not l0:
            if l.kind == "conv":
                start += slow * 3.0 / rows
            else:
                start += slow / (l.hin * l.win)
        # beat register + unit pipeline (+ the adder-tree levels and, conv, the shared requantisers' issue)
        lat = nci + (CONV_STAGES + _tree_levels(l.simd) + l.pe // _requantisers(l.pe, nci) if l.kind == "conv"
                     else GDN_STAGES + max(0, (l.simd - 1).bit_length()))
        slow, prev = max(slow, float(t)), float(t)
        eff[l.name] = int(round(t))
        tail = t / (l.hin // 2) if l.kind == "conv" else nco * nci
        end = max(start + t, end + tail) + lat
        start += lat
        rows = l.hin // 2 if l.kind == "conv" else rows
    bott = max(eff, key=eff.get)
    return {"layers": eff, "bottleneck": bott, "frame": int(round(end)),
            "interval": max(eff[bott], l0.hin * l0.win)}


# --------------------------------------------------------------------------- generation


def _hex_words(lanes: np.ndarray, bits: int) -> str:
    """``$readmemh`` text: one line a row of ``lanes`` ``[words, n]`` (lane 0 = LSBs)."""
    lanes = np.asarray(lanes, dtype=np.int64)
    mask = (1 << bits) - 1
    width = (lanes.shape[1] * bits + 3) // 4
    out = []
    for row in lanes:
        v = 0
        for k, x in enumerate(row.tolist()):
            v |= (x & mask) << (k * bits)
        out.append(f"{v:0{width}x}")
    return "\n".join(out) + "\n"


def _conv_roms(layer, lf: LayerFold, cfg) -> tuple[str, str]:
    p = layer.params
    cout, cin = p["weight"].shape[:2]
    # window vector order v[(ky*5 + kx)*CIN + c]
    wv = np.transpose(p["weight"], (0, 2, 3, 1)).reshape(cout, 25 * cin)
    nco, nci = lf.folds
    w = wv.reshape(nco, lf.pe, nci, lf.simd).transpose(0, 2, 1, 3).reshape(nco * nci, -1)
    shift = p["out_shift"].astype(np.int64)
    if shift.min() < -31 or shift.max() > 127:
        raise ParameterError(f"{layer.name}: out_shift outside the conv_pe range -31..127")
    acc = cfg.acc_bits
    bs = (p["bias"] & ((1 << acc) - 1)) | ((shift & 0xFF) << acc)
    return _hex_words(w, cfg.weight_bits), _hex_words(bs.reshape(nco, lf.pe), acc + 8)


def gamma_bits(layer, cfg) -> int:
    """Width of the GDN stage's gamma words: the fewest bits holding every (unsigned) gamma
    of ``layer``, at most ``cfg.gdn_bits``. Exact (the values are zero-extended either way)
    and narrows the gamma x m product: with gamma < 2^17 a 17 x 31 product is 2 DSP48E2
    tiles instead of the 32 x 31 product's 4.

    Raises:
        ParameterError: a gamma outside ``0..2^gdn_bits - 1``.
    """
    g = np.asarray(layer.params["gamma"], dtype=np.int64)
    if g.size and (g.min() < 0 or int(g.max()) >= 1 << cfg.gdn_bits):
        raise ParameterError(f"{layer.name}: gamma outside 0..2^{cfg.gdn_bits}-1")
    return max(1, min(cfg.gdn_bits, int(g.max()).bit_length() if g.size else 1))


def _gdn_roms(layer, lf: LayerFold, cfg) -> tuple[str, str]:
    g, b = layer.params["gamma"], layer.params["beta"]
    nco, nci = lf.folds
    gw = g.reshape(nco, lf.pe, nci, lf.simd).transpose(0, 2, 1, 3).reshape(nco * nci, -1)
    return (_hex_words(gw, gamma_bits(layer, cfg)),
            _hex_words(b.reshape(nco, lf.pe), layer.attrs["acc_bits"]))


def conv_inst(k: int, layer, lf: LayerFold, cfg, rom_dir: str = "roms") -> str:
    """The ``ga_conv_stage`` instance line of stage ``k`` (its ROMs in ``rom_dir/L<k>.{a,b}.hex``)."""
    a = layer.attrs
    prm = dict(CIN=lf.cin, COUT=lf.cout, H=lf.hin, W=lf.win, PE=lf.pe, SIMD=lf.simd,
               ROWS=lf.linebuf_rows, LB_FOLD=linebuf.fold(lf), A_BITS=a["in_bits"], A_SIGNED=int(a["in_signed"]),
               W_BITS=cfg.weight_bits, ACC_BITS=cfg.acc_bits, SH_BITS=8, OUT_BITS=a["out_bits"],
               OUT_SIGNED=int(a["out_signed"]), DEPTH=lf.fifo_depth, FANIN=FANIN,
               INT8_PACK=INT8_PACK, **({"RELU": 1} if a.get("relu") else {}))  # h_a's fused ReLU
    return _inst("ga_conv_stage", k, prm, rom_dir)


def gdn_inst(k: int, layer, lf: LayerFold, cfg, rom_dir: str = "roms") -> str:
    """The ``ga_gdn_stage`` instance line of stage ``k`` (its ROMs in ``rom_dir/L<k>.{a,b}.hex``).

    Raises:
        ParameterError: ``layer`` is an inverse GDN.
    """
    a = layer.attrs
    if layer.kind != "gdn":
        raise ParameterError(f"{layer.name}: only forward GDN in g_a")
    prm = dict(C=lf.cin, PE=lf.pe, SIMD=lf.simd, NPIX=lf.hin * lf.win, INVERSE=0,
               STANDARD=int(a["variant"] == "standard"), IN_BITS=a["in_bits"],
               G_BITS=gamma_bits(layer, cfg), ACC_BITS=a["acc_bits"], K=a["div_bits"], S_NUM=a["s_num"],
               S_DEN=a["s_den"], SHIFT=0, SQRT_FRAC=a["sqrt_frac"] or 4, OUT_BITS=a["out_bits"],
               DEPTH=lf.fifo_depth)
    return _inst("ga_gdn_stage", k, prm, rom_dir)


def _inst(module: str, k: int, prm: dict, rom_dir: str = "roms") -> str:
    ps = ", ".join(f".{n}({int(v)})" for n, v in prm.items())
    rom = ("WFILE", "BFILE") if module == "ga_conv_stage" else ("GFILE", "BFILE")
    return (f"    {module} #({ps},\n        .{rom[0]}(\"{rom_dir}/L{k}.a.hex\"), .{rom[1]}(\"{rom_dir}/L{k}.b.hex\")) s{k} (\n"
            f"        .clk(clk), .rst(rst), .cycle(cycle), .in_valid(v{k}), .in_ready(r{k}), .in_data(d{k}),\n"
            f"        .out_valid(v{k + 1}), .out_ready(r{k + 1}), .out_data(d{k + 1}), .stats(stats[{k * STATS_WIDTH} +: {STATS_WIDTH}]));\n")


def generate(t: IntTransform, plan: FoldingPlan, out_dir: str | os.PathLike) -> dict:
    """Write ``ga_top.v``, ``ga_cfg.h`` and ``roms/L<k>.{a,b}.hex`` for ``t`` at ``plan``.

    Returns:
        ``{"top": path, "cfg": path, "dir": out_dir, "key": hash of the generated sources}``.

    Raises:
        ParameterError: ``plan`` and ``t`` disagree on layers, kinds or channels, a conv's line
            buffer is too small, or a parameter does not fit its ROM word.
    """
    _check_transform(t)
    if [l.name for l in t.layers] != [l.name for l in plan.layers]:
        raise ParameterError("plan layers do not match the transform's layers")
    for l, lf in zip(t.layers, plan.layers):
        if (l.attrs["in_ch"], l.attrs["out_ch"]) != (lf.cin, lf.cout) or lf.kind != l.kind:
            raise ParameterError(f"{l.name}: plan and transform disagree on kind or channels")
        if lf.kind == "conv" and (lf.linebuf_rows < 6 or lf.linebuf_width != lf.win):
            raise ParameterError(f"{l.name}: conv needs linebuf_rows >= 6 and width = win")
    out = Path(out_dir)
    cfg = t.cfg
    widths = [plan.layers[0].cin * 8] + [l.attrs["out_ch"] * l.attrs["out_bits"] for l in t.layers]
    n = len(t.layers)
    body = [f"    wire v{k}, r{k};\n    wire [{widths[k] - 1}:0] d{k};\n" for k in range(n + 1)]
    for k, (l, lf) in enumerate(zip(t.layers, plan.layers)):
        a_txt, b_txt = (_conv_roms if l.kind == "conv" else _gdn_roms)(l, lf, cfg)
        atomic_write_text(out / "roms" / f"L{k}.a.hex", a_txt)
        atomic_write_text(out / "roms" / f"L{k}.b.hex", b_txt)
        body.append((conv_inst if l.kind == "conv" else gdn_inst)(k, l, lf, cfg))
    top = ("// generated by lic.hw.rtl.ga.generate: do not edit\n`default_nettype none\n"
           f"module ga_top (\n    input wire clk, input wire rst,\n"
           f"    input wire in_valid, output wire in_ready, input wire [{widths[0] - 1}:0] in_data,\n"
           f"    output wire out_valid, input wire out_ready, output wire [{widths[-1] - 1}:0] out_data,\n"
           f"    output wire [{n * STATS_WIDTH - 1}:0] stats);\n"
           "    reg [31:0] cycle;\n    always @(posedge clk) cycle <= rst ? 32'd0 : cycle + 32'd1;\n"
           + "".join(body)
           + f"    assign v0 = in_valid; assign in_ready = r0; assign d0 = in_data;\n"
           f"    assign out_valid = v{n}; assign r{n} = out_ready; assign out_data = d{n};\n"
           "endmodule\n`default_nettype wire\n")
    first, last = plan.layers[0], plan.layers[-1]
    hdr = (f"#pragma once\n#define GA_H {first.hin}\n#define GA_W {first.win}\n#define GA_CIN {first.cin}\n"
           f"#define GA_HO {last.hin // 2}\n#define GA_WO {last.win // 2}\n#define GA_COUT {last.cout}\n"
           f"#define GA_OB {t.layers[-1].attrs['out_bits']}\n#define GA_NSTAGES {n}\n")
    atomic_write_text(out / "ga_top.v", top)
    atomic_write_text(out / "ga_cfg.h", hdr)
    key = hashlib.sha256((top + hdr).encode()).hexdigest()[:16]
    return {"top": out / "ga_top.v", "cfg": out / "ga_cfg.h", "dir": out, "key": key}


# --------------------------------------------------------------------------- simulation


def _parse_stats(text: str, plan: FoldingPlan) -> tuple[list[int], dict[str, dict]]:
    ends, stages = [], {}
    for line in text.splitlines():
        f = line.split()
        if f and f[0] == "frame":
            ends.append(int(f[2]))
        elif f and f[0] == "stage":
            stages[plan.layers[int(f[1])].name] = dict(zip(_STAT_FIELDS, map(int, f[2:])))
    if len(stages) != len(plan.layers):
        raise ParameterError(f"simulation stats incomplete:\n{text}")
    return ends, stages


def measure(t: IntTransform, plan: FoldingPlan, image: np.ndarray, work_dir: str | os.PathLike,
            clock_mhz: float | None = None, fps_resolution: tuple[int, int] = (1280, 720),
            frames: int = 2, build_root: str | os.PathLike | None = None,
            timeout: float | None = None) -> dict:
    """Stream ``image`` ``frames`` times through the RTL of ``t`` at ``plan`` (Verilator).

    Args:
        t: integer g_a (:mod:`lic.hw.fixedpoint`).
        plan: its folding (:func:`make_plan`, :func:`balanced_plan` or the FPS model's).
        image: uint8 pixels ``[3, H, W]`` with ``(H, W)`` = the plan's input grid.
        work_dir: generated sources, ROMs, the stimulus and the simulation's outputs.
        clock_mhz: clock for the frame rates (default: the plan's, else 200).
        fps_resolution: ``(width, height)`` the measured cycles a pixel are scaled to.
        frames: frames streamed back to back (>= 2 measures the frame interval).
        build_root: Verilator build cache (default ``hls/build``).
        timeout: wall-clock limit of the simulation in seconds.

    ``t``'s saturation counters are reset and hold one frame's counts afterwards.

    Returns:
        dict: ``mismatches`` (latents of all frames differing from ``t.run``), ``latents``
        (frame 0), ``cycles`` (frame 0: reset to its last latent), ``interval`` (cycles
        between the last latents of the last two frames), ``model`` (:func:`model_cycles`),
        ``layers`` (per stage and frame: busy, stall, starve, fill, ``span0`` = frame 0's first
        to last beat, ``work`` = busy + fill, the model's cycles), ``saturations`` (RTL a
        frame vs reference), ``cycles_per_pixel`` and ``fps`` (from ``interval``, frames
        overlapping), ``fps_latency`` (from ``cycles``: one frame alone), ``clock_mhz``,
        ``build_s``, ``sim_wall_s``, ``cached_build``, ``verilator``, ``plan``.

    Raises:
        ParameterError: an image that does not fit the plan, or ``frames < 1``.
        ToolError: Verilator missing, or the build or the simulation failed.
    """
    image = _check_image(image, plan, frames)
    if t.layers[-1].attrs["out_bits"] > 16:
        raise ParameterError("tb_ga reads latents of at most 16 bits (the whole encoder takes finer ones)")
    work = Path(work_dir)
    gen = generate(t, plan, work)
    exe, cached, build_s = vl.build([*SOURCES, gen["top"]], GA_RTL_DIR / "tb_ga.cpp", "ga_top",
                                    build_root or HLS_DIR / "build", include_dirs=[work])
    atomic_write_bytes(work / "pixels.bin", np.ascontiguousarray(
        np.transpose(image, (1, 2, 0)).astype(np.uint8)).tobytes())
    _, wall = vl.run(exe, ["pixels.bin", "latents.bin", "stats.txt", str(int(frames))], cwd=work,
                     timeout=timeout)
    ends, stages = _parse_stats((work / "stats.txt").read_text(), plan)
    y_rtl = _read_latents(work / "latents.bin", t, plan, frames)
    t.reset_counters()
    y_ref = t.run(image.astype(np.int64))
    model = model_cycles(plan)
    layers = _stage_rows(plan, stages, model, frames)
    first = plan.layers[0]
    n_pix = first.hin * first.win
    interval = ends[-1] - ends[-2] if frames >= 2 else ends[0]
    clock = float(clock_mhz or plan.clock_mhz or 200.0)
    target_pix = fps_resolution[0] * fps_resolution[1]
    return {
        "mismatches": int(np.count_nonzero(y_rtl != y_ref[None])), "n_latents": int(y_rtl.size),
        "frames": int(frames), "latents": y_rtl[0], "cycles": ends[0], "interval": interval,
        "frame_ends": ends, "model": model, "model_over_measured": model["frame"] / ends[0],
        "interval_model_over_measured": model["interval"] / interval, "layers": layers,
        "bottleneck": model["bottleneck"],
        "saturations": {l.name: {"rtl": layers[l.name]["sat"], "ref": t.saturations[l.name]}
                        for l in t.layers},
        "cycles_per_pixel": interval / n_pix, "clock_mhz": clock,
        "fps": clock * 1e6 / (interval / n_pix * target_pix),
        "fps_latency": clock * 1e6 / (ends[0] / n_pix * target_pix),
        "fps_resolution": tuple(fps_resolution), "image_hw": (first.hin, first.win),
        "build_s": build_s, "cached_build": cached, "sim_wall_s": wall,
        "verilator": vl.verilator_version(), "plan": plan.to_dict(),
    }


def _check_image(image: np.ndarray, plan: FoldingPlan, frames: int) -> np.ndarray:
    """``image`` as an array, checked against the plan's input grid and the pixel range.

    Raises:
        ParameterError: wrong shape, values outside 0..255, or ``frames < 1``.
    """
    image = np.asarray(image)
    first = plan.layers[0]
    if image.shape != (first.cin, first.hin, first.win):
        raise ParameterError(f"image shape {image.shape} != plan input {(first.cin, first.hin, first.win)}")
    if image.min() < 0 or image.max() > 255:
        raise ParameterError("image must hold uint8 pixel values")
    if int(frames) < 1:
        raise ParameterError(f"frames must be >= 1, got {frames}")
    return image


def _read_latents(path: Path, t: IntTransform, plan: FoldingPlan, frames: int) -> np.ndarray:
    """The testbench's latents (16-bit words, sign-extended from the last layer's ``out_bits``)
    as ``[frames, C, H, W]``."""
    last = plan.layers[-1]
    ob = t.layers[-1].attrs["out_bits"]
    raw = np.fromfile(path, dtype=np.uint16).astype(np.int64) & ((1 << ob) - 1)
    raw = np.where(raw >= 1 << (ob - 1), raw - (1 << ob), raw)
    return raw.reshape(frames, last.hin // 2, last.win // 2, last.cout).transpose(0, 3, 1, 2)


def _stage_rows(plan: FoldingPlan, stages: dict[str, dict], model: dict, frames: int) -> dict[str, dict]:
    """Per stage: the counters a frame, ``span0``, ``work`` (busy + fill) and the model's cycles."""
    layers = {}
    for lf in plan.layers:
        s = stages[lf.name]
        per = {k: s[k] / frames for k in ("busy", "stall", "starve", "fill", "sat", "pixels")}
        work_c = per["busy"] + per["fill"]
        layers[lf.name] = {**per, "span0": s["last0"] - s["first"] + 1, "work": work_c,
                           "model": model["layers"][lf.name],
                           "model_over_work": model["layers"][lf.name] / max(work_c, 1),
                           "pe": lf.pe, "simd": lf.simd, "lanes": lf.lanes}
    return layers
