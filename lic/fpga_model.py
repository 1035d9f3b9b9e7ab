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
  ``pad_multiple`` (64, as the codec runs) before the first layer.
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
to MACs (balanced stages) up to folding granularity, and ``T`` is bisected to the smallest
value whose design fits the budget. All resources grow monotonically as ``T`` shrinks, so a
bigger budget never gives a slower design.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

import pandas as pd

from .errors import ParameterError

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
    "STANDARD_RESOLUTIONS",
]

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

    clock_mhz: float = _a(200.0, "MHz", "programmable-logic clock of the pipeline")
    int8_macs_per_dsp: int = _a(1, "MAC/DSP", "int8 MAC units per DSP48E2; 2 with INT8 "
                                "packing (Xilinx WP486), 1 is the honest default for HLS")
    dsp_per_mul32: int = _a(4, "DSP", "DSP48E2 per 32x32-bit multiply of the GDN datapath "
                            "(4 for the full 64-bit product, 3 if only low 32 bits are kept)")
    dsp_per_nonlinear: int = _a(0, "DSP", "DSP48E2 per rsqrt/sqrt/divide unit (LUT-based by default)")
    lut_per_mac8: int = _a(20, "LUT", "LUTs per int8 MAC unit beside its DSP (adder tree, "
                           "accumulator, mux); rough, calibrate against synthesis")
    lut_per_mac32: int = _a(80, "LUT", "LUTs per 32-bit GDN MAC/multiply unit beside its DSPs "
                            "(wide accumulators); rough")
    lut_per_nonlinear: int = _a(2000, "LUT", "LUTs per pipelined 32-bit divide/rsqrt unit, II=1; rough")
    lut_per_stage: int = _a(1000, "LUT", "fixed LUTs a stage (sliding window, FIFOs, control)")
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
    weight_banking: str = _a("partition", "-", "'partition': one weight memory per MAC lane (cyclic "
                             "ARRAY_PARTITION by PE*SIMD, as hls/src); 'reshape': wide words, "
                             "blocks = max(capacity, P*bits/port)")
    lutram_max_depth: int = _a(64, "words", "a weight bank this shallow or less goes to LUTRAM "
                               "(1 LUT per 64 x 1 bit) instead of a BRAM18")
    line_buffer_extra_rows: int = _a(1, "rows", "rows buffered beyond the minimum K-1 (conv) / "
                                     "ceil(K/s)-1 (deconv); 1 = hls/src kernels (load overlaps "
                                     "compute), 0 = textbook. bits = rows*W_in*C_in*act_bits")
    deconv_schedule: str = _a("phase_uniform", "-", "'phase_uniform': ceil(K/s)^2*C_in tap slots a "
                              "output pixel (hls/src/deconv.h, 36 slots per input pixel for K=5, "
                              "s=2); 'input_grid': K^2 taps per input pixel (no idle slots)")
    pad_multiple: int = _a(64, "px", "frame padded to this multiple before g_a (codec convention)")
    folding: str = _a("exact", "-", "'exact': PE | out-dim, SIMD | in-dim (FINN rule, hls/src); "
                      "'ceil': any PE/SIMD, ceil(in/SIMD)*ceil(out/PE) iterations; 'ideal': "
                      "ceil(slots/P) for any P, no fold overhead")
    stage_overhead_cycles: int = _a(64, "cycles", "per-stage, per-frame pipeline depth/fill overhead")
    row_overhead_cycles: int = _a(0, "cycles", "extra cycles per row of a stage's loop nest")
    fold_overhead_cycles: int = _a(0, "cycles", "extra cycles per (pixel, output fold): loop "
                                   "entry/exit, write-back, un-pipelined GDN tail; 0 = flattened loops")
    serial_input_load: bool = _a(False, "-", "input rows loaded in a loop that does not overlap "
                                 "compute (+H_in*W_in*C_in cycles a frame, as hls/src today)")
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
        for name, ok in (("weight_memory", ("bram", "uram")), ("weight_banking", ("partition", "reshape")),
                         ("deconv_schedule", ("phase_uniform", "input_grid")),
                         ("folding", ("exact", "ceil", "ideal"))):
            if getattr(self, name) not in ok:
                raise ParameterError(f"{name} must be one of {ok}, got {getattr(self, name)!r}")
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
                raise ParameterError(f"assumption {f.name} must be >= 0, got {v}")
        for name in ("clock_mhz", "int8_macs_per_dsp", "bram_bits", "bram_port_bits",
                     "uram_bits", "uram_port_bits", "pad_multiple", "max_cores"):
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
    m = a.pad_multiple
    H, W = -(-h0 // m) * m, -(-w0 // m) * m
    out: list[Layer] = []
    for t in _expand_transforms(transforms, hyper):
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
                out.append(lay)
                h, w = lay.hout, lay.wout
                if i < 3:
                    out.append(Layer.gdn(f"g_s.{2 * i + 1}", N, h, w, True, a.gdn, t))
        elif t == "h_a":
            h, w = H // 16, W // 16
            l0 = Layer.conv("h_a.0", M, N, h, w, k=3, stride=1, transform=t)
            l1 = Layer.conv("h_a.2", N, N, l0.hout, l0.wout, transform=t)
            l2 = Layer.conv("h_a.4", N, N, l1.hout, l1.wout, transform=t)
            out += [l0, l1, l2]
        else:  # h_s
            h, w = H // 64, W // 64
            l0 = Layer.deconv("h_s.0", N, N, h, w, transform=t, schedule=a.deconv_schedule)
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


def _weight_memory(layer: Layer, P: int, a: Assumptions) -> tuple[int, int, int]:
    """(BRAM36, URAM, LUT) holding the layer's weights and biases for ``P`` MAC lanes."""
    if not a.weights_on_chip:
        return 0, 0, 0
    wb = a.gdn_bits if layer.is_gdn else a.weight_bits
    bb = a.gdn_bits if layer.is_gdn else a.bias_bits
    lut = -(-layer.biases // 64) * bb  # biases / beta: small, LUTRAM
    total = layer.weights * wb
    if a.weight_memory == "uram":
        return 0, max(-(-total // a.uram_bits), -(-(P * wb) // a.uram_port_bits)), lut
    if a.weight_banking == "reshape":
        return max(-(-total // a.bram_bits), -(-(P * wb) // a.bram_port_bits)), 0, lut
    banks = min(P, layer.weights)
    depth = -(-layer.weights // banks)
    if depth <= a.lutram_max_depth:
        return 0, 0, lut + banks * -(-depth // 64) * wb
    bram18 = banks * -(-(depth * wb) // (a.bram_bits // 2))
    return -(-bram18 // 2), 0, lut


def _compute_cycles(layer: Layer, pe: int, simd: int, a: Assumptions) -> int:
    if a.folding == "ideal":
        return -(-layer.slots // (pe * simd))
    return layer.iters * (-(-layer.in_dim // simd)) * (-(-layer.out_dim // pe))


def stage_for_units(layer: Layer, pe: int, simd: int, a: Assumptions | None = None) -> Stage:
    """Cost of ``layer`` run with ``pe`` x ``simd`` MAC lanes.

    Compute cycles are ``iters * ceil(in_dim/simd) * ceil(out_dim/pe)`` (= ``slots / P`` under
    exact folding). GDN non-linear units and elementwise multipliers are sized so they never
    slow the stage down: ``ceil(ops / compute_cycles)``.

    Args:
        layer: the layer.
        pe: output parallelism (divides ``layer.out_dim`` under exact folding).
        simd: input parallelism (divides ``layer.in_dim`` under exact folding).
        a: assumptions.
    """
    a = a or Assumptions()
    pe, simd = int(pe), int(simd)
    if a.folding == "ideal" and pe == 1 and 1 <= simd <= layer.in_dim * layer.out_dim:
        pass  # ideal folding: P = simd lanes in any arrangement
    elif pe < 1 or simd < 1 or pe > layer.out_dim or simd > layer.in_dim:
        raise ParameterError(f"{layer.name}: pe={pe}, simd={simd} outside 1..{layer.out_dim} "
                             f"x 1..{layer.in_dim}")
    if a.folding == "exact" and (layer.out_dim % pe or layer.in_dim % simd):
        raise ParameterError(f"{layer.name}: pe={pe} must divide {layer.out_dim} and simd={simd} "
                             f"divide {layer.in_dim} (folding='exact')")
    P = pe * simd
    comp = _compute_cycles(layer, pe, simd, a)
    nl = -(-layer.nonlinear // comp) if layer.nonlinear else 0
    mu = -(-layer.elementwise // comp) if layer.elementwise else 0
    wbram, wuram, wlut = _weight_memory(layer, P, a)
    if layer.is_gdn:
        dsp = (P + mu) * a.dsp_per_mul32 + nl * a.dsp_per_nonlinear
        lut = (P + mu) * a.lut_per_mac32 + nl * a.lut_per_nonlinear + a.lut_per_stage
        lb_bram = 0
    else:
        dsp = -(-P // a.int8_macs_per_dsp)
        lut = P * a.lut_per_mac8 + a.lut_per_stage
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
                 Resources(dsp, lb_bram + wbram, lut + wlut, wuram))


def _min_stage(layer: Layer, target: int, a: Assumptions) -> Stage | None:
    """Cheapest stage of ``layer`` (fewest MAC lanes) taking <= ``target`` cycles; None if none."""
    budget = target - _overhead(layer, a)
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
    Ps, neg_its, ps = _options(layer.in_dim, layer.out_dim, a.folding)
    need_it = budget // layer.iters  # iterations a product may take, ignoring fold overhead
    if need_it < 1:
        return None
    i = bisect.bisect_left(neg_its, -need_it)  # first option with iterations <= need_it
    for j in range(i, len(Ps)):
        pe, simd = ps[j]
        fold = layer.iters * (-(-layer.out_dim // pe)) * a.fold_overhead_cycles
        if layer.iters * -neg_its[j] + fold <= budget:
            return stage_for_units(layer, pe, simd, a)
    return None


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
                         "simd": s.simd, "units": s.units, "nonlinear_units": s.nonlinear_units,
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
    stages = []
    for l in layers:
        s = _min_stage(l, int(target_cycles), a)
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
    return PipelineDesign(tuple(stage_for_units(l, *parallelism.get(l.name, (1, 1)), a=a)
                                for l in layers), a, cores)


def _cycle_bounds(layers: Sequence[Layer], a: Assumptions) -> tuple[int, int]:
    """Cycles of the slowest stage when fully unrolled / when folded to one MAC lane."""
    lo = max(stage_for_units(l, l.out_dim, l.in_dim, a).cycles for l in layers)
    hi = max(stage_for_units(l, 1, 1, a).cycles for l in layers)
    return lo, hi


def _bisect_fastest(layers, a, cores, ok) -> PipelineDesign | None:
    """Smallest target T whose design satisfies ``ok`` (monotone in T)."""
    lo, hi = _cycle_bounds(layers, a)
    best = design_for_cycles(layers, hi, a, cores)
    if best is None or not ok(best):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        d = design_for_cycles(layers, mid, a, cores)
        if d is not None and ok(d):
            best, hi = d, mid
        else:
            lo = mid + 1
    return best


def allocate(layers: Sequence[Layer], budget: Resources | int, a: Assumptions | None = None,
             cores: int = 1) -> PipelineDesign | None:
    """Fastest single pipeline whose resources fit ``budget`` (stages balanced by MACs).

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
        return _bisect_fastest(layers, a, cores, lambda d: d.core_resources.dsp <= budget)
    return _bisect_fastest(layers, a, cores, lambda d: d.core_resources.fits(budget))


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
        else:
            d = design_for_cycles(layers, lo, a, c)  # fastest possible core
            if d is None or d.fps < fps:
                continue
            # slowest (cheapest) core design that still reaches fps: bisect on T downwards
            lo_t, hi_t = d.cycles, hi
            good = d
            while lo_t < hi_t:
                mid = (lo_t + hi_t + 1) // 2
                x = design_for_cycles(layers, mid, a, c)
                if x is not None and x.fps >= fps:
                    good, lo_t = x, mid
                else:
                    hi_t = mid - 1
            if good.core_resources.times(c).fits(avail):
                return good
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
