"""The folding plan of a transform for a board, and encoder / decoder throughput."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from lic.errors import ParameterError
from lic.hw.fpga_model.core import Assumptions, codec_layers
from lic.hw.fpga_model.search import PipelineDesign, _in_words, best_design, design_row
from lic.hw.fpga_model.stage import Stage
from lic.hw.kernel_beats import CONV_LB_ROWS, DECONV_LB_ROWS

__all__ = ["folding_plan", "plan_design", "codec_fps"]


def _fifo_depth(stage: Stage) -> int:
    """FIFO after a stage: two pixels of its PE-wide output words, a power of two >= 2."""
    words = max(1, stage.layer.cout // stage.pe)
    return 1 << max(1, (2 * words - 1).bit_length())


def plan_design(design: PipelineDesign, transform: str, board: str = "",
                resolution: tuple[int, int] = (0, 0)):
    """The :class:`lic.hw.folding.FoldingPlan` of a modelled pipeline (one core).

    Args:
        design: from :func:`best_design` / :func:`design_from_parallelism`.
        transform: ``"g_a"``, ``"g_s"``, ``"h_a"`` or ``"h_s"``.
        board: board key recorded on the plan.
        resolution: ``(width, height)`` recorded on the plan.
    """
    from lic.hw.folding import FoldingPlan, LayerFold

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
             "resources": design.resources.as_dict(), "label": "modelled (lic.hw.fpga_model)"}
    return FoldingPlan(transform=transform, layers=tuple(folds), board=board,
                       resolution=tuple(resolution), clock_mhz=a.clock_mhz, notes=notes)


def folding_plan(N: int, M: int = 192, board="zcu102", resolution: tuple[int, int] = (1280, 720),
                 clock_mhz: float | None = None, transform: str = "g_a", utilisation: float = 0.8,
                 assumptions: Assumptions | None = None, fps: float | None = None):
    """The model's folding plan for one transform on a board, resolution and clock.

    Args:
        N, M: transform and latent widths.
        board: board key (:mod:`lic.hw.boards`) or a :class:`lic.hw.boards.Board`.
        resolution: ``(width, height)``.
        clock_mhz: pipeline clock; default the board's planning clock; must lie in the
            board's ``clock_range_mhz``.
        transform: ``"g_a"``, ``"g_s"``, ``"h_a"`` or ``"h_s"`` (one pipeline).
        utilisation: fraction of every board resource the design may use.
        assumptions: model constants (the clock is overridden).
        fps: None for the fastest fitting design, else the cheapest reaching ``fps``.

    Returns:
        :class:`lic.hw.folding.FoldingPlan` of one pipeline; ``notes`` hold the design's fps,
        cycles, ``cores`` (replicated pipelines the fps and ``resources`` count) and label.

    Raises:
        ParameterError: clock outside the board's range, or no design fits.
    """
    from lic.hw.boards import load_board

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
    from lic.hw.boards import load_board

    b = load_board(board)
    a = replace(assumptions or Assumptions(), clock_mhz=float(clock_mhz or b.clock_mhz))
    rows = []
    for name, tr, hyper in (("g_a", "g_a", False), ("g_s", "g_s", False), ("h_a", "h_a", False),
                            ("h_s", "h_s", False), ("encoder", "g_a", True),
                            ("decoder", "g_s", True)):
        d = best_design(codec_layers(N, M, resolution, tr, hyper, a), b.budget(utilisation), a)
        rows.append({"pipeline": name, **design_row(d), "clock_mhz": a.clock_mhz,
                     "label": "modelled (lic.hw.fpga_model)"})
    return pd.DataFrame(rows)

