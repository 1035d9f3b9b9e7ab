"""What a training job leaves behind: throughput, training curves, and the verdict against the released weights.

Used by ``scripts/device_run.sh`` after ``python -m lic.release train gpu`` and ``release gpu --weights-dir``::

    python -m lic.release.runlog gpu --out OUT_DIR --weights-dir OUT_DIR/weights

writes ``OUT_DIR/throughput.json``, ``curve_<name>.csv``, ``training_curves.png`` and ``summary.json``
(each recipe's Kodak PSNR/bpp and RD cost next to the released model it continued, and whether it beats it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from lic.errors import ArtifactError
from lic.eval.metrics import rd_cost
from lic.fileio import atomic_write_text, write_json

__all__ = ["throughput", "kodak_rd_cost", "compare_with_released", "summarize", "main"]


def throughput(state: dict) -> dict:
    """Steps/s, crops/s and Mpx/s of one training state (from its logged wall times; the first logged
    window, with start-up and autotuning, is left out when there are two or more)."""
    tc, hist = state["train_config"], state["history"]
    timed = [h for h in hist if "wall_s" in h]
    if len(timed) >= 2:
        steps, secs = timed[-1]["step"] - timed[0]["step"], timed[-1]["wall_s"] - timed[0]["wall_s"]
    else:
        steps, secs = state["step"], state.get("seconds", 0.0)
    rate = steps / secs if secs > 0 else float("nan")
    return {"steps": state["step"], "seconds": round(state.get("seconds", 0.0), 2), "steps_per_s": round(rate, 4),
            "crops_per_s": round(rate * tc["batch_size"], 3),
            "mpx_per_s": round(rate * tc["batch_size"] * tc["crop"] ** 2 / 1e6, 3),
            "batch_size": tc["batch_size"], "crop": tc["crop"], "precision": tc.get("precision", "fp32"),
            "autocast": state.get("autocast"),
            "device": state.get("device"), "processes": state.get("world", 1),
            "skipped": (state.get("data") or {}).get("skipped", {})}


def kodak_rd_cost(entry: dict, lmbda: float) -> float:
    """RD cost λ·255²·MSE + bpp of a manifest entry's Kodak means (MSE from the mean PSNR)."""
    return float(rd_cost(10 ** (-entry["kodak"]["psnr"] / 10), entry["kodak"]["bpp"], lmbda))


def compare_with_released(name: str, new: dict, released: dict, recipe: dict) -> dict:
    """The new release of ``name`` against the released model its recipe ``replaces`` (else the one it
    started from, ``init``)."""
    base = recipe.get("replaces") or recipe.get("init")
    row = {"name": name, "kodak": new["kodak"], "kodak_images": new.get("kodak_images"), "baseline": base}
    if base in released and released[base].get("kodak_images") == new.get("kodak_images"):
        lm = recipe["lmbda"]
        row.update(baseline_kodak=released[base]["kodak"], rd_cost=kodak_rd_cost(new, lm),
                   baseline_rd_cost=kodak_rd_cost(released[base], lm),
                   psnr_gain_db=round(new["kodak"]["psnr"] - released[base]["kodak"]["psnr"], 4),
                   bpp_change_pct=round(100 * (new["kodak"]["bpp"] / released[base]["kodak"]["bpp"] - 1), 3))
        row["beats_released"] = row["rd_cost"] < row["baseline_rd_cost"]
    else:
        row["beats_released"] = None  # nothing comparable (no baseline, or measured on other images)
    return row


def _figure(curves: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for name, rows in curves.items():
        steps = [r["step"] for r in rows]
        axes[0].plot(steps, [r["loss"] for r in rows], label=name)
        axes[1].plot(steps, [r["bpp"] for r in rows], label=name)
        axes[2].plot(steps, [10 * np.log10(1 / r["mse"]) for r in rows], label=name)
    for ax, lab in zip(axes, ("training loss", "bpp (training crops)", "PSNR of the training crops [dB]")):
        ax.set_xlabel("step of this run")
        ax.set_ylabel(lab)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summarize(names: list[str], out: Path, weights_dir: Path | None = None) -> dict:
    """Write throughput, curves and (if ``weights_dir`` holds their releases) the comparison to ``out``."""
    import pandas as pd

    from lic.codec import zoo
    from lic.release import campaign, recipes

    out.mkdir(parents=True, exist_ok=True)
    tput, curves, rows = {}, {}, []
    new = zoo.available(weights_dir) if weights_dir else {}
    for name in names:
        f = campaign.ckpt_path(name)
        if not f.exists():
            raise ArtifactError(f"{name}: no training state at {f}")
        state = torch.load(f, map_location="cpu", weights_only=False)
        tput[name] = throughput(state)
        curves[name] = [h for h in state["history"] if {"loss", "bpp", "mse"} <= set(h)]
        atomic_write_text(out / f"curve_{name}.csv", pd.DataFrame(state["history"]).to_csv(index=False))
        if name in new:
            rows.append(compare_with_released(name, new[name], zoo.available(), recipes.REFERENCE[name]))
    write_json(out / "throughput.json", tput)
    if any(curves.values()):
        _figure(curves, out / "training_curves.png")
    summary = {"throughput": tput, "comparison": rows}
    write_json(out / "summary.json", summary)
    return summary


def main(argv=None) -> int:
    from lic.release.recipes import expand

    ap = argparse.ArgumentParser(prog="python -m lic.release.runlog", description=__doc__.splitlines()[0])
    ap.add_argument("name", nargs="+", help="recipe names, or 'gpu' / 'reference'")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--weights-dir", type=Path, default=None, help="where the job released them (for the verdict)")
    a = ap.parse_args(argv)
    s = summarize(expand(a.name), a.out, a.weights_dir)
    for name, t in s["throughput"].items():
        print(f"{name}: {t['steps']} steps, {t['steps_per_s']} steps/s ({t['mpx_per_s']} Mpx/s) on {t['device']}")
    for row in s["comparison"]:
        print(f"{row['name']}: Kodak {row['kodak']} vs released {row.get('baseline_kodak')}: "
              f"beats released = {row['beats_released']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
