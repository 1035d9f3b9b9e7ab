"""Stage 02's headline, one knob measured: the BD-rate vs the teacher of every deployable width N, its parameters and
GFLOPs, next to the published per-width rate penalties (:func:`lic.eval.anchors.width_anchors`), and the figure of RD
cost against GFLOPs with every width.

The Kodak numbers are the released models' recorded rows (:mod:`lic.eval.widths`, ``weights/kodak_measured.json``,
Kodak-24 where all 24 are recorded): a width released later shows up by itself, one with fewer λ than the teacher
says on which λ its BD-rate stands, one with fewer than two is n/a with the reason. The random-init KD students are an
ablation row, not the headline. On every other evaluation set of the stage (``eval_sets``) the same released models
are coded in the run (the run's own rows reused where it coded the same released model as it is) and their BD-rate
vs the released teacher per width is given beside Kodak's.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd

from lic.data.evalsets import KODAK, set_label
from lic.eval.anchors import width_anchors
from lic.eval.stats import curve_bd
from lic.eval.widths import headline, variant
from lic.study.stages.labels import released_budget
from lic.train.specs import lambda_tag

__all__ = ["KIND_LABEL", "compute", "headline_table", "sets_table", "figure"]

#: the headline's student kinds
KIND_LABEL = {"kd-pruned": "KD from the pruned teacher (deployable)", "kd": "KD from random init (ablation)"}


def _on(r: dict) -> str:
    """``4 λ (0.0018, …)`` or ``λ 0.0067, 0.025 only (2 of 4 λ; the teacher on its 4)``."""
    ls = ", ".join(f"{x:g}" for x in r["lambdas"])
    if r["points"] == r["of"]:
        return f"{r['points']} λ ({ls})"
    return f"λ {ls} only ({r['points']} of {r['of']} λ; the teacher on its {r['of']})" if r["points"] else "none"


def compute(p, run, inp) -> dict:
    """``results["width_headline"]``: the headline rows from the records, with labels, the anchor per width and, for every
    evaluation set beside Kodak, the per-width BD-rates coded in this run.

    Args:
        p: stage 02's config (its ``entropy`` picks the variants); ``run``: :class:`lic.study.stages.students.Students`
            (its extra sets, rows and progress); ``inp``: stage 02's inputs (stage 01's teacher rows per set).
    """
    anchors = width_anchors()
    h = headline(p["entropy"], widths=list(anchors["widths"]))
    t = h["teacher"]
    for r in h["rows"]:
        other = f"; {r['entropy']} entropy model" if r["entropy"] != h["entropy"] else ""
        r.update(student=f"N={r['N']}, {KIND_LABEL[r['kind']]}", on=_on(r) + other, set=set_label(KODAK, r["images"] or None),
                 budget=released_budget(r["names"]) if r["names"] else "not trained",
                 anchor_bd_rate=anchors["widths"].get(r["N"]) if r["role"] == "deployable" else None)
        if t.get("N"):
            r.update(params_vs_teacher=r["params"] / t["params"], gflops_vs_teacher=r["gflops_720p"] / t["gflops_720p"])
    return {**h, "anchor": {k: v for k, v in anchors.items() if k != "widths"},
            "teacher_budget": released_budget(t["names"]) if t["names"] else "not released",
            "sets": _sets(p, run, inp, h) if run.extra and t.get("N") else []}


def _reused(run, s, kind: str, N: int, tag: str, name: str) -> pd.DataFrame | None:
    """The run's own row of released ``name`` on set ``s`` where it coded that model as released."""
    rows = [r for r in run.rd_extra if r.get("set") == s.name and r["codec"] == kind and r["N"] == N
            and lambda_tag(r["lmbda"]) == tag and r.get("init") == f"zoo:{name}"
            and f"{kind}/n{N}/l{tag}" in run.untrained]
    return pd.DataFrame(rows[:1]) if rows else None


def _teacher_on(p, run, inp, s, names: dict[str, str], e: str) -> pd.DataFrame:
    """The released teacher on set ``s`` with entropy model ``e``: stage 01's rows where stage 01 coded the same
    released teachers as they are with that entropy model, else coded here."""
    r01, steps = inp.r01, int(inp.t01.params.get("steps") or 0)
    same = (not steps and r01.get("entropy") == e == p["entropy"]
            and all(str((r01.get("init") or {}).get(t)) == f"zoo:{n}" for t, n in names.items()))
    df = inp.teacher_sets.get(s.name)
    if same and df is not None and set(df.lmbda.map(lambda_tag)) >= set(names):
        return df[df.lmbda.map(lambda_tag).isin(set(names))]
    return pd.DataFrame([_code(run, s, t, n, e) for t, n in names.items()])


def _code(run, s, tag: str, name: str, e: str) -> dict:
    from lic.codec.zoo import load_pretrained
    from lic.eval.rd import evaluate_codec, rd_point

    v = variant(name, e)
    res = evaluate_codec(load_pretrained(v), s.images, progress=run.progress, desc=f"{s.name} {v}")
    return rd_point(res, lmbda=float(tag), variant=v)


def _sets(p, run, inp, h: dict) -> list[dict]:
    """Per set beside Kodak and per deployable width with 2 λ or more: its BD-rate vs the released teacher, both with
    the entropy model of the width's Kodak row."""
    out, teachers = [], {}
    for s in run.extra:
        for r in h["rows"]:
            if r["role"] != "deployable" or len(r["names"]) < 2:
                continue
            e = "integer" if r["entropy"] == "integer" else "float"
            if (s.name, e) not in teachers:
                teachers[s.name, e] = _teacher_on(p, run, inp, s, h["teacher"]["by_lambda"], e)
            pts = []
            for tag, name in sorted(r["by_lambda"].items()):
                got = _reused(run, s, r["kind"], r["N"], tag, name) if e == p["entropy"] else None
                pts.append(got.iloc[0].to_dict() if got is not None else _code(run, s, tag, name, e))
            c = pd.DataFrame(pts)
            out.append({"set": s.name, "set_label": set_label(s.name, len(s.images)), "N": r["N"], "kind": r["kind"],
                        "entropy": r["entropy"], "lambdas": [float(x) for x in c.lmbda],
                        "bd_rate": curve_bd(teachers[s.name, e], c), "rd": c[["lmbda", "bpp", "psnr"]].to_dict("records")})
    return out


def _steps(r: dict) -> str:
    """``8,420–16,165 steps``: a row's training budget, short (the table has it in full)."""
    return r.get("budget", "").removeprefix("released: ").split(" (")[0]


def _bd(v, na: str | None) -> str:
    return f"{v:+.2f} %" if isinstance(v, (int, float)) and math.isfinite(v) else f"n/a ({na or 'not measured'})"


def headline_table(results: dict) -> pd.DataFrame:
    """One row per width: the deployable students (widest first), then the random-init ablation rows; the teacher's
    row last. BD-rates as text (``n/a (why)``), each with the λ and the images it stands on and the training budget."""
    w = results.get("width_headline") or {}
    anchor = (w.get("anchor") or {}).get("label", "published")
    rows = [{"student": r["student"], "BD-rate vs teacher (PSNR)": _bd(r["bd_rate"], r["na"]), "on": r["on"],
             "images": f"{r['set']} (recorded at release)" if r["images"] else "n/a",
             anchor: f"{r['anchor_bd_rate']:+.1f} %" if r.get("anchor_bd_rate") is not None else "–",
             "params": r["params"], "params vs teacher": r.get("params_vs_teacher"), "GFLOPs 720p": r["gflops_720p"],
             "GFLOPs vs teacher": r.get("gflops_vs_teacher"), "training budget": r["budget"]}
            for r in w.get("rows", [])]
    t = w.get("teacher") or {}
    if t.get("N"):
        rows.append({"student": f"teacher N={t['N']} (the anchor)", "BD-rate vs teacher (PSNR)": "0 (by definition)",
                     "on": f"{len(t['lambdas'])} λ", "images": "–", anchor: "–", "params": t["params"],
                     "params vs teacher": 1.0, "GFLOPs 720p": t["gflops_720p"], "GFLOPs vs teacher": 1.0,
                     "training budget": w.get("teacher_budget", "")})
    return pd.DataFrame(rows)


def sets_table(results: dict) -> pd.DataFrame:
    """BD-rate vs the released teacher per deployable width, one column per evaluation set (Kodak from the
    records first, then every set coded in this run); empty without sets beside Kodak."""
    w = results.get("width_headline") or {}
    if not w.get("sets"):
        return pd.DataFrame()
    kodak = {r["N"]: r for r in w["rows"] if r["role"] == "deployable" and len(r["names"]) >= 2}
    out = {N: {"N": N, f"BD-rate vs teacher · {r['set']} (recorded)": r["bd_rate"]} for N, r in kodak.items()}
    for s in w["sets"]:
        out.setdefault(s["N"], {"N": s["N"]})[f"BD-rate vs teacher · {s['set_label']}"] = s["bd_rate"]
    for N, row in out.items():
        row["training budget"] = kodak[N]["budget"] if N in kodak else ""
    return pd.DataFrame(sorted(out.values(), key=lambda x: -x["N"]))


def figure(results: dict, caption: str = ""):
    """RD cost (BD-rate vs the teacher, Kodak records) against GFLOPs per 720p frame, every width; the published
    per-width penalties drawn at our GFLOPs of the same N; widths without a BD-rate listed with the reason."""
    import matplotlib.pyplot as plt

    w = results.get("width_headline") or {}
    t, a = w.get("teacher") or {}, w.get("anchor") or {}
    fig, ax = plt.subplots(figsize=(7.6, 4.6))
    dep = [r for r in w.get("rows", []) if r["role"] == "deployable"]
    ok = sorted((r for r in dep if math.isfinite(r["bd_rate"])), key=lambda r: r["gflops_720p"])
    if ok:
        ax.plot([r["gflops_720p"] for r in ok], [r["bd_rate"] for r in ok], "-", color="C0", lw=1)
    for r in ok:
        full = r["points"] == r["of"]
        ax.plot(r["gflops_720p"], r["bd_rate"], "o", color="C0", mfc="C0" if full else "white", ms=8)
        ax.annotate(f"N={r['N']}" + ("" if full else f" ({r['points']} of {r['of']} λ)") + f", {_steps(r)}",
                    (r["gflops_720p"], r["bd_rate"]), textcoords="offset points", xytext=(6, 4), fontsize=7)
    pub = sorted((r["gflops_720p"], r["anchor_bd_rate"], r["N"]) for r in dep if r.get("anchor_bd_rate") is not None)
    if pub:
        ax.plot([x for x, _, _ in pub], [y for _, y, _ in pub], "D--", color="C1", ms=6, label=a.get("label", "published"))
    abl = [r for r in w.get("rows", []) if r["role"] == "ablation" and math.isfinite(r["bd_rate"])]
    for i, r in enumerate(abl):
        ax.plot(r["gflops_720p"], r["bd_rate"], "x", color="0.4", ms=8, label="KD from random init (ablation)" if not i else None)
        ax.annotate(f"N={r['N']}, {_steps(r)}", (r["gflops_720p"], r["bd_rate"]), textcoords="offset points",
                    xytext=(6, -10), fontsize=7)
    if t.get("N"):
        ax.plot([t["gflops_720p"]], [0.0], "k*", ms=12, label=f"teacher N={t['N']} (the anchor, 0 %)")
    ax.plot([], [], "o-", color="C0", label="ours: released KD from the pruned teacher (hollow: fewer λ)")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_yscale("symlog", linthresh=10)  # the deployable widths near 0 and the random-init ablation far above
    ax.set(xlabel="GFLOPs per 1280x720 frame (g_a + h_a + h_s + g_s)",
           ylabel="BD-rate vs teacher [%] (PSNR; symlog above 10)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    n = max([r["images"] for r in dep] or [0])
    ax.set_title(f"{set_label(KODAK, n or None)} (recorded at release): RD cost of every width vs its complexity",
                 fontsize=9)
    na: dict[str, list[str]] = {}
    for r in w.get("rows", []):
        if not math.isfinite(r["bd_rate"]):
            na.setdefault(r["na"], []).append(f"N={r['N']}" + (" (random init)" if r["role"] == "ablation" else ""))
    note = (f"Ours: each released width vs the released teacher N={t.get('N')} ({w.get('entropy')} entropy model where "
            f"both have one), on the λ it has, with its training steps (released budgets differ: see the table). {a.get('label', 'published')}: vs its own teacher, drawn at our GFLOPs of the same N "
            f"({a.get('source', '')}). " + " ".join(f"n/a, {why}: {', '.join(ns)}." for why, ns in na.items()))
    lines = textwrap.wrap(note, 140) + ([caption] if caption else [])
    ys = [r["bd_rate"] for r in [*ok, *abl]] + [y for _, y, _ in pub]
    ax.set_ylim(bottom=min([-1.0, *(y - 1 for y in ys)]))
    fig.set_size_inches(7.6, 4.6 + 0.14 * len(lines))
    fig.text(0.01, 0.005, "\n".join(lines), fontsize=6.5, color="0.35", va="bottom")
    fig.tight_layout(rect=(0, 0.02 + 0.028 * len(lines), 1, 1))
    return fig
