"""Model constants (:class:`Assumptions`), resource vectors, the codec's layers and the yosys
unit table the per-lane costs come from."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Iterable, Sequence

import pandas as pd

from lic.errors import ParameterError

__all__ = ["Assumptions", "assumptions", "describe", "Resources", "Layer", "gdn_ops", "codec_layers", "layer_table", "YOSYS_UNITS", "STANDARD_RESOLUTIONS"]
#: Per-unit yosys counts (``synth_xilinx -family xcup``) of the hand-written RTL units, the
#: source of the LUT/FF/DSP-per-lane assumptions (hls/rtl/README.md, :func:`lic.hw.rtl.synthesize`).
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
                       "(lic.hw.kernel_beats: fold steps, window loads and input reads overlapped, "
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


