"""Benchmark (issue 31): yosys LUT / FF / DSP of the RTL's GDN stage (``hls/rtl/ga/gdn_stage.v``) against its lanes.

The encoder model (:mod:`lic.hw.fpga_model.encoder`) costs a GDN stage of the RTL as ``a lanes + b simd + c pe + d`` LUTs
(and FFs): the per-lane figures of the FPS model (:class:`lic.hw.fpga_model.core.Assumptions`) were measured on the
older stand-alone ``hls/rtl/gdn_unit.v`` and overstate the pipelined stage about twice. This script synthesises the
three GDN stages of the released N=64 student's integer g_a (``<student>-fpga``, its gamma widths) at several folds
on the 720p grid, hierarchically as the whole-encoder synthesis does (``synth_xilinx -family xcup``, no flatten),
and fits ``a`` .. ``d`` by least squares; :data:`lic.hw.fpga_model.encoder.RTL_GDN` holds the fitted values
and a test holds them to this record.

    nice -n 10 .venv/bin/python benchmarks/rtl_gdn_lanes.py          # -> results/rtl_gdn_lanes.json (~10 min)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: (layer, pe, simd): lanes 8 .. 256, PE 1 .. 4, all three GDN layers
CASES = [("g_a.5", 1, 8), ("g_a.5", 1, 16), ("g_a.3", 1, 32), ("g_a.3", 1, 64), ("g_a.1", 2, 64), ("g_a.1", 4, 64)]


def fit(rows: list[dict], key: str) -> dict:
    """Least-squares ``key = a * lanes + b * simd + c * pe + d`` over ``rows`` (a gamma product a lane, a square a
    SIMD lane, a divider / root a PE lane, the control): ``{"per_lane", "per_simd", "per_pe", "per_stage",
    "max_rel_err"}``."""
    x = np.array([[r["lanes"], r["simd"], r["pe"], 1.0] for r in rows], dtype=float)
    y = np.array([r[key] for r in rows], dtype=float)
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    err = np.abs(x @ coef - y) / y
    return {"per_lane": float(coef[0]), "per_simd": float(coef[1]), "per_pe": float(coef[2]),
            "per_stage": float(coef[3]), "max_rel_err": float(err.max())}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--student", default="student-kd-pruned-n64-m192-l0.0067")
    ap.add_argument("--work", default=str(ROOT / "artifacts" / "rtl_gdn_lanes"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "rtl_gdn_lanes.json"))
    ap.add_argument("--refit", action="store_true", help="refit the rows of the record at --out (no synthesis)")
    args = ap.parse_args(argv)
    if args.refit:
        from lic.fileio import read_json, write_json

        out = read_json(args.out)
        out["fit"] = {k: fit(out["stages"], k) for k in ("lut", "ff")}
        write_json(args.out, out)
        _index(args, out["model"], argv)
        print(json.dumps(out["fit"], indent=1))
        return out

    from lic.codec import zoo
    from lic.fileio import write_json
    from lic.hw.rtl import ga as rtl_ga
    from lic.hw.rtl import synth

    name = f"{args.student}{zoo.FPGA_SUFFIX}"
    t = zoo.load_pretrained(name).int_ga
    rows, t0 = [], time.time()
    for layer, pe, simd in CASES:
        plan = rtl_ga.make_plan(t, (768, 1280), {layer: (pe, simd)})
        r = synth.synth_stage(t, plan, layer, Path(args.work) / f"{layer}_{pe}x{simd}", timeout=3600, flatten=False)
        r["gamma_bits"] = rtl_ga.gamma_bits(t.layers[[l.name for l in t.layers].index(layer)], t.cfg)
        rows.append(r)
        print(json.dumps({k: r[k] for k in ("layer", "pe", "simd", "lut", "ff", "dsp", "synth_s")}), flush=True)
    out = {"model": name, "model_digest": zoo.release_digest(zoo.available()[name]), "grid": [768, 1280],
           "flow": "yosys synth_xilinx -family xcup, hierarchical (no -flatten)",
           "fit": {k: fit(rows, k) for k in ("lut", "ff")}, "stages": rows, "wall_s": time.time() - t0}
    write_json(args.out, out)
    _index(args, name, argv)
    print(json.dumps(out["fit"], indent=1))
    return out


def _index(args, name: str, argv) -> None:
    """Index the record (script, RTL sources, synthesis flow, the model's three files)."""
    from lic.codec import zoo
    from lic.hw.rtl import ga as rtl_ga
    from lic.provenance import index_record

    entry = zoo.available()[name]
    inputs = {"benchmarks/rtl_gdn_lanes.py": None, "lic/hw/rtl/synth.py": None,
              **{str(Path(p).relative_to(ROOT)): None for p in rtl_ga.SOURCES},
              **{f"weights/{f['file']}": f["sha256"] for f in (entry, entry["int_prior"], entry["int_ga"])}}
    index_record("rtl_gdn_lanes", args.out, {"script": "benchmarks/rtl_gdn_lanes.py", "args": " ".join(argv or [])},
                 inputs, "yosys LUT / FF / DSP of the RTL GDN stage at six folds and the per-lane fit the encoder "
                 "model uses", params={"grid": [768, 1280], "cases": CASES})


if __name__ == "__main__":
    main()
