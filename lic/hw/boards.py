"""FPGA boards: device resources and planning clocks, read from ``data/boards/*.yaml``.

Each YAML file names its source documents (Xilinx/AMD data sheets) next to the numbers.
:func:`load_board` returns a :class:`Board`; :meth:`Board.budget` turns its resources
into a :class:`lic.hw.fpga_model.Resources` budget at a utilisation ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lic.errors import ParameterError
from lic.hw.fpga_model.core import Resources
from lic.provenance import ROOT

__all__ = ["BOARDS_DIR", "Board", "list_boards", "load_board"]

BOARDS_DIR = ROOT / "data" / "boards"


@dataclass(frozen=True)
class Board:
    """One FPGA board.

    Args:
        name: short key (file stem), e.g. ``"zcu102"``.
        board: marketing name of the board.
        part: FPGA part number.
        family: device family.
        resources: whole-device DSP, BRAM36, URAM, LUT, FF.
        clock_mhz: planning clock of the programmable logic.
        clock_range_mhz: (low, high) clocks a dataflow design usually closes at.
        sources: documents the numbers come from.
        notes: caveats.
    """

    name: str
    board: str
    part: str
    family: str
    resources: Resources
    clock_mhz: float
    clock_range_mhz: tuple[float, float]
    sources: tuple[str, ...] = field(default_factory=tuple)
    notes: str = ""

    def budget(self, utilisation: float = 1.0) -> Resources:
        """Resources usable by the accelerator at a utilisation ceiling.

        Args:
            utilisation: fraction in (0, 1] of every resource the design may use.
        """
        if not 0.0 < float(utilisation) <= 1.0:
            raise ParameterError(f"utilisation must be in (0, 1], got {utilisation}")
        return self.resources.scaled(float(utilisation))


def list_boards(directory: str | Path | None = None) -> list[str]:
    """Names of the boards described in ``directory`` (default :data:`BOARDS_DIR`).

    Args:
        directory: folder of ``<name>.yaml`` files.
    """
    d = Path(directory) if directory is not None else BOARDS_DIR
    return sorted(p.stem for p in d.glob("*.yaml"))


def load_board(name: str | Board, directory: str | Path | None = None) -> Board:
    """Read one board description.

    Args:
        name: board key (case-insensitive file stem), or a :class:`Board` (returned as is).
        directory: folder of ``<name>.yaml`` files (default :data:`BOARDS_DIR`).

    Raises:
        ParameterError: unknown board, or a file missing a required field.
    """
    if isinstance(name, Board):
        return name
    d = Path(directory) if directory is not None else BOARDS_DIR
    key = str(name).strip().lower()
    path = d / f"{key}.yaml"
    if not key or not path.is_file():
        raise ParameterError(f"unknown board {name!r}; known: {', '.join(list_boards(d))}")
    raw = yaml.safe_load(path.read_text()) or {}
    try:
        res = raw["resources"]
        resources = Resources(
            dsp=int(res["dsp"]),
            bram=int(res["bram36"]),
            lut=int(res["lut"]),
            uram=int(res.get("uram", 0)),
            ff=int(res.get("ff", 0)),
        )
        clock = float(raw["clock_mhz"])
        lo, hi = raw.get("clock_range_mhz", [clock, clock])
    except (KeyError, TypeError, ValueError) as exc:
        raise ParameterError(f"board file {path} lacks or garbles field {exc}") from None
    return Board(
        name=key,
        board=str(raw.get("board", key)),
        part=str(raw.get("part", "")),
        family=str(raw.get("family", "")),
        resources=resources,
        clock_mhz=clock,
        clock_range_mhz=(float(lo), float(hi)),
        sources=tuple(raw.get("sources", ())),
        notes=str(raw.get("notes", "")).strip(),
    )
