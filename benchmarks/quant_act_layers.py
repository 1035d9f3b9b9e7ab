"""Which conv input's 8-bit activation quantization costs the hybrid 8/32 its PSNR: a forward-pass
diagnostic (no entropy coding; bpp from the likelihoods), one quantized activation at a time.

The released student is quantized to stage 03's ``hybrid`` scheme and calibrated (PTQ, no QAT); then
the PSNR/bpp are measured with every conv input quantizer on, with all of them off (8-bit weights and
32-bit GDN only) and with exactly one of them on (Brevitas ``disable_quant`` on the others). Then, for
the next design step only, the same with real-valued per-tensor activation scales (Brevitas
``Int8ActPerTensorFloat`` / ``...FloatMSE``): NOT the accelerator's grid, whose requantisers shift
by powers of two (a multiplier + shift requantiser in lic.hw.fixedpoint, the C-sim and the RTL would be needed).

    python benchmarks/quant_act_layers.py --student student-kd-pruned-n64-m192-l0.0067 --images 4
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace

import torch
from brevitas.quant import Int8ActPerTensorFloat
from brevitas.quant.scaled_int import Int8ActPerTensorFloatMSE

from lic.codec.zoo import load_pretrained
from lic.data.images import CropSampler, load_kodak, pad_to_multiple
from lic.quant import hybrid as quant

#: real-valued per-tensor activation scales (not the accelerator's power-of-two grid), for comparison only
FLOAT_SCALES = {"float scale (percentile)": Int8ActPerTensorFloat, "float scale (MSE)": Int8ActPerTensorFloatMSE}


def _act_quants(model) -> dict[str, object]:
    """name -> the input quantizer proxy of every quantized conv of g_a / g_s that has one."""
    out = {}
    for part in ("g_a", "g_s"):
        for i, m in enumerate(getattr(model, part)):
            iq = getattr(m, "input_quant", None)
            if iq is not None and getattr(iq, "is_quant_enabled", False):
                out[f"{part}.{i}"] = iq
    return out


@torch.no_grad()
def _forward(model, images) -> tuple[float, float]:
    """Mean PSNR (dB) and bpp (from the likelihoods) over ``images``."""
    psnr, bpp = [], []
    for _, x in images:
        xp, (h, w) = pad_to_multiple(x.unsqueeze(0), 64)
        out = model(xp)
        xh = out["x_hat"][..., :h, :w].clamp(0, 1)
        psnr.append(-10 * math.log10(float(torch.mean((xh - x.unsqueeze(0)) ** 2))))
        bits = sum(float(-torch.log2(l).sum()) for l in out["likelihoods"].values())
        bpp.append(bits / (h * w))
    return sum(psnr) / len(psnr), sum(bpp) / len(bpp)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--student", default="student-kd-pruned-n64-m192-l0.0067")
    ap.add_argument("--scheme", default="hybrid", help="a lic.quant.hybrid.SCHEMES name (hybrid: with GDN equalization)")
    ap.add_argument("--images", type=int, default=4)
    ap.add_argument("--calib-batches", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    images = load_kodak(limit=a.images)
    base = load_pretrained(a.student).eval()
    q = quant.quantize_calibrated(base, a.scheme, CropSampler(None, crop=128, seed=0), a.calib_batches, 4)
    acts = _act_quants(q)
    f_psnr, f_bpp = _forward(base, images)
    print(f"# {a.student}, first {a.images} Kodak images, {a.scheme} {quant.SCHEMES[a.scheme]} PTQ ({a.calib_batches}x4 crops of 128^2), no QAT")
    print(f"{'float':<26}{f_psnr:8.3f} dB {f_bpp:.4f} bpp")

    def line(label: str):
        p, b = _forward(q, images)
        print(f"{label:<26}{p:8.3f} dB {b:.4f} bpp   dPSNR {p - f_psnr:+.3f}  dbpp {100 * (b / f_bpp - 1):+.2f}%",
              flush=True)

    line("hybrid (all on)")
    for iq in acts.values():
        iq.disable_quant = True
    line("no act quant")
    for name, iq in acts.items():
        iq.disable_quant = False
        line(f"only {name}")
        iq.disable_quant = True
    for label, cls in FLOAT_SCALES.items():  # registered under a private name, for this process only
        quant._ACT_QUANTS[label] = cls
        q = quant.quantize_calibrated(base, replace(quant.SCHEMES[a.scheme], act_scale=label),
                                      CropSampler(None, crop=128, seed=0), a.calib_batches, 4)
        line(label)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
