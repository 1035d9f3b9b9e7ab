r"""Analytical cycles / FPS / resource model of a dataflow FPGA accelerator for the codec.

Every layer of the hyperprior codec (:mod:`lic.models`) is one stage of a FINN-style
dataflow pipeline: stage :math:`i` owns :math:`P_i = \mathrm{PE}_i\cdot\mathrm{SIMD}_i`
multiply-accumulate units and needs

.. math::
    c_i = \left\lceil \frac{S_i}{P_i} \right\rceil + o_i

cycles a frame, :math:`S_i` the MAC slots of its schedule (= its MACs, except for transposed
convs whose phase-uniform schedule has idle slots) and :math:`o_i` the per-frame fill
overhead (see :class:`Assumptions`). With frames
overlapped in the pipeline the throughput is :math:`f_\mathrm{clk} / \max_i c_i` frames per
second per core, times the number of replicated cores.

Conventions:

* ``resolution`` is ``(width, height)``; the frame is padded to a multiple of
  ``pad_multiple`` before the first layer (default: 16 for g_a/g_s, 64 with the hyper
  transforms, the shapes the codec needs; 1280x720 is not padded).
* conv MACs: :math:`H_o W_o C_o C_i K^2` (``padding = K//2``, so :math:`H_o=\lceil H_i/s\rceil`).
* transposed conv MACs are counted on the *input* grid, :math:`H_i W_i C_i C_o K^2`
  (every input pixel scattered through every tap; equals the output-grid count
  :math:`H_o W_o C_i C_o K^2/s^2`). Its cycles follow ``deconv_schedule``: by default
  hls/src/deconv.h's phase-uniform loop, :math:`\lceil K/s\rceil^2 C_i` slots per output pixel,
  i.e. :math:`36/25` of the MACs for K=5, s=2.
* GDN/IGDN: a :math:`C\times C` 1x1 "conv" (:math:`C^2` 32-bit MACs a pixel) plus, a pixel,
  :math:`C` non-linear units (rsqrt / sqrt / divide) and 32-bit elementwise products
  (standard GDN: :math:`x^2` and :math:`x\cdot r`; simplified: :math:`|x|` is free, see
  :func:`gdn_ops`). ReLUs of the hyper transforms are fused into their conv (free).
* folding (``folding="exact"``): PE divides the output dimension and SIMD the input
  dimension of the layer's matrix (conv: :math:`C_iK^2 \to C_o`; phase-uniform deconv:
  :math:`9C_i \to C_o`; GDN: :math:`C \to C`), so ``slots / P`` is exact, as in hls/src.

The allocator (:func:`allocate`) minimises the slowest stage: for a target of ``T`` cycles
each stage takes the smallest legal :math:`P_i \ge \mathrm{MAC}_i/T`, i.e. units proportional
to MACs (balanced stages) up to folding granularity.
not (bank shapes, LUTRAM thresholds), so the search tries every candidate target from the
fastest whose DSPs fit upwards (:func:`allocate`).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

import pandas as pd

from .errors import ParameterError
from .kernel_beats import CONV_LB_ROWS, DECONV_LB_ROWS, conv_beats, deconv_beats, gdn_beats

__all__ = [
    "Assumptions",
    "assumptions",
    "describe",
    "Resources",
    "Layer",
    "gdn_ops",
    "codec_layers",
    "layer_table",
    "Stage",
    "PipelineDesign",
    "stage_for_units",
    "design_for_cycles",
    "design_from_parallelism",
    "allocate",
    "best_design",
    "throughput_table",
    "compare_measured",
    "folding_plan",
    "plan_design",
    "codec_fps",
    "YOSYS_UNITS",
    "STANDARD_RESOLUTIONS",
]

#: Per-unit yosys counts (``synth_xilinx -family xcup``) of the hand-written RTL units, the
#: source of the LUT/FF/DSP-per-lane assumptions (hls/rtl/README.md, :func:`lic.rtl.synthesize`).
YOSYS_UNITS = {
    "gdn_simd1": {"lut": 1415, "ff": 1159, "dsp": 2},
    "gdn_simd4": {"lut": 1990, "ff": 1301, "dsp": 8},
    "igdn_simd1": {"lut": 252, "ff": 298, "dsp": 5},
    "igdn_simd4": {"lut": 797, "ff": 440, "dsp": 11},
    "conv_pe_simd4": {"lut": 1218, "ff": 295, "dsp": 4},
    "conv_pe_simd10": {"lut": 1442, "ff": 390, "dsp": 10},
}


def _lane(unit_a: str, unit_b: str, lanes: int, what: str) -> int:
    """Marginal cost of one more lane between two yosys runs of a unit (rounded)."""
    return round((YOSYS_UNITS[unit_b][what] - YOSYS_UNITS[unit_a][what]) / lanes)


_Y_LUT8 = _lane("conv_pe_simd4", "conv_pe_simd10", 6, "lut")  # 37
_Y_FF8 = _lane("conv_pe_simd4", "conv_pe_simd10", 6, "ff")  # 16
_Y_LUT32 = _lane("gdn_simd1", "gdn_simd4", 3, "lut")  # 192
_Y_FF32 = _lane("gdn_simd1", "gdn_simd4", 3, "ff")  # 47
_Y_DSP32 = YOSYS_UNITS["gdn_simd4"]["dsp"] // 4  # 2
_Y_LUT_STAGE = YOSYS_UNITS["conv_pe_simd4"]["lut"] - 4 * _Y_LUT8  # 1070
_Y_FF_STAGE = YOSYS_UNITS["conv_pe_simd4"]["ff"] - 4 * _Y_FF8  # 231
_Y_LUT_NL = YOSYS_UNITS["gdn_simd1"]["lut"] - _Y_LUT32  # 1223: divider + control
_Y_FF_NL = YOSYS_UNITS["gdn_simd1"]["ff"] - _Y_FF32  # 1112

STANDARD_RESOLUTIONS = {
    "1920x1080": (1920, 1080),
    "1280x720": (1280, 720),
    "960x540": (960, 540),
    "854x480": (854, 480),
    "640x360": (640, 360),
    "320x240": (320, 240),
}


def _a(default, unit: str, help: str):
    return field(default=default, metadata={"unit": unit, "help": help})


@dataclass(frozen=True)
class Assumptions:
    """Every constant of the model, with its unit and meaning (see :func:`describe`)."""

    clock_mhz: float = _a(200.0, "MHz", "programmable-logic clock of the pipeline; a board "
                          "parameter (data/boards/*.yaml clock_mhz, checked against its "
                          "clock_range_mhz by folding_plan)")
    int8_macs_per_dsp: int = _a(2, "MAC/DSP", "int8 MACs per DSP48E2: 2 when the two MACs share "
                                "an operand (two PE lanes share the activation; conv_dsp) and are "
                                "packed in one 27x18 multiply (hls/src lic::mul2_shared), as Xilinx WP486 'Deep Learning with INT8 "
                                "Optimization on Xilinx Devices' and the DPU do; 1 = no packing "
                                "(what yosys infers from hls/rtl/conv_pe.v)")
    dsp_per_mul32: int = _a(_Y_DSP32, "DSP", "DSP48E2 per GDN MAC (32-bit gamma x 16-bit operand): "
                            "2 measured by yosys on hls/rtl/gdn_unit.v (YOSYS_UNITS); a full "
                            "32x32 product would take 4")
    dsp_per_nonlinear: int = _a(0, "DSP", "DSP48E2 per rsqrt/sqrt/divide unit (LUT-based by default)")
    lut_per_mac8: int = _a(_Y_LUT8, "LUT", "LUTs per int8 MAC lane beside its DSP (adder tree, "
                           "accumulator); yosys marginal cost a lane (YOSYS_UNITS)")
    lut_per_mac32: int = _a(_Y_LUT32, "LUT", "LUTs per 32-bit GDN MAC lane beside its DSPs (wide adder "
                            "tree and accumulator); yosys marginal cost a lane (YOSYS_UNITS)")
    lut_per_nonlinear: int = _a(_Y_LUT_NL, "LUT", "LUTs per pipelined divide/sqrt unit, II=1: yosys "
                                "GDN unit (SIMD=1) minus one MAC lane (YOSYS_UNITS)")
    lut_per_stage: int = _a(_Y_LUT_STAGE, "LUT", "fixed LUTs a stage (requantiser, clamps, control); "
                            "yosys conv PE fixed part (YOSYS_UNITS)")
    ff_per_mac8: int = _a(_Y_FF8, "FF", "flip-flops per int8 MAC lane; yosys (YOSYS_UNITS)")
    ff_per_mac32: int = _a(_Y_FF32, "FF", "flip-flops per GDN MAC lane; yosys (YOSYS_UNITS)")
    ff_per_nonlinear: int = _a(_Y_FF_NL, "FF", "flip-flops per pipelined divide/sqrt unit; yosys")
    ff_per_stage: int = _a(_Y_FF_STAGE, "FF", "fixed flip-flops a stage; yosys conv PE fixed part")
    act_bits: int = _a(8, "bit", "activation width streamed between conv stages")
    weight_bits: int = _a(8, "bit", "conv/deconv weight width (hybrid quantization)")
    bias_bits: int = _a(32, "bit", "conv/deconv bias width")
    gdn_bits: int = _a(32, "bit", "GDN gamma/beta and datapath width (hybrid quantization)")
    gdn: str = _a("standard", "-", "GDN flavour: 'standard' (x^2, rsqrt) or 'simplified' (|x|, divide)")
    bram_bits: int = _a(36864, "bit", "capacity of one BRAM36")
    bram_port_bits: int = _a(72, "bit", "read width of one BRAM36 port (weights read each cycle)")
    uram_bits: int = _a(294912, "bit", "capacity of one URAM288")
    uram_port_bits: int = _a(72, "bit", "read width of one URAM288 port")
    weights_on_chip: bool = _a(True, "-", "all weights resident on chip (no DDR weight streaming)")
    weight_memory: str = _a("bram", "-", "where weights live: 'bram' or 'uram'; line buffers are BRAM")
    weight_banking: str = _a("finn", "-", "'finn': one memory a PE lane holding SIMD-wide words "
                             "(hls/src: weights [PE][SIMD][fold], partitioned on PE, reshaped on "
                             "SIMD, as FINN's MVAU); 'partition': one memory a MAC lane; "
                             "'reshape': one wide memory, blocks = max(capacity, P*bits/port)")
    lutram_max_depth: int = _a(64, "words", "a weight bank this shallow or less goes to LUTRAM "
                               "(1 LUT per 64 x 1 bit) instead of a BRAM18")
    schedule: str = _a("kernel", "-", "'kernel': cycles are the beats of hls/src's loops "
                       "(lic.kernel_beats: fold steps, window loads and input reads overlapped, "
                       "prologue) and line buffers their 7/4 rows; 'mac': iters*folds only")
    line_buffer_extra_rows: int = _a(1, "rows", "schedule='mac' only: rows beyond K-1 (conv) / "
                                     "ceil(K/s)-1 (deconv)")
    deconv_schedule: str = _a("phase_uniform", "-", "'phase_uniform': ceil(K/s)^2*C_in tap slots a "
                              "output pixel (hls/src/deconv.h, 36 slots per input pixel for K=5, "
                              "s=2); 'input_grid': K^2 taps per input pixel (no idle slots)")
    pad_multiple: int = _a(0, "px", "frame padded to this multiple before the first layer; 0 = "
                           "what the hardware needs: 16 for g_a/g_s alone (four stride-2 "
                           "layers), 64 with h_a/h_s (the codec's hyperprior shapes)")
    folding: str = _a("exact", "-", "'exact': PE | out-dim, SIMD | in-dim (FINN rule, hls/src); "
                      "'ceil': any PE/SIMD, ceil(in/SIMD)*ceil(out/PE) iterations; 'ideal': "
                      "ceil(slots/P) for any P, no fold overhead")
    stage_overhead_cycles: int = _a(64, "cycles", "per-stage, per-frame pipeline depth/fill overhead")
    row_overhead_cycles: int = _a(0, "cycles", "extra cycles per row of a stage's loop nest")
    fold_overhead_cycles: int = _a(0, "cycles", "extra cycles per (pixel, output fold): loop "
                                   "entry/exit; 0 = flattened loops (hls/src)")
    serial_input_load: bool = _a(False, "-", "schedule='mac': input rows loaded in a loop that "
                                 "does not overlap compute (+H_in*W_in*C_in cycles a frame)")
    frame_overlap: bool = _a(True, "-", "frames overlap in the pipeline: FPS = clock / slowest "
                             "stage; False: FPS = clock / frame latency")
    max_cores: int = _a(8, "cores", "most replicated pipelines considered")
    shell_dsp: int = _a(0, "DSP", "platform logic outside the pipelines (DMA, interconnect)")
    shell_bram: int = _a(16, "BRAM36", "platform BRAM outside the pipelines (DMA buffers); rough")
    shell_lut: int = _a(10000, "LUT", "platform LUTs outside the pipelines (AXI DMA, "
                        "interconnect, control); rough")

    def __post_init__(self):
        if self.gdn not in ("standard", "simplified"):
            raise ParameterError(f"gdn must be 'standard' or 'simplified', got {self.gdn!r}")
        for name, ok in (("weight_memory", ("bram", "uram")),
                         ("weight_banking", ("finn", "partition", "reshape")),
                         ("schedule", ("kernel", "mac")),
                         ("deconv_schedule", ("phase_uniform", "input_grid")),
                         ("folding", ("exact", "ceil", "ideal"))):
            if getattr(self, name) not in ok:
                raise ParameterError(f"{name} must be one of {ok}, got {getattr(self, name)!r}")
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
                raise ParameterError(f"assumption {f.name} must be >= 0, got {v}")
        for name in ("clock_mhz", "int8_macs_per_dsp", "bram_bits", "bram_port_bits",
                     "uram_bits", "uram_port_bits", "max_cores"):
            if getattr(self, name) <= 0:
                raise ParameterError(f"assumption {name} must be > 0")

    def table(self) -> pd.DataFrame:
        """The assumptions as a table: name, value, unit, meaning."""
        return pd.DataFrame(
            [{"name": f.name, "value": getattr(self, f.name), "unit": f.metadata["unit"],
              "meaning": f.metadata["help"]} for f in fields(self)]
        )

    def as_dict(self) -> dict:
        """Plain dict of the values (for ``results.json``)."""
        return asdict(self)


def assumptions(base: Assumptions | None = None, **overrides) -> Assumptions:
    """Defaults (or ``base``) with ``overrides``; unknown names raise.

    Args:
        base: starting assumptions (default: the documented defaults).
        **overrides: field name -> value.
    """
    known = {f.name for f in fields(Assumptions)}
    bad = sorted(set(overrides) - known)
    if bad:
        raise ParameterError(f"unknown assumption(s) {bad}; known: {sorted(known)}")
    return replace(base or Assumptions(), **overrides)


def describe(a: Assumptions | None = None) -> str:
    """Printable list of every assumption: ``name = value unit  # meaning``.

    Args:
        a: assumptions to print (default: the defaults).
    """
    a = a or Assumptions()
    return "\n".join(
        f"{f.name:22s} = {getattr(a, f.name)!s:>10} {f.metadata['unit']:8s} # {f.metadata['help']}"
        for f in fields(a)
    )


@dataclass(frozen=True)
class Resources:
    """A resource vector (device budget or design use). ``bram`` counts BRAM36."""

    dsp: int = 0
    bram: int = 0
    lut: int = 0
    uram: int = 0
    ff: int = 0

    def __add__(self, o: "Resources") -> "Resources":
        return Resources(*(x + y for x, y in zip(_astuple(self), _astuple(o))))

    def __sub__(self, o: "Resources") -> "Resources":
        return Resources(*(x - y for x, y in zip(_astuple(self), _astuple(o))))

    def times(self, k: int) -> "Resources":
        """``k`` copies (replicated cores)."""
        return Resources(*(x * int(k) for x in _astuple(self)))

    def scaled(self, f: float) -> "Resources":
        """Each resource times ``f``, rounded down (utilisation ceiling)."""
        return Resources(*(int(math.floor(x * f + 1e-9)) for x in _astuple(self)))

    def split(self, k: int) -> "Resources":
        """Share of one of ``k`` equal cores, rounded down."""
        return Resources(*(x // int(k) for x in _astuple(self)))

    def fits(self, budget: "Resources") -> bool:
        """True when every resource is within ``budget`` (FF is checked only if budgeted)."""
        return (self.dsp <= budget.dsp and self.bram <= budget.bram and self.lut <= budget.lut
                and self.uram <= budget.uram and (budget.ff == 0 or self.ff <= budget.ff))

    def as_dict(self) -> dict:
        """``{"dsp":…, "bram":…, "lut":…, "uram":…, "ff":…}``."""
        return asdict(self)


def _astuple(r: Resources) -> tuple[int, ...]:
    return (r.dsp, r.bram, r.lut, r.uram, r.ff)


def gdn_ops(flavour: str, inverse: bool) -> tuple[int, int]:
    """Per-channel, per-pixel ``(nonlinear, elementwise)`` op counts of a GDN flavour.

    Standard GDN :math:`y = x\\,/\\sqrt{\\beta + \\gamma x^2}`: square, rsqrt, product → (1, 2);
    standard IGDN (sqrt instead of rsqrt) → (1, 2). Simplified GDN
    :math:`y = x / (\\beta + \\gamma |x|)`: one divide → (1, 0); simplified IGDN
    :math:`y = x(\\beta + \\gamma|x|)`: one product → (0, 1). The :math:`C^2` MACs of
    :math:`\\gamma\\cdot` are counted separately.

    Args:
        flavour: "standard" or "simplified".
        inverse: IGDN (synthesis) instead of GDN.
    """
    if flavour == "standard":
        return (1, 2)
    if flavour == "simplified":
        return (0, 1) if inverse else (1, 0)
    raise ParameterError(f"unknown GDN flavour {flavour!r}")


@dataclass(frozen=True)
class Layer:
    """Geometry and work of one layer (one pipeline stage).

    Args:
        name: CompressAI module path, e.g. ``"g_a.0"``.
        transform: ``"g_a"``, ``"g_s"``, ``"h_a"`` or ``"h_s"`` ("" for hand-made layers).
        kind: ``"conv"``, ``"deconv"``, ``"gdn"`` or ``"igdn"``.
        cin, cout, k, stride: channels, kernel size, stride (GDN: k=1, stride=1).
        hin, win, hout, wout: input / output grid.
        macs: multiply-accumulates a frame (conventions in the module docstring).
        weights, biases: parameter counts (GDN: gamma C^2, beta C).
        nonlinear, elementwise: GDN rsqrt/divide ops and 32-bit products a frame.
        iters, in_dim, out_dim: the schedule, ``iters`` matrix-vector products of
            ``in_dim`` -> ``out_dim`` a frame (SIMD folds ``in_dim``, PE folds ``out_dim``);
            ``slots = iters*in_dim*out_dim`` >= ``macs`` (deconv idle tap slots).
        in_bits: width of the input activations (16 for the latents g_s and the hyper
            transforms read); decides whether two MACs pack into one DSP.
    """

    name: str
    transform: str
    kind: str
    cin: int
    cout: int
    k: int
    stride: int
    hin: int
    win: int
    hout: int
    wout: int
    macs: int
    weights: int
    biases: int
    nonlinear: int = 0
    elementwise: int = 0
    iters: int = 0
    in_dim: int = 0
    out_dim: int = 0
    in_bits: int = 8

    @classmethod
    def conv(cls, name: str, cin: int, cout: int, hin: int, win: int, k: int = 5,
             stride: int = 2, transform: str = "") -> "Layer":
        """A conv with ``padding = k//2`` (CompressAI ``conv``)."""
        p = k // 2
        hout, wout = (hin + 2 * p - k) // stride + 1, (win + 2 * p - k) // stride + 1
        return cls(name, transform, "conv", cin, cout, k, stride, hin, win, hout, wout,
                   macs=hout * wout * cout * cin * k * k, weights=cin * cout * k * k, biases=cout,
                   iters=hout * wout, in_dim=cin * k * k, out_dim=cout)

    @classmethod
    def deconv(cls, name: str, cin: int, cout: int, hin: int, win: int, k: int = 5,
               stride: int = 2, transform: str = "", schedule: str = "phase_uniform") -> "Layer":
        """A transposed conv, ``padding = k//2``, ``output_padding = stride-1`` (CompressAI
        ``deconv``): output ``stride`` times the input. MACs on the input grid.

        ``schedule="phase_uniform"``: per output pixel ``ceil(k/s)^2 * cin`` tap slots
        (hls/src/deconv.h); ``"input_grid"``: per input pixel ``cin`` -> ``cout*k^2``."""
        hout, wout = hin * stride, win * stride
        if schedule == "phase_uniform":
            it, din, dout = hout * wout, (-(-k // stride)) ** 2 * cin, cout
        elif schedule == "input_grid":
            it, din, dout = hin * win, cin, cout * k * k
        else:
            raise ParameterError(f"unknown deconv schedule {schedule!r}")
        return cls(name, transform, "deconv", cin, cout, k, stride, hin, win, hout, wout,
                   macs=hin * win * cin * cout * k * k, weights=cin * cout * k * k, biases=cout,
                   iters=it, in_dim=din, out_dim=dout)

    @classmethod
    def gdn(cls, name: str, c: int, h: int, w: int, inverse: bool = False,
            flavour: str = "standard", transform: str = "") -> "Layer":
        """A GDN (or IGDN) over ``c`` channels of an ``h`` x ``w`` map."""
        nl, ew = gdn_ops(flavour, inverse)
        px = h * w
        return cls(name, transform, "igdn" if inverse else "gdn", c, c, 1, 1, h, w, h, w,
                   macs=px * c * c, weights=c * c, biases=c, nonlinear=nl * px * c,
                   elementwise=ew * px * c, iters=px, in_dim=c, out_dim=c)

    @property
    def is_gdn(self) -> bool:
        return self.kind in ("gdn", "igdn")

    @property
    def slots(self) -> int:
        """MAC slots the schedule executes a frame (``>= macs``)."""
        return self.iters * self.in_dim * self.out_dim

    @property
    def grid_rows(self) -> int:
        """Rows of the loop nest (output rows, or input rows for an input-grid deconv)."""
        return self.hin if self.iters == self.hin * self.win and self.kind == "deconv" else self.hout


_ALIASES = {
    "encoder": ("g_a", "h_a", "h_s"),
    "decoder": ("h_s", "g_s"),
    "both": ("g_a", "g_s"),
    "all": ("g_a", "h_a", "h_s", "g_s"),
}


def _expand_transforms(transforms: str | Iterable[str], hyper: bool) -> list[str]:
    items = [transforms] if isinstance(transforms, str) else list(transforms)
    out: list[str] = []
    for t in items:
        for u in _ALIASES.get(t, (t,)):
            if u not in ("g_a", "g_s", "h_a", "h_s"):
                raise ParameterError(f"unknown transform {u!r}; use g_a, g_s, h_a, h_s or "
                                     f"{', '.join(_ALIASES)}")
            if u not in out:
                out.append(u)
    if hyper:
        if "g_a" in out:
            for u in ("h_a", "h_s"):
                if u not in out:
                    out.insert(out.index("g_a") + 1 + (u == "h_s"), u)
        if "g_s" in out and "h_s" not in out:
            out.insert(out.index("g_s"), "h_s")
    return out


def codec_layers(N: int, M: int = 192, resolution: tuple[int, int] = (1280, 720),
                 transforms: str | Iterable[str] = "g_a", hyper: bool = False,
                 a: Assumptions | None = None) -> list[Layer]:
    """The layers of CompressAI ``ScaleHyperprior(N, M)`` that run on the FPGA.

    Args:
        N: transform width (teacher 128, students 16..112).
        M: latent width.
        resolution: ``(width, height)`` of the input frame, padded to ``a.pad_multiple``.
        transforms: any of ``g_a``, ``g_s``, ``h_a``, ``h_s`` or the aliases ``encoder``
            (g_a, h_a, h_s), ``decoder`` (h_s, g_s), ``both`` (g_a, g_s), ``all``.
        hyper: add the hyper transforms the listed ones need (encoder: h_a, h_s;
            decoder: h_s).
        a: assumptions (GDN flavour, padding).
    """
    a = a or Assumptions()
    if int(N) < 1 or int(M) < 1:
        raise ParameterError(f"widths must be positive, got N={N}, M={M}")
    w0, h0 = (int(v) for v in resolution)
    if w0 < 1 or h0 < 1:
        raise ParameterError(f"resolution must be positive, got {resolution}")
    tlist = _expand_transforms(transforms, hyper)
    m = a.pad_multiple or (64 if {"h_a", "h_s"} & set(tlist) else 16)
    H, W = -(-h0 // m) * m, -(-w0 // m) * m
    out: list[Layer] = []
    for t in tlist:
        if t == "g_a":
            h, w, chans = H, W, [3, N, N, N, M]
            for i in range(4):
                lay = Layer.conv(f"g_a.{2 * i}", chans[i], chans[i + 1], h, w, transform=t)
                out.append(lay)
                h, w = lay.hout, lay.wout
                if i < 3:
                    out.append(Layer.gdn(f"g_a.{2 * i + 1}", N, h, w, False, a.gdn, t))
        elif t == "g_s":
            h, w, chans = H // 16, W // 16, [M, N, N, N, 3]
            for i in range(4):
                lay = Layer.deconv(f"g_s.{2 * i}", chans[i], chans[i + 1], h, w, transform=t,
                                   schedule=a.deconv_schedule)
                out.append(replace(lay, in_bits=16) if i == 0 else lay)  # reads the latents
                h, w = lay.hout, lay.wout
                if i < 3:
                    out.append(Layer.gdn(f"g_s.{2 * i + 1}", N, h, w, True, a.gdn, t))
        elif t == "h_a":
            h, w = H // 16, W // 16
            l0 = replace(Layer.conv("h_a.0", M, N, h, w, k=3, stride=1, transform=t), in_bits=16)
            l1 = Layer.conv("h_a.2", N, N, l0.hout, l0.wout, transform=t)
            l2 = Layer.conv("h_a.4", N, N, l1.hout, l1.wout, transform=t)
            out += [l0, l1, l2]
        else:  # h_s
            h, w = H // 64, W // 64
            l0 = replace(Layer.deconv("h_s.0", N, N, h, w, transform=t, schedule=a.deconv_schedule),
                         in_bits=16)
            l1 = Layer.deconv("h_s.2", N, N, l0.hout, l0.wout, transform=t,
                              schedule=a.deconv_schedule)
            l2 = Layer.conv("h_s.4", N, M, l1.hout, l1.wout, k=3, stride=1, transform=t)
            out += [l0, l1, l2]
    return out


def layer_table(layers: Sequence[Layer]) -> pd.DataFrame:
    """One row a layer: shapes, MACs, parameters, GDN non-linear and elementwise ops.

    Args:
        layers: from :func:`codec_layers` or hand-made.
    """
    rows = [{k: getattr(l, k) for k in ("name", "transform", "kind", "cin", "cout", "k",
                                        "stride", "hin", "win", "hout", "wout", "macs",
                                        "weights", "biases", "nonlinear", "elementwise",
                                        "iters", "in_dim", "out_dim", "slots")}
            for l in layers]
    return pd.DataFrame(rows)


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
    """Beats a frame of the hls/src kernel (:mod:`lic.kernel_beats`)."""
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
    (:mod:`lic.kernel_beats`) plus ``stage_overhead_cycles``; with ``"mac"`` they are
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


def _min_stage(layer: Layer, target: int, a: Assumptions, in_words: int = 1) -> Stage | None:
    """Cheapest stage of ``layer`` taking <= ``target`` cycles (fewest DSPs, then LUTs, BRAM,
    lanes: :func:`_cost`); None if none. The feasible set only grows with ``target``, so the
    DSPs of the chosen stage never grow as the target relaxes."""
    kernel = a.schedule == "kernel" and a.folding != "ideal"
    budget = target - (a.stage_overhead_cycles if kernel else _overhead(layer, a))
    if budget <= 0:
        return None
    if a.folding == "ideal":  # any P (recorded as pe=1, simd=P); cycles fall with P
        def split(P):
            return 1, P

        lo, hi = 1, layer.in_dim * layer.out_dim
        if stage_for_units(layer, *split(hi), a).cycles > target:
            return None
        while lo < hi:
            mid = (lo + hi) // 2
            if stage_for_units(layer, *split(mid), a).cycles <= target:
                hi = mid
            else:
                lo = mid + 1
        return stage_for_units(layer, *split(lo), a)
    cycles, best = _stage_table(layer, a, in_words)
    i = bisect.bisect_right(cycles, target) - 1
    return best[i] if i >= 0 else None


@lru_cache(maxsize=4096)
def _stage_table(layer: Layer, a: Assumptions, in_words: int) -> tuple[list[int], list[Stage]]:
    """Every folding of ``layer`` sorted by cycles, with the cheapest (:func:`_cost`) stage
    among those at most that slow: ``_min_stage`` is then one bisection."""
    stages = sorted((_stage(layer, pe, simd, a, in_words)
                     for _, pe, simd in _combos(layer.in_dim, layer.out_dim, a.folding)),
                    key=lambda x: (x.cycles, _cost(x)))
    cycles, best = [], []
    for x in stages:
        if best and _cost(best[-1]) <= _cost(x):
            x = best[-1]
        cycles.append(stages[len(cycles)].cycles)
        best.append(x)
    return cycles, best


def _cost(s: Stage) -> tuple:
    """Order of preference among stages that meet a target: DSPs, then LUTs, BRAM, lanes."""
    r = s.resources
    return (r.dsp, r.lut, r.bram, s.units)


@lru_cache(maxsize=1 << 16)
def _stage(layer: Layer, pe: int, simd: int, a: Assumptions, in_words: int) -> Stage:
    return stage_for_units(layer, pe, simd, a, in_words)


@lru_cache(maxsize=4096)
def _combos(in_dim: int, out_dim: int, folding: str) -> tuple[tuple[int, int, int], ...]:
    """Every legal ``(iterations, pe, simd)`` of a layer: all divisor pairs under exact folding
    (several foldings with the same lanes differ in DSPs: packing needs PE >= 2), the Pareto
    options of :func:`_options` otherwise."""
    if folding == "exact":
        sv = [d for d in range(1, in_dim + 1) if in_dim % d == 0]
        pv = [d for d in range(1, out_dim + 1) if out_dim % d == 0]
        return tuple(sorted(((in_dim // sm) * (out_dim // pe), pe, sm) for sm in sv for pe in pv))
    _, its, ps = _options(in_dim, out_dim, folding)
    return tuple((-it, pe, sm) for it, (pe, sm) in zip(its, ps))


def _in_words(prev: Stage | None, layer: Layer) -> int:
    """Stream words an input pixel of ``layer``: ``cin / prev.pe`` when chained, else 1."""
    if prev is None or prev.layer.cout != layer.cin or prev.layer.transform != layer.transform:
        return 1
    return layer.cin // prev.pe


@dataclass(frozen=True)
class PipelineDesign:
    """A dataflow pipeline (one stage a layer), possibly replicated ``cores`` times.

    Args:
        stages: the stages, in dataflow order.
        assumptions: the constants used.
        cores: replicated pipelines, each processing whole frames.
    """

    stages: tuple[Stage, ...]
    assumptions: Assumptions
    cores: int = 1

    @property
    def cycles(self) -> int:
        """Cycles a frame of the slowest stage (initiation interval of a frame)."""
        return max(s.cycles for s in self.stages)

    @property
    def bottleneck(self) -> str:
        """Name of the slowest stage."""
        return max(self.stages, key=lambda s: s.cycles).layer.name

    @property
    def latency_cycles(self) -> int:
        """Approximate frame latency: sum of the stages' fill cycles plus the slowest stage."""
        return sum(s.fill_cycles for s in self.stages) + self.cycles

    @property
    def fps(self) -> float:
        """Frames per second of all cores together."""
        per = self.cycles if self.assumptions.frame_overlap else self.latency_cycles
        return self.cores * self.assumptions.clock_mhz * 1e6 / per

    @property
    def latency_ms(self) -> float:
        return self.latency_cycles / (self.assumptions.clock_mhz * 1e3)

    @property
    def core_resources(self) -> Resources:
        """Resources of one pipeline."""
        tot = Resources()
        for s in self.stages:
            tot = tot + s.resources
        return tot

    @property
    def resources(self) -> Resources:
        """All cores plus the platform shell."""
        a = self.assumptions
        return self.core_resources.times(self.cores) + Resources(a.shell_dsp, a.shell_bram, a.shell_lut)

    def table(self) -> pd.DataFrame:
        """One row a stage: parallelism, cycles, share of the bottleneck, resources."""
        T = self.cycles
        rows = []
        for s in self.stages:
            l = s.layer
            rows.append({"name": l.name, "kind": l.kind, "macs": l.macs, "pe": s.pe,
                         "simd": s.simd, "units": s.units, "lanes": s.units, "nonlinear_units": s.nonlinear_units,
                         "mult_units": s.mult_units, "cycles": s.cycles,
                         "utilisation": s.cycles / T, **s.resources.as_dict()})
        return pd.DataFrame(rows)

    def summary(self) -> dict:
        """Headline numbers: FPS, cycles, bottleneck, cores, resources."""
        return {"fps": self.fps, "cycles": self.cycles, "latency_ms": self.latency_ms,
                "bottleneck": self.bottleneck, "cores": self.cores,
                "clock_mhz": self.assumptions.clock_mhz, **self.resources.as_dict()}


def design_for_cycles(layers: Sequence[Layer], target_cycles: int, a: Assumptions | None = None,
                      cores: int = 1) -> PipelineDesign | None:
    """Cheapest pipeline whose every stage takes at most ``target_cycles`` a frame.

    Args:
        layers: the pipeline's layers.
        target_cycles: cycle budget a frame of every stage.
        a: assumptions.
        cores: replicated pipelines.

    Returns:
        The design, or None when some stage cannot go that fast even fully unrolled.
    """
    a = a or Assumptions()
    stages: list[Stage] = []
    for l in layers:
        s = _min_stage(l, int(target_cycles), a, _in_words(stages[-1] if stages else None, l))
        if s is None:
            return None
        stages.append(s)
    return PipelineDesign(tuple(stages), a, cores)


def design_from_parallelism(layers: Sequence[Layer], parallelism: Mapping[str, tuple[int, int]],
                            a: Assumptions | None = None, cores: int = 1) -> PipelineDesign:
    """A pipeline with the given (PE, SIMD) per layer name (e.g. the C-sim configuration).

    Args:
        layers: the pipeline's layers.
        parallelism: layer name -> (pe, simd); missing layers get (1, 1).
        a: assumptions.
        cores: replicated pipelines.
    """
    a = a or Assumptions()
    unknown = sorted(set(parallelism) - {l.name for l in layers})
    if unknown:
        raise ParameterError(f"parallelism for unknown layer(s) {unknown}")
    stages: list[Stage] = []
    for l in layers:
        iw = _in_words(stages[-1] if stages else None, l)
        stages.append(stage_for_units(l, *parallelism.get(l.name, (1, 1)), a=a, in_words=iw))
    return PipelineDesign(tuple(stages), a, cores)


def _cycle_bounds(layers: Sequence[Layer], a: Assumptions) -> tuple[int, int]:
    """Cycles of the slowest stage when fully unrolled / when folded to one MAC lane."""
    lo = max(stage_for_units(l, l.out_dim, l.in_dim, a).cycles for l in layers)
    hi = max(stage_for_units(l, 1, 1, a).cycles for l in layers)
    return lo, hi


@lru_cache(maxsize=256)
def _candidates(layers: tuple[Layer, ...], a: Assumptions) -> tuple[int, ...]:
    """Every cycle count a stage can take (each layer's Pareto foldings, each input word
    width its producer's foldings allow): the only targets at which a design changes."""
    if a.folding == "ideal":
        lo, hi = _cycle_bounds(layers, a)
        return tuple(range(lo, hi + 1, max(1, (hi - lo) // 4096)))
    out: set[int] = set()
    prev_pes = {1}
    for l in layers:
        combos = _combos(l.in_dim, l.out_dim, a.folding)
        words = {1} | {l.cin // p for p in prev_pes if l.cin % p == 0}
        for _, pe, simd in combos:
            for iw in words:
                out.add(_stage(l, pe, simd, a, iw).cycles)
        prev_pes = {pe for _, pe, _ in combos}
    return tuple(sorted(out))


def _scan_fastest(layers, a, cores, ok, ok_dsp) -> PipelineDesign | None:
    """Design at the smallest candidate target satisfying ``ok``.

    DSPs only grow as the target shrinks (each stage takes the fewest lanes that meet it),
    so the first target whose DSPs fit is bisected; BRAM (bank shapes, LUTRAM thresholds)
    and LUTs are not monotone, so from there every candidate is tried in ascending order.
    """
    cands = _candidates(tuple(layers), a)
    lo, hi = 0, len(cands)
    while lo < hi:  # first candidate with a design whose DSPs fit
        mid = (lo + hi) // 2
        d = design_for_cycles(layers, cands[mid], a, cores)
        if d is not None and ok_dsp(d):
            hi = mid
        else:
            lo = mid + 1
    for T in cands[lo:]:
        d = design_for_cycles(layers, T, a, cores)
        if d is not None and ok(d):
            return d
    return None


def allocate(layers: Sequence[Layer], budget: Resources | int, a: Assumptions | None = None,
             cores: int = 1) -> PipelineDesign | None:
    """Fastest single pipeline whose resources fit ``budget`` (stages balanced by MACs).

    Every candidate target is tried from the fastest whose DSPs fit upwards (BRAM is not
    monotone in the target), so no fitting design at a smaller target is missed.

    Args:
        layers: the pipeline's layers.
        budget: resources for this pipeline, or an int meaning a DSP-only budget.
        a: assumptions.
        cores: recorded on the design (the budget is per core).

    Returns:
        The design, or None if even one MAC unit a stage does not fit.
    """
    a = a or Assumptions()
    if isinstance(budget, int):
        ok = lambda d: d.core_resources.dsp <= budget  # noqa: E731
        return _scan_fastest(layers, a, cores, ok, ok)
    return _scan_fastest(layers, a, cores, lambda d: d.core_resources.fits(budget),
                         lambda d: d.core_resources.dsp <= budget.dsp)


def _shell(a: Assumptions) -> Resources:
    return Resources(a.shell_dsp, a.shell_bram, a.shell_lut)


def best_design(layers: Sequence[Layer], budget: Resources, a: Assumptions | None = None,
                fps: float | None = None) -> PipelineDesign | None:
    """Best design on a device budget, over 1..``a.max_cores`` replicated pipelines.

    With ``fps`` None: the highest-FPS design. With ``fps``: the cheapest design reaching
    ``fps`` (fewest cores first, each core as slow as allowed), or None if none fits.

    Args:
        layers: the pipeline's layers.
        budget: device resources available (the shell is taken off first).
        a: assumptions.
        fps: required frames per second, or None.
    """
    a = a or Assumptions()
    avail = budget - _shell(a)
    if min(avail.dsp, avail.bram, avail.lut, avail.uram) < 0:
        return None
    lo, hi = _cycle_bounds(layers, a)
    cheapest = design_for_cycles(layers, hi, a)
    best: PipelineDesign | None = None
    for c in range(1, a.max_cores + 1):
        if cheapest is None or not cheapest.core_resources.times(c).fits(avail):
            break
        if fps is None:
            d = allocate(layers, avail.split(c), a, cores=c)
            if d is not None and (best is None or d.fps > best.fps):
                best = d
        else:  # the slowest (cheapest) fitting core design that still reaches fps
            tmax = int(c * a.clock_mhz * 1e6 / float(fps))
            for T in reversed([t for t in _candidates(tuple(layers), a) if t <= tmax]):
                x = design_for_cycles(layers, T, a, c)
                if x is not None and x.fps >= fps and x.core_resources.times(c).fits(avail):
                    return x
    return best


def throughput_table(widths: Iterable[int], budget: Resources, M: int = 192,
                     resolutions: Iterable[tuple[int, int]] = ((1280, 720), (1920, 1080)),
                     transforms: str | Iterable[str] = "g_a", hyper: bool = False,
                     a: Assumptions | None = None) -> pd.DataFrame:
    """Highest FPS on ``budget`` for each width and resolution.

    Args:
        widths: student widths N.
        budget: device resources (e.g. ``load_board("zcu102").budget(0.8)``).
        M: latent width.
        resolutions: ``(width, height)`` pairs.
        transforms: see :func:`codec_layers`.
        hyper: see :func:`codec_layers`.
        a: assumptions.
    """
    a = a or Assumptions()
    rows = []
    for N in widths:
        for res in resolutions:
            d = best_design(codec_layers(N, M, res, transforms, hyper, a), budget, a)
            row = {"N": N, "resolution": f"{res[0]}x{res[1]}"}
            if d is None:
                row.update({"fps": 0.0, "cores": 0})
            else:
                row.update({"fps": d.fps, "cores": d.cores, "cycles": d.cycles,
                            "bottleneck": d.bottleneck, **d.resources.as_dict()})
            rows.append(row)
    return pd.DataFrame(rows)


def compare_measured(design: PipelineDesign, measured: Mapping[str, float],
                     column: str = "cycles") -> pd.DataFrame:
    """Model cycles next to measured cycles (C-sim or RTL) a layer.

    Build ``design`` with the measured run's parallelism and frame size
    (:func:`design_from_parallelism`) for a like-for-like comparison. A last row
    ``"max stage"`` compares the slowest measured stage with the model's over the same layers.

    Args:
        design: the modelled pipeline.
        measured: layer name -> measured cycles a frame. Names the model does not know are
            kept with ``in_model=False``.
        column: model quantity to compare: ``"cycles"`` (with overheads; RTL) or
            ``"compute_cycles"`` (MAC-loop iterations only, what hls/src's
            ``LIC_COUNT_CYCLE`` counters count in C-sim).

    Returns:
        Columns ``layer, model_cycles, measured_cycles, ratio`` (measured / model),
        ``error_pct`` and ``in_model``.
    """
    if column not in ("cycles", "compute_cycles"):
        raise ParameterError(f"column must be 'cycles' or 'compute_cycles', got {column!r}")
    model = {s.layer.name: getattr(s, column) for s in design.stages}
    rows = []
    for name, m in measured.items():
        mc = model.get(name)
        m = float(m)
        rows.append({"layer": name, "model_cycles": mc, "measured_cycles": m,
                     "ratio": m / mc if mc else float("nan"),
                     "error_pct": 100.0 * (mc - m) / m if mc and m else float("nan"),
                     "in_model": mc is not None})
    known = [r for r in rows if r["in_model"]]
    if known:
        mc = max(r["model_cycles"] for r in known)
        m = max(r["measured_cycles"] for r in known)
        rows.append({"layer": "max stage", "model_cycles": mc, "measured_cycles": m,
                     "ratio": m / mc, "error_pct": 100.0 * (mc - m) / m if m else float("nan"),
                     "in_model": True})
    return pd.DataFrame(rows, columns=["layer", "model_cycles", "measured_cycles", "ratio",
                                       "error_pct", "in_model"])


def _fifo_depth(stage: Stage) -> int:
    """FIFO after a stage: two pixels of its PE-wide output words, a power of two >= 2."""
    words = max(1, stage.layer.cout // stage.pe)
    return 1 << max(1, (2 * words - 1).bit_length())


def plan_design(design: PipelineDesign, transform: str, board: str = "",
                resolution: tuple[int, int] = (0, 0)):
    """The :class:`lic.folding.FoldingPlan` of a modelled pipeline (one core).

    Args:
        design: from :func:`best_design` / :func:`design_from_parallelism`.
        transform: ``"g_a"``, ``"g_s"``, ``"h_a"`` or ``"h_s"``.
        board: board key recorded on the plan.
        resolution: ``(width, height)`` recorded on the plan.
    """
    from .folding import FoldingPlan, LayerFold

    folds = []
    prev = None
    for s in design.stages:
        l = s.layer
        conv = not l.is_gdn
        rows = (CONV_LB_ROWS if l.kind == "conv" else DECONV_LB_ROWS) if conv else 0
        folds.append(LayerFold(
            name=l.name, kind=l.kind, cin=l.cin, cout=l.cout, k=l.k, stride=l.stride,
            hin=l.hin, win=l.win, pe=s.pe, simd=s.simd, fifo_depth=_fifo_depth(s),
            linebuf_rows=rows, linebuf_width=l.win if conv else 0, cycles=s.compute_cycles,
            in_words=_in_words(prev, l), dsp=s.resources.dsp, bram=s.resources.bram,
            lut=s.resources.lut, ff=s.resources.ff))
        prev = s
    a = design.assumptions
    notes = {"fps": design.fps, "cycles": design.cycles, "cores": design.cores,
             "bottleneck": design.bottleneck, "stage_overhead_cycles": a.stage_overhead_cycles,
             "resources": design.resources.as_dict(), "label": "modelled (lic.fpga_model)"}
    return FoldingPlan(transform=transform, layers=tuple(folds), board=board,
                       resolution=tuple(resolution), clock_mhz=a.clock_mhz, notes=notes)


def folding_plan(N: int, M: int = 192, board="zcu102", resolution: tuple[int, int] = (1280, 720),
                 clock_mhz: float | None = None, transform: str = "g_a", utilisation: float = 0.8,
                 assumptions: Assumptions | None = None, fps: float | None = None):
    """The model's folding plan for one transform on a board, resolution and clock.

    Args:
        N, M: transform and latent widths.
        board: board key (:mod:`lic.boards`) or a :class:`lic.boards.Board`.
        resolution: ``(width, height)``.
        clock_mhz: pipeline clock; default the board's planning clock; must lie in the
            board's ``clock_range_mhz``.
        transform: ``"g_a"``, ``"g_s"``, ``"h_a"`` or ``"h_s"`` (one pipeline).
        utilisation: fraction of every board resource the design may use.
        assumptions: model constants (the clock is overridden).
        fps: None for the fastest fitting design, else the cheapest reaching ``fps``.

    Returns:
        :class:`lic.folding.FoldingPlan` of one pipeline; ``notes`` hold the design's fps,
        cycles, ``cores`` (replicated pipelines the fps and ``resources`` count) and label.

    Raises:
        ParameterError: clock outside the board's range, or no design fits.
    """
    from .boards import load_board

    b = load_board(board)
    clock = float(clock_mhz or b.clock_mhz)
    lo, hi = b.clock_range_mhz
    if not lo <= clock <= hi:
        raise ParameterError(f"clock {clock:g} MHz outside {b.name}'s range {lo:g}..{hi:g} MHz")
    if transform not in ("g_a", "g_s", "h_a", "h_s"):
        raise ParameterError(f"transform must be one of g_a, g_s, h_a, h_s, got {transform!r}")
    a = replace(assumptions or Assumptions(), clock_mhz=clock)
    layers = codec_layers(N, M, resolution, transform, a=a)
    d = best_design(layers, b.budget(utilisation), a, fps=fps)
    if d is None:
        raise ParameterError(f"N={N} {transform} at {resolution[0]}x{resolution[1]} does not fit "
                             f"{b.name} at {utilisation:.0%}" + (f" at {fps:g} fps" if fps else ""))
    return plan_design(d, transform, b.name, resolution)


def codec_fps(N: int, M: int = 192, board="zcu102", resolution: tuple[int, int] = (1280, 720),
              clock_mhz: float | None = None, utilisation: float = 0.8,
              assumptions: Assumptions | None = None) -> pd.DataFrame:
    """Encoder and decoder throughput, each alone on the board (one bitstream each).

    Rows: ``g_a``, ``g_s``, ``h_a``, ``h_s`` (each alone), ``encoder`` (g_a + h_a + h_s in one
    pipeline) and ``decoder`` (h_s + g_s).

    Args:
        N, M, board, resolution, clock_mhz, utilisation, assumptions: as :func:`folding_plan`.
    """
    from .boards import load_board

    b = load_board(board)
    a = replace(assumptions or Assumptions(), clock_mhz=float(clock_mhz or b.clock_mhz))
    rows = []
    for name, tr, hyper in (("g_a", "g_a", False), ("g_s", "g_s", False), ("h_a", "h_a", False),
                            ("h_s", "h_s", False), ("encoder", "g_a", True),
                            ("decoder", "g_s", True)):
        d = best_design(codec_layers(N, M, resolution, tr, hyper, a), b.budget(utilisation), a)
        r = d.resources if d else Resources()
        rows.append({"pipeline": name, "fps": d.fps if d else 0.0, "cores": d.cores if d else 0,
                     "cycles": d.cycles if d else None, "bottleneck": d.bottleneck if d else None,
                     **r.as_dict(), "clock_mhz": a.clock_mhz, "label": "modelled (lic.fpga_model)"})
    return pd.DataFrame(rows)
