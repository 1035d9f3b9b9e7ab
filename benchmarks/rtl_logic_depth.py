"""Logic depth of each RTL stage kind (issue 31): the longest register-to-register path in LUT levels.

Synthesises each stage kind of ``lic.hw.rtl.depth.KINDS`` at its small parameters (``kind_design``) with yosys
``synth_xilinx -family xcup -flatten`` and walks the mapped netlist (``lic.hw.rtl.depth.analyse``); writes the
summary under ``--label`` (e.g. ``before`` on the RTL before the timing work, ``after``) into
``benchmarks/results/rtl_logic_depth.json``, with the commit it ran on.

    nice -n 10 .venv/bin/python benchmarks/rtl_logic_depth.py --label before [--kinds conv gdn]
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
        dirty = subprocess.run(["git", "status", "--porcelain", "hls/rtl"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def summary(r: dict) -> dict:
    """The recorded fields of one :func:`lic.hw.rtl.depth.stage_depth` result."""
    return {"reg": {k: r["reg"].get(k) for k in KEEP}, "io": {k: r["io"].get(k) for k in KEEP if k != "path"},
            **{k: r[k] for k in ("ce_fanout", "ce_driver", "dsp", "dsp_unreg_in", "dsp_unreg_out", "lut_cells",
                                 "ff_cells", "carry_cells", "synth_s")}}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", required=True, help="before / after / a note")
    ap.add_argument("--kinds", nargs="+", default=list(depth.KINDS), choices=depth.KINDS)
    ap.add_argument("--work", default=str(ROOT / "artifacts" / "rtl_logic_depth"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "rtl_logic_depth.json"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    rec = read_json(out) if out.exists() else {
        "method": "yosys 0.23 synth_xilinx -family xcup -flatten of one stage kind at small parameters "
                  "(lic.hw.rtl.depth.kind_design), the mapped netlist walked by lic.hw.rtl.depth.analyse: "
                  "reg = longest register-to-register path, lut = its LUT levels (LUT1-6, LUT-RAM/SRL reads), "
                  "carry = its CARRY4 cells (yosys 0.23 maps xcup carries to CARRY4: 4 bits a cell), muxf = "
                  "MUXF7/8/9, dsp = DSP48E2 passed without registers; carry_max = the most CARRY4 cells on "
                  "any path; io = paths from or to a port of the stage; ce_fanout = most FF enables on one net",
        "runs": {}}
    run = rec["runs"].get(args.label, {"commit": _commit(), "kinds": {}})
    run["commit"] = _commit()
    for k in args.kinds:
        r = depth.stage_depth(k, Path(args.work) / args.label / k)
        run["kinds"][k] = summary(r)
        print(k, json.dumps({x: run["kinds"][k]["reg"][x] for x in ("lut", "carry", "muxf", "dsp", "carry_max")}),
              "io", run["kinds"][k]["io"]["lut"], "ce", r["ce_fanout"], f"{r['synth_s']} s", flush=True)
        rec["runs"][args.label] = run
        write_json(out, rec)
    return rec


if __name__ == "__main__":
    main()
