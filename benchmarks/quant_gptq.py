"""GPTQ for the hybrid 8/32's conv weights: does it help once stage 03's QAT runs? (Measured: no.)

The released student at ``--lmbda`` is quantized to stage 03's ``hybrid`` scheme and calibrated (PTQ);
then the 8-bit weights of ``g_a``'s convs are rounded by GPTQ (Brevitas ``gptq_mode``, one input column
at a time, each column's error pushed through the inverse Hessian of the layer's quantized inputs on the
calibration crops) instead of to nearest, and both are QAT-tuned as stage 03 does (``--qat-steps`` at its
lr). ``g_s``'s deconvs are left out: Brevitas' GPTQ skips transposed convs (its issue #1479); run on their
equivalent stride-1 convs over zero-inserted inputs it did not help in a first try (recorded in
benchmarks/results/quant_gptq.txt). PSNR / bpp come from the forward pass (likelihoods, no entropy coding)
on the first ``--images`` Kodak images, against the float model.

Rows: round-to-nearest and GPTQ, each after PTQ and after QAT, with the weight scales either from the
weights' statistics (stage 03's quantizer, per-channel max |w| to a power of two) or learned from them
(Brevitas ``PARAMETER_FROM_STATS``): GPTQ leaves a clipped weight exactly on 127 steps, where the slightest
QAT update doubles its channel's statistics-based power-of-two scale.

    python benchmarks/quant_gptq.py --lmbda 0.025 --images 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import torch
from brevitas.graph.gptq import gptq_mode
from brevitas.inject.enum import ScalingImplType

from lic.codec.zoo import load_pretrained
from lic.data.images import CropSampler, load_kodak
from lic.quant import hybrid as quant
from lic.study.stages.quant import PRESETS
from lic.train.loop import seed_everything, train, train_config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quant_act_layers import _forward  # noqa: E402


class WeightQuantLearned(quant.WeightQuant):
    """:class:`lic.quant.hybrid.WeightQuant` whose power-of-two scale is a parameter initialised from the weights."""

    scaling_impl_type = ScalingImplType.PARAMETER_FROM_STATS


@torch.no_grad()
def gptq_g_a(q, sampler, batches: int, batch_size: int) -> None:
    """GPTQ of ``q.g_a``'s quantized convs in place, on the PTQ calibration crops."""
    crops = [sampler.batch(quant.CALIB_BATCH + k, batch_size) for k in range(batches)]
    q.eval()
    q.g_a(crops[0])  # initialises learned weight scales
    with gptq_mode(q.g_a, use_quant_activations=True, create_weight_orig=False) as g:
        for _ in range(g.num_layers):
            for x in crops:
                g.model(x)
            g.update()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--student", default="student-kd-pruned-n64-m192")
    ap.add_argument("--lmbda", type=float, default=0.025)
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    quant._WEIGHT_QUANTS.setdefault("learned", WeightQuantLearned)  # this process only
    images = load_kodak(limit=a.images)
    name = f"{a.student}-l{a.lmbda:.4f}"
    base = load_pretrained(name).eval()
    p = {**PRESETS["quick"], "seed": 0}
    sampler = CropSampler(None, crop=p["crop"], seed=0)
    f_psnr, f_bpp = _forward(base, images)
    print(f"# {name}, first {a.images} Kodak images (forward pass), stage 03 quick preset: PTQ on "
          f"{p['calib_batches']}x{p['calib_batch_size']} crops of {p['crop']}², QAT {p['qat_steps']} steps at lr {p['lr']}")
    print(f"{'float':<40}{f_psnr:8.3f} dB {f_bpp:.4f} bpp")
    for scale in ("max", "learned"):
        for gptq in (False, True):
            seed_everything(0)
            q = quant.quantize_calibrated(base, replace(quant.SCHEMES["hybrid"], weight_scale=scale), sampler,
                                          p["calib_batches"], p["calib_batch_size"])
            if gptq:
                gptq_g_a(q, sampler, p["calib_batches"], p["calib_batch_size"])
            label = f"{'GPTQ g_a' if gptq else 'round to nearest'}, {scale} scales"
            for stage in ("PTQ", "+ QAT"):
                if stage != "PTQ":
                    with tempfile.TemporaryDirectory() as tmp:
                        cfg = train_config(p, lmbda=a.lmbda, steps=p["qat_steps"], precision="fp32")
                        train(q, cfg, sampler, Path(tmp) / "qat.pt", progress=False, desc="qat")
                ps, bp = _forward(q.eval(), images)
                print(f"{label + ' ' + stage:<40}{ps:8.3f} dB {bp:.4f} bpp   dPSNR {ps - f_psnr:+.3f}  "
                      f"dbpp {100 * (bp / f_bpp - 1):+.2f}%", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
