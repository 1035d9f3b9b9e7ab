"""Benchmark (issue 31): yosys resources of the whole RTL encoder (g_a + h_a + h_s + index + glue) at one plan.

The plan is :func:`lic.hw.fpga_model.encoder_plan`'s for the board, resolution and clock (the fastest plan whose
modelled resources fit the budget; where none does, the one closest to fitting at ``--target-fps`` or faster),
generated for the released N=64 student's integer encoder ``<student>-fpga`` (``zoo.load_pretrained``; where it is
not released yet, built as the release builds it: ``lic.release.fpga.build`` on ``ga_calibration_batch``) at the
plan's real frame (1280x720 coded as 1280x768: line buffers 1280 pixels wide). Every stage is synthesised on its own
(:mod:`lic.hw.rtl.encsynth`, yosys 0.23 ``synth_xilinx -family xcup``, hierarchical: identical units once) and the
rows are added up, next to the model's figures and the board's 80 % budget.

    nice -n 15 .venv/bin/python benchmarks/rtl_encoder_synth.py                  # -> results/rtl_encoder_synth.json
    nice -n 15 .venv/bin/python benchmarks/rtl_encoder_synth.py --ga-record      # + results/rtl_ga_synth.json
    nice -n 15 .venv/bin/python benchmarks/rtl_encoder_synth.py --stages glue,h_s.index --out /tmp/x.json

``--ga-record`` also writes the whole g_a's record ``rtl_ga_synth`` (the g_a-alone plan of
:func:`lic.hw.fpga_model.folding_plan` on the same frame, rows of identical stages shared). Progress is saved after
each stage (``<work>/<record>.partial.json``); a rerun reuses every row whose stage key (its top, the Verilog, its ROMs) is
unchanged. Written to ``benchmarks/results/`` (no ``--out``), a record is indexed (:func:`lic.provenance.index_record`)
with the SHA-256 of this script, the weights (their manifest digests), the Verilog and the generators.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RES = {"720p": (1280, 720), "1080p": (1920, 1080)}
RESULTS = ROOT / "benchmarks" / "results"
KEYS = ("lut", "lut_sites", "ff", "dsp", "bram36", "carry")
#: the generators and flows whose code determines the synthesised netlists and the plan
GENERATORS = [f"lic/hw/rtl/{m}.py" for m in ("encoder", "ga", "hyper", "synth", "encsynth")] + \
             ["lic/hw/fpga_model/encoder.py"]


def _args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--student", default="student-kd-pruned-n64-m192-l0.0067")
    ap.add_argument("--res", default="720p", help="720p, 1080p or WxH")
    ap.add_argument("--board", default="zcu102")
    ap.add_argument("--clock", type=float, default=200.0, help="MHz")
    ap.add_argument("--hyper-fraction", type=float, default=1.0)
    ap.add_argument("--target-fps", type=float, default=30.0, help="the rate the plan must reach where none fits")
    ap.add_argument("--stages", default="", help="comma-separated rows to synthesise (default all)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds a stage")
    ap.add_argument("--ga-record", action="store_true", help="also the whole g_a's record rtl_ga_synth")
    ap.add_argument("--train-dir", default=None, help="calibration photos where the -fpga model is built")
    ap.add_argument("--work", default=str(ROOT / "artifacts" / "rtl_encoder_synth"))
    ap.add_argument("--out", default=None)
    return ap.parse_args(argv)


def load_model(student: str, train_dir=None) -> tuple:
    """``(model, name, entry or None, digest)``: the released ``<student>-fpga``, else built as the release builds
    it (``entry`` None; ``digest`` = :func:`lic.codec.zoo.release_digest` of the entry it would have, its integer
    g_a's file digest replaced by ``unreleased:`` and the content digest)."""
    from lic.codec import zoo

    name = f"{student}{zoo.FPGA_SUFFIX}"
    models = zoo.available()
    if name in models:
        return zoo.load_pretrained(name), name, models[name], zoo.release_digest(models[name])
    from lic.hw.encoder import ga_calibration_batch
    from lic.release import fpga

    model = fpga.build(student, ga_calibration_batch(train_dir))
    base = models[f"{student}{zoo.INT_SUFFIX}"]
    digest = zoo.release_digest({**base, "int_ga": {"sha256": f"unreleased:{content_digest(model.int_ga)}"}})
    return model, name, None, digest


def content_digest(t) -> str:
    """SHA-256 of an integer transform's arrays and meta (as benchmarks/rtl_encoder.py's ``digest``)."""
    import hashlib

    import numpy as np

    meta, arrays = t.to_dict()
    h = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
    for k in sorted(arrays):
        h.update(k.encode() + np.ascontiguousarray(arrays[k]).astype("<i8").tobytes())
    return h.hexdigest()


def _partial(args, out_path: Path) -> Path:
    """Where the rows done so far are kept (in the work folder, not beside the record)."""
    return Path(args.work) / f"{out_path.stem}.partial.json"


def _progress(path: Path) -> dict:
    from lic.fileio import read_json

    return {r["layer"]: r for r in read_json(path).get("stages", [])} if path.is_file() else {}


def synthesise(ga, prior, plan, work: Path, names, timeout: float, partial: Path) -> dict:
    """Every row of ``names`` (default all), rows of an earlier run with the same stage key reused."""
    from lic.fileio import write_json
    from lic.hw.rtl import encsynth

    done = _progress(partial)

    def log(row):
        done[row["layer"]] = row
        write_json(partial, {"stages": list(done.values())})
        print(json.dumps({k: row.get(k) for k in ("layer", "pe", "simd", *KEYS, "synth_s")}), flush=True)

    return encsynth.synth_encoder(ga, prior, plan, work, names, timeout, done=done, log=log)


#: module families of the RTL, for the breakdown of a stage's LUTs (:func:`module_luts`)
FAMILIES = {"ga_muxtree": "window / bank / beat muxes", "ga_mac_tail": "MAC adder trees", "ga_mac_pe": "MAC lanes",
            "gdn_": "GDN lanes", "ga_gdn_add": "GDN lanes", "W=": "GDN lanes", "ga_lbuf_fold": "line-buffer banks",
            "ga_latq": "glue", "ga_zq": "glue", "ga_requant": "requantisers"}


def module_luts(stat: Path) -> dict[str, int]:
    """LUT sites (LUT1-6, SRLs, LUT RAM at 8 sites a RAM64M8 / RAM32M16) of a hierarchical yosys ``stat`` report by
    module family (:data:`FAMILIES`; the rest "control, FIFOs, collectors"), instances multiplied through the
    hierarchy from the top (``*_top``)."""
    import re

    from lic.hw.rtl.synth import lut_sites

    mods = {}
    for block in re.split(r"\n=== ", stat.read_text())[1:]:
        name = block.split(" ===")[0].strip()
        mods[name] = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s+(\S+)\s+(\d+)$", block, re.M)}

    def own(c):  # lic.hw.rtl.synth.lut_sites without the INV it counts as LUT1
        return lut_sites(c) - c.get("INV", 0)

    def fam(name):
        short = name.split("\\")[-1]
        return next((v for k, v in FAMILIES.items() if short.startswith(k) or k in name), "control, FIFOs, collectors")

    def walk(name, mult, acc):
        acc[fam(name)] = acc.get(fam(name), 0) + mult * own(mods[name])
        for k, v in mods[name].items():
            if k in mods:
                walk(k, mult * v, acc)
        return acc

    top = next((m for m in mods if m.endswith("_top")), None)
    return {k: v for k, v in sorted(walk(top, 1, {}).items(), key=lambda kv: -kv[1]) if v} if top else {}


def _breakdown(rows: list[dict], tops: dict[str, dict], work: Path) -> dict[str, int]:
    """Each row's ``lut_by_family`` from its stat report (``<work>/synth/<k>_<name>.stat``) and their sum. A report
    counts only where the top synthesised beside it (``.v``) is this plan's (``tops``: :func:`lic.hw.rtl.encsynth.
    stage_tops`), never one left by another plan; a row without one gets no breakdown (``lut_by_family_missing``)."""
    total: dict[str, int] = {}
    for row in rows:
        top = tops[row["layer"]]
        stem = work / "synth" / f"{top['k']:02d}_{row['layer']}"
        stat, v = stem.with_suffix(".stat"), stem.with_suffix(".v")
        if stat.is_file() and v.is_file() and v.read_text() == top["text"]:
            row["lut_by_family"] = module_luts(stat)
            for f, n in row["lut_by_family"].items():
                total[f] = total.get(f, 0) + n
    return dict(sorted(total.items(), key=lambda kv: -kv[1]))


def utilisation(total: dict, device) -> dict:
    """Use of each resource against the whole device and the 80 % budget (``lut_sites`` against the LUTs)."""
    budget = {"dsp": device.dsp, "bram36": device.bram, "lut": device.lut, "lut_sites": device.lut, "ff": device.ff}
    return {k: {"used": total[k], "budget": budget[k], "fraction": total[k] / budget[k],
                "fits_80pct": total[k] <= 0.8 * budget[k], "fits_100pct": total[k] <= budget[k]}
            for k in budget if k in total}


def _inputs(entry, student: str, sources) -> dict:
    from lic.codec import zoo

    e = entry or zoo.available()[f"{student}{zoo.INT_SUFFIX}"]
    files = {f"weights/{e['file']}": e["sha256"],
             **{f"weights/{e[k]['file']}": e[k]["sha256"] for k in ("int_prior", "int_ga") if e.get(k)}}
    return {"benchmarks/rtl_encoder_synth.py": None, **files, **{str(Path(s).relative_to(ROOT)): None for s in sources},
            **{g: None for g in GENERATORS}}


def _header(args, name, digest, entry, model, design, res) -> dict:
    from lic.hw.rtl.tools import require_tools
    from lic.provenance import git_commit

    h, w = design.frame_hw
    yosys = require_tools("yosys")["yosys"]
    import subprocess

    version = subprocess.run([yosys, "-V"], capture_output=True, text=True).stdout.strip()
    return {"student": args.student, "model": name, "model_digest": digest, "model_released": entry is not None,
            "int_ga_digest": content_digest(model.int_ga), "int_prior_digest": model.int_prior.digest().hex(),
            "board": design.board, "clock_mhz": design.clock_mhz, "resolution": list(res), "width": w, "height": h,
            "synth": "yosys synth_xilinx -family xcup -noiopad -noclkbuf, hierarchical (identical units once), one "
                     "stage at a time; LUT = LUT1-6 + SRL + LUT-RAM cells, lut_sites = LUT-RAM at its LUT6 sites and "
                     "INV as LUT1; bram36 = RAMB36E2 + RAMB18E2 / 2", "yosys": version, "rtl_commit": git_commit()}


def encoder_record(args, out_path: Path) -> tuple[dict, object, tuple]:
    """Plan, synthesise and write the encoder's record; returns it, the plan's design and (ga, prior, entry)."""
    from lic.fileio import write_json
    from lic.hw import fpga_model
    from lic.hw.rtl import encoder as enc

    t0 = time.time()
    model, name, entry, digest = load_model(args.student, args.train_dir)
    ga, prior = model.int_ga, model.int_prior
    n, m = model.g_a[0].out_channels, model.g_a[-1].out_channels
    res = RES.get(args.res) or tuple(int(v) for v in args.res.lower().split("x"))
    design = fpga_model.encoder_plan(n, m, args.board, res, args.clock, hyper_fraction=args.hyper_fraction,
                                     target_fps=args.target_fps)
    plan = design.plan
    enc.generate(ga, prior, plan, Path(args.work))  # checks plan against the transforms
    names = [s for s in args.stages.split(",") if s] or None
    r = synthesise(ga, prior, plan, Path(args.work), names, args.timeout, _partial(args, out_path))
    model_rows = {s["layer"]: s for s in design.stages}
    for row in r["stages"]:
        row["model"] = {k: model_rows[row["layer"]][k] for k in ("dsp", "bram36", "lut", "ff")}
    total = dict(r["total"])
    from lic.hw.rtl import encsynth

    by_family = _breakdown(r["stages"], encsynth.stage_tops(ga, prior, plan, Path(args.work)), Path(args.work))
    out = {**_header(args, name, digest, entry, model, design, res), "lut_by_family": by_family,
           "lut_by_family_missing": [x["layer"] for x in r["stages"] if "lut_by_family" not in x],
           "stages": r["stages"], "total": total, "failed": r["failed"], "reused": r["reused"],
           "complete": not r["failed"] and names is None,
           "model_total": design.resources.as_dict(), "model_fits_budget": design.fits,
           "model_summary": design.summary(), "model_stages": list(design.stages),
           "board_budget": {"dsp": design.device.dsp, "bram36": design.device.bram, "lut": design.device.lut,
                            "ff": design.device.ff},
           "utilisation": utilisation(total, design.device), "fps_model": design.fps, "plan": plan.to_dict(),
           "synth_s_total": sum(s["synth_s"] for s in r["stages"]), "wall_s": time.time() - t0}
    write_json(out_path, out)
    return out, design, (ga, prior, entry)


def register(name: str, path: Path, rec: dict, entry, argv, measures: str) -> dict:
    """Index a record written in ``benchmarks/results``: inputs the script, weights, Verilog and generators."""
    import sys

    from lic.hw.rtl import encoder as enc
    from lic.provenance import index_record

    args = " ".join(sys.argv[1:] if argv is None else argv)
    params = {k: rec[k] for k in ("board", "clock_mhz", "width", "height", "resolution", "model", "model_digest",
                                  "synth", "yosys") if k in rec}
    return index_record(name, path, {"script": "benchmarks/rtl_encoder_synth.py", "args": args},
                        _inputs(entry, rec["student"], [*enc.SOURCES]), measures, params=params)


def ga_record(args, enc_out: dict, ga, prior, entry, argv) -> dict:
    """The whole g_a alone at :func:`lic.hw.fpga_model.folding_plan`'s plan on the encoder's frame, every stage
    synthesised (rows of the encoder's run with the same stage key reused): ``rtl_ga_synth`` in the layout
    :func:`lic.hw.rtl.synth.recorded_resources` reads."""
    from lic.fileio import write_json
    from lic.hw import fpga_model
    from lic.hw.boards import load_board
    from lic.hw.rtl import encoder as enc
    from lic.hw.rtl import ga as rtl_ga

    n, m = ga.layers[0].attrs["out_ch"], ga.layers[-1].attrs["out_ch"]
    src = fpga_model.folding_plan(n, m, args.board, tuple(enc_out["resolution"]), args.clock)
    plan = enc.plan_for(ga, prior, rtl_ga.regrid(ga, src, (enc_out["height"], enc_out["width"])), args.hyper_fraction)
    out_path = Path(args.out).with_name("rtl_ga_synth.json") if args.out else RESULTS / "rtl_ga_synth.json"
    partial = _partial(args, out_path)
    if not partial.is_file():  # start from the encoder's rows: identical stages are not synthesised again
        write_json(partial, {"stages": enc_out["stages"]})
    names = [l.name for l in plan.ga.layers]
    r = synthesise(ga, prior, plan, Path(args.work) / "ga_alone", names, args.timeout, partial)
    model = {l.name: {"dsp": l.dsp, "bram36": l.bram, "lut": l.lut, "ff": l.ff} for l in src.layers}
    rows = [{**{k: v for k, v in row.items() if k != "model"}, "source": "yosys", "model": model[row["layer"]]}
            for row in r["stages"]]
    total = {k: sum(x[k] for x in rows) for k in KEYS}
    device = load_board(args.board).resources
    out = {**{k: enc_out[k] for k in ("student", "model", "model_digest", "model_released", "int_ga_digest", "board",
                                      "clock_mhz", "resolution", "width", "height", "synth", "yosys", "rtl_commit")},
           "synthesised": rows, "whole_design_scaled": {"stages": rows, "total": total}, "failed": r["failed"],
           "model_total": src.notes.get("resources"), "fps_model": src.notes.get("fps"),
           "board_budget": enc_out["board_budget"], "utilisation": utilisation(total, device),
           "plan": plan.ga.to_dict(), "synth_s_total": sum(x["synth_s"] for x in rows)}
    write_json(out_path, out)
    if not args.out and not r["failed"]:
        register("rtl_ga_synth", out_path, out, entry, argv,
                 f"yosys synth_xilinx resources (LUT, FF, DSP, BRAM36) of the integer g_a of {out['model']} in RTL at "
                 "the board's g_a folding plan (lic.hw.fpga_model.folding_plan), every stage synthesised, on the "
                 "plan's real frame, against the board and the FPGA model")
    return out


def main(argv=None) -> dict:
    args = _args(argv)
    out_path = Path(args.out) if args.out else RESULTS / "rtl_encoder_synth.json"
    out, design, (ga, prior, entry) = encoder_record(args, out_path)
    if not args.out and out["complete"]:
        register("rtl_encoder_synth", out_path, out, entry, argv,
                 f"yosys synth_xilinx resources (LUT, FF, DSP, BRAM36) of the whole RTL encoder (g_a, h_a, h_s, index, "
                 f"glue) of {out['model']} at lic.hw.fpga_model.encoder_plan's plan, per stage and in total, against "
                 "the board and the model")
    if args.ga_record:
        ga_record(args, out, ga, prior, entry, argv)
    print(json.dumps({k: out[k] for k in ("total", "utilisation", "model_total", "fps_model", "failed")}, indent=1,
                     default=str))
    return out


if __name__ == "__main__":
    main()
