"""C-sim of the real N=64 student on Kodak crops at two foldings: PE = SIMD = 1 and the ZCU102 plan.

For each folding: bit-exactness of g_a and g_s against :mod:`lic.hw.fixedpoint` (mismatch counts),
and per layer the C-sim's beats next to :mod:`lic.hw.fpga_model`'s cycles for the crop, words in/out,
weight-memory reads and bank conflicts. The released student is quantised here with
:func:`lic.hw.fixedpoint.quantize_codec` on training crops (as stage 04 does for a float source).

Usage::

    nice -n 10 .venv/bin/python benchmarks/csim_n64.py [--crop 128] [--images 2]
        [--model student-kd-pruned-n64-m192-l0.0250] [--out benchmarks/results/csim_n64.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lic.codec.zoo import load_pretrained  # noqa: E402
from lic.data.images import CropSampler, load_kodak  # noqa: E402
from lic.fileio import atomic_write_text  # noqa: E402
from lic.hw import fixedpoint as fp  # noqa: E402
from lic.hw.csim import CSim  # noqa: E402
from lic.hw.fpga_model import assumptions, codec_layers, design_from_parallelism, folding_plan, plan_design  # noqa: E402


def _unit_plans(N, M, res):
    a = assumptions()
    return [plan_design(design_from_parallelism(codec_layers(N, M, res, t, a=a), {}, a), t, "", res)
            for t in ("g_a", "g_s")]


def _rows(tag, sim, plans, crops, ga, gs):
    """Per crop: mismatches of g_a and g_s; per layer (first crop): beats vs modelled cycles."""
    out, layers = [], []
    for name, x in crops:
        t0 = time.monotonic()
        ra = sim.run(x, "g_a")
        y = ga.run(x)
        rs = sim.run(y, "g_s")
        xr = gs.run(y)
        out.append({"folding": tag, "image": name, "g_a_values": int(y.size),
                    "g_a_mismatches": int(np.count_nonzero(ra.output != y)),
                    "g_s_values": int(xr.size), "g_s_mismatches": int(np.count_nonzero(rs.output != xr)),
                    "csim_s": round(time.monotonic() - t0, 2)})
        if not layers:
            h, w = x.shape[1:]
            model = {}
            for t, p in zip(("g_a", "g_s"), plans):
                res = (w, h)
                a = assumptions()
                d = design_from_parallelism(codec_layers(64, 192, res, t, a=a),
                                            {l.name: (l.pe, l.simd) for l in p.layers}, a)
                model.update({s.layer.name: s.compute_cycles for s in d.stages})
            for r in (ra, rs):
                for n, beats in r.cycles.items():
                    if n in model and beats:
                        layers.append({"folding": tag, "layer": n, "csim_beats": beats,
                                       "model_cycles": model[n], "equal": beats == model[n],
                                       "words_in": r.words_in[n], "words_out": r.words_out[n],
                                       "weight_reads": r.mem_reads[n], "conflicts": r.conflicts[n],
                                       "multiplies": r.mults[n],
                                       "label": "measured (C-sim beats)"})
    return out, layers


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="student-kd-pruned-n64-m192-l0.0250")
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--images", type=int, default=2)
    p.add_argument("--calib", type=int, default=4)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "csim_n64.json"))
    args = p.parse_args(argv)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = load_pretrained(args.model).eval()
    N, M = int(model.N), int(model.M)
    calib = CropSampler(crop=128, seed=17).batch(0, args.calib)
    ga, gs = fp.quantize_codec(model, calib)
    c = args.crop
    crops = []
    for name, img in load_kodak(limit=args.images):
        y0, x0 = (img.shape[1] - c) // 2, (img.shape[2] - c) // 2
        crops.append((name, fp.image_to_int(img[:, y0:y0 + c, x0:x0 + c])))
    foldings = {"pe=simd=1": _unit_plans(N, M, (c, c)),
                "zcu102 plan": [folding_plan(N, M, "zcu102", (1280, 720), transform=t) for t in ("g_a", "g_s")]}
    rows, layers, work = [], [], ROOT / "hls" / "build" / "bench_n64"
    for tag, plans in foldings.items():
        t0 = time.monotonic()
        sim = CSim(ga, gs, work_dir=work / tag.replace("=", "").replace(" ", "_"), max_width=c,
                   plans=plans)
        print(f"{tag}: built in {time.monotonic() - t0:.1f} s", flush=True)
        r, l = _rows(tag, sim, plans, crops, ga, gs)
        rows += r
        layers += l
        for x in r:
            print(x, flush=True)
    result = {"model": args.model, "N": N, "M": M, "crop": c, "images": [n for n, _ in crops],
              "plans": {t: [pl.to_dict() for pl in ps] for t, ps in foldings.items()},
              "bit_exact": rows, "beats": layers,
              "total_mismatches": int(sum(r["g_a_mismatches"] + r["g_s_mismatches"] for r in rows)),
              "beats_equal_model": bool(all(l["equal"] for l in layers)),
              "conflicts": int(sum(l["conflicts"] for l in layers))}
    atomic_write_text(Path(args.out), json.dumps(result, indent=1, default=str))
    print(f"total mismatches {result['total_mismatches']}, beats == model: "
          f"{result['beats_equal_model']}, bank conflicts {result['conflicts']} -> {args.out}")
    return 0 if result["total_mismatches"] == 0 and result["beats_equal_model"] else 1


if __name__ == "__main__":
    sys.exit(main())
