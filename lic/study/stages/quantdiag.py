"""Stage 03's diagnosis of its two rows that used to collapse, measured on a few small Kodak crops.

"hybrid + simplified GDN" and "hybrid + pruned" landed near 14 and 10 dB. Each step of the two rows is taken apart on
the same crops (PSNR of x̂ from the rounded latents, bpp from the likelihoods: a forward pass, no bitstream), the
input float model and each finished row beside them:

* simplified GDN: the old swap (the standard GDN's ``β``, ``γ`` copied into the simplified formula) against the
  fitted conversion :func:`lic.quant.gdnfit.to_simplified` that the row now starts from;
* pruning: the L1-pruned model before any fine-tuning (the old row's start), the data-driven choice with compensation
  (:func:`lic.train.prune.prune_channels` with calibration crops) the row now starts from, each N-wide layer pruned
  alone (the others intact: where the loss comes from), and the row after its ``prune_steps`` of fine-tuning and QAT.

:func:`figure` draws them with the sentence that explains them (generated from the numbers).
"""

from __future__ import annotations

import math

import torch

from lic.data.images import pad_to_multiple
from lic.quant.hybrid import CALIB_BATCH
from lic.train.prune import layer_keep_sets, prune_channels

__all__ = ["crops", "forward_point", "diagnose", "explain", "figure"]


def crops(images, n: int = 2, side: int = 256) -> torch.Tensor:
    """Centre crops of the first ``n`` images, ``side`` px a side or the largest multiple of 64 that fits (an image
    under 64 px padded as the codec pads)."""
    out = []
    for _, x in list(images)[:n]:
        h, w = x.shape[-2:]
        s = max(64, min(side, h, w) // 64 * 64)
        xp = pad_to_multiple(x.unsqueeze(0), 64)[0][0] if min(h, w) < s else x
        y0, x0 = (xp.shape[-2] - s) // 2, (xp.shape[-1] - s) // 2
        out.append(xp[:, y0:y0 + s, x0:x0 + s])
    return torch.stack(out)


@torch.no_grad()
def forward_point(model, x: torch.Tensor) -> dict:
    """PSNR (dB) of x̂ from the rounded latents and bpp from the likelihoods, mean over the crops ``x``."""
    model.eval()
    out = model(x)
    mse = float(torch.mean((out["x_hat"].clamp(0, 1) - x) ** 2))
    px = x.shape[0] * x.shape[-2] * x.shape[-1]
    bpp = sum(float(torch.log(v).sum()) for v in out["likelihoods"].values()) / (-math.log(2) * px)
    return {"psnr": 10 * math.log10(1 / mse) if mse > 0 else math.inf, "bpp": bpp}


@torch.no_grad()
def _one_layer_pruned(base, layer: str, keep: torch.Tensor):
    """``base`` with the filters of ``layer`` outside ``keep`` zeroed: pruning that layer alone (a removed channel
    then adds nothing to the next GDN or conv, as in the pruned model)."""
    import copy

    m = copy.deepcopy(base)
    part, i = layer.split(".")
    conv = getattr(m, part)[int(i)]
    drop = torch.ones(conv.out_channels, dtype=torch.bool)
    drop[keep] = False
    if isinstance(conv, torch.nn.ConvTranspose2d):
        conv.weight[:, drop] = 0
    else:
        conv.weight[drop] = 0
    if conv.bias is not None:
        conv.bias[drop] = 0
    return m


def diagnose(base, built: dict, p, sampler, images) -> dict:
    """The rows of the diagnosis at one λ: ``[{"step", "what", "psnr", "bpp"}]`` plus the crops' description.

    Args:
        base: the input float model; ``built``: row -> the finished model of this λ (stage 03's rows).
        p: stage 03's config (``prune_ratio``, ``calib_batches``, ``calib_batch_size``, steps and lr).
    """
    from lic.codec.gdn import replace_gdn
    from lic.quant.gdnfit import to_simplified
    import copy

    x = crops(images)
    calib = [sampler.batch(CALIB_BATCH + k, p["calib_batch_size"]) for k in range(p["calib_batches"])]
    rows = [("float", "the input float model", base),
            ("float", f"row float32: {p['qat_steps']} fine-tuning steps", built.get("float")),
            ("simplified", "GDN formula swapped, standard β, γ copied (the old row's start)",
             replace_gdn(copy.deepcopy(base), "simplified")),
            ("simplified", "simplified GDN fitted to the standard one (lic.quant.gdnfit; the row's start)",
             to_simplified(base, calib)),
            ("simplified", f"row hybrid + simplified GDN: fitted, {p['simplified_steps']} steps, hybrid QAT",
             built.get("hybrid_simplified")),
            ("pruned", f"{p['prune_ratio']:.0%} of N pruned by L1, no fine-tuning (the old row's start)",
             prune_channels(base, p["prune_ratio"])),
            ("pruned", f"{p['prune_ratio']:.0%} pruned data-driven + compensated, no fine-tuning (the row's start)",
             prune_channels(base, p["prune_ratio"], calib=torch.cat(calib)))]
    rows += [("pruned", f"only {layer} pruned (the row's choice of {p['prune_ratio']:.0%}, uncompensated)",
              _one_layer_pruned(base, layer, keep))
             for layer, keep in layer_keep_sets(base, p["prune_ratio"], torch.cat(calib)).items()]
    rows.append(("pruned", f"row hybrid + pruned: {p['prune_steps']} steps at lr {p['lr']:g}, hybrid QAT",
                 built.get("pruned")))
    out = [{"step": s, "what": w, **forward_point(m, x)} for s, w, m in rows if m is not None]
    return {"rows": out, "crops": f"{len(x)} Kodak centre crops of {x.shape[-1]}x{x.shape[-2]}", "N": int(base.N)}


def explain(d: dict) -> str:
    """The sentence under the figure, from the numbers."""
    def get(step: str, key: str):
        return next((x for x in d["rows"] if x["step"] == step and key in x["what"]), None)

    f, cp, fit = get("float", "the input"), get("simplified", "GDN formula"), get("simplified", "fitted to")
    pr, dd = get("pruned", "by L1, no fine-tuning"), get("pruned", "data-driven")
    row = next((x for x in d["rows"] if x["what"].startswith("row hybrid + pruned")), None)
    layers = [x for x in d["rows"] if x["what"].startswith("only ")]
    worst = min(layers, key=lambda x: x["psnr"]) if layers else None
    parts = []
    if f and cp and fit:
        parts.append(f"Copying the standard GDN's β, γ into the simplified formula gives {cp['psnr']:.1f} dB against "
                     f"{f['psnr']:.1f} dB of the float model: the collapse was that swap, not quantization; the fitted "
                     f"conversion starts at {fit['psnr']:.1f} dB.")
    if f and pr:
        parts.append(f"Pruning the trained N={d['N']} student by L1 leaves {pr['psnr']:.1f} dB before fine-tuning"
                     + (f", the data-driven choice with compensation that the row now starts from {dd['psnr']:.1f} dB"
                        if dd else "")
                     + (f"; one layer alone already costs up to {f['psnr'] - worst['psnr']:.1f} dB ({worst['what']})"
                        if worst else "")
                     + (f"; the row's short fine-tuning ends at {row['psnr']:.1f} dB: an under-trained pruned model "
                        "(inherent at this budget), not a quantization effect." if row else "."))
    fin = get("simplified", "row hybrid")
    if fin:
        parts.append(f"The simplified row ends at {fin['psnr']:.1f} dB after its fine-tuning and QAT.")
    return " ".join(parts)


def figure(results: dict, caption: str = ""):
    """PSNR of every diagnosis step (bars, bpp written beside), the float model as a line, the explanation below."""
    import textwrap

    import matplotlib.pyplot as plt

    d = results.get("collapse") or {}
    rows = d.get("rows", [])
    fig, ax = plt.subplots(figsize=(8.4, 0.32 * len(rows) + 2.4))
    colors = {"float": "0.5", "simplified": "C0", "pruned": "C3"}
    y = list(range(len(rows)))[::-1]
    ax.barh(y, [r["psnr"] for r in rows], color=[colors.get(r["step"], "C2") for r in rows])
    for yi, r in zip(y, rows):
        ax.text(r["psnr"] + 0.2, yi, f"{r['psnr']:.1f} dB, {r['bpp']:.3f} bpp", va="center", fontsize=7)
    ax.set_yticks(y, [textwrap.shorten(r["what"], 78) for r in rows], fontsize=7)
    if rows:
        ax.axvline(rows[0]["psnr"], color="k", lw=0.8, ls="--")
        ax.set_xlim(0, max(r["psnr"] for r in rows) * 1.35)
    ax.set_xlabel("PSNR [dB] of x̂ (forward pass: rounded latents, bpp from the likelihoods)", fontsize=8)
    ax.set_title(f"Why two rows collapsed, step by step: {d.get('crops', 'crops')}, λ={d.get('lmbda')}", fontsize=9)
    lines = textwrap.wrap(explain(d), 130) + ([caption] if caption else [])
    fig.text(0.01, 0.005, "\n".join(lines), fontsize=7, color="0.25", va="bottom")
    fig.tight_layout(rect=(0, 0.02 + 0.035 * len(lines), 1, 1))
    return fig
