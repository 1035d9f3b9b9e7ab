"""Benchmark: the released N=64 student's whole encoder in RTL (g_a -> ŷ, h_a -> z symbols, h_s -> indexes) and its file.

The model is the released integer-encoder variant ``<student>-fpga`` (``python -m lic.release fpga``): the integer
g_a (post-training quantisation, 8 training crops of 256 px, seed 17; latents at the prior's ``y_frac`` bits) and
the integer prior of the ``-int`` release. The ``.lic`` file made from the RTL's ŷ, z symbols and indexes
(:func:`lic.hw.encoder.stream`) is compared byte for byte with ``lic.codec.api.compress`` of the same image with
the same model (``stream_identical``). The folding (``--plan encoder``, the default) is
:func:`lic.hw.fpga_model.encoder_plan`'s: one plan for g_a + h_a + h_s + the index stage sharing the board (the
fastest whose modelled resources fit its 80 % budget, else the closest to fitting at ``--target-fps`` or faster),
put on the padded frame by :func:`lic.hw.rtl.encoder.regrid`. ``--plan ga`` is the earlier rule: g_a's folding
:func:`lic.hw.fpga_model.folding_plan`'s for g_a alone, put on the padded frame by :func:`lic.hw.rtl.ga.regrid`,
h_a / h_s / the index stage the fewest lanes that need at most ``--hyper-fraction`` of g_a's frame interval each
(:func:`lic.hw.rtl.encoder.plan_for`).

The frame is a true 1280x720 (or 1920x1080) photo: a centre crop of the first training photo that large (no
photo is 1920x1080: that one is the photo resized, bicubic), replicate-padded to a multiple of 64 as the codec
pads (1280x768, 1920x1088). Two frames stream back to back through the Verilator build; ŷ, the z symbols and
the indexes are compared with :func:`lic.hw.encoder.reference` value by value; fps = clock / the cycles
between the two frames' last indexes (one padded frame a 720p / 1080p frame). The two frames are different photos
(``--distinct 2``: centre crops of the first two photos that large; each one's file is compared).

    nice -n 10 .venv/bin/python benchmarks/rtl_encoder.py --res 720p    # -> results/rtl_encoder_720p.json
    nice -n 10 .venv/bin/python benchmarks/rtl_encoder.py --res 192x128 --plan-res 720p --out /tmp/s.json  # check
    .venv/bin/python benchmarks/rtl_encoder.py --image ../shared/data/kodak/kodim01.png --plan-res 720p \
        --res kodim01 --frames 1 --out benchmarks/results/rtl_encoder_kodim01.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
RES = {"720p": (1280, 720), "1080p": (1920, 1080)}


def frames(train_dir: str, wh: tuple[int, int], k: int = 1) -> list[tuple[torch.Tensor, str]]:
    """``k`` different frames ``[3, H, W]`` in [0, 1]: centre crops of the first ``k`` photos at least ``wh``, else
    (too few such photos) photos resized, in their order."""
    from PIL import Image

    from lic.data import images as data

    w, h = wh
    files, out = data.list_images(train_dir), []
    for f in files:
        x = data.load_image(f)
        if x.shape[-1] >= w and x.shape[-2] >= h:
            y0, x0 = (x.shape[-2] - h) // 2, (x.shape[-1] - w) // 2
            out.append((x[:, y0:y0 + h, x0:x0 + w], f"{f.name} centre crop {w}x{h}"))
            if len(out) == k:
                return out
    for f in files[:k - len(out)]:
        im = Image.open(f).convert("RGB").resize((w, h), Image.BICUBIC)
        x = torch.from_numpy(np.asarray(im, dtype=np.float32) / 255.0).permute(2, 0, 1)
        out.append((x, f"{f.name} resized (bicubic) to {w}x{h}"))
    return out


def frame(train_dir: str, wh: tuple[int, int]) -> tuple[torch.Tensor, str]:
    """``[3, H, W]`` in [0, 1]: a centre crop of the first photo at least ``wh``, else the first photo resized."""
    return frames(train_dir, wh, 1)[0]


def digest(t) -> str:
    """SHA-256 of an integer transform's arrays and meta (its ``.npz`` content)."""
    meta, arrays = t.to_dict()
    h = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
    for k in sorted(arrays):
        h.update(k.encode() + np.ascontiguousarray(arrays[k]).astype("<i8").tobytes())
    return h.hexdigest()


def _args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--student", default="student-kd-pruned-n64-m192-l0.0067",
                    help="a released model with an integer-encoder variant <name>-fpga (python -m lic.release fpga)")
    ap.add_argument("--res", default="720p", help="720p, 1080p or WxH (a centre crop of a training photo)")
    ap.add_argument("--image", default=None, help="code this whole image instead (e.g. a Kodak file)")
    ap.add_argument("--plan-res", default=None, help="resolution g_a's plan is chosen for (default --res)")
    ap.add_argument("--board", default="zcu102")
    ap.add_argument("--clock", type=float, default=200.0, help="MHz")
    ap.add_argument("--hyper-fraction", type=float, default=1.0)
    ap.add_argument("--plan", choices=("encoder", "ga"), default="encoder",
                    help="encoder: lic.hw.fpga_model.encoder_plan; ga: g_a alone's plan + plan_for's hyper stages")
    ap.add_argument("--target-fps", type=float, default=30.0, help="--plan encoder: the rate where no plan fits")
    ap.add_argument("--frames", type=int, default=2)
    ap.add_argument("--distinct", type=int, default=2,
                    help="different photos streamed in turn (frame k = photo k mod this; with --image: 1)")
    ap.add_argument("--seed", type=int, default=0, help="testbench: 0 always ready; else random gaps/back-pressure")
    ap.add_argument("--train-dir", default=str(ROOT.parent / "shared" / "data" / "photos"))
    ap.add_argument("--work", default=None)
    ap.add_argument("--out", default=None)
    return ap.parse_args(argv)


def register(record: str, path: str, entry: dict, argv, out: dict) -> dict:
    """Index the record with what determines its numbers: the script, the model's three files (their manifest
    SHA-256), the RTL sources and generators, and the frame, board and clock."""
    import sys

    from lic.hw.rtl import encoder as enc
    from lic.provenance import index_record

    inputs = {"benchmarks/rtl_encoder.py": None, f"weights/{entry['file']}": entry["sha256"],
              **{f"weights/{entry[k]['file']}": entry[k]["sha256"] for k in ("int_prior", "int_ga")},
              **{str(Path(f).relative_to(ROOT)): None for f in [*enc.SOURCES, enc.TB]},
              **{f"lic/hw/rtl/{m}.py": None for m in ("encoder", "ga", "hyper")}, "lic/hw/fpga_model/encoder.py": None}
    args = " ".join(sys.argv[1:] if argv is None else argv)
    return index_record(record, path, {"script": "benchmarks/rtl_encoder.py", "args": args}, inputs,
                        f"the whole encoder in RTL (Verilator), {out['model']}: fps, mismatches on ŷ, z symbols "
                        f"and indexes, and whether the file made from its outputs is the CPU codec's",
                        params={k: out[k] for k in ("width", "height", "board", "clock_mhz", "image", "frames")})


def _plan(args, ga, prior, n: int, m: int, pwh, hw) -> tuple:
    """The encoder plan on the padded frame ``hw`` and, with ``--plan encoder``, the model's design (else None)."""
    from lic.hw import fpga_model
    from lic.hw.rtl import encoder as enc
    from lic.hw.rtl import ga as rtl_ga

    if args.plan == "ga":
        src = fpga_model.folding_plan(n, m, board=args.board, resolution=pwh, clock_mhz=args.clock)
        return enc.plan_for(ga, prior, rtl_ga.regrid(ga, src, hw), args.hyper_fraction), None
    d = fpga_model.encoder_plan(n, m, args.board, pwh, args.clock, hyper_fraction=args.hyper_fraction,
                                target_fps=args.target_fps)
    return (d.plan if tuple(hw) == d.frame_hw else enc.regrid(ga, prior, d.plan, hw)), d


def main(argv=None) -> dict:
    from lic.codec import api, zoo
    from lic.data import images as data
    from lic.fileio import write_json
    from lic.hw import encoder as ref_enc
    from lic.hw import fixedpoint
    from lic.hw.rtl import encoder as enc

    args = _args(argv)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    t0 = time.time()
    name = f"{args.student}{zoo.FPGA_SUFFIX}"
    model = zoo.load_pretrained(name)
    ga, prior = model.int_ga, model.int_prior
    n, m = model.g_a[0].out_channels, model.g_a[-1].out_channels
    if args.image:
        x = data.load_image(args.image)
        shots = [(x, f"{Path(args.image).name} (whole image)")]
        wh = (x.shape[-1], x.shape[-2])
    else:
        wh = RES.get(args.res) or tuple(int(v) for v in args.res.lower().split("x"))
        shots = frames(args.train_dir, wh, max(1, min(args.distinct, args.frames)))
    pix = np.stack([fixedpoint.image_to_int(data.pad_to_multiple(x, 64)[0]).astype(np.int64) for x, _ in shots])
    pwh = RES.get(args.plan_res) or (tuple(int(v) for v in args.plan_res.lower().split("x")) if args.plan_res else wh)
    plan, design = _plan(args, ga, prior, n, m, pwh, pix.shape[2:])
    prep_s = time.time() - t0
    work = args.work or str(ROOT / "artifacts" / f"rtl_encoder_{args.res}")
    r = enc.measure(ga, prior, plan, pix, work, frames=args.frames, clock_mhz=args.clock, seed=args.seed)
    t1 = time.time()
    streams = []
    for (x, src), outs in zip(shots, r["image_outputs"]):  # each photo: the file from the RTL's outputs vs the CPU's
        rtl_file, cpu_file = ref_enc.stream(model, outs, (wh[1], wh[0]), name), api.compress(x, name)
        streams.append({"image": src, "identical": rtl_file == cpu_file, "bytes_rtl": len(rtl_file),
                        "bytes_cpu": len(cpu_file), "bpp": 8 * len(rtl_file) / (wh[0] * wh[1])})
    source = "; ".join(s["image"] for s in streams)
    entry = zoo.available()[name]
    out = {
        "student": args.student, "model": name, "model_digest": zoo.release_digest(entry),
        "int_prior_digest": prior.digest().hex(), "int_ga_digest": digest(ga),
        "image": source, "width": wh[0], "height": wh[1], "plan_resolution": list(pwh), "padded_hw": list(pix.shape[2:]),
        "board": args.board, "clock_mhz": args.clock, "N": n, "M": m, "frames": r["frames"], "tb_seed": args.seed,
        "fps": r["fps"], "fps_latency": r["fps_latency"], "mismatches": r["mismatches"],
        "mismatches_total": sum(r["mismatches"].values()), "n_values": r["n_values"], "tlast_errors": r["tlast_errors"],
        "stream_identical": all(s["identical"] for s in streams), "streams": streams,
        "stream_bytes": {"rtl": streams[0]["bytes_rtl"], "cpu": streams[0]["bytes_cpu"]},
        "stream_bpp": streams[0]["bpp"], "stream_s": time.time() - t1, "distinct_images": len(streams),
        "cycles_frame_latency": r["cycles"], "cycles_interval": r["interval"], "frame_ends": r["frame_ends"],
        "model_interval": r["model"]["interval"], "model_bottleneck": r["model"]["bottleneck"],
        "interval_model_over_measured": r["interval_model_over_measured"],
        "ga_model_interval": r["model"]["ga_interval"], "hyper_fraction": args.hyper_fraction,
        "saturations": r["saturations"], "layers": r["layers"],
        "h_a_input": "min(|y|, 65535), y = g_a's latents at y_frac bits (lic.codec.intprior.IntPrior.latents)",
        "y_frac": prior.y_frac, "z_frac": prior.z_frac,
        "verilator": r["verilator"], "build_s": r["build_s"], "cached_build": r["cached_build"],
        "sim_wall_s": r["sim_wall_s"], "prep_s": prep_s, "total_wall_s": time.time() - t0, "plan": r["plan"],
        "plan_rule": args.plan, "plan_model": design.summary() if design is not None else None,
    }
    path = args.out or str(ROOT / "benchmarks" / "results" / f"rtl_encoder_{args.res}.json")
    write_json(path, out)
    if not args.out:  # a record the report cites: indexed, stale once an input changes (lic.provenance)
        register(f"rtl_encoder_{args.res}", path, entry, argv, out)
    print(json.dumps({k: v for k, v in out.items() if k not in ("plan", "layers", "saturations")}, indent=1,
                     default=str))
    for lname, row in r["layers"].items():
        print(lname, {k: row[k] for k in ("pe", "simd", "busy", "stall", "starve", "model")})
    return out


if __name__ == "__main__":
    main()
