"""Logic depth of each RTL stage kind (issue 31): the longest register-to-register path in LUT levels.

Synthesises each stage kind of ``lic.hw.rtl.depth.KINDS`` at its small parameters (``kind_design``) with yosys
``synth_xilinx -family xcup -flatten`` and walks the mapped netlist (``lic.hw.rtl.depth.analyse``); writes the
summary under ``--label`` (e.g. ``before`` on the RTL before the timing work, ``after``) into
``benchmarks/results/rtl_logic_depth.json``, each kind with the commit of the RTL it measured (``rtl``).

    nice -n 10 .venv/bin/python benchmarks/rtl_logic_depth.py --label before [--kinds conv gdn]

``--reanalyse`` walks the netlists a run left in ``--work`` again (after a change of the counting rules) and
keeps the run's commit and synthesis times. ``--unit64 RTL_DIR`` measures one more case, ``gdn_unit64``: the GDN
unit alone at g_a.1's ZCU102 lanes (C = SIMD = 64, standard GDN, 12-bit gammas, m_j from the stage) from the
``gdn_unit.v`` in RTL_DIR (before: the unmodified file, its stage's settings; after: ``FREE = PIPE = 1``, as
``ga_gdn_stage`` instantiates it now), where the lane sum is six levels of 43-48-bit adders.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from lic.fileio import read_json, write_json
from lic.hw.rtl import depth

ROOT = Path(__file__).resolve().parents[1]
KEEP = ("lut", "carry", "muxf", "dsp", "carry_max", "carry_max_lut", "dsp_max", "path")


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "hls/rtl/*.v", "hls/rtl/ga/*.v"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def summary(r: dict) -> dict:
    """The recorded fields of one :func:`lic.hw.rtl.depth.stage_depth` result."""
    return {"reg": {k: r["reg"].get(k) for k in KEEP}, "io": {k: r["io"].get(k) for k in KEEP if k != "path"},
            **{k: r[k] for k in ("ce_fanout", "ce_driver", "ce_net", "ce_pins", "dsp", "dsp_unreg_in", "dsp_unreg_out", "lut_cells",
                                 "ff_cells", "carry_cells", "synth_s")}}


def unit64(rtl_dir: Path, work: Path, new: bool, timeout: float = 3600) -> dict:
    """``gdn_unit`` at C = SIMD = 64 (standard, G_BITS 12, ACC_BITS 48, M_IN), from ``rtl_dir``."""
    prm = "C(64), .SIMD(64), .STANDARD(1), .IN_BITS(16), .G_BITS(12), .ACC_BITS(48), .K(9), .M_IN(1)"
    prm = "." + prm + (", .FREE(1), .PIPE(1)" if new else "")
    top = ("`default_nettype none\nmodule depth_top (input wire clk, input wire rst, input wire in_valid,\n"
           "    output wire in_ready, input wire [15:0] in_xi, input wire [47:0] in_beta,\n"
           "    input wire [64*31-1:0] in_x, input wire [64*12-1:0] in_gamma, output wire out_valid,\n"
           "    input wire out_ready, output wire [7:0] out_y, output wire [1:0] out_sat);\n"
           f"    gdn_unit #({prm}) u (.clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(in_ready),\n"
           "        .in_xi(in_xi), .in_beta(in_beta), .in_x(in_x), .in_gamma(in_gamma), .out_valid(out_valid),\n"
           "        .out_ready(out_ready), .out_y(out_y), .out_sat(out_sat));\nendmodule\n")
    return depth.synth_depth([rtl_dir / "gdn_unit.v"], top, work, timeout=timeout)


def _reanalysed(work: Path, old: dict) -> dict:
    from lic.hw.rtl.synth import parse_stat

    r = depth.analyse(read_json(work / "depth.json"), "depth_top")
    cells = parse_stat((work / "depth.stat").read_text())
    r.update(synth_s=old["synth_s"], lut_cells=sum(v for c, v in cells.items() if c[:3] == "LUT"),
             ff_cells=sum(v for c, v in cells.items() if c[:2] == "FD"),
             carry_cells=sum(v for c, v in cells.items() if c[:5] == "CARRY"))
    return r


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", required=True, help="before / after / a note")
    ap.add_argument("--kinds", nargs="*", default=list(depth.KINDS), choices=depth.KINDS)
    ap.add_argument("--work", default=str(ROOT / "artifacts" / "rtl_logic_depth"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "rtl_logic_depth.json"))
    ap.add_argument("--reanalyse", action="store_true", help="re-walk the netlists in --work, no synthesis")
    ap.add_argument("--unit64", metavar="RTL_DIR", help="measure gdn_unit64 from RTL_DIR/gdn_unit.v too")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds of yosys a stage (loaded machines)")
    ap.add_argument("--unit64-rtl", default="", help="the commit of RTL_DIR's gdn_unit.v (recorded as its rtl)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    rec = read_json(out) if out.exists() else {
        "method": "yosys 0.23 synth_xilinx -family xcup -flatten of one stage kind at small parameters "
                  "(lic.hw.rtl.depth.kind_design), the mapped netlist walked by lic.hw.rtl.depth.analyse: "
                  "reg = longest register-to-register path, lut = its LUT levels (LUT1-6, LUT-RAM/SRL reads), "
                  "carry = its CARRY4 cells (yosys 0.23 maps xcup carries to CARRY4: 4 bits a cell), muxf = "
                  "MUXF7/8/9, dsp = DSP48E2 passed without registers; carry_max = the most CARRY4 cells on "
                  "any path; io = paths from or to a port of the stage; ce_fanout = most FF enables on one net "
                  "(ce_net), ce_pins = FFs with a clock enable; dsp_unreg_in/out = DSP48E2 without a register "
                  "at their data inputs / P output (lic.hw.rtl.depth._dsp_registers)",
        "runs": {}}
    run = rec["runs"].get(args.label, {"commit": _commit(), "kinds": {}})
    kinds = list(args.kinds) + (["gdn_unit64"] if args.unit64 else [])
    for k in kinds:
        work = Path(args.work) / args.label / k
        if args.reanalyse:
            r = _reanalysed(work, run["kinds"][k])
        elif k == "gdn_unit64":
            r = unit64(Path(args.unit64), work, new=args.label != "before", timeout=args.timeout)
        else:
            r = depth.stage_depth(k, work, timeout=args.timeout)
        rtl = run["kinds"].get(k, {}).get("rtl", run["commit"]) if args.reanalyse else (
            (args.unit64_rtl or f"{args.unit64} (unknown commit)") if k == "gdn_unit64" else _commit())
        run["kinds"][k] = {**summary(r), "rtl": rtl}
        print(k, json.dumps({x: run["kinds"][k]["reg"][x] for x in ("lut", "carry", "muxf", "dsp", "carry_max")}),
              "io", run["kinds"][k]["io"]["lut"], "ce", r["ce_fanout"], f"{r['synth_s']} s", flush=True)
        rec["runs"][args.label] = run
        write_json(out, rec)
    return rec


if __name__ == "__main__":
    main()
