"""The frontier drawn: a figure, a static table for papermill, an ipywidgets explorer."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

import pandas as pd

from lic.hw.boards import list_boards
from lic.hw.design.core import TEACHER_N, Target, choose_width
from lic.hw.fpga_model import STANDARD_RESOLUTIONS

__all__ = ["plot_frontier", "static_table", "explorer_widget"]


def plot_frontier(table: pd.DataFrame, fps: float | None = None, chosen: int | None = None,
                  ax=None, title: str | None = None):
    """BD-rate (or N when unknown) against achievable FPS, one point a width.

    Args:
        table: from :func:`lic.hw.design.frontier`.
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


def static_table(target: Target, widths: Iterable[int] | None = None, rd: Mapping | None = None,
                 teacher_N: int | None = TEACHER_N) -> pd.DataFrame:
    """Non-interactive fallback of :func:`explorer_widget` (papermill): the frontier with
    ``meets_fps`` and ``chosen`` columns.

    Args:
        target: board, resolution, FPS (required), utilisation, …
        widths: candidate widths.
        rd: width -> BD-rate %.
        teacher_N: teacher width (BD-rate 0 by definition).

    Raises:
        ParameterError: as :func:`lic.hw.design.choose_width`.
    """
    c = choose_width(target, widths, rd, teacher_N, suggest=False)
    t = c.table.copy()
    t["chosen"] = t["N"] == c.N
    return t


def explorer_widget(rd: Mapping | None = None, target: Target | None = None,
                    widths: Iterable[int] | None = None):
    """Notebook explorer: board, resolution, FPS and utilisation controls redraw the
    RD-vs-throughput frontier and mark the chosen width.

    Args:
        rd: width -> BD-rate % vs teacher.
        target: initial board, resolution, FPS and utilisation, and the fixed rest (``M``,
            ``transforms``, ``assumptions``, …); default ZCU102 at 1280x720, 30 fps.
        widths: candidate widths.

    Returns:
        An ``ipywidgets.VBox`` (display it as the cell's result).
    """
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import display

    target = target or Target("zcu102", (1280, 720), 30)
    res_names = list(STANDARD_RESOLUTIONS)
    cur = f"{target.resolution[0]}x{target.resolution[1]}"
    if cur not in STANDARD_RESOLUTIONS:
        res_names.insert(0, cur)
    w_board = W.Dropdown(options=list_boards(), value=target.board, description="board")
    w_res = W.Dropdown(options=res_names, value=cur, description="resolution")
    w_fps = W.FloatSlider(value=target.fps or 30, min=1, max=240, step=1, description="fps")
    w_util = W.FloatSlider(value=target.utilisation, min=0.3, max=1.0, step=0.05, description="utilisation")
    out = W.Output()

    def redraw(*_):
        r = tuple(int(v) for v in w_res.value.split("x"))
        c = choose_width(replace(target, board=w_board.value, resolution=r, fps=w_fps.value,
                                 utilisation=w_util.value), widths, rd)
        with out:
            out.clear_output(wait=True)
            print(c.summary())
            fig = plot_frontier(c.table, w_fps.value, c.N, title=f"{w_board.value} @ {w_res.value}")
            display(fig)
            plt.close(fig)

    for w in (w_board, w_res, w_fps, w_util):
        w.observe(redraw, names="value")
    redraw()
    return W.VBox([W.HBox([w_board, w_res]), W.HBox([w_fps, w_util]), out])
