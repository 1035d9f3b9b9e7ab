"""Figures shared by the notebooks and the report (matplotlib; PNG + SVG)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Mapping

import matplotlib.pyplot as plt  # the backend is the caller's: inline in Jupyter, Agg headless
import pandas as pd

from .fileio import atomic_write_bytes

__all__ = ["rd_figure", "save_figure", "finish_layout"]

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
