"""Width-for-board explorer: the widest student that meets a frame rate on a board.

The paper's design paradigm: instead of exploring the hardware design space, pick the
student width N for the target board. :func:`choose_width` asks the analytical model
(:mod:`lic.hw.fpga_model`) which widths reach a :class:`Target`'s ``fps`` at its ``resolution``
within the board's DSP / BRAM / LUT / URAM budget and returns the widest, with its BD-rate
against the teacher (measured by stage 02). A larger budget (board, utilisation) or a lower
FPS never gives a narrower answer: per width, fitting is monotone in both.

Modules: :mod:`~lic.hw.design.core` (:class:`Target`, :func:`frontier`, :func:`choose_width`),
:mod:`~lic.hw.design.explorer` (figure, static table, widget), :mod:`~lic.hw.design.cli`.

CLI::

    python -m lic.hw.design --board zcu102 --resolution 1280x720 --fps 30 [--rd results.json]
"""

from lic.hw.design.cli import main
from lic.hw.design.core import (STUDENT_WIDTHS, TEACHER_N, Suggestion, Target, WidthChoice, bd_rate_at, choose_width,
                                frontier, load_rd)
from lic.hw.design.explorer import explorer_widget, plot_frontier, static_table

__all__ = [
    "STUDENT_WIDTHS",
    "TEACHER_N",
    "Target",
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
