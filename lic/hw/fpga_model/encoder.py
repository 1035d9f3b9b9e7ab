"""One plan for the whole encoder on one board: g_a + h_a + h_s + the index stage of the RTL encoder.

:func:`encoder_plan` chooses the folding of every stage of :mod:`lic.hw.rtl.encoder`'s pipeline for a board, a
frame and a clock, sharing one device within a utilisation budget, and returns it with its modelled cycles,
frames per second and resources (:class:`EncoderDesign`):

* **g_a**: for each cycle target of the FPS model (:func:`lic.hw.fpga_model.search._candidates`) the cheapest
  g_a stages (:func:`~lic.hw.fpga_model.search.design_for_cycles`) on the frame the encoder codes (padded to a
  multiple of 64: 1280x720 -> 1280x768), put in the RTL's form as :func:`lic.hw.rtl.ga.regrid` does;
* **h_a, h_s, index**: :func:`lic.hw.rtl.encoder.plan_for`'s rule -- each stage the fewest multipliers that need at
  most ``hyper_fraction`` of g_a's frame interval (they run at 1/16 and 1/64 of g_a's pixel rate);
* **cycles**: the RTL's cycle model (:func:`lic.hw.rtl.encoder.model_cycles`, equal to the Verilator-measured
  interval in every test and benchmark); fps = clock / frame interval, one padded frame a frame;
* **resources** of the RTL the plan generates (:func:`stage_resources`): DSP48E2 and block RAM counted from the
  RTL's structure (its multipliers; its line-buffer banks, folded as :mod:`lic.hw.rtl.linebuf` folds them, and its
  ROMs, block RAM past 64 words, mapped on the RAMB18E2 shapes); LUT and FF of a conv stage the FPS model's figures
  (:func:`~lic.hw.fpga_model.stage.stage_for_units`: MAC lanes, activation mux) with the RTL's window registers,
  bank muxes and bank registers in place of the kernel's; of a GDN stage the RTL's own per-lane fit
  (:data:`RTL_GDN`, from six yosys runs of ``gdn_stage.v``: record ``rtl_gdn_lanes``); the index stage and the
  serial glue (``ga_latq_s``, ``ga_zq_s``) by a rule of two LUTs a bit of datapath; plus the platform shell. The
  whole encoder's yosys record (``rtl_encoder_synth``) is set against the model, not fed back into it.

The first (fastest) plan whose resources fit the budget on every resource (DSP, BRAM36, LUT, FF) is the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from lic.errors import ParameterError
from lic.hw.fpga_model.core import Assumptions, Layer, Resources, codec_layers
from lic.hw.fpga_model.search import _candidates, _in_words, _stage, design_for_cycles
from lic.hw.fpga_model.stage import bram18_for, conv_dsp

__all__ = ["EncoderDesign", "encoder_plan", "encoder_design", "stage_resources"]

#: RTL constants the resources follow (hls/rtl/ga: LB_LUT_MAX / ROM_LUT_MAX; gamma words of <= 17 bits: two
#: DSP48E2 a gamma product; the index stage's thresholds and its input width; ga_zq's arithmetic width)
_LUT_MAX_WORDS, _GAMMA_DSP, _INDEX_LEVELS, _SCALE_BITS, _ZQ_BITS, _Y_BITS = 64, 2, 64, 16, 40, 32
#: LUT and FF of the RTL's GDN stage (hls/rtl/ga/gdn_stage.v) as ``per_lane lanes + per_simd simd + per_pe pe +
#: per_stage``:
#: the least-squares fit of benchmarks/rtl_gdn_lanes.py (record ``rtl_gdn_lanes``: yosys, hierarchical, six folds of
#: the N=64 student's three GDN stages; tests/test_fpga_encoder_model.py holds these values to the record)
RTL_GDN = {"lut": {"per_lane": 106.9, "per_simd": -10.7, "per_pe": 1774.8, "per_stage": 1772.9},
           "ff": {"per_lane": 273.1, "per_simd": 62.0, "per_pe": 2139.6, "per_stage": 2136.3}}


@dataclass(frozen=True)
class EncoderDesign:
    """An :class:`lic.hw.rtl.encoder.EncoderPlan` with its modelled cycles, frame rate and resources.

    ``stages``: one row a stage (the conv / GDN stages, ``h_s.index``, ``glue``); ``resources``: their sum plus
    the platform shell; ``budget``: the board's resources at ``utilisation``; ``device``: at 100 %.
    """

    plan: object
    stages: tuple
    resources: Resources
    budget: Resources
    device: Resources
    cycles: int
    fps: float
    bottleneck: str
    clock_mhz: float
    board: str
    resolution: tuple
    utilisation: float
    hyper_fraction: float

    @property
    def fits(self) -> bool:
        return self.resources.fits(self.budget)

    @property
    def frame_hw(self) -> tuple[int, int]:
        return self.plan.frame_hw

    def fractions(self) -> dict[str, float]:
        """Each resource's use as a fraction of the whole device."""
        r, d = self.resources, self.device
        return {k: getattr(r, k) / getattr(d, k) for k in ("dsp", "bram", "lut", "ff") if getattr(d, k)}

    def table(self) -> pd.DataFrame:
        """One row a stage: PE, SIMD, cycles a frame, modelled DSP / BRAM36 / LUT / FF."""
        return pd.DataFrame(list(self.stages))

    def summary(self) -> dict:
        """fps, the frame interval, the bottleneck, resources, budget and fractions, frame, clock, label."""
        return {"fps": self.fps, "cycles": self.cycles, "bottleneck": self.bottleneck,
                "frame_hw": list(self.frame_hw), "resolution": list(self.resolution), "clock_mhz": self.clock_mhz,
                "board": self.board, "utilisation": self.utilisation, "hyper_fraction": self.hyper_fraction,
                "fits": self.fits, "resources": self.resources.as_dict(), "budget": self.budget.as_dict(),
                "fractions": self.fractions(), "label": "modelled (lic.hw.fpga_model.encoder_plan)"}


def _bram36(width: int, depth: int) -> float:
    """BRAM36 of one memory, block RAM past :data:`_LUT_MAX_WORDS` words (LUT RAM / LUTs below: 0)."""
    return bram18_for(width, depth) / 2 if depth > _LUT_MAX_WORDS else 0.0


def _rtl_memories(lf, a: Assumptions) -> float:
    """BRAM36 of a stage's line-buffer banks and weight / gamma ROMs as hls/rtl/ga builds them: a 5x5/s2 conv
    ``linebuf_rows`` banks of W/2 column pairs, a 3x3 window or deconv ``linebuf_rows`` banks of W pixels (folded
    as :mod:`lic.hw.rtl.linebuf` folds them), the weight ROM ``phases x NCO x NCI`` words of ``PE x SIMD``
    weights, a GDN's gamma ROM ``NCO x NCI`` words."""
    from lic.hw.rtl import linebuf

    nco, nci = lf.folds
    if lf.kind in ("gdn", "igdn"):
        return _bram36(lf.pe * lf.simd * a.gdn_bits // 2, nco * nci)  # gamma words of <= 16 bits
    banks = linebuf.direct_bram18(lf) / 2 if linebuf.direct(lf) else lf.linebuf_rows * linebuf.bank_bram18(lf) / 2
    phases = 4 if lf.kind == "deconv" else 1
    return banks + _bram36(lf.pe * lf.simd * a.weight_bits, phases * nco * nci)


#: LUT / FF of a direct stage's addressing (beat address, row starts, column limits, writer) beyond the kernel's
_DIRECT_LUT, _DIRECT_FF = 300, 400


def _mux_luts(n: int) -> int:
    """LUT6 a bit of an ``n``:1 mux tree (a LUT6 + MUXF7/F8 per 4:1 level, as yosys maps ``ga_muxtree``)."""
    return -(-(n - 1) // 3) if n > 1 else 0


def _window_fabric(layer: Layer, lf, a: Assumptions) -> tuple[int, int]:
    """``(LUT, FF)`` the RTL's window stage adds to the hls/src kernel's figures (which hold the MAC lanes and the
    activation mux): the bank mux a window row (``ga_muxtree`` over the banks of its row parity: 5 rows of column
    pairs, or 3 rows of pixels); the RTL's window registers (two columns of the window rows) and banks -- LUT RAM and
    its read register, or fold registers (:func:`lic.hw.rtl.linebuf.bank_fabric`) -- in place of the kernel's LUT-RAM
    line buffer and its window of ``2 x taps x cin`` registers. A direct stage (:func:`lic.hw.rtl.linebuf.direct`) has
    none of these nor the kernel's activation mux: its addressing and the writer's pixel register only."""
    from lic.hw.fpga_model.stage import CONV_LB_ROWS, DECONV_LB_ROWS, _bank
    from lic.hw.rtl import linebuf

    bits, rows = linebuf.word_bits(lf), lf.linebuf_rows
    wrows, sets = (5, -(-rows // 2)) if (lf.kind == "conv" and lf.k == 5) else (3, rows)
    hls_rows = layer.k + 1 if layer.stride == 1 else (CONV_LB_ROWS if layer.kind == "conv" else DECONV_LB_ROWS)
    hls_lb = hls_rows * _bank(layer.cin * a.act_bits, layer.win, a)[1]
    taps = layer.k * layer.k if layer.kind == "conv" else (-(-layer.k // layer.stride)) ** 2
    hls_win = 2 * taps * layer.cin * a.act_bits
    if linebuf.direct(lf):  # ga_direct_stage: no window, no bank or beat mux; the writer's pixel register
        sf = -(-layer.in_dim // lf.simd)
        hls_mux = lf.simd * a.act_bits * -(-(sf - 1) // 3) if sf > 1 else 0
        return _DIRECT_LUT - hls_lb - hls_mux, lf.cin * int(lf.in_bits) + _DIRECT_FF - hls_win
    blut, bff = linebuf.bank_fabric(lf)
    if linebuf.fold(lf) == 1 and linebuf.bank_words(lf) <= linebuf.LB_LUT_MAX:
        bff = bits  # a LUT-RAM bank's read register (a block-RAM bank's is the RAM's own)
    lut = wrows * bits * _mux_luts(sets) + rows * blut - hls_lb
    return lut, 2 * wrows * bits + rows * bff - hls_win


def stage_resources(layer: Layer, lf, a: Assumptions, in_words: int = 1) -> Resources:
    """Modelled resources of one conv / GDN stage of the RTL at fold ``lf`` (see the module docstring)."""
    lf = replace(lf, in_bits=layer.in_bits if layer.in_bits > 8 else a.act_bits)
    hls = _stage(layer, lf.pe, lf.simd, a, in_words).resources
    if layer.is_gdn:
        dsp = lf.simd + _GAMMA_DSP * lf.lanes  # one square a SIMD lane, two tiles a gamma product
        lut, ff = (round(c["per_lane"] * lf.lanes + c["per_simd"] * lf.simd + c["per_pe"] * lf.pe + c["per_stage"])
                   for c in (RTL_GDN["lut"], RTL_GDN["ff"]))
    else:
        dsp = conv_dsp(layer, lf.pe, lf.simd, a)
        wl, wf = _window_fabric(layer, lf, a)
        lut, ff = hls.lut + wl, hls.ff + wf
    bram = _rtl_memories(lf, a)
    return Resources(dsp=dsp, bram=int(-(-bram // 1)), lut=lut, ff=ff)


def _small_stages(M: int, zc: int, index_pe: int, a: Assumptions) -> dict[str, Resources]:
    """The index stage (``index_pe`` comparator lanes of :data:`_INDEX_LEVELS` thresholds, the pixel register) and
    the glue (``ga_latq_s`` on M latents, ``ga_zq_s`` on ``zc`` z values, :func:`lic.hw.rtl.encoder.glue_lanes`
    channels a cycle: two LUTs a bit of their lanes' datapath, the medians' LUT ROM; their word registers), no DSP."""
    from lic.hw.rtl.encoder import HA_IN_BITS, LATENT_BITS, glue_lanes

    nf = M // index_pe
    mux = index_pe * _SCALE_BITS * (-(-(nf - 1) // 3)) if nf > 1 else 0
    index = Resources(lut=a.lut_per_stage + mux + 2 * index_pe * _INDEX_LEVELS,
                      ff=a.ff_per_stage + M * _SCALE_BITS + index_pe * 8)
    ly, lz = glue_lanes(M), glue_lanes(zc)
    glue = Resources(lut=2 * (ly * (_Y_BITS + 1) + lz * _ZQ_BITS) + lz * _ZQ_BITS * -(-zc // 64),
                     ff=32 + M * (_Y_BITS + LATENT_BITS + HA_IN_BITS) + zc * 3 * _ZQ_BITS)
    return {"h_s.index": index, "glue": glue}


def _ga_rtl_plan(design, board: str, resolution, clock_mhz: float):
    """g_a's RTL plan of a modelled g_a design: :func:`lic.hw.rtl.ga.regrid` of its
    :func:`~lic.hw.fpga_model.plan.plan_design` plan on its own grid (FIFO depth in whole pixels, >= 6
    line-buffer rows a conv), cycles of the RTL's model."""
    from lic.hw.fpga_model.plan import plan_design
    from lic.hw.folding import LayerFold
    from lic.hw.rtl import ga as rtl_ga

    src = plan_design(design, "g_a", board, resolution)
    layers = []
    for o in src.layers:
        conv = o.kind == "conv"
        layers.append(LayerFold(name=o.name, kind=o.kind, cin=o.cin, cout=o.cout, k=o.k, stride=o.stride,
                                hin=o.hin, win=o.win, pe=o.pe, simd=o.simd,
                                fifo_depth=max(2, o.fifo_depth * o.pe // o.cout),
                                linebuf_rows=max(6, o.linebuf_rows) if conv else 0,
                                linebuf_width=o.win if conv else 0, in_bits=o.in_bits))
    notes = {**src.notes, "source_cycles": {l.name: l.cycles for l in src.layers},
             "source_hw": (src.layers[0].hin, src.layers[0].win)}
    return rtl_ga.replace_cycles(replace(src, layers=tuple(layers), notes=notes, clock_mhz=clock_mhz))


def _hyper_plans(layers: list[Layer], ga_plan, hyper_fraction: float, a: Assumptions):
    """h_a's and h_s's RTL plans and the index lanes at :func:`lic.hw.rtl.encoder.plan_for`'s rule."""
    from lic.hw.rtl import encoder as enc
    from lic.hw.rtl import hyper

    target = max(1, int(enc.rtl_ga.model_cycles(ga_plan)["interval"] * hyper_fraction))
    depth = ga_plan.layers[-1].fifo_depth
    by = {l.name: l for l in layers}
    plans = []
    for t in ("h_a", "h_s"):
        ls = [l for l in layers if l.transform == t]
        geometry = [(l.name, l.kind, l.cin, l.cout, l.k, l.stride) for l in ls]
        hw = (ls[0].hin, ls[0].win)
        bits = {l.name: l.in_bits for l in ls}
        base = hyper.hyper_plan(t, geometry, hw, fifo_depth=depth, in_bits=bits)
        folds = hyper.balanced_folds(base, target, lambda lf: lf.lanes // conv_dsp(by[lf.name], lf.pe, lf.simd, a))
        plans.append(hyper.hyper_plan(t, geometry, hw, folds, fifo_depth=depth, in_bits=bits))
    last = plans[1].layers[-1]
    m, npix = last.cout, last.hin * last.win
    pe = next((d for d in range(1, m + 1) if m % d == 0 and npix * (m // d) <= target), m)
    return enc.EncoderPlan(ga_plan, plans[0], plans[1], pe, depth)


def _context(N: int, M: int, board, resolution, clock_mhz, utilisation: float, assumptions):
    from lic.hw.boards import load_board

    b = load_board(board)
    clock = float(clock_mhz or b.clock_mhz)
    lo, hi = b.clock_range_mhz
    if not lo <= clock <= hi:
        raise ParameterError(f"clock {clock:g} MHz outside {b.name}'s range {lo:g}..{hi:g} MHz")
    a = replace(assumptions or Assumptions(), clock_mhz=clock)
    layers = codec_layers(N, M, resolution, "g_a", hyper=True, a=a)
    return {"board": b, "a": a, "layers": layers, "budget": b.budget(utilisation), "utilisation": float(utilisation),
            "resolution": tuple(int(v) for v in resolution)}


def _evaluate(ctx: dict, ga_design, hyper_fraction: float) -> EncoderDesign:
    """The encoder plan of a modelled g_a design (:func:`_ga_rtl_plan`, :func:`_hyper_plans`), its cycles and
    resources."""
    from lic.hw.rtl import encoder as enc

    a, layers, b = ctx["a"], ctx["layers"], ctx["board"]
    ga_plan = _ga_rtl_plan(ga_design, b.name, ctx["resolution"], a.clock_mhz)
    plan = _hyper_plans(layers, ga_plan, hyper_fraction, a)
    model = enc.model_cycles(plan)
    rows, total, prev = [], Resources(), None
    if [l.name for l in layers] != [lf.name for lf in plan.layers]:
        raise ParameterError("the encoder plan's stages are not the model's layers")
    for layer, lf in zip(layers, plan.layers):
        iw = _in_words(prev, layer)
        r = stage_resources(layer, lf, a, iw)
        prev = _stage(layer, lf.pe, lf.simd, a, iw)
        rows.append(_row(lf.name, lf.kind, lf.pe, lf.simd, model["layers"][lf.name], r))
        total = total + r
    zc = plan.ha.layers[-1].cout
    for name, r in _small_stages(plan.ga.layers[-1].cout, zc, plan.index_pe, a).items():
        rows.append(_row(name, "index" if name == "h_s.index" else "glue", plan.index_pe if name == "h_s.index"
                         else None, 1 if name == "h_s.index" else None, model["layers"].get(name), r))
        total = total + r
    total = total + Resources(a.shell_dsp, a.shell_bram, a.shell_lut)
    rows.append(_row("shell", "shell", None, None, None, Resources(a.shell_dsp, a.shell_bram, a.shell_lut)))
    return EncoderDesign(plan=plan, stages=tuple(rows), resources=total, budget=ctx["budget"],
                         device=b.resources, cycles=int(model["interval"]), fps=a.clock_mhz * 1e6 / model["interval"],
                         bottleneck=model["bottleneck"], clock_mhz=a.clock_mhz, board=b.name,
                         resolution=ctx["resolution"], utilisation=ctx["utilisation"],
                         hyper_fraction=float(hyper_fraction))


def _row(name, kind, pe, simd, cycles, r: Resources) -> dict:
    return {"layer": name, "kind": kind, "pe": pe, "simd": simd, "cycles": cycles, "dsp": r.dsp, "bram36": r.bram,
            "lut": r.lut, "ff": r.ff}


def encoder_design(N: int, M: int = 192, board="zcu102", resolution: tuple[int, int] = (1280, 720),
                   ga_folds: dict[str, tuple[int, int]] | None = None, clock_mhz: float | None = None,
                   utilisation: float = 0.8, hyper_fraction: float = 1.0,
                   assumptions: Assumptions | None = None) -> EncoderDesign:
    """The encoder at g_a's folds ``ga_folds`` (``name -> (pe, simd)``, default: :func:`encoder_plan`'s) with the
    hyper stages and the index lanes at ``hyper_fraction`` of g_a's interval: cycles, fps, resources, budget.

    Raises:
        ParameterError: a clock outside the board's range, or folds that do not divide.
    """
    if ga_folds is None:
        return encoder_plan(N, M, board, resolution, clock_mhz, utilisation, hyper_fraction, assumptions)
    from lic.hw.fpga_model.search import design_from_parallelism

    ctx = _context(N, M, board, resolution, clock_mhz, utilisation, assumptions)
    ga = [l for l in ctx["layers"] if l.transform == "g_a"]
    return _evaluate(ctx, design_from_parallelism(ga, ga_folds, ctx["a"]), hyper_fraction)


def encoder_plan(N: int, M: int = 192, board="zcu102", resolution: tuple[int, int] = (1280, 720),
                 clock_mhz: float | None = None, utilisation: float = 0.8, hyper_fraction: float = 1.0,
                 assumptions: Assumptions | None = None, target_fps: float | None = None,
                 require_fit: bool = False) -> EncoderDesign:
    """The fastest encoder plan (g_a + h_a + h_s + index on one device) whose modelled resources fit the board at
    ``utilisation`` on every resource (module docstring: how stages are folded, cycles and resources counted).
    Where none fits, the plan closest to fitting -- the smallest largest fraction of the budget -- among those of
    at least ``target_fps`` (any rate if None), with ``fits`` False.

    Args:
        N, M: transform and latent widths.
        board: board key (:mod:`lic.hw.boards`) or a :class:`lic.hw.boards.Board`.
        resolution: ``(width, height)``; the encoder codes it padded to multiples of 64.
        clock_mhz: default the board's planning clock; must lie in its ``clock_range_mhz``.
        utilisation: fraction of every resource the design may use.
        hyper_fraction: h_a / h_s / index stages need at most this fraction of g_a's frame interval.
        target_fps: the rate the closest-to-fitting plan must reach where nothing fits.
        require_fit: raise instead of returning a plan that does not fit.

    Raises:
        ParameterError: a clock outside the board's range; no plan fits and ``require_fit``; no plan reaches
            ``target_fps``.
    """
    ctx = _context(N, M, board, resolution, clock_mhz, utilisation, assumptions)
    a = ctx["a"]
    ga = [l for l in ctx["layers"] if l.transform == "g_a"]
    cands, seen = _candidates(tuple(ga), a), {}

    def at(i):
        d = design_for_cycles(ga, cands[i], a)
        if d is None:
            return None
        key = tuple((s.pe, s.simd) for s in d.stages)
        if key not in seen:
            seen[key] = _evaluate(ctx, d, hyper_fraction)
        return seen[key]

    lo, hi = 0, len(cands)  # DSPs only fall as the target grows: the first target whose DSPs fit
    while lo < hi:
        mid = (lo + hi) // 2
        e = at(mid)
        if e is not None and e.resources.dsp <= ctx["budget"].dsp:
            hi = mid
        else:
            lo = mid + 1
    for i in range(lo, len(cands)):
        e = at(i)
        if e is not None and e.fits:
            return e
    what = f"N={N}, M={M} at {resolution[0]}x{resolution[1]} on {ctx['board'].name} at {utilisation:.0%}"
    if require_fit:
        raise ParameterError(f"no encoder plan of {what} fits")
    return _closest(at, len(cands), ctx["budget"], target_fps, what)


def _closest(at, n: int, budget: Resources, target_fps: float | None, what: str) -> EncoderDesign:
    """Of the plans at every candidate reaching ``target_fps``, the one whose largest used / budget is smallest."""
    best, key = None, None
    for i in range(n):
        e = at(i)
        if e is None or (target_fps is not None and e.fps < target_fps):
            continue
        worst = max(getattr(e.resources, k) / getattr(budget, k) for k in ("dsp", "bram", "lut", "ff")
                    if getattr(budget, k))
        if key is None or (worst, -e.fps) < key:
            best, key = e, (worst, -e.fps)
    if best is None:
        raise ParameterError(f"no encoder plan of {what} reaches {target_fps:g} fps")
    return best
