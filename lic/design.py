"""Width-for-board explorer: the widest student that meets a frame rate on a board.

The paper's design paradigm: instead of exploring the hardware design space, pick the
student width N for the target board. :func:`choose_width` asks the analytical model
(:mod:`lic.fpga_model`) which widths reach ``fps`` at ``resolution`` within the board's
DSP / BRAM / LUT / URAM budget and returns the widest, with its BD-rate against the
teacher (measured by stage 02). A larger budget (board, utilisation) or a lower FPS never
gives a narrower answer: per width, fitting is monotone in both.

CLI::

    python -m lic.design --board zcu102 --resolution 1280x720 --fps 30 [--rd results.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

from .boards import Board, list_boards, load_board
from .errors import LicError, ParameterError
from .fpga_model import (STANDARD_RESOLUTIONS, Assumptions, PipelineDesign, Resources,
                         assumptions as make_assumptions, best_design, codec_layers, describe)

__all__ = [
    "STUDENT_WIDTHS",
    "Suggestion",
    "WidthChoice",
    "bd_rate_at",
    "load_rd",
    "choose_width",
    "frontier",
    "plot_frontier",
    "static_table",
    "explorer_widget",
    "main",
]

STUDENT_WIDTHS = (16, 32, 64, 96, 112)
TEACHER_N = 128


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


def load_rd(path: str | Path) -> dict[int, float]:
    """Read a width -> BD-rate mapping from JSON.

    Accepted shapes: stage 02's or stage 05's ``results.json`` (KD students' BD-rate vs the
    teacher); ``{"64": 3.1, …}``; the same under a key ``"bd_rate"`` or
    ``"bd_rate_vs_teacher"``; or a list of records ``[{"N": 64, "bd_rate": 3.1}, …]``
    (also under those keys).

    Args:
        path: JSON file (e.g. stage 02's ``results.json``).
    """
    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"rd file not found: {p}")
    try:
        raw = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ParameterError(f"rd file {p} is not JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(raw, dict) and "rd_by_width" in raw:  # stage 05's results.json
        raw = raw["rd_by_width"]
    elif isinstance(raw, dict) and raw.get("stage") == "02":  # stage 02's results.json: KD students
        raw = {r["N"]: r["bd_rate_kd_vs_teacher"] for r in raw["summary"]}
    for key in ("bd_rate_vs_teacher", "bd_rate"):
        if isinstance(raw, dict) and key in raw:
            raw = raw[key]
            break
    if isinstance(raw, list):
        try:
            raw = {r["N"]: r.get("bd_rate", r.get("bd_rate_vs_teacher")) for r in raw}
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
            f"reaches up to {self.fps_max:.1f} fps on this board; modelled, lic.fpga_model)",
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


def _setup(board, clock_mhz, utilisation, assumptions):
    b = load_board(board)
    if not 0.0 < float(utilisation) <= 1.0:
        raise ParameterError(f"utilisation must be in (0, 1], got {utilisation}")
    a = make_assumptions(assumptions or Assumptions(),
                         clock_mhz=float(clock_mhz) if clock_mhz else b.clock_mhz)
    return b, b.budget(utilisation), a


def _check(resolution, fps, widths):
    try:
        w, h = (int(v) for v in resolution)
    except (TypeError, ValueError):
        raise ParameterError(f"resolution must be (width, height), got {resolution!r}") from None
    if w < 1 or h < 1:
        raise ParameterError(f"resolution must be positive, got {w}x{h}")
    if fps is not None and not float(fps) > 0:
        raise ParameterError(f"fps must be > 0, got {fps}")
    ws = sorted({int(n) for n in (widths if widths is not None else STUDENT_WIDTHS)})
    if not ws or ws[0] < 1:
        raise ParameterError(f"widths must be positive integers, got {widths!r}")
    return (w, h), ws


def frontier(board: str | Board, resolution: tuple[int, int] = (1280, 720),
             widths: Iterable[int] | None = None, rd: Mapping | None = None,
             fps: float | None = None, M: int = 192, clock_mhz: float | None = None,
             utilisation: float = 0.8, transforms: str | Sequence[str] = "g_a",
             hyper: bool = False, assumptions: Assumptions | None = None,
             teacher_N: int | None = TEACHER_N) -> pd.DataFrame:
    """Highest FPS, resources and BD-rate of each width on a board.

    Args:
        board: board key or :class:`lic.boards.Board`.
        resolution: ``(width, height)``.
        widths: candidate widths (default :data:`STUDENT_WIDTHS`).
        rd: width -> BD-rate % vs teacher, or None.
        fps: if given, a column ``meets_fps`` (the width reaches it).
        M: latent width.
        clock_mhz: clock (default: the board's).
        utilisation: fraction of each resource the design may use.
        transforms: layers on the FPGA (see :func:`lic.fpga_model.codec_layers`).
        hyper: add the hyper transforms.
        assumptions: model constants (clock is overridden by ``clock_mhz``/board).
        teacher_N: teacher width (BD-rate 0 by definition).

    Returns:
        Columns ``N, fps_max, cores, cycles, bottleneck, dsp, bram, lut, uram, dsp_pct,
        bram_pct, lut_pct, bd_rate, interpolated`` (+ ``meets_fps``).
    """
    b, budget, a = _setup(board, clock_mhz, utilisation, assumptions)
    res, ws = _check(resolution, fps, widths)
    rows = []
    for N in ws:
        d = best_design(codec_layers(N, M, res, transforms, hyper, a), budget, a)
        bd, interp = bd_rate_at(N, rd, teacher_N)
        r = d.resources if d else Resources()
        row = {"N": N, "fps_max": d.fps if d else 0.0, "cores": d.cores if d else 0,
               "cycles": d.cycles if d else None, "bottleneck": d.bottleneck if d else None,
               "dsp": r.dsp, "bram": r.bram, "lut": r.lut, "uram": r.uram,
               "dsp_pct": 100 * r.dsp / b.resources.dsp,
               "bram_pct": 100 * r.bram / b.resources.bram,
               "lut_pct": 100 * r.lut / b.resources.lut, "bd_rate": bd, "interpolated": interp}
        if fps is not None:
            row["meets_fps"] = bool(d is not None and d.fps >= float(fps))
        rows.append(row)
    return pd.DataFrame(rows)


def _fits(N, M, res, fps, budget, a, transforms, hyper) -> PipelineDesign | None:
    return best_design(codec_layers(N, M, res, transforms, hyper, a), budget, a, fps=fps)


def _suggest(b: Board, res, fps, ws, M, utilisation, a, transforms, hyper) -> list[Suggestion]:
    """Changes (FPS, resolution, weights in URAM, board) under which the narrowest width fits."""
    n0, out = ws[0], []
    budget = b.budget(utilisation)
    d = best_design(codec_layers(n0, M, res, transforms, hyper, a), budget, a)
    if d is not None:
        f1 = math.floor(d.fps * 10) / 10
        out.append(Suggestion("fps", f1, n0, d.fps,
                              f"lower the frame rate to at most {f1:.1f} fps: N={n0} fits"))
    for name, r in STANDARD_RESOLUTIONS.items():
        if r[0] * r[1] >= res[0] * res[1]:
            continue
        fit = [n for n in ws if _fits(n, M, r, fps, budget, a, transforms, hyper)]
        if fit:
            dd = _fits(fit[-1], M, r, fps, budget, a, transforms, hyper)
            out.append(Suggestion("resolution", r, fit[-1], dd.fps,
                                  f"lower the resolution to {name}: N={fit[-1]} fits"))
            break
    if b.resources.uram > 0 and a.weights_on_chip and a.weight_memory == "bram":
        au = make_assumptions(a, weight_memory="uram")
        fit = [n for n in ws if _fits(n, M, res, fps, budget, au, transforms, hyper)]
        if fit:
            dd = _fits(fit[-1], M, res, fps, budget, au, transforms, hyper)
            out.append(Suggestion("assumption", "weight_memory=uram", fit[-1], dd.fps,
                                  f"keep weights in URAM (--assume weight_memory=uram): "
                                  f"N={fit[-1]} fits"))
    for other in sorted((load_board(n) for n in list_boards()), key=lambda x: x.resources.dsp):
        if other.name == b.name:
            continue
        ao = make_assumptions(a, clock_mhz=other.clock_mhz)
        ob = other.budget(utilisation)
        fit = [n for n in ws if _fits(n, M, res, fps, ob, ao, transforms, hyper)]
        if fit:
            dd = _fits(fit[-1], M, res, fps, ob, ao, transforms, hyper)
            out.append(Suggestion("board", other.name, fit[-1], dd.fps,
                                  f"use a bigger board, {other.name} ({other.resources.dsp} DSP, "
                                  f"{other.clock_mhz:g} MHz): N={fit[-1]} fits"))
            break
    return out


def choose_width(board: str | Board, resolution: tuple[int, int] = (1280, 720),
                 fps: float = 30, widths: Iterable[int] | None = None,
                 rd: Mapping | None = None, M: int = 192, clock_mhz: float | None = None,
                 utilisation: float = 0.8, transforms: str | Sequence[str] = "g_a",
                 hyper: bool = False, assumptions: Assumptions | None = None,
                 teacher_N: int | None = TEACHER_N, suggest: bool = True) -> WidthChoice:
    """The widest width that reaches ``fps`` at ``resolution`` within a board's budget.

    Args:
        board: board key (``lic.boards.list_boards()``) or :class:`lic.boards.Board`.
        resolution: ``(width, height)`` of the frames.
        fps: required frames per second.
        widths: candidate widths (default :data:`STUDENT_WIDTHS`; add 128 for the teacher).
        rd: width -> BD-rate % vs teacher from stage 02 (None: BD-rate unknown).
        M: latent width.
        clock_mhz: clock (default: the board's planning clock).
        utilisation: fraction of every resource the design may use.
        transforms: layers on the FPGA (default the analysis transform ``g_a``).
        hyper: add the hyper transforms.
        assumptions: model constants.
        teacher_N: teacher width, BD-rate 0 by definition (None: no such point).
        suggest: compute suggestions when nothing fits.
    """
    b, budget, a = _setup(board, clock_mhz, utilisation, assumptions)
    res, ws = _check(resolution, fps, widths)
    table = frontier(b, res, ws, rd, fps, M, a.clock_mhz, utilisation, transforms, hyper, a,
                     teacher_N)
    for N in reversed(ws):
        d = _fits(N, M, res, float(fps), budget, a, transforms, hyper)
        if d is not None:
            bd, interp = bd_rate_at(N, rd, teacher_N)
            fmax = float(table.loc[table["N"] == N, "fps_max"].iloc[0])
            return WidthChoice(b.name, res, float(fps), True, N, d.fps, fmax, d, budget, bd,
                               interp, [], table, rd is not None)
    sug = _suggest(b, res, float(fps), ws, M, utilisation, a, transforms, hyper) if suggest else []
    return WidthChoice(b.name, res, float(fps), False, None, None, None, None, budget,
                       suggestions=sug, table=table, rd_given=rd is not None)


def plot_frontier(table: pd.DataFrame, fps: float | None = None, chosen: int | None = None,
                  ax=None, title: str | None = None):
    """BD-rate (or N when unknown) against achievable FPS, one point a width.

    Args:
        table: from :func:`frontier`.
        fps: target FPS, drawn as a vertical line.
        chosen: width to mark with a star.
        ax: matplotlib axes (default: a new figure).
        title: axes title.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    known = table["bd_rate"].notna()
    yk = "bd_rate" if known.any() else "N"
    t = table[known] if known.any() else table
    x = t["fps_max"].clip(lower=1e-3)
    meas = ~t.get("interpolated", pd.Series(False, index=t.index)).astype(bool)
    ax.plot(x, t[yk], "-", color="0.6", zorder=1)
    ax.scatter(x[meas], t.loc[meas, yk], color="C0", zorder=2, label="measured")
    if (~meas).any():
        ax.scatter(x[~meas], t.loc[~meas, yk], facecolors="none", edgecolors="C0", zorder=2,
                   label="interpolated")
    for xi, yi, n in zip(x, t[yk], t["N"]):
        ax.annotate(f"N={n}", (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=8)
    if fps is not None:
        ax.axvline(fps, ls="--", color="C3", label=f"target {fps:g} fps")
    if chosen is not None and (t["N"] == chosen).any():
        c = t[t["N"] == chosen].iloc[0]
        ax.scatter([max(c["fps_max"], 1e-3)], [c[yk]], marker="*", s=250, color="C1", zorder=3,
                   label=f"chosen N={chosen}")
    ax.set_xscale("log")
    ax.set_xlabel("achievable FPS (analytical model)")
    ax.set_ylabel("BD-rate vs teacher [%]" if yk == "bd_rate" else "width N (BD-rate unknown)")
    if title:
        ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return ax.figure


def static_table(board: str | Board = "zcu102", resolution: tuple[int, int] = (1280, 720),
                 fps: float = 30, widths: Iterable[int] | None = None,
                 rd: Mapping | None = None, **kwargs) -> pd.DataFrame:
    """Non-interactive fallback of :func:`explorer_widget` (papermill): the frontier with
    ``meets_fps`` and ``chosen`` columns.

    Args:
        board: board key.
        resolution: ``(width, height)``.
        fps: target FPS.
        widths: candidate widths.
        rd: width -> BD-rate %.
        **kwargs: passed to :func:`choose_width`.
    """
    c = choose_width(board, resolution, fps, widths, rd, suggest=False, **kwargs)
    t = c.table.copy()
    t["chosen"] = t["N"] == c.N
    return t


def explorer_widget(rd: Mapping | None = None, board: str = "zcu102",
                    resolution: tuple[int, int] = (1280, 720), fps: float = 30,
                    widths: Iterable[int] | None = None, **kwargs):
    """Notebook explorer: board, resolution, FPS and utilisation controls redraw the
    RD-vs-throughput frontier and mark the chosen width.

    Args:
        rd: width -> BD-rate % vs teacher.
        board, resolution, fps: initial values.
        widths: candidate widths.
        **kwargs: passed to :func:`choose_width` (``M``, ``transforms``, ``assumptions``, …).

    Returns:
        An ``ipywidgets.VBox`` (display it as the cell's result).
    """
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import display

    res_names = list(STANDARD_RESOLUTIONS)
    cur = f"{resolution[0]}x{resolution[1]}"
    if cur not in STANDARD_RESOLUTIONS:
        res_names.insert(0, cur)
    w_board = W.Dropdown(options=list_boards(), value=board, description="board")
    w_res = W.Dropdown(options=res_names, value=cur, description="resolution")
    w_fps = W.FloatSlider(value=fps, min=1, max=240, step=1, description="fps")
    w_util = W.FloatSlider(value=kwargs.pop("utilisation", 0.8), min=0.3, max=1.0, step=0.05,
                           description="utilisation")
    out = W.Output()

    def redraw(*_):
        r = tuple(int(v) for v in w_res.value.split("x"))
        c = choose_width(w_board.value, r, w_fps.value, widths, rd,
                         utilisation=w_util.value, **kwargs)
        with out:
            out.clear_output(wait=True)
            print(c.summary())
            fig = plot_frontier(c.table, w_fps.value, c.N,
                                title=f"{w_board.value} @ {w_res.value}")
            display(fig)
            plt.close(fig)

    for w in (w_board, w_res, w_fps, w_util):
        w.observe(redraw, names="value")
    redraw()
    return W.VBox([W.HBox([w_board, w_res]), W.HBox([w_fps, w_util]), out])


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        raise ParameterError(message)


def _parse_resolution(s: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in s.lower().split("x"))
    except ValueError:
        raise ParameterError(f"resolution must look like 1280x720, got {s!r}") from None
    return w, h


def _parse_assume(items: list[str]) -> dict:
    out = {}
    types = {f: type(v) for f, v in Assumptions().as_dict().items()}
    for it in items:
        k, sep, v = it.partition("=")
        if not sep or k not in types:
            raise ParameterError(f"--assume needs NAME=VALUE with NAME one of {sorted(types)}")
        t = types[k]
        try:
            out[k] = (v.lower() in ("1", "true", "yes")) if t is bool else t(v)
        except ValueError:
            raise ParameterError(f"--assume {k}: cannot read {v!r} as {t.__name__}") from None
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit code (0 answer found, 1 nothing fits, 2 bad input).

    Args:
        argv: arguments (default ``sys.argv[1:]``).
    """
    p = _Parser(prog="python -m lic.design",
                description="Widest student width N meeting an FPS target on an FPGA board.")
    p.add_argument("--board", required=True, help=f"one of {', '.join(list_boards())}")
    p.add_argument("--resolution", default="1280x720", help="WIDTHxHEIGHT")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--rd", help="JSON file: width N -> BD-rate %% vs teacher")
    p.add_argument("--widths", default=",".join(map(str, STUDENT_WIDTHS)))
    p.add_argument("--M", type=int, default=192)
    p.add_argument("--clock-mhz", type=float, default=None)
    p.add_argument("--utilisation", type=float, default=0.8)
    p.add_argument("--transforms", default="g_a", help="g_a, g_s, h_a, h_s (comma-separated) "
                   "or encoder, decoder, both, all")
    p.add_argument("--hyper", action="store_true", help="add the hyper transforms")
    p.add_argument("--assume", action="append", default=[], metavar="NAME=VALUE",
                   help="override a model assumption (repeatable)")
    p.add_argument("--show-assumptions", action="store_true")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    try:
        args = p.parse_args(argv)
        res = _parse_resolution(args.resolution)
        try:
            widths = [int(v) for v in args.widths.split(",") if v.strip()]
        except ValueError:
            raise ParameterError(f"--widths must be comma-separated integers, got {args.widths!r}") from None
        rd = load_rd(args.rd) if args.rd else None
        a = make_assumptions(**_parse_assume(args.assume))
        tr = [t.strip() for t in args.transforms.split(",") if t.strip()]
        c = choose_width(args.board, res, args.fps, widths, rd, M=args.M,
                         clock_mhz=args.clock_mhz, utilisation=args.utilisation,
                         transforms=tr, hyper=args.hyper, assumptions=a)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except LicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(c.as_dict(), indent=2, default=str))
        return 0 if c.fits else 1
    b = load_board(args.board)
    clock = args.clock_mhz or b.clock_mhz
    print(f"board      : {b.name} ({b.board}, {b.part}), {c.budget.dsp} DSP / {c.budget.bram} "
          f"BRAM36 / {c.budget.lut} LUT usable at {args.utilisation:.0%}")
    print(f"target     : {res[0]}x{res[1]} @ {args.fps:g} fps, transforms {'+'.join(tr)}"
          f"{' + hyper' if args.hyper else ''}, clock {clock:g} MHz")
    print(f"model      : {a.int8_macs_per_dsp} int8 MAC/DSP, {a.dsp_per_mul32} DSP per 32-bit GDN "
          f"multiply, weights in {a.weight_memory.upper()}, up to {a.max_cores} cores "
          f"(--show-assumptions lists all)")
    print(c.summary())
    cols = ["N", "fps_max", "cores", "dsp", "bram", "lut", "bd_rate", "interpolated", "meets_fps"]
    print("\nfrontier (highest FPS each width reaches on this board; modelled, lic.fpga_model):")
    print(c.table[cols].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if args.show_assumptions:
        print("\nassumptions:\n" + describe(make_assumptions(a, clock_mhz=clock)))
    return 0 if c.fits else 1


if __name__ == "__main__":
    sys.exit(main())
