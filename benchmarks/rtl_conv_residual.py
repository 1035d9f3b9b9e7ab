"""Benchmark (issue 31): what the encoder model misses of the RTL's g_a conv stages, fitted from yosys.

The encoder model (:mod:`lic.hw.fpga_model.encoder`) costs a ``ga_conv_stage`` as the hls/src kernel's figures plus the
RTL's window fabric. Against yosys (the whole encoder at 720p, record ``rtl_encoder_synth``) it was short on every g_a
conv stage: by 3-11 k LUT sites and 12-42 k FFs a stage -- what it does not count is ``ga_pe_array``'s pipeline (the
registered adder-tree levels, the fix-up registers after each DSP, the bias / shift pipeline of every PE unit). This
script takes the g_a conv rows of yosys runs of the whole encoder (each row: the stage's fold, its yosys LUT sites and
FFs, and the model's figures of the same stage at the time) and fits the residual ``yosys - model`` as
``a * lanes + b * pe + c`` by least squares, LUT sites and FFs apart; likewise the rows of h_a's and h_s's direct
stages (``ga_direct_stage``, whose figures the model derives from the kernel's without window) of the runs given with
``--direct``. :data:`lic.hw.fpga_model.encoder.RTL_CONV` and ``RTL_DIRECT`` hold the fitted values and a test holds
them to this record. The fits are in-sample: the whole encoder's yosys record remains the check of a plan.

    .venv/bin/python benchmarks/rtl_conv_residual.py RUN.json [RUN.json ...] --direct RUN.json   # -> results/...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "rtl_conv_residual.json"


def rows_of(run: dict, source: str, group: str) -> list[dict]:
    """The rows of one whole-encoder yosys run of ``group``: ``window`` (g_a's conv stages) or ``direct`` (h_a's and
    h_s's conv / deconv stages, where the run built them as ``ga_direct_stage``): fold, yosys LUT sites / FFs, the
    model's LUT / FF."""
    out = []
    for s in run["stages"]:
        mine = s["layer"].startswith("g_a.") if group == "window" else s["layer"].startswith(("h_a.", "h_s."))
        if s["kind"] in ("conv", "deconv") and mine and s.get("model"):
            out.append({"group": group, "layer": s["layer"], "pe": s["pe"], "simd": s["simd"],
                        "lanes": s["pe"] * s["simd"], "lut_sites": s["lut_sites"], "ff": s["ff"],
                        "model_lut": s["model"]["lut"], "model_ff": s["model"]["ff"], "key": s["key"], "source": source})
    return out


def fit(rows: list[dict], key: str) -> dict:
    """Least squares ``yosys - model = a * lanes + b * pe + c`` (``key``: ``lut`` against LUT sites, or ``ff``):
    ``{"per_lane", "per_pe", "per_stage", "max_abs_err"}`` (the largest error of the corrected model, in cells)."""
    x = np.array([[r["lanes"], r["pe"], 1.0] for r in rows], dtype=float)
    got = "lut_sites" if key == "lut" else "ff"
    y = np.array([r[got] - r[f"model_{key}"] for r in rows], dtype=float)
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    return {"per_lane": float(coef[0]), "per_pe": float(coef[1]), "per_stage": float(coef[2]),
            "max_abs_err": float(np.abs(x @ coef - y).max())}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="whole-encoder yosys runs (rtl_encoder_synth.py outputs): g_a's rows")
    ap.add_argument("--direct", nargs="+", default=[], help="runs whose h_a / h_s rows are direct stages")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    from lic.fileio import read_json, write_json

    by_fold = {}  # a stage at the same fold in two runs (the same geometry and ROMs) counts once: the later run's
    for group, runs in (("window", args.runs), ("direct", args.direct)):
        for f in runs:
            run = read_json(f)
            src = f"{Path(f).name} (RTL {run.get('rtl_commit', '?')}, plan at {run.get('fps_model', 0):.1f} fps)"
            for r in rows_of(run, src, group):
                by_fold[(group, r["layer"], r["pe"], r["simd"])] = r
    rows = list(by_fold.values())
    by = {g: [r for r in rows if r["group"] == g] for g in ("window", "direct")}
    if any(len({(r["pe"], r["simd"], r["layer"]) for r in v}) < 4 for v in by.values()):
        raise SystemExit("need at least four distinct stages a group to fit three terms")
    out = {"flow": "yosys 0.23 synth_xilinx -family xcup, hierarchical (rows of benchmarks/rtl_encoder_synth.py)",
           "fit": {k: fit(by["window"], k) for k in ("lut", "ff")},
           "fit_direct": {k: fit(by["direct"], k) for k in ("lut", "ff")}, "stages": rows}
    write_json(args.out, out)
    if Path(args.out).resolve() == OUT:
        from lic.provenance import index_record

        index_record("rtl_conv_residual", args.out, {"script": "benchmarks/rtl_conv_residual.py",
                                                     "args": " ".join(argv or [])},
                     {"benchmarks/rtl_conv_residual.py": None, "hls/rtl/ga/conv_stage.v": None,
                      "hls/rtl/ga/direct_stage.v": None, "hls/rtl/ga/mac_pe.v": None, "hls/rtl/ga/requant.v": None},
                     "the residual yosys - model of the RTL's g_a conv stages and of its direct hyper stages, and "
                     "their per-lane / per-PE fits",
                     notes="rows from whole-encoder yosys runs: " + "; ".join(sorted({r["source"] for r in rows})))
    print(json.dumps({"window": out["fit"], "direct": out["fit_direct"]}, indent=1))
    return out


if __name__ == "__main__":
    main()
