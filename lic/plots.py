"""Figures shared by the notebooks and the report (matplotlib; PNG + SVG)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Mapping

import matplotlib.pyplot as plt  # the backend is the caller's: inline in Jupyter, Agg headless
import pandas as pd

from .fileio import atomic_write_bytes

__all__ = ["rd_figure", "student_complexity_figure", "save_figure", "finish_layout"]

_METRIC_LABEL = {"psnr": "PSNR [dB]", "ms_ssim": "MS-SSIM"}


def rd_figure(curves: Mapping[str, pd.DataFrame], metrics=("psnr", "ms_ssim"), title: str = "", caption: str = ""):
    """RD curves: one line per label, ``bpp`` on x and each metric on its own axis.

    Args:
        curves: label -> DataFrame with columns ``bpp`` and the metrics (one row per point).
        caption: small text under the axes (preset, parameters, commit).
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for label, df in curves.items():
            d = df.sort_values("bpp")
            style = "--" if label.lower().startswith(("jpeg", "webp")) else "-"
            ax.plot(d["bpp"], d[metric], style, marker="o", ms=4, label=label)
        ax.set_xlabel("bits per pixel (from file bytes)")
        ax.set_ylabel(_METRIC_LABEL.get(metric, metric))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return finish_layout(fig, caption)


def student_complexity_figure(points: Mapping[str, list], teacher_gflops: float, teacher_N: int,
                              caption: str = "", title: str = "Complexity vs RD cost of every student kind"):
    """BD-rate vs teacher against GFLOPs per 720p frame, one line per student kind.

    Args:
        points: kind label -> ``[(gflops, bd_rate or NaN, N), ...]``; NaN points (curves that do
            not overlap the teacher's) are listed in the axes as "n/a", not drawn.
        teacher_gflops: the teacher's GFLOPs per 720p frame (drawn at BD-rate 0).
    """
    import math

    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    missing = []
    for i, (kind, pts) in enumerate(points.items()):
        ok = sorted((x, y, n) for x, y, n in pts if y is not None and math.isfinite(y))
        missing += [f"{kind} N={n}" for _, y, n in pts if y is None or not math.isfinite(y)]
        if ok:
            x, y, _ = zip(*ok)
            ax.plot(x, y, marker="osD^vP"[i % 6], ls="-" if len(ok) > 1 else "none", ms=7, label=kind)
            for xi, yi, n in ok:
                ax.annotate(f"N={n}", (xi, yi), textcoords="offset points", xytext=(5, 4), fontsize=7)
    ax.plot([teacher_gflops], [0.0], "k*", ms=12, label=f"teacher N={teacher_N}")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("GFLOPs per 720p frame")
    ax.set_ylabel("BD-rate vs teacher [%] (PSNR)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if missing:
        ax.text(0.01, 0.98, "n/a (curves do not overlap): " + ", ".join(missing), transform=ax.transAxes,
                fontsize=7, va="top", color="C3", wrap=True)
    ax.set_title(title)
    return finish_layout(fig, caption)


def finish_layout(fig, caption: str = ""):
    """Tight layout with an optional provenance caption (preset, key, commit) under the axes."""
    if caption:
        fig.text(0.01, 0.005, caption, fontsize=7, color="0.35", va="bottom")
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    else:
        fig.tight_layout()
    return fig


def save_figure(fig, folder: str | Path, name: str) -> dict[str, str]:
    """Write ``name.png`` and ``name.svg`` atomically, then close ``fig`` (an artifact, not an
    inline output); returns the paths."""
    out = {}
    for ext in ("png", "svg"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=130 if ext == "png" else None)
        out[ext] = str(atomic_write_bytes(Path(folder) / f"{name}.{ext}", buf.getvalue()))
    plt.close(fig)
    return out
