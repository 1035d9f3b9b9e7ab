"""Benchmark (issue 17): the released N=64 student's g_a in RTL on a full Kodak image.

The integer g_a is a post-training quantisation (:func:`lic.hw.fixedpoint.quantize_transform`,
the accelerator's hybrid format: int8 convs, 32-bit standard GDN) of a released student,
calibrated on training-photo crops (the stage-03 artifact of a full run is not needed). The
folding is :func:`lic.hw.fpga_model.folding_plan`'s for the board at 1280x720, put on the
Kodak grid by :func:`lic.rtl_ga.regrid` (same PE/SIMD a layer). The RTL runs under Verilator
with two frames streamed back to back; the latents are compared bit for bit with
``IntTransform.run``; frames per second at 1280x720 come from the measured cycles a pixel
(the interval between the two frames' last latents) at the stated clock, and from one frame's
latency alone.

    nice -n 10 .venv/bin/python benchmarks/rtl_ga_kodak.py [--image kodim01] [--clock 200]
    nice -n 10 .venv/bin/python benchmarks/rtl_ga_kodak.py --synth g_a.0,g_a.5 [--hier] [--out F]
    nice -n 10 .venv/bin/python benchmarks/rtl_ga_kodak.py --combine F1,F2 [--note ...]

Writes ``benchmarks/results/rtl_ga_kodak.json`` (and prints the per-layer table); with
``--synth`` instead yosys ``synth_xilinx`` resources of the named stages at their folding
next to the model's, in ``benchmarks/results/rtl_ga_synth.json`` (``--hier``: without
``-flatten``, identical units synthesised once); with ``--combine`` the whole design from
``--synth`` result files (a later file's stage replaces an earlier one's), its use of the board.

``benchmarks/results/rtl_ga_synth.json`` is the record the report cites
(:func:`lic.hw.rtl.synth.recorded_resources`, through the index of benchmark records
``benchmarks/records.json``): written there (no ``--out``), it is registered in the index
(:func:`register`) with the SHA-256 of this script, of the student's weights and of the ``--synth``
files it combines, and the board, plan resolution and synthesis grid as parameters.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from lic.codec import zoo
from lic.data import images as data
from lic.fileio import write_json
from lic.hw import fixedpoint, fpga_model
from lic.hw.boards import load_board
from lic.hw.rtl import ga as rtl_ga
from lic.hw.rtl import synth as rtl_ga_synth
from lic.provenance import index_record

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--student", default="student-kd-pruned-n64-m192-l0.0067")
    ap.add_argument("--image", default="kodim01", help="Kodak image name (768x512 or 512x768)")
    ap.add_argument("--board", default="zcu102")
    ap.add_argument("--clock", type=float, default=None, help="MHz (default: the board's)")
    ap.add_argument("--calib-crops", type=int, default=8)
    ap.add_argument("--train-dir", default=str(ROOT.parent / "shared" / "data" / "photos"))
    ap.add_argument("--kodak-dir", default=str(ROOT.parent / "shared" / "data" / "kodak"))
    ap.add_argument("--work", default=str(ROOT / "artifacts" / "rtl_ga_kodak"))
    ap.add_argument("--out", default=None, help="results JSON (default benchmarks/results/"
                    "rtl_ga_kodak.json, with --synth rtl_ga_synth.json)")
    ap.add_argument("--synth", default="", help="comma-separated stages to synthesise instead")
    ap.add_argument("--synth-timeout", type=float, default=1800)
    ap.add_argument("--hier", action="store_true", help="with --synth: keep the hierarchy "
                    "(no -flatten; identical units synthesised once)")
    ap.add_argument("--combine", default="", help="comma-separated --synth result files: "
                    "write rtl_ga_synth.json with the whole design scaled from them")
    ap.add_argument("--combine-lut", default="", help="comma-separated --synth result files "
                    "used for LUT/FF scaling only (with --combine)")
    ap.add_argument("--note", default="", help="with --combine / --synth: what RTL the numbers are of")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    model = zoo.load_pretrained(args.student)
    n, m = model.g_a[0].out_channels, model.g_a[-1].out_channels
    calib = data.CropSampler(args.train_dir, crop=256, seed=17, max_images=32).batch(0, args.calib_crops)
    ga = fixedpoint.quantize_transform(model.g_a, calib, role="analysis")
    x = data.load_image(Path(args.kodak_dir) / f"{args.image}.png")
    pix = fixedpoint.image_to_int(x if x.dim() == 3 else x[0]).astype(np.int64)
    src = fpga_model.folding_plan(n, m, board=args.board, resolution=(1280, 720),
                                  clock_mhz=args.clock)
    plan = rtl_ga.regrid(ga, src, pix.shape[1:])
    if args.synth:
        return synth(args, ga, plan, src)
    if args.combine:
        return combine(args, ga, plan, src)
    args.out = args.out or str(ROOT / "benchmarks" / "results" / "rtl_ga_kodak.json")
    t0 = time.time()
    r = rtl_ga.measure(ga, plan, pix, args.work, clock_mhz=src.clock_mhz)
    hw = pix.shape[1] * pix.shape[2]
    scale = 1280 * 720 / hw
    rows = []
    for name, s in r["layers"].items():
        fm = plan.notes["source_cycles"][name]
        rows.append({"layer": name, "pe": s["pe"], "simd": s["simd"], "busy": s["busy"],
                     "stall": s["stall"], "starve": s["starve"], "fill": s["fill"],
                     "span0": s["span0"], "work": s["work"], "rtl_model": s["model"],
                     "rtl_model_over_work": s["model_over_work"], "fpga_model_720p": fm,
                     "measured_work_720p": round(s["work"] * scale),
                     "fpga_model_over_measured": fm / (s["work"] * scale)})
    out = {
        "student": args.student, "image": args.image, "image_hw": list(pix.shape[1:]),
        "quantisation": "PTQ lic.hw.fixedpoint.quantize_transform, "
                        f"{args.calib_crops} training crops of 256 px (seed 17)",
        "board": src.board, "clock_mhz": src.clock_mhz, "N": n, "M": m, "frames": r["frames"],
        "mismatches": r["mismatches"], "n_latents": r["n_latents"],
        "saturations": r["saturations"], "frame_ends": r["frame_ends"],
        "cycles_frame_latency": r["cycles"], "cycles_interval": r["interval"],
        "cycles_per_pixel": r["cycles_per_pixel"],
        "rtl_model_latency": r["model"]["frame"], "rtl_model_interval": r["model"]["interval"],
        "rtl_model_over_measured_latency": r["model_over_measured"],
        "rtl_model_over_measured_interval": r["interval_model_over_measured"],
        "fps_720p": r["fps"], "fps_720p_latency": r["fps_latency"],
        "fpga_model_fps_720p": src.notes.get("fps"), "fpga_model_cycles_720p": src.notes.get("cycles"),
        "fpga_model_over_measured_interval": src.notes.get("cycles", 0) / (r["interval"] * scale),
        "fpga_model_resources": src.notes.get("resources"),
        "goal_fps": 43.0, "goal_met": bool(r["fps"] >= 43.0),
        "layers": rows, "bottleneck": r["bottleneck"],
        "verilator": r["verilator"], "build_s": r["build_s"], "cached_build": r["cached_build"],
        "sim_wall_s": r["sim_wall_s"], "total_wall_s": time.time() - t0, "plan": r["plan"],
    }
    write_json(args.out, out)
    print(json.dumps({k: v for k, v in out.items() if k not in ("plan", "layers")}, indent=1,
                     default=str))
    for row in rows:
        print(row)
    return out


def synth(args, ga, plan, src) -> dict:
    """yosys resources of the named stages (at the Kodak grid: line buffers 768 px wide)."""
    names = [n.strip() for n in args.synth.split(",") if n.strip()]
    r = rtl_ga_synth.synth_plan(ga, plan, Path(args.work) / ("synth_hier" if args.hier else "synth"),
                                names, args.synth_timeout, flatten=not args.hier)
    model = {l.name: {"dsp": l.dsp, "bram36": l.bram, "lut": l.lut, "ff": l.ff}
             for l in src.layers}
    for row in r["stages"]:
        row["model"] = model[row["layer"]]
    out = {"student": args.student, "board": src.board, "image": args.image,
           "synth": f"yosys synth_xilinx -family xcup{'' if args.hier else ' -flatten'} "
                    "(UltraScale+), one stage at a time",
           **r, "model_total": src.notes.get("resources"), "plan": plan.to_dict()}
    if args.note:
        out["note"] = args.note
    write_json(args.out or ROOT / "benchmarks" / "results" / "rtl_ga_synth.json", out)
    print(json.dumps({k: out[k] for k in ("stages", "total", "failed")}, indent=1, default=str))
    return out


def combine(args, ga, plan, src) -> dict:
    """Synthesised stages (``--synth`` outputs) + the whole design scaled from them by lanes."""
    from lic.fileio import read_json

    measured = []
    for f in [x for x in args.combine_lut.split(",") if x]:
        # larger stages of an earlier revision: their LUT/FF scale better than small stages';
        # renamed and kept out of the DSP figures (no int8 packing, 32-bit gamma then)
        measured += [{**row, "layer": f"lut-only:{row['layer']}", "lut_only": True}
                     for row in read_json(f)["stages"]]
    for f in args.combine.split(","):
        d = read_json(f)
        if "cases" in d:  # benchmarks/rtl_ga_synth_small.py: demo-codec stages, renamed so
            # that they never stand for the plan's layer of the same name
            for row in d["cases"]:
                if row.get("int8_pack", 1):
                    measured.append({**row, "layer": f"small:{row['case']}"})
        else:
            measured += d["stages"]
    packs = {l.name: rtl_ga.conv_pack(l, lf, ga.cfg)
             for l, lf in zip(ga.layers, plan.layers) if l.kind == "conv"}
    est = rtl_ga_synth.scale_to_plan(plan, measured, packs)
    model = {l.name: {"dsp": l.dsp, "bram36": l.bram, "lut": l.lut, "ff": l.ff}
             for l in src.layers}
    for row in est["stages"]:
        row["model"] = model[row["layer"]]
    b = load_board(src.board)
    r = b.resources
    budget = {"dsp": r.dsp, "bram36": r.bram, "lut": r.lut, "ff": r.ff}
    decomposed = _gdn_decomposed(plan, measured, est)
    out = {"student": args.student, "board": src.board,
           "gamma_bits": {l.name: rtl_ga.gamma_bits(l, ga.cfg) for l in ga.layers if l.kind == "gdn"},
           "conv_pack": packs,
           "synth": "yosys 0.23 synth_xilinx -family xcup, one stage at a time (flat or "
                    "hierarchical: each row's 'flatten'); LUT = LUT1-6 + SRL + LUTRAM cells, "
                    "lut_sites = the same with a LUTRAM cell at its LUT6 sites (RAM64M8, "
                    "RAM32M16: 8) and INV cells as LUT1s; bram36 = RAMB36E2 + RAMB18E2/2",
           "synthesised": measured, "whole_design_scaled": est,
           "model_total": src.notes.get("resources"),
           "board_budget": budget, "plan": plan.to_dict(),
           "utilisation": _utilisation(est["total"], budget)}
    if decomposed:
        out["whole_design_gdn_decomposed"] = decomposed
        out["utilisation_gdn_decomposed"] = _utilisation(decomposed["total"], budget)
    if args.note:
        out["note"] = args.note
    write_json(args.out or RECORD, out)
    if not args.out:
        register(RECORD, out, zoo.available()[args.student]["sha256"],
                 [*filter(None, args.combine_lut.split(",")), *args.combine.split(",")],
                 f"--combine {args.combine}" + (f" --combine-lut {args.combine_lut}" if args.combine_lut else ""))
    keys = ("whole_design_scaled", "model_total", "board_budget", "utilisation",
            "whole_design_gdn_decomposed", "utilisation_gdn_decomposed")
    print(json.dumps({k: out[k] for k in keys if k in out}, indent=1, default=str))
    return out


#: the record of the whole g_a's synthesis the report cites, and its name in the index of benchmark records
RECORD = ROOT / "benchmarks" / "results" / "rtl_ga_synth.json"
NAME = "rtl_ga_synth"


def register(path: Path, rec: dict, student_sha256: str, combined: list[str], args: str,
             notes: str | None = None) -> dict:
    """Index the whole-g_a record ``rec`` at ``path`` (``--combine``): this script, the student's weights
    (``student_sha256``: the file the integer g_a was quantised from) and the ``--synth`` files combined;
    the board, the plan's frame size and the grid the stages were synthesised at as parameters."""
    layer0 = rec["plan"]["layers"][0]
    student = zoo.available()[rec["student"]]
    inputs = {"benchmarks/rtl_ga_kodak.py": None, f"weights/{student['file']}": student_sha256,
              **{f: None for f in combined}}
    return index_record(NAME, path, {"script": "benchmarks/rtl_ga_kodak.py", "args": args}, inputs,
                        "yosys synth_xilinx resources (LUT, FF, DSP, BRAM36) of the N=64 student's integer g_a in "
                        "RTL at the board's folding plan, every stage synthesised, against the board and the "
                        "FPGA model", params={"board": rec["board"], "student": rec["student"],
                                              "plan_resolution": rec["plan"]["resolution"],
                                              "synth_grid_wh": [layer0["win"], layer0["hin"]],
                                              "clock_mhz": rec["plan"]["clock_mhz"], "synth": rec["synth"]},
                        notes=notes)


def _utilisation(tot: dict, budget: dict) -> dict:
    """Use of each resource vs the board; ``lut_sites`` (LUTRAM at its LUT sites) and
    ``bram36`` where the total has them (every stage synthesised)."""
    budget = {**budget, "lut_sites": budget["lut"]}
    return {k: {"used": tot[k], "budget": budget[k], "fraction": tot[k] / budget[k],
                "fits_80pct": tot[k] <= 0.8 * budget[k], "fits_100pct": tot[k] <= budget[k]}
            for k in ("dsp", "lut", "lut_sites", "ff", "bram36") if k in tot}


def _gdn_decomposed(plan, measured: list[dict], est: dict) -> dict | None:
    """The whole design with each GDN stage's LUT/FF as ``c + u * PE + b * lanes`` instead of
    scaled by lanes: a GDN unit's isqrt and divider are per PE (one output channel a unit),
    only the products and the sum are per lane, and the ROM/collector/FIFO are per stage.
    ``u`` (a unit less its lanes) and ``b`` (a lane) come from the small C=8 stages
    ``gdn_pe1`` (PE 1, 4 lanes), ``gdn_pe2`` (PE 2, 8 lanes) and ``gdn_simd8`` (PE 1, 8
    lanes); the per-stage part ``c`` at the plan's width from the largest synthesised GDN stage
    of the plan (``lut-only:`` row) less its units and lanes. None without those four rows."""
    small = {r.get("case"): r for r in measured if r.get("case")}
    big = [r for r in measured if r.get("lut_only") and r["kind"] == "gdn"]
    if not big or any(c not in small for c in ("gdn_pe1", "gdn_pe2", "gdn_simd8")):
        return None
    big = max(big, key=lambda x: x["lanes"])
    fit = {}
    for k in ("lut", "ff"):
        l1, l2, l3 = (small[c][k] for c in ("gdn_pe1", "gdn_pe2", "gdn_simd8"))
        b = (l3 - l1) / 4.0
        u = l2 - l3
        fit[k] = {"lane": b, "unit": u, "stage_c8": l1 - u - 4 * b,
                  "stage_plan": big[k] - u * big["pe"] - b * big["lanes"]}
    rows = []
    for row in est["stages"]:
        if row["kind"] == "gdn" and row.get("source") != "yosys":
            row = {**row, **{k: round(fit[k]["stage_plan"] + fit[k]["unit"] * row["pe"]
                                      + fit[k]["lane"] * row["lanes"], 1) for k in ("lut", "ff")},
                   "source": f"LUT/FF = stage + unit x PE + lane x lanes (small gdn_pe1/pe2/simd8, "
                             f"stage part from {big['layer']}); DSP as whole_design_scaled"}
        rows.append(row)
    total = {k: round(sum(r[k] for r in rows), 1) for k in ("lut", "ff", "dsp")}
    return {"fit": fit, "stages": rows, "total": total}


if __name__ == "__main__":
    main()
