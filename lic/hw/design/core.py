"""The width-for-board answer: a :class:`Target`, the frontier of widths on it, the widest that fits."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

from lic.errors import ParameterError
from lic.hw.boards import Board, list_boards, load_board
from lic.hw.fpga_model import (STANDARD_RESOLUTIONS, Assumptions, Layer, PipelineDesign, Resources, best_design,
                               best_designs, codec_layers)
from lic.hw.fpga_model import assumptions as make_assumptions

__all__ = ["STUDENT_WIDTHS", "TEACHER_N", "Target", "Suggestion", "WidthChoice", "bd_rate_at", "load_rd",
           "frontier", "choose_width"]

STUDENT_WIDTHS = (16, 32, 64, 96, 112)
TEACHER_N = 128


@dataclass(frozen=True)
class Target:
    """What a design must meet and what it may use: one object instead of eight arguments.

    Args:
        board: board key (``lic.hw.boards.list_boards()``) or :class:`lic.hw.boards.Board`.
        resolution: ``(width, height)`` of the frames.
        fps: required frames per second (None: no target, e.g. for :func:`frontier` alone).
        clock_mhz: clock (default: the board's planning clock).
        utilisation: fraction of every resource the design may use.
        transforms: layers on the FPGA (see :func:`lic.hw.fpga_model.codec_layers`; default ``g_a``).
        hyper: add the hyper transforms.
        M: latent width.
        assumptions: model constants (the clock is overridden by ``clock_mhz`` / the board's).

    Raises:
        ParameterError: resolution not two positive integers, ``fps`` not > 0, utilisation outside (0, 1].
    """

    board: str | Board = "zcu102"
    resolution: tuple[int, int] = (1280, 720)
    fps: float | None = None
    clock_mhz: float | None = None
    utilisation: float = 0.8
    transforms: str | Sequence[str] = "g_a"
    hyper: bool = False
    M: int = 192
    assumptions: Assumptions | None = None

    def __post_init__(self):
        if not 0.0 < float(self.utilisation) <= 1.0:
            raise ParameterError(f"utilisation must be in (0, 1], got {self.utilisation}")
        try:
            w, h = (int(v) for v in self.resolution)
        except (TypeError, ValueError):
            raise ParameterError(f"resolution must be (width, height), got {self.resolution!r}") from None
        if w < 1 or h < 1:
            raise ParameterError(f"resolution must be positive, got {w}x{h}")
        if self.fps is not None and not float(self.fps) > 0:
            raise ParameterError(f"fps must be > 0, got {self.fps}")
        object.__setattr__(self, "resolution", (w, h))
        if self.fps is not None:
            object.__setattr__(self, "fps", float(self.fps))

    def setup(self) -> tuple[Board, Resources, Assumptions]:
        """The board, its budget at :attr:`utilisation`, and the assumptions at the target's clock.

        Raises:
            ParameterError: unknown board.
        """
        b = load_board(self.board)
        a = make_assumptions(self.assumptions or Assumptions(),
                             clock_mhz=float(self.clock_mhz) if self.clock_mhz else b.clock_mhz)
        return b, b.budget(self.utilisation), a

    def layers(self, N: int, a: Assumptions) -> list[Layer]:
        """The layers of width ``N`` that run on the FPGA at this target's frame size."""
        return codec_layers(N, self.M, self.resolution, self.transforms, self.hyper, a)


def _rd_table(rd: Mapping | None, teacher_N: int | None) -> dict[int, float] | None:
    if rd is None:
        return None
    try:
        table = {int(k): float(v) for k, v in rd.items()}
    except (TypeError, ValueError, AttributeError):
        raise ParameterError("rd must map width N -> BD-rate %, e.g. {64: 3.1}") from None
    if teacher_N is not None:
        table.setdefault(int(teacher_N), 0.0)  # the teacher against itself
    return table


def bd_rate_at(N: int, rd: Mapping | None, teacher_N: int | None = TEACHER_N
               ) -> tuple[float | None, bool]:
    """BD-rate (%) of width ``N`` vs the teacher: measured, interpolated, or unknown.

    Args:
        N: width.
        rd: width -> BD-rate % (stage 02), or None.
        teacher_N: width of the teacher, whose BD-rate is 0 by definition (None: no such point).

    Returns:
        ``(bd_rate, interpolated)``: exact value and False at a measured width; linear
        interpolation in N and True between measured widths; ``(None, False)`` outside
        their range or without ``rd``.

    Raises:
        ParameterError: ``rd`` is not a mapping of numbers.
    """
    table = _rd_table(rd, teacher_N)
    if not table:
        return None, False
    N = int(N)
    if N in table:
        return table[N], False
    below = [n for n in table if n < N]
    above = [n for n in table if n > N]
    if not below or not above:
        return None, False
    lo, hi = max(below), min(above)
    t = (N - lo) / (hi - lo)
    return table[lo] + t * (table[hi] - table[lo]), True


#: where a record of a width states its BD-rate vs the teacher, first found wins
_BD_KEYS = ("bd_rate", "bd_rate_vs_teacher", "bd_rate_kd_vs_teacher")


def load_rd(path: str | Path) -> dict[int, float]:
    """Read a width -> BD-rate mapping from JSON.

    Accepted shapes: ``{"64": 3.1, …}``; the same under a key ``"rd_by_width"`` (stage 05's
    ``results.json``), ``"bd_rate"`` or ``"bd_rate_vs_teacher"``; or a list of records
    ``[{"N": 64, "bd_rate": 3.1}, …]`` (BD-rate also as ``bd_rate_vs_teacher`` or ``bd_rate_kd_vs_teacher``),
    alone or under those keys or ``"summary"`` (stage 02's ``results.json``: its KD students). The file's
    data only: this layer knows no stage.

    Args:
        path: JSON file (e.g. stage 02's ``results.json``).

    Raises:
        ParameterError: no such file, not JSON, or none of the shapes above.
    """
    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"rd file not found: {p}")
    try:
        raw = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ParameterError(f"rd file {p} is not JSON: {exc.msg} at line {exc.lineno}") from None
    for key in ("rd_by_width", "bd_rate_vs_teacher", "bd_rate", "summary"):
        if isinstance(raw, dict) and key in raw:
            raw = raw[key]
            break
    if isinstance(raw, list):
        try:
            raw = {r["N"]: next((r[k] for k in _BD_KEYS if k in r), None) for r in raw}
        except (TypeError, KeyError):
            raise ParameterError(f"rd file {p}: records need 'N' and 'bd_rate'") from None
    try:  # NaN = not measurable (e.g. the curves do not overlap): dropped, i.e. unknown
        return {int(k): float(v) for k, v in raw.items() if v is not None and not math.isnan(float(v))}
    except (AttributeError, TypeError, ValueError):
        raise ParameterError(f"rd file {p}: expected a mapping N -> BD-rate %") from None


@dataclass
class Suggestion:
    """One way to make the narrowest width fit.

    Args:
        kind: ``"fps"``, ``"resolution"``, ``"assumption"`` or ``"board"``.
        value: the FPS, ``(width, height)``, assumption or board name that makes it fit.
        N: the widest width that fits with this change.
        fps: FPS predicted with this change.
        text: one readable line.
    """

    kind: str
    value: object
    N: int
    fps: float
    text: str


@dataclass
class WidthChoice:
    """Answer of :func:`choose_width`.

    Args:
        board: board key.
        resolution: ``(width, height)`` asked for.
        fps_target: FPS asked for.
        fits: whether some width meets the target.
        N: the widest fitting width (None if none).
        fps: FPS of the cheapest design of ``N`` that meets the target.
        fps_max: highest FPS of width ``N`` on the board.
        design: that cheapest design (parallelism, cores, resources).
        budget: resources available (board x utilisation).
        bd_rate: BD-rate % vs teacher, None when unknown.
        interpolated: BD-rate interpolated between measured widths.
        suggestions: when nothing fits, changes that make the narrowest width fit.
        table: :func:`frontier` of all candidate widths.
        rd_given: whether a BD-rate mapping was passed.
    """

    board: str
    resolution: tuple[int, int]
    fps_target: float
    fits: bool
    N: int | None
    fps: float | None
    fps_max: float | None
    design: PipelineDesign | None
    budget: Resources
    bd_rate: float | None = None
    interpolated: bool = False
    suggestions: list[Suggestion] = field(default_factory=list)
    table: pd.DataFrame | None = None
    rd_given: bool = False

    @property
    def resources(self) -> Resources | None:
        """Resources used by :attr:`design` (None if nothing fits)."""
        return self.design.resources if self.design is not None else None

    def summary(self) -> str:
        """A few readable lines."""
        w, h = self.resolution
        head = f"{self.board} @ {w}x{h}, {self.fps_target:g} fps:"
        if not self.fits:
            lines = [f"{head} no width fits."]
            lines += [f"  - {s.text}" for s in self.suggestions] or ["  - no suggestion found"]
            return "\n".join(lines)
        r, b, d = self.resources, self.budget, self.design
        if self.bd_rate is not None:
            bd = f"{self.bd_rate:+.2f} % vs teacher" + (" (interpolated)" if self.interpolated else "")
        else:
            bd = "unknown (no finite BD-rate measured at or around this width)" if self.rd_given else "unknown (no rd given)"
        return "\n".join([
            f"{head} N = {self.N}",
            f"  predicted  : {self.fps:.1f} fps with {d.cores} core(s) (width N={self.N} "
            f"reaches up to {self.fps_max:.1f} fps on this board; modelled, lic.hw.fpga_model)",
            f"  BD-rate    : {bd}",
            f"  resources  : DSP {r.dsp}/{b.dsp}, BRAM36 {r.bram}/{b.bram}, "
            f"LUT {r.lut}/{b.lut}, URAM {r.uram}/{b.uram}",
            f"  bottleneck : {d.bottleneck} ({d.cycles} cycles/frame at "
            f"{d.assumptions.clock_mhz:g} MHz)",
        ])

    def as_dict(self) -> dict:
        """JSON-friendly numbers (for ``results.json``)."""
        return {"board": self.board, "resolution": list(self.resolution),
                "fps_target": self.fps_target, "fits": self.fits, "N": self.N, "fps": self.fps,
                "fps_max": self.fps_max, "bd_rate": self.bd_rate,
                "interpolated": self.interpolated,
                "resources": self.resources.as_dict() if self.design else None,
                "cores": self.design.cores if self.design else None,
                "budget": self.budget.as_dict(),
                "suggestions": [{"kind": s.kind, "value": s.value, "N": s.N, "fps": s.fps,
                                 "text": s.text} for s in self.suggestions]}


def _widths(widths: Iterable[int] | None) -> list[int]:
    """Candidate widths, sorted and unique (default :data:`STUDENT_WIDTHS`)."""
    ws = sorted({int(n) for n in (widths if widths is not None else STUDENT_WIDTHS)})
    if not ws or ws[0] < 1:
        raise ParameterError(f"widths must be positive integers, got {widths!r}")
    return ws


def frontier(target: Target, widths: Iterable[int] | None = None, rd: Mapping | None = None,
             teacher_N: int | None = TEACHER_N) -> pd.DataFrame:
    """Highest FPS, resources and BD-rate of each width on a board.

    Args:
        target: board, resolution, clock, utilisation, transforms; with ``fps`` set, a column
            ``meets_fps`` (the width reaches it).
        widths: candidate widths (default :data:`STUDENT_WIDTHS`).
        rd: width -> BD-rate % vs teacher, or None.
        teacher_N: teacher width (BD-rate 0 by definition).

    Returns:
        Columns ``N, fps_max, cores, cycles, bottleneck, dsp, bram, lut, uram, dsp_pct,
        bram_pct, lut_pct, bd_rate, interpolated`` (+ ``meets_fps``).

    Raises:
        ParameterError: unknown board, bad widths or ``rd``.
    """
    b, budget, a = target.setup()
    rows = []
    for N, _, d in best_designs(_widths(widths), budget, a, target.M, [target.resolution], target.transforms,
                                target.hyper):
        bd, interp = bd_rate_at(N, rd, teacher_N)
        r = d.resources if d else Resources()
        row = {"N": N, "fps_max": d.fps if d else 0.0, "cores": d.cores if d else 0,
               "cycles": d.cycles if d else None, "bottleneck": d.bottleneck if d else None,
               "dsp": r.dsp, "bram": r.bram, "lut": r.lut, "uram": r.uram,
               "dsp_pct": 100 * r.dsp / b.resources.dsp,
               "bram_pct": 100 * r.bram / b.resources.bram,
               "lut_pct": 100 * r.lut / b.resources.lut, "bd_rate": bd, "interpolated": interp}
        if target.fps is not None:
            row["meets_fps"] = bool(d is not None and d.fps >= target.fps)
        rows.append(row)
    return pd.DataFrame(rows)


def _widest(target: Target, ws: Sequence[int], budget: Resources, a: Assumptions
            ) -> tuple[int | None, PipelineDesign | None]:
    """The widest of ``ws`` with a design reaching ``target.fps`` on ``budget``, and that cheapest design."""
    for N in reversed(ws):
        d = best_design(target.layers(N, a), budget, a, fps=target.fps)
        if d is not None:
            return N, d
    return None, None


def _suggest(b: Board, target: Target, ws: Sequence[int], a: Assumptions) -> list[Suggestion]:
    """Changes (FPS, resolution, weights in URAM, board) under which the narrowest width fits."""
    n0, out = ws[0], []
    budget = b.budget(target.utilisation)
    d = best_design(target.layers(n0, a), budget, a)
    if d is not None:
        f1 = math.floor(d.fps * 10) / 10
        out.append(Suggestion("fps", f1, n0, d.fps, f"lower the frame rate to at most {f1:.1f} fps: N={n0} fits"))
    area = target.resolution[0] * target.resolution[1]
    for name, r in STANDARD_RESOLUTIONS.items():
        if r[0] * r[1] >= area:
            continue
        N, dd = _widest(replace(target, resolution=r), ws, budget, a)
        if dd is not None:
            out.append(Suggestion("resolution", r, N, dd.fps, f"lower the resolution to {name}: N={N} fits"))
            break
    if b.resources.uram > 0 and a.weights_on_chip and a.weight_memory == "bram":
        N, dd = _widest(target, ws, budget, make_assumptions(a, weight_memory="uram"))
        if dd is not None:
            out.append(Suggestion("assumption", "weight_memory=uram", N, dd.fps,
                                  f"keep weights in URAM (--assume weight_memory=uram): N={N} fits"))
    for other in sorted((load_board(n) for n in list_boards()), key=lambda x: x.resources.dsp):
        if other.name == b.name:
            continue
        N, dd = _widest(target, ws, other.budget(target.utilisation), make_assumptions(a, clock_mhz=other.clock_mhz))
        if dd is not None:
            out.append(Suggestion("board", other.name, N, dd.fps,
                                  f"use a bigger board, {other.name} ({other.resources.dsp} DSP, "
                                  f"{other.clock_mhz:g} MHz): N={N} fits"))
            break
    return out


def choose_width(target: Target, widths: Iterable[int] | None = None, rd: Mapping | None = None,
                 teacher_N: int | None = TEACHER_N, suggest: bool = True) -> WidthChoice:
    """The widest width that reaches ``target.fps`` at ``target.resolution`` within a board's budget.

    Args:
        target: board, resolution, required FPS, clock, utilisation, transforms, assumptions.
        widths: candidate widths (default :data:`STUDENT_WIDTHS`; add 128 for the teacher).
        rd: width -> BD-rate % vs teacher from stage 02 (None: BD-rate unknown).
        teacher_N: teacher width, BD-rate 0 by definition (None: no such point).
        suggest: compute suggestions when nothing fits.

    Raises:
        ParameterError: ``target.fps`` is None, unknown board, bad widths or ``rd``.
    """
    if target.fps is None:
        raise ParameterError("choose_width needs a frame rate: Target(..., fps=...)")
    b, budget, a = target.setup()
    ws = _widths(widths)
    table = frontier(target, ws, rd, teacher_N)
    N, d = _widest(target, ws, budget, a)
    if d is not None:
        bd, interp = bd_rate_at(N, rd, teacher_N)
        fmax = float(table.loc[table["N"] == N, "fps_max"].iloc[0])
        return WidthChoice(b.name, target.resolution, target.fps, True, N, d.fps, fmax, d, budget, bd,
                           interp, [], table, rd is not None)
    sug = _suggest(b, target, ws, a) if suggest else []
    return WidthChoice(b.name, target.resolution, target.fps, False, None, None, None, None, budget,
                       suggestions=sug, table=table, rd_given=rd is not None)
