"""Figures shared by the notebooks and the report (matplotlib; PNG + SVG).

Generic: :func:`rd_figure`, :func:`student_complexity_figure`. Stage 02's figures read its
``results`` (``results.json``): :func:`figure_rd`, :func:`figure_ablation`, :func:`figure_complexity`,
:func:`figure_sets`, :func:`figure_objective`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Iterable, Mapping

import matplotlib.pyplot as plt  # the backend is the caller's: inline in Jupyter, Agg headless
import pandas as pd

from lic.fileio import atomic_write_bytes
from lic.train.specs import PRUNED_KINDS, STUDENT_KINDS

__all__ = ["rd_figure", "rd_figure_sets", "draw_anchors", "published_anchors", "student_complexity_figure", "save_figure", "finish_layout", "figure_rd", "figure_ablation",
           "figure_complexity", "figure_sets", "figure_objective"]

_METRIC_LABEL = {"psnr": "PSNR [dB]", "ms_ssim": "MS-SSIM"}


def published_anchors() -> dict[str, pd.DataFrame]:
    """CompressAI's published Kodak-24 points (:mod:`lic.eval.anchors`), label -> DataFrame, for ``anchors=``."""
    from lic.eval.anchors import anchor_curves

    return anchor_curves()


def draw_anchors(ax, anchors: Mapping[str, pd.DataFrame] | None, metric: str) -> None:
    """Draw published anchor curves on ``ax`` (grey, dotted) without moving the limits our own curves set; a curve
    with no point inside them says so in its legend entry."""
    if not anchors:
        return
    xl, yl = ax.get_xlim(), ax.get_ylim()
    for i, (label, df) in enumerate(anchors.items()):
        if metric not in df:
            continue
        d = df.sort_values("bpp")
        inside = ((d.bpp >= xl[0]) & (d.bpp <= xl[1]) & (d[metric] >= yl[0]) & (d[metric] <= yl[1])).any()
        ax.plot(d["bpp"], d[metric], ":", color=("0.2", "0.5")[i % 2], marker="x^"[i % 2], ms=5, lw=1.2,
                label=label + ("" if inside else " – outside this range"), scalex=False, scaley=False)
    ax.set_xlim(xl)
    ax.set_ylim(yl)


def rd_figure(curves: Mapping[str, pd.DataFrame], metrics=("psnr", "ms_ssim"), title: str = "", caption: str = "",
              anchors: Mapping[str, pd.DataFrame] | None = None):
    """RD curves: one line per label, ``bpp`` on x and each metric on its own axis.

    Args:
        curves: label -> DataFrame with columns ``bpp`` and the metrics (one row per point).
        caption: small text under the axes (preset, parameters, commit).
        anchors: published curves drawn for reference (:func:`published_anchors`), within our curves' range.
    """
    many = len(curves) + len(anchors or {}) > 4  # one legend right of the panels instead of one over each panel's
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics) + 3.4 * many, 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for label, df in curves.items():
            d = df.sort_values("bpp")
            style = "--" if label.lower().startswith(("jpeg", "webp")) else "-"
            ax.plot(d["bpp"], d[metric], style, marker="o", ms=4, label=label)
        draw_anchors(ax, anchors, metric)
        ax.set_xlabel("bits per pixel (from file bytes)")
        ax.set_ylabel(_METRIC_LABEL.get(metric, metric))
        ax.grid(alpha=0.3)
        if not many:
            ax.legend(fontsize=8)
    if many and curves:
        axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
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


def rd_figure_sets(curves: dict[str, dict[str, pd.DataFrame]], metrics: Iterable[str] = ("psnr", "ms_ssim"),
                   title: str = "", caption: str = "", anchors: Mapping[str, pd.DataFrame] | None = None,
                   anchor_set: str | None = None):
    """RD curves with one row of panels per set (``set -> label -> DataFrame[bpp, metrics]``); ``anchors``
    (published Kodak points) are drawn on the row of ``anchor_set`` only."""
    metrics = list(metrics)
    labels = {"psnr": "PSNR [dB]", "ms_ssim": "MS-SSIM"}
    fig, axes = plt.subplots(len(curves), len(metrics), figsize=(5.2 * len(metrics), 3.6 * len(curves)), squeeze=False)
    for row, (name, by_label) in zip(axes, curves.items()):
        for ax, metric in zip(row, metrics):
            if not any(df[metric].notna().any() for df in by_label.values()):
                ax.text(0.5, 0.5, f"{labels.get(metric, metric)} n/a on this set"
                        + (" (needs images > 160 px a side)" if metric == "ms_ssim" else ""),
                        ha="center", va="center", transform=ax.transAxes, fontsize=8, color="C3")
            for label, df in by_label.items():
                d = df.sort_values("bpp")
                style = "--" if label.lower().startswith(("jpeg", "webp")) else "-"
                ax.plot(d["bpp"], d[metric], style, marker="o", ms=4, label=label)
            if name == anchor_set:
                draw_anchors(ax, anchors, metric)
            ax.set_title(name, fontsize=9)
            ax.set_xlabel("bits per pixel (from file bytes)")
            ax.set_ylabel(labels.get(metric, metric))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return finish_layout(fig, caption)


def _kodak(results: dict) -> str:
    """``Kodak-8``: the Kodak images a stage's results were measured on."""
    from lic.data.evalsets import KODAK, set_label

    return set_label(KODAK, results.get("kodak_images"))


def _student_curves(results: dict, kinds) -> dict[str, pd.DataFrame]:
    """Stage 02's Kodak curves of the teacher and of each ``(kind, N)`` measured, main seed only."""
    rd = pd.DataFrame([*results["rd"], *results.get("deployed_rd", [])])  # the deployed student on all its λ
    if "seed" in rd and len(rd):  # the main seed's curves; the other seeds are summarised by the noise table
        rd = rd[rd.seed == rd.seed.iloc[0]]
    curves = {f"teacher N={results['teacher_N']}": pd.DataFrame(results["teacher_rd"])}
    for kind, N in kinds:
        c = rd[(rd.codec == kind) & (rd.N == N)]
        if not c.empty:
            curves[f"{kind} N={N}"] = c
    return curves


def figure_rd(results: dict, caption: str = ""):
    """Stage 02: RD curves (PSNR, MS-SSIM), teacher vs KD and from-scratch students of every width
    (and the pruned-teacher students at ``pruned_widths``)."""
    pruned = results.get("pruned_widths", [])
    kinds = [(k, N) for N in results["widths"] for k in ("kd", "scratch", *(PRUNED_KINDS if N in pruned else ()))]
    return rd_figure(_student_curves(results, kinds), title=f"{_kodak(results)}: teacher vs students (real bitstreams)",
                     caption=caption, anchors=published_anchors())


def figure_ablation(results: dict, caption: str = ""):
    """Stage 02: RD curves of the loss-term ablation at ``ablation_width``."""
    kinds = [(a["kind"], a["N"]) for a in results["ablation"]]
    return rd_figure(_student_curves(results, kinds), caption=caption, anchors=published_anchors(),
                     title=f"Loss-term ablation, N={results['ablation_width']} ({_kodak(results)})")


def figure_complexity(results: dict, caption: str = ""):
    """Stage 02: BD-rate vs teacher against GFLOPs per 720p frame, one line per student kind
    (random-init KD and from-scratch at every width, KD and RD-only from the pruned teacher at
    ``pruned_widths``)."""
    s = pd.DataFrame(results["summary"])
    pruned = set(results.get("pruned_widths", []))
    kinds = {"kd": "KD (random init)", "scratch": "from scratch", "kd-pruned": "KD from the pruned teacher",
             "rd-pruned": "RD-only from the pruned teacher"}
    points = {}
    for kind, label in kinds.items():
        col = f"bd_rate_{kind.replace('-', '_')}_vs_teacher"
        rows = s if kind in ("kd", "scratch") else s[s.N.isin(pruned)]
        if col in s and not rows.empty:
            points[label] = [(r.gflops_720p, getattr(r, col), r.N) for r in rows.itertuples()]
    return student_complexity_figure(points, results["teacher_complexity"]["720p"]["gflops"],
                                     results["teacher_N"], caption=caption)


def figure_sets(results: dict, caption: str = ""):
    """Stage 02: RD curves of the teacher and the main-seed students, a row of panels per evaluation set."""
    from lic.data.evalsets import set_label

    rd = pd.DataFrame(results.get("rd_sets") or [])
    kinds = [(k, N) for N in sorted({*results["widths"], *results.get("pruned_widths", [])}) for k in STUDENT_KINDS]
    per_set = {_kodak(results): _student_curves(results, kinds)}  # the same labels in the same order on every set
    for s in results.get("eval_sets", [])[1:]:
        d = rd[rd.set == s["name"]] if not rd.empty else rd
        curves = {f"teacher N={results['teacher_N']}": d[d.codec == "teacher"]}
        for kind, N in kinds:
            c = d[(d.codec == kind) & (d.N == N)]
            if not c.empty:
                curves[f"{kind} N={N}"] = c
        per_set[set_label(s["name"], s.get("images"))] = curves
    return rd_figure_sets(per_set, title="Teacher vs students on every evaluation set (real bitstreams)",
                          caption=caption, anchors=published_anchors(), anchor_set=_kodak(results))


def figure_objective(results: dict, caption: str = ""):
    """Stage 02: per seed and λ, KD vs from-scratch training objective (%) over the run; shaded: the
    final phase summarised by :func:`lic.eval.stats.objective_summary`."""
    curves = [c for c in results.get("objective_curves", []) if c["curve"]]
    lambdas = sorted({c["lmbda"] for c in curves})
    fig, axes = plt.subplots(1, max(1, len(lambdas)), figsize=(5.2 * max(1, len(lambdas)), 3.8), squeeze=False)
    for ax, lmbda in zip(axes[0], lambdas):
        for c in (c for c in curves if c["lmbda"] == lmbda):
            ax.plot([r["step"] for r in c["curve"]], [r["pct"] for r in c["curve"]], marker=".",
                    label=f"N={c['N']} seed {c['seed']}")
            last = c["curve"][-1]["step"]
        ax.axvspan(last * (1 - results.get("objective_tail", 0.15)), last, color="0.9", zorder=0)
        ax.axhline(0, color="k", lw=0.8)
        ax.set(xlabel="training step (the student's own run)", ylabel="KD vs scratch RD cost [%]",
               title=f"λ={lmbda}: λ·255²·MSE + bpp, same batches")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if caption:
        fig.text(0.01, 0.005, caption, fontsize=6, color="0.4")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig
