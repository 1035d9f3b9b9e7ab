"""``python -m lic.hw.design``: the widest student width for a board, resolution and frame rate."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from lic.errors import LicError, ParameterError
from lic.hw.boards import list_boards, load_board
from lic.hw.design.core import STUDENT_WIDTHS, Target, WidthChoice, choose_width, load_rd
from lic.hw.fpga_model import Assumptions, describe
from lic.hw.fpga_model import assumptions as make_assumptions

__all__ = ["main"]


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


def _parser() -> _Parser:
    p = _Parser(prog="python -m lic.hw.design",
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
    return p


def _answer(args: argparse.Namespace) -> tuple[Target, WidthChoice]:
    """The target the arguments describe and its :func:`choose_width` answer."""
    try:
        widths = [int(v) for v in args.widths.split(",") if v.strip()]
    except ValueError:
        raise ParameterError(f"--widths must be comma-separated integers, got {args.widths!r}") from None
    rd = load_rd(args.rd) if args.rd else None
    tr = [t.strip() for t in args.transforms.split(",") if t.strip()]
    target = Target(args.board, _parse_resolution(args.resolution), args.fps, args.clock_mhz, args.utilisation,
                    tr, args.hyper, args.M, make_assumptions(**_parse_assume(args.assume)))
    return target, choose_width(target, widths, rd)


def _print(target: Target, c: WidthChoice, show_assumptions: bool) -> None:
    """The answer as text: board, target, model, :meth:`WidthChoice.summary`, the frontier."""
    b, a = load_board(target.board), target.assumptions
    clock = target.clock_mhz or b.clock_mhz
    (w, h), tr = target.resolution, target.transforms
    print(f"board      : {b.name} ({b.board}, {b.part}), {c.budget.dsp} DSP / {c.budget.bram} "
          f"BRAM36 / {c.budget.lut} LUT usable at {target.utilisation:.0%}")
    print(f"target     : {w}x{h} @ {target.fps:g} fps, transforms {'+'.join(tr)}"
          f"{' + hyper' if target.hyper else ''}, clock {clock:g} MHz")
    print(f"model      : {a.int8_macs_per_dsp} int8 MAC/DSP, {a.dsp_per_mul32} DSP per 32-bit GDN "
          f"multiply, weights in {a.weight_memory.upper()}, up to {a.max_cores} cores "
          f"(--show-assumptions lists all)")
    print(c.summary())
    cols = ["N", "fps_max", "cores", "dsp", "bram", "lut", "bd_rate", "interpolated", "meets_fps"]
    print("\nfrontier (highest FPS each width reaches on this board; modelled, lic.hw.fpga_model):")
    print(c.table[cols].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if show_assumptions:
        print("\nassumptions:\n" + describe(make_assumptions(a, clock_mhz=clock)))


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit code (0 answer found, 1 nothing fits, 2 bad input).

    Args:
        argv: arguments (default ``sys.argv[1:]``).
    """
    try:
        args = _parser().parse_args(argv)
        target, c = _answer(args)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except LicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(c.as_dict(), indent=2, default=str))
    else:
        _print(target, c, args.show_assumptions)
    return 0 if c.fits else 1
