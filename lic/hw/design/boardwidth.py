"""Width for board, from trained widths only: on each board, the widest width N that a model was trained at and that
meets a frame rate at a resolution by the FPS model (:func:`lic.hw.design.choose_width`), each row labelled
*modelled* (:mod:`lic.hw.fpga_model`) or *measured* where a Verilator record of that width's g_a on that board's plan
exists (``benchmarks/rtl_ga_width.py``, read through the index of benchmark records, :func:`lic.provenance.find_record`).

The boards: ZCU102, ZCU104, KV260 (:data:`BOARDS`) and the smallest board the model knows (fewest DSPs,
:func:`smallest_board`), which may be one of them.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from lic.hw.boards import list_boards, load_board
from lic.hw.design.core import Target, choose_width
from lic.provenance import find_record

__all__ = ["BOARDS", "MODELLED", "measured_label", "record_name", "smallest_board", "table_boards",
           "measured_record", "width_for_boards"]

#: the boards of the width-for-board table (the smallest the model knows is added)
BOARDS = ("zcu102", "zcu104", "kv260")
#: the label of a number from the analytical model
MODELLED = "modelled (lic.hw.fpga_model)"


def measured_label(resolution: Sequence[int]) -> str:
    """``measured (Verilator, g_a, 1280×720)``: the row's g_a in RTL, not the whole encoder."""
    return f"measured (Verilator, g_a, {int(resolution[0])}×{int(resolution[1])})"


def record_name(N: int, board: str) -> str:
    """The index name (and file stem) of the RTL g_a record of width ``N`` on ``board``'s plan."""
    return f"rtl_ga_width_n{int(N)}_{str(board).lower()}"


def smallest_board(directory=None) -> str:
    """The board with the fewest DSPs (then LUTs) of ``data/boards/``."""
    return min(list_boards(directory), key=lambda b: (load_board(b, directory).resources.dsp,
                                                       load_board(b, directory).resources.lut))


def table_boards(boards: Iterable[str] = BOARDS, directory=None) -> list[tuple[str, bool]]:
    """``[(board, is_smallest)]``: ``boards`` and the smallest board the model knows (added where missing)."""
    small = smallest_board(directory)
    names = list(dict.fromkeys([*(str(b).lower() for b in boards), small]))
    return [(b, b == small) for b in names]


def measured_record(N: int, board: str, resolution: Sequence[int], index=None) -> dict | None:
    """The RTL record of width ``N`` on ``board`` at ``resolution`` (None where there is none, or it was measured
    on another frame size): fps, clock, mismatches, values compared, model digest, whether it is stale."""
    r = find_record(record_name(N, board), index)
    if r is None:
        return None
    d = r.data
    if (int(d.get("width", 0)), int(d.get("height", 0))) != (int(resolution[0]), int(resolution[1])):
        return None
    return {"fps": float(d["fps"]), "clock_mhz": d.get("clock_mhz"), "mismatches": int(d.get("mismatches", -1)),
            "n_values": d.get("n_values"), "model_digest": d.get("model_digest"), "stale": list(r.why_stale),
            "file": r.entry["file"]}


def _row(board: str, smallest: bool, widths: list[int], target: Target, index) -> dict:
    c = choose_width(target, widths, suggest=False)
    row = {"board": board + (" (smallest board the model knows)" if smallest else ""), "N": c.N,
           "trained widths": ", ".join(str(n) for n in sorted(widths, reverse=True)), "fits": c.fits,
           "fps (model, fastest design)": c.fps_max, "fps (measured)": None, "mismatches": None,
           "label": MODELLED, "record": None}
    if not c.fits:
        row["note"] = f"no trained width meets {target.fps:g} fps at {target.resolution[0]}×{target.resolution[1]}"
        return row
    m = measured_record(c.N, board, target.resolution, index)
    row["note"] = f"no RTL record yet: benchmarks/rtl_ga_width.py --n {c.N} --board {board}"
    if m is not None:
        row.update({"fps (measured)": m["fps"], "mismatches": m["mismatches"], "label": measured_label(target.resolution),
                    "record": m["file"] + (" (stale: " + "; ".join(m["stale"]) + ")" if m["stale"] else "")})
        row["note"] = ("meets the target in RTL" if m["fps"] >= target.fps else
                       f"the RTL measures {m['fps']:.1f} fps, below {target.fps:g}") + (
                       "" if m["mismatches"] == 0 else f"; {m['mismatches']} latent mismatches")
    return row


def width_for_boards(widths: Iterable[int], boards: Iterable[str] = BOARDS, resolution: Sequence[int] = (1280, 720),
                     fps: float = 30.0, utilisation: float = 0.8, index=None) -> list[dict]:
    """One row per board (:func:`table_boards`): the widest of the trained ``widths`` that meets ``fps`` at
    ``resolution`` by the FPS model, its modelled fps (the fastest design of that width, the plan the RTL benchmark
    simulates), and the measured fps where a record exists; ``label`` says which the row rests on.

    Raises:
        ParameterError: unknown board, no widths.
    """
    ws = sorted({int(n) for n in widths})
    if not ws:
        from lic.errors import ParameterError

        raise ParameterError("width for board needs at least one trained width")
    return [_row(b, small, ws, Target(b, tuple(resolution), fps, utilisation=utilisation), index)
            for b, small in table_boards(boards)]
