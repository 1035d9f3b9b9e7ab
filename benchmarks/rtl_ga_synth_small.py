"""Small-stage yosys checks of the g_a RTL's resources (issue 17, ZCU102 budget).

Synthesises (``synth_xilinx -family xcup``) a few SMALL stages of the N=8/M=12 demo codec
(``lic.hw.rtl.demo_transforms``, standard GDN, 64x64 grid): the DSP48E2 count a MAC lane -- a
conv stage with even PE (WP486 INT8 packing: expect lanes / 2), the same with packing off
(``INT8_PACK = 0``: expect lanes), an odd-PE conv (expect lanes), standard-GDN stages with
PE = 2 and 1 (gamma narrowed to its values' width, ``gamma_bits``): DSPs = a x SIMD
(squares) + b x lanes (products) -- and the LUTs of the same stages before / after a change
(``--note``); ``conv_deeprom`` has a weight ROM deeper than 64 words (block RAM since the
registered-read ROMs), ``gdn_simd8`` separates a GDN stage's per-lane LUTs from its per-PE ones.

    nice -n 10 .venv/bin/python benchmarks/rtl_ga_synth_small.py conv_pack conv_nopack ... [--note "after X"]

Replaces the row of each case in ``benchmarks/results/rtl_ga_synth_small.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lic.fileio import read_json, write_json
from lic.hw import rtl
from lic.hw.rtl import ga as rtl_ga
from lic.hw.rtl import synth as rtl_ga_synth

ROOT = Path(__file__).resolve().parents[1]
CASES = {  # name: (layer, pe, simd, int8_pack)
    "conv_pack": ("g_a.2", 4, 8, 1),
    "conv_nopack": ("g_a.2", 4, 8, 0),
    "conv_odd": ("g_a.6", 3, 8, 1),
    "gdn_pe2": ("g_a.3", 2, 4, 1),
    "gdn_pe1": ("g_a.3", 1, 4, 1),
    "gdn_simd8": ("g_a.3", 1, 8, 1),
    "conv_deeprom": ("g_a.2", 2, 8, 1),
}


def run_case(name: str, work: Path) -> dict:
    layer, pe, simd, pack = CASES[name]
    ga, _, _ = rtl.demo_transforms(N=8, M=12, seed=1, size=64, variant="standard")
    plan = rtl_ga.make_plan(ga, (64, 64), {layer: (pe, simd)})
    old = rtl_ga.INT8_PACK
    rtl_ga.INT8_PACK = pack
    try:
        row = rtl_ga_synth.synth_stage(ga, plan, layer, work / name, timeout=1800)
    finally:
        rtl_ga.INT8_PACK = old
    l = next(x for x in ga.layers if x.name == layer)
    lf = next(x for x in plan.layers if x.name == layer)
    row.update(case=name, int8_pack=pack, cin=lf.cin, cout=lf.cout,
               pack=rtl_ga.conv_pack(l, lf, ga.cfg) if l.kind == "conv" and pack else 1,
               gamma_bits=rtl_ga.gamma_bits(l, ga.cfg) if l.kind == "gdn" else None,
               dsp_per_lane=row["dsp"] / row["lanes"])
    return row


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="+", choices=sorted(CASES))
    ap.add_argument("--work", default=str(ROOT / "artifacts" / "rtl_ga_synth_small"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "rtl_ga_synth_small.json"))
    ap.add_argument("--note", default="", help="what this RTL is (e.g. before/after a change)")
    args = ap.parse_args(argv)
    rows = []
    for c in args.cases:
        row = run_case(c, Path(args.work))
        if args.note:
            row["note"] = args.note
        print(json.dumps({k: v for k, v in row.items() if k != "cells"}, default=str), flush=True)
        out = Path(args.out)
        prev = read_json(out)["cases"] if out.exists() else []
        prev = [r for r in prev if r["case"] != c] + [row]
        write_json(out, {"synth": "yosys synth_xilinx -family xcup -flatten, one stage",
                         "transform": "lic.hw.rtl.demo_transforms(N=8, M=12, seed=1, 64x64, "
                                      "standard GDN)", "cases": prev})
        rows.append(row)
    return rows


if __name__ == "__main__":
    main()
