"""Benchmark (issue #32): a released student's g_a of width N in RTL on a board's folding plan, on a true 1280x720 frame.

The integer g_a is the post-training quantisation of the released student (``student-kd-pruned-n<N>-m192-l<λ>``,
:func:`lic.hw.fixedpoint.quantize_transform`, 8 training crops of 256 px, seed 17: as ``rtl_ga_kodak.py`` and
``rtl_encoder.py``). Its folding is :func:`lic.hw.fpga_model.folding_plan`'s fastest design of width N on the board at
the plan resolution (default: the frame's), put on the frame by :func:`lic.hw.rtl.ga.regrid`. The frame is a centre
crop of the first training photo that large (``rtl_encoder.frame``), not padded: g_a needs a multiple of 16 a side
(720 = 45 x 16). Two frames stream back to back through the Verilator build; the latents are compared with
``IntTransform.run`` value by value; fps = clock / the cycles between the two frames' last latents, for the frame
itself (no scaling).

    nice -n 10 .venv/bin/python benchmarks/rtl_ga_width.py --n 32 --board zcu104     # about 5 min of CPU at 720p
    nice -n 10 .venv/bin/python benchmarks/rtl_ga_width.py --n 64 --res 64x64 --plan-res 720p --out /tmp/t.json  # check

Writes ``benchmarks/results/rtl_ga_width_n<N>_<board>.json`` (width, height, fps, clock_mhz, mismatches, n_values,
model digest, the model's fps for the same plan), registers it in the index of benchmark records
(``benchmarks/records.json``, name ``rtl_ga_width_n<N>_<board>``: this script, the student's weights) and adds its row to
``benchmarks/results/README.md`` where missing; stage 05's width-for-board table
(:func:`lic.hw.design.boardwidth.width_for_boards`) reads it as *measured*. With ``--out`` nothing is indexed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
RES = {"720p": (1280, 720), "1080p": (1920, 1080)}
README = ROOT / "benchmarks" / "results" / "README.md"


def _wh(text: str) -> tuple[int, int]:
    return RES.get(text) or tuple(int(v) for v in text.lower().split("x"))


def _parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, required=True, help="student width N")
    ap.add_argument("--board", default="zcu102")
    ap.add_argument("--lmbda", type=float, default=0.0067, help="λ of the released student")
    ap.add_argument("--student", default=None, help="released name (default student-kd-pruned-n<N>-m192-l<λ>)")
    ap.add_argument("--res", default="720p", help="frame: 720p, 1080p or WxH (multiples of 16)")
    ap.add_argument("--plan-res", default=None, help="resolution the plan is chosen for (default --res)")
    ap.add_argument("--clock", type=float, default=None, help="MHz (default: the board's)")
    ap.add_argument("--frames", type=int, default=2)
    ap.add_argument("--calib-crops", type=int, default=8)
    ap.add_argument("--train-dir", default=str(ROOT.parent / "shared" / "data" / "photos"))
    ap.add_argument("--work", default=None)
    ap.add_argument("--out", default=None, help="results JSON (default: the indexed record)")
    ap.add_argument("--timeout", type=float, default=None, help="simulation wall-clock limit in seconds")
    return ap.parse_args(argv)


def measure(args) -> dict:
    """Quantise, plan, simulate: the record's fields."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from rtl_encoder import digest, frame

    from lic.codec import zoo
    from lic.data import images as data
    from lic.hw import fixedpoint, fpga_model
    from lic.hw.rtl import ga as rtl_ga
    from lic.train.specs import StudentSpec

    name = args.student or StudentSpec("kd-pruned", args.n, lmbda=args.lmbda).name
    t0 = time.time()
    model = zoo.load_pretrained(name)
    n, m = model.g_a[0].out_channels, model.g_a[-1].out_channels
    calib = data.CropSampler(args.train_dir, crop=256, seed=17, max_images=32).batch(0, args.calib_crops)
    ga = fixedpoint.quantize_transform(model.g_a, calib, role="analysis")
    wh = _wh(args.res)
    x, source = frame(args.train_dir, wh)
    pix = fixedpoint.image_to_int(x).astype(np.int64)
    pwh = _wh(args.plan_res) if args.plan_res else wh
    src = fpga_model.folding_plan(n, m, board=args.board, resolution=pwh, clock_mhz=args.clock)
    plan = rtl_ga.regrid(ga, src, pix.shape[1:])
    prep_s = time.time() - t0
    work = args.work or str(ROOT / "artifacts" / f"rtl_ga_width_n{n}_{args.board}_{wh[0]}x{wh[1]}")
    r = rtl_ga.measure(ga, plan, pix, work, clock_mhz=src.clock_mhz, fps_resolution=wh, frames=args.frames,
                       timeout=args.timeout)
    return {
        "student": name, "weights_sha256": zoo.available()[name]["sha256"], "N": n, "M": m, "board": args.board,
        "image": source, "width": wh[0], "height": wh[1], "plan_resolution": list(pwh), "clock_mhz": src.clock_mhz,
        "frames": r["frames"], "fps": r["fps"], "fps_latency": r["fps_latency"], "mismatches": r["mismatches"],
        "n_values": r["n_latents"], "model_digest": digest(ga),
        "quantisation": f"PTQ lic.hw.fixedpoint.quantize_transform, {args.calib_crops} training crops of 256 px (seed 17)",
        "fpga_model_fps": src.notes.get("fps"), "fpga_model_cores": src.notes.get("cores"),
        "fpga_model_resources": src.notes.get("resources"),
        "cycles_frame_latency": r["cycles"], "cycles_interval": r["interval"], "frame_ends": r["frame_ends"],
        "rtl_model_over_measured_interval": r["interval_model_over_measured"], "bottleneck": r["bottleneck"],
        "saturations": r["saturations"], "layers": r["layers"], "verilator": r["verilator"], "build_s": r["build_s"],
        "cached_build": r["cached_build"], "sim_wall_s": r["sim_wall_s"], "prep_s": prep_s,
        "total_wall_s": time.time() - t0, "plan": r["plan"],
    }


def register(path: Path, out: dict, argv: list[str], index=None, readme: Path = README) -> dict:
    """Index the record (this script, the student's weights) in ``index`` (default ``benchmarks/records.json``) and
    list it in the results README (``readme``) where it is not yet."""
    from lic.codec import zoo
    from lic.hw.design.boardwidth import record_name
    from lic.provenance import index_record

    entry = zoo.available()[out["student"]]
    name = record_name(out["N"], out["board"])
    e = index_record(name, path, {"script": "benchmarks/rtl_ga_width.py", "args": " ".join(argv)},
                     {"benchmarks/rtl_ga_width.py": None, f"weights/{entry['file']}": entry["sha256"]},
                     f"the N={out['N']} student's integer g_a in RTL (Verilator) on {out['board']}'s folding plan, "
                     f"a true {out['width']}x{out['height']} frame: fps, latent mismatches",
                     params={k: out[k] for k in ("board", "N", "width", "height", "clock_mhz", "student")}, index=index)
    text = Path(readme).read_text()
    if f"`{path.name}`" not in text:
        row = (f"| `{path.name}` | g_a of the N={out['N']} student in RTL under Verilator on the {out['board']} plan, a "
               f"true {out['width']}x{out['height']} frame: fps, mismatches, model digest | `rtl_ga_width.py` | "
               f"**indexed** `{name}` (read by `lic.hw.design.boardwidth`) |\n")
        Path(readme).write_text(text.rstrip("\n") + "\n" + row)
    return e


def main(argv=None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parse(argv)
    torch.manual_seed(0)
    out = measure(args)
    path = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / f"rtl_ga_width_n{out['N']}_{args.board}.json"
    from lic.fileio import write_json

    write_json(path, out)
    if not args.out:
        register(path, out, argv)
    keys = ("student", "board", "width", "height", "fps", "fpga_model_fps", "mismatches", "n_values", "model_digest")
    print(json.dumps({k: out[k] for k in keys}, indent=1, default=str))
    return out


if __name__ == "__main__":
    main()
