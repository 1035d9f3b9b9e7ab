"""The folding plan: one description of the accelerator that the model, the HLS and the RTL share.

As in FINN's folding config, a plan lists, per layer of a transform, how the layer's
matrix-vector product is folded onto hardware lanes:

* ``pe``: output lanes a beat (conv/deconv: output channels; GDN/IGDN: output channels of the
  :math:`\\gamma` matrix-vector product, each with its own rsqrt/sqrt/divide unit);
* ``simd``: input lanes a beat (conv: elements of the ``K*K*C_in`` window vector; deconv: of its
  phase-uniform tap vector; GDN: elements of the :math:`C` input vector);
* ``fifo_depth``: depth, in beats, of the stream FIFO after the layer;
* ``linebuf_rows`` x ``linebuf_width`` x ``cin``: the layer's own line buffer (0 for GDN).

:func:`lic.hw.fpga_model` chooses a plan for a board, resolution and clock; :mod:`lic.hw.hls_export`
writes it into the kernels' config structs; the RTL generator reads the same object. A plan is
plain data and round-trips through JSON (:meth:`FoldingPlan.to_dict` / :meth:`from_dict`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from lic.errors import ParameterError

__all__ = ["LayerFold", "FoldingPlan"]

KINDS = ("conv", "deconv", "gdn", "igdn")


@dataclass(frozen=True)
class LayerFold:
    """Folding of one layer (one pipeline stage).

    Args:
        name: CompressAI module path, e.g. ``"g_a.0"``.
        kind: ``"conv"``, ``"deconv"``, ``"gdn"`` or ``"igdn"``.
        cin, cout, k, stride: channels, kernel size and stride (GDN: ``k=1, stride=1``).
        hin, win: input grid the plan was sized for (line buffers hold ``win`` pixels).
        pe, simd: output and input lanes a beat (see the module docstring).
        fifo_depth: beats of the FIFO after this stage.
        linebuf_rows, linebuf_width: line-buffer rows and pixels a row (0 for GDN/IGDN).
        cycles: modelled beats a frame at ``hin`` x ``win`` (:mod:`lic.hw.kernel_beats`; the C-sim
            counts the same beats; 0 when not modelled).
        in_words: stream words carrying one input pixel (``cin`` / the producer's PE).
        dsp, bram, lut, ff: modelled resources of the stage (BRAM36).
        in_bits: bits of an input value of a conv / deconv (the RTL's line-buffer words, :mod:`lic.hw.rtl.linebuf`).
    """

    name: str
    kind: str
    cin: int
    cout: int
    k: int
    stride: int
    hin: int
    win: int
    pe: int = 1
    simd: int = 1
    fifo_depth: int = 2
    linebuf_rows: int = 0
    linebuf_width: int = 0
    cycles: int = 0
    in_words: int = 1
    dsp: int = 0
    bram: int = 0
    lut: int = 0
    ff: int = 0
    in_bits: int = 8

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ParameterError(f"{self.name}: kind must be one of {KINDS}, got {self.kind!r}")
        for n in ("cin", "cout", "k", "stride", "hin", "win", "pe", "simd", "fifo_depth", "in_bits"):
            if int(getattr(self, n)) < 1:
                raise ParameterError(f"{self.name}: {n} must be >= 1, got {getattr(self, n)}")
        if self.cout % self.pe:
            raise ParameterError(f"{self.name}: pe={self.pe} must divide cout={self.cout}")
        if self.cin % self.in_words:
            raise ParameterError(f"{self.name}: in_words={self.in_words} must divide cin={self.cin}")
        if self.in_dim % self.simd:
            raise ParameterError(f"{self.name}: simd={self.simd} must divide the input vector "
                                 f"length {self.in_dim}")

    @property
    def in_dim(self) -> int:
        """Length of the input vector SIMD folds: ``K*K*C_in`` (conv), ``ceil(K/s)^2*C_in``
        (phase-uniform deconv), ``C`` (GDN/IGDN)."""
        if self.kind == "conv":
            return self.k * self.k * self.cin
        if self.kind == "deconv":
            return (-(-self.k // self.stride)) ** 2 * self.cin
        return self.cin

    @property
    def out_words(self) -> int:
        """Stream words carrying one output pixel (PE-wide words)."""
        return self.cout // self.pe

    @property
    def lanes(self) -> int:
        """MAC lanes of the stage: ``pe * simd``."""
        return self.pe * self.simd

    @property
    def folds(self) -> tuple[int, int]:
        """``(output folds, input folds)`` = ``(cout/pe, in_dim/simd)``: beats a pixel."""
        return self.cout // self.pe, self.in_dim // self.simd


@dataclass(frozen=True)
class FoldingPlan:
    """A whole transform's folding for one board, resolution and clock.

    Args:
        transform: ``"g_a"``, ``"g_s"``, ``"h_a"`` or ``"h_s"``.
        board: board name (:mod:`lic.hw.boards`), "" for hand-made plans.
        resolution: ``(width, height)`` the plan was chosen for.
        clock_mhz: pipeline clock.
        layers: the stages in stream order.
    """

    transform: str
    layers: tuple[LayerFold, ...]
    board: str = ""
    resolution: tuple[int, int] = (0, 0)
    clock_mhz: float = 0.0
    notes: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "resolution", tuple(int(v) for v in self.resolution))
        if not self.layers:
            raise ParameterError("a folding plan needs at least one layer")

    def layer(self, name: str) -> LayerFold:
        """The fold of layer ``name`` (KeyError-free: raises ParameterError)."""
        for lf in self.layers:
            if lf.name == name:
                return lf
        raise ParameterError(f"plan has no layer {name!r}; it has {[l.name for l in self.layers]}")

    def with_layer(self, name: str, **changes) -> "FoldingPlan":
        """A copy with one layer's fields changed (validated)."""
        self.layer(name)
        return replace(self, layers=tuple(replace(l, **changes) if l.name == name else l
                                          for l in self.layers))

    def table(self):
        """One row a layer: lanes, folds, FIFO, line buffer, beats and resources (pandas)."""
        import pandas as pd

        return pd.DataFrame([{"layer": l.name, "kind": l.kind, "pe": l.pe, "simd": l.simd,
                              "lanes": l.lanes, "in_words": l.in_words, "fifo_depth": l.fifo_depth,
                              "linebuf": f"{l.linebuf_rows}x{l.linebuf_width}x{l.cin}"
                              if l.linebuf_rows else "-", "cycles": l.cycles, "dsp": l.dsp,
                              "bram36": l.bram, "lut": l.lut, "ff": l.ff} for l in self.layers])

    def to_dict(self) -> dict:
        """Plain JSON-ready dict."""
        d = asdict(self)
        d["resolution"] = list(self.resolution)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "FoldingPlan":
        """Inverse of :meth:`to_dict`."""
        try:
            layers = tuple(LayerFold(**l) for l in d["layers"])
            return cls(transform=d["transform"], layers=layers, board=d.get("board", ""),
                       resolution=tuple(d.get("resolution", (0, 0))),
                       clock_mhz=float(d.get("clock_mhz", 0.0)), notes=dict(d.get("notes", {})))
        except (KeyError, TypeError) as e:
            raise ParameterError(f"not a folding plan: {e}") from e
