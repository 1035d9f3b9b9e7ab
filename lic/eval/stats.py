"""Statistics of stage 02's comparisons: BD-rate tables, run-to-run noise, Student-t intervals, paired objective.

BD-rate tables between the students and against the teacher (:func:`width_summary`,
:func:`ablation_bd`, :func:`sets_bd`, on curves :func:`student_curve` picks, :func:`curve_bd`), and
two measures of whether distillation helps, each read against its own noise:

* Kodak BD-rates of KD vs from-scratch students trained with several seeds (:func:`noise_summary`):
  the mean effect against the spread of the paired comparison and the seed-to-seed BD-rates.
* The RD cost both students optimise, λ·255²·MSE + bpp (:func:`lic.eval.metrics.rd_cost`), read from
  the training logs of two runs that saw identical batches (:func:`paired_objective`, over the run
  by :func:`paired_objective_curve`), summarised over the seeds with a Student-t 95% CI
  (:func:`objective_summary`); :func:`kodak_cost_change` is its held-out counterpart on Kodak.

:func:`recorded_kd_vs_rd` reads the recorded benchmark of KD vs RD-only from the pruned teacher over seeds
(benchmarks/kdrd_seeds.py, the GPU job's ``gpu-kdrd`` students), which a CPU stage 02 cannot retrain, through
the index of benchmark records (:func:`lic.provenance.record`, record :data:`KD_VS_RD_RECORD`).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd


from lic.eval.metrics import bd_rate, rd_cost
from lic.provenance import find_record
from lic.train.specs import lambda_tag

__all__ = ["OBJECTIVE_COLUMNS", "NOISE_COLUMNS", "SET_COMPARISONS", "student_curve", "curve_bd", "deployed_curves", "sets_bd",
           "width_summary", "ablation_bd", "t_summary", "seed_spread", "noise_summary", "window_costs",
           "paired_objective", "paired_objective_curve", "paired_objectives", "objective_summary", "kodak_cost_change",
           "KD_VS_RD_RECORD", "recorded_kd_vs_rd",
           "SEED_CONTROLS_RECORD", "recorded_seed_controls"]

#: columns of stage 02's per-seed objective table (``objective.csv``)
OBJECTIVE_COLUMNS = ["N", "lmbda", "seed", "steps", "tail_steps", "kd_cost", "scratch_cost", "kd_vs_scratch_pct",
                     "kodak_kd_vs_scratch_pct"]
#: columns of stage 02's run-to-run noise table (``noise.csv``)
NOISE_COLUMNS = ["N", "comparison", "seed", "bd_rate"]
#: the name, in the index of benchmark records, of KD vs RD-only from the pruned teacher (benchmarks/kdrd_seeds.py)
KD_VS_RD_RECORD = "kd_vs_rd_pruned_seeds"
#: the record of the released students' extra seeds and controls (their weights are not shipped)
SEED_CONTROLS_RECORD = "seed_controls"


def student_curve(rd: pd.DataFrame, kind: str, N: int, seed: int) -> pd.DataFrame:
    """The RD points (rows of stage 02's ``rd.csv``: ``codec, N, lmbda, seed, bpp, psnr``) of one student."""
    return rd[(rd.codec == kind) & (rd.N == N) & (rd.seed == seed)]


def _ran(value: float, *curves: pd.DataFrame) -> float | None:
    """``value``, or None where one of ``curves`` was not run (no points): not run is not "no overlap"."""
    return None if any(c.empty for c in curves) else value


def curve_bd(anchor: pd.DataFrame, test: pd.DataFrame) -> float:
    """BD-rate (PSNR, %) of curve ``test`` against ``anchor`` (:func:`lic.eval.metrics.bd_rate`); NaN when
    either has no points."""
    if anchor.empty or test.empty:
        return math.nan
    return bd_rate(anchor.bpp, anchor.psnr, test.bpp, test.psnr)


def deployed_curves(rd: pd.DataFrame, teacher_rd: pd.DataFrame, kind: str, widths: list[int], seed: int,
                    main_lambdas: list[float], cplx: dict, t_cplx: dict) -> list[dict]:
    """The deployed student ``kind`` per width on every λ it was coded at: its BD-rate vs the teacher on
    all its points, next to the one on ``main_lambdas`` only (the summary's), and its GFLOPs vs the
    teacher's per 720p frame. Widths without such a student are left out."""
    main = {lambda_tag(l) for l in main_lambdas}
    out = []
    for N in widths:
        c = student_curve(rd, kind, N, seed).sort_values("lmbda")
        if c.empty:
            continue
        out.append({"kind": kind, "N": N, "lambdas": [float(l) for l in c.lmbda], "points": len(c),
                    "bd_rate_vs_teacher": curve_bd(teacher_rd, c),
                    "bd_rate_vs_teacher_main": curve_bd(teacher_rd, c[c.lmbda.map(lambda_tag).isin(main)]),
                    "gflops_vs_teacher": cplx[str(N)]["720p"]["gflops"] / t_cplx["720p"]["gflops"]})
    return out


#: the BD-rates of stage 02's summary that :func:`sets_bd` repeats on every evaluation set: name ->
#: (anchor, test) student kinds, ``teacher`` the teacher's curve
SET_COMPARISONS = {"kd vs teacher": ("teacher", "kd"), "scratch vs teacher": ("teacher", "scratch"),
                   "kd-pruned vs teacher": ("teacher", "kd-pruned"), "rd-pruned vs teacher": ("teacher", "rd-pruned"),
                   "kd vs scratch": ("scratch", "kd")}


def sets_bd(by_set: dict[str, tuple[pd.DataFrame, pd.DataFrame]], widths) -> list[dict]:
    """Long rows ``set, N, comparison, bd_rate`` (PSNR) of :data:`SET_COMPARISONS` for every width
    and set where both curves were measured.

    Args:
        by_set: set name -> (teacher RD points, main-seed students' RD points with ``codec`` and ``N``).
        widths: the student widths to compare.
    """
    out = []
    for name, (teacher, rd) in by_set.items():
        for N in widths:
            cur = lambda k: rd[(rd.N == N) & (rd.codec == k)] if not rd.empty else rd  # noqa: E731
            for comp, (a, b) in SET_COMPARISONS.items():
                anchor = teacher if a == "teacher" else cur(a)
                if not cur(b).empty and not anchor.empty:
                    out.append({"set": name, "N": N, "comparison": comp, "bd_rate": curve_bd(anchor, cur(b))})
    return out


def width_summary(rd: pd.DataFrame, teacher_rd: pd.DataFrame, widths: list[int], M: int, seed: int,
                  cplx: dict, t_cplx: dict, teachers: dict[str, str] | None = None) -> list[dict]:
    """Stage 02's summary, per width: params and GFLOPs (also as fractions of the teacher's), the
    BD-rates of every student kind of ``seed`` vs the teacher and KD vs scratch (NaN where a kind
    was not run), the inits, and whether KD and scratch started alike.

    Args:
        rd: student RD points (``codec, N, lmbda, seed, init, bpp, psnr``).
        teacher_rd: the teacher's RD points.
        cplx: ``str(N)`` -> ``{"720p", "kodak"}`` -> :func:`lic.eval.rd.complexity`; ``t_cplx`` the teacher's.
        teachers: released student name -> the teacher whose pruned weights it inherited (the manifest's
            ``inherit``); KD vs RD-only from the pruned teacher is compared only where both inherited the
            same teacher (students trained in the run inherit its teacher), else NaN.
    """
    def curve(kind, N):
        return student_curve(rd, kind, N, seed)

    def origin(c):
        return {lambda_tag(l): i.split(":")[0] for l, i in zip(c.lmbda, c.init)}

    def lineage(c):  # the teachers a curve's students inherited from
        return {(teachers or {}).get(i.removeprefix("zoo:"), "?") if i.startswith("zoo:") else "this run" for i in c.init}

    out = []
    for N in widths:
        kd, sc, kp, rp = curve("kd", N), curve("scratch", N), curve("kd-pruned", N), curve("rd-pruned", N)
        c, t = cplx[str(N)], t_cplx["720p"]
        out.append({
            "N": N, "M": M,
            "params": c["720p"]["params"],
            "params_vs_teacher": c["720p"]["params"] / t["params"],
            "gflops_720p": c["720p"]["gflops"],
            "gflops_kodak": c["kodak"]["gflops"],
            "gflops_vs_teacher": c["720p"]["gflops"] / t["gflops"],
            # None where a kind was not run, NaN where its curve does not overlap the other
            "bd_rate_kd_vs_teacher": _ran(curve_bd(teacher_rd, kd), kd),
            "bd_rate_scratch_vs_teacher": _ran(curve_bd(teacher_rd, sc), sc),
            "bd_rate_kd_vs_scratch": _ran(curve_bd(sc, kd), kd, sc),
            "init_kd": ",".join(sorted(set(kd.init))), "init_scratch": ",".join(sorted(set(sc.init))),
            # KD vs scratch is a fair comparison only when both started alike (zoo or scratch) at every λ
            "same_init": not sc.empty and origin(kd) == origin(sc),
            # weight inheritance (pruned teacher), by KD and by the RD loss alone: NaN where not run
            "bd_rate_kd_pruned_vs_teacher": _ran(curve_bd(teacher_rd, kp), kp),
            "bd_rate_rd_pruned_vs_teacher": _ran(curve_bd(teacher_rd, rp), rp),
            "bd_rate_kd_pruned_vs_rd_pruned": _ran(curve_bd(rp, kp) if (same := lineage(kp) == lineage(rp)) else math.nan,
                                                   kp, rp),
            # None where one of the two was not run (nothing to compare), False where their teachers differ
            "pruned_same_teacher": None if kp.empty or rp.empty else same,
        })
    return out


def ablation_bd(rd: pd.DataFrame, teacher_rd: pd.DataFrame, kinds: dict[str, str], terms: dict[str, tuple],
                N: int, seed: int) -> list[dict]:
    """Loss-term ablation at width ``N``: mean bpp/PSNR, BD-rates vs the teacher and vs config ``all``.

    Args:
        kinds: ablation config -> the student kind that trained it (empty: no ablation).
        terms: config -> the loss terms it keeps (:data:`lic.train.kd.ABLATIONS`).
    """
    if not kinds:
        return []
    ref = student_curve(rd, kinds["all"], N, seed)
    out = []
    for cfg_name, kind in kinds.items():
        c = student_curve(rd, kind, N, seed)
        out.append({"config": cfg_name, "kind": kind, "N": N, "terms": "+".join(terms[cfg_name]),
                    "bpp": float(c.bpp.mean()), "psnr": float(c.psnr.mean()),
                    "bd_rate_vs_teacher": curve_bd(teacher_rd, c),
                    "bd_rate_vs_all": curve_bd(ref, c) if cfg_name != "all" else 0.0})
    return out


def t_summary(d: pd.Series) -> dict:
    """Mean, sd, Student-t 95% CI and two-sided p of paired differences ``d`` (H0: mean 0).

    Args:
        d: one difference per seed.

    Returns:
        ``{"mean_pct", "sd", "ci95", "p", "resolved"}``: ``ci95`` the half-width
        sd/√n · t₀.₉₇₅,ₙ₋₁; ``resolved`` when the CI excludes 0 and all values agree in sign.
        NaN (and not resolved) unless there are ≥ 2 values, none NaN.
    """
    from scipy import stats

    row = {"mean_pct": math.nan, "sd": math.nan, "ci95": math.nan, "p": math.nan, "resolved": False}
    if len(d) >= 2 and not d.isna().any():
        sd = float(d.std(ddof=1))
        ci = float(stats.t.ppf(0.975, len(d) - 1) * sd / math.sqrt(len(d)))
        pval = float(stats.ttest_1samp(d, 0.0).pvalue) if sd > 0 else (0.0 if d.iloc[0] else 1.0)
        row.update(mean_pct=float(d.mean()), sd=sd, ci95=ci, p=pval,
                   resolved=bool(abs(d.mean()) > ci and (d.gt(0).all() or d.lt(0).all())))
    return row


def noise_summary(noise: pd.DataFrame) -> list[dict]:
    """Per width: the mean KD-vs-scratch BD-rate over the seeds against two kinds of noise.

    ``paired_spread``: max - min of the per-seed KD-vs-scratch values (each pair shares init and
    batches, so this is the noise of the paired comparison); ``seed_noise``: the largest |BD-rate|
    between two seeds of the same kind (what a new seed alone does to one model). ``noise`` is the
    larger; the effect counts as resolved when |mean| exceeds it and every seed agrees in sign.
    NaN BD-rates (curves without overlap) resolve nothing.

    Also reported, not part of ``resolved``: ``ci95``, the half-width of the Student-t 95% confidence
    interval of the mean paired difference (:func:`t_summary`), which shrinks as seeds are added.

    Args:
        noise: rows ``N, comparison, seed, bd_rate``; comparison ``"kd vs scratch"`` per seed, any
            other value a seed-to-seed comparison of one kind.
    """
    out = []
    for N, g in noise.groupby("N"):
        kd = g[g.comparison == "kd vs scratch"].bd_rate.astype(float)
        same = g[g.comparison != "kd vs scratch"].bd_rate.astype(float)
        row = {"N": int(N), "seeds": len(kd), "kd_vs_scratch_mean": math.nan, "paired_spread": math.nan,
               "seed_noise": math.nan, "noise": math.nan, "resolved": False, "sd": math.nan, "ci95": math.nan}
        if len(kd) >= 2 and not (kd.isna().any() or same.isna().any()):
            row.update(kd_vs_scratch_mean=float(kd.mean()), paired_spread=float(kd.max() - kd.min()),
                       seed_noise=float(same.abs().max()))
            row["noise"] = max(row["paired_spread"], row["seed_noise"])
            t = t_summary(kd)
            row["sd"], row["ci95"] = t["sd"], t["ci95"]
            row["resolved"] = bool(abs(row["kd_vs_scratch_mean"]) > row["noise"] and (kd.gt(0).all() or kd.lt(0).all()))
        out.append(row)
    return out


def seed_spread(rd: pd.DataFrame, widths: list[int], main_seed: int, seeds: list[int]) -> pd.DataFrame:
    """Run-to-run noise table (:data:`NOISE_COLUMNS`): per width, the KD-vs-scratch BD-rate of every
    seed (``main_seed`` and ``seeds``), then each kind's BD-rate of every other seed against ``main_seed``.
    Empty without ``seeds``; :func:`noise_summary` reads it."""
    out = []
    for N in widths if seeds else []:
        for s in [main_seed, *seeds]:
            out.append({"N": N, "comparison": "kd vs scratch", "seed": str(s),
                        "bd_rate": curve_bd(student_curve(rd, "scratch", N, s), student_curve(rd, "kd", N, s))})
        for kind in ("kd", "scratch"):
            for s in seeds:
                out.append({"N": N, "comparison": f"{kind}: seed {s} vs seed {main_seed}",
                            "seed": f"{s} vs {main_seed}",
                            "bd_rate": curve_bd(student_curve(rd, kind, N, main_seed), student_curve(rd, kind, N, s))})
    return pd.DataFrame(out, columns=NOISE_COLUMNS)


def window_costs(log: list[dict], lmbda: float, edges: list[int]) -> list[float]:
    """Mean RD cost λ·255²·MSE + bpp of a training log in each step window ``(edges[i], edges[i+1]]``.

    Args:
        log: rows with ``step``, ``mse`` and ``bpp`` (:func:`lic.train.loop.train`'s history).
        lmbda: λ of the cost.
        edges: window boundaries in steps, ascending.

    Returns:
        One mean a window; NaN where the log has no row in it.
    """
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        w = [rd_cost(r["mse"], r["bpp"], lmbda) for r in log if a < r["step"] <= b]
        out.append(sum(w) / len(w) if w else math.nan)
    return out


def paired_objective(kd_log: list[dict], scratch_log: list[dict], lmbda: float, tail: float) -> dict:
    """KD vs from-scratch student on the objective both share, the RD cost λ·255²·MSE + bpp, read
    from their training logs over the last ``tail`` fraction of the run.

    The two runs of one seed see identical batches in the same order, so the batch-to-batch noise
    cancels in the pair; each logged value was computed before the step that trains on its batch,
    but the crops come from the training photos, which recur (the reference students draw each
    pixel of the 49 photos about 15 times in 6,000 steps): an in-sample fit, not a held-out score.
    The tail default of stage 02 (0.15) is the phase after the lr drop, where the models change least.

    Returns:
        ``{"steps", "tail_steps", "kd_cost", "scratch_cost", "kd_vs_scratch_pct"}``, NaN when a log is empty.
    """
    out = dict.fromkeys(OBJECTIVE_COLUMNS[3:-1], math.nan)
    if not kd_log or not scratch_log:
        return out
    last = min(kd_log[-1]["step"], scratch_log[-1]["step"])
    first = last - max(1, round(tail * last))

    def cost(log):
        rows = [r for r in log if first < r["step"] <= last] or [log[-1]]
        return sum(rd_cost(r["mse"], r["bpp"], lmbda) for r in rows) / len(rows)

    kd, sc = cost(kd_log), cost(scratch_log)
    return {"steps": last, "tail_steps": last - first, "kd_cost": kd, "scratch_cost": sc,
            "kd_vs_scratch_pct": 100 * (kd / sc - 1)}


def paired_objective_curve(kd_log: list[dict], scratch_log: list[dict], lmbda: float,
                           windows: int = 24) -> list[dict]:
    """KD-vs-scratch change of the RD cost (%) over the whole run, in ``windows`` equal step windows
    (for the figure: the final-phase number is one end of a curve, not a chosen window).

    Returns:
        ``[{"step": window end, "pct"}]`` for the windows both logs have rows in.
    """
    if not kd_log or not scratch_log:
        return []
    last = min(kd_log[-1]["step"], scratch_log[-1]["step"])
    edges = [round(last * i / windows) for i in range(windows + 1)]
    pairs = zip(edges[1:], window_costs(kd_log, lmbda, edges), window_costs(scratch_log, lmbda, edges))
    return [{"step": b, "pct": 100 * kd / sc - 100} for b, kd, sc in pairs if not (math.isnan(kd) or math.isnan(sc))]


def paired_objectives(logs: dict, per_image: pd.DataFrame, widths: list[int], lambdas: list[float],
                      seeds: list[int], tail: float) -> tuple[pd.DataFrame, list[dict]]:
    """Per width, λ and seed: :func:`paired_objective` beside :func:`kodak_cost_change`, and
    :func:`paired_objective_curve`.

    Args:
        logs: ``(kind, N, λ, seed)`` -> training log of that student's last phase (missing: no number).
        per_image: stage 02's per-image Kodak rows.
        tail: fraction of the run :func:`paired_objective` averages over.

    Returns:
        ``(table of OBJECTIVE_COLUMNS, [{"N", "lmbda", "seed", "curve"}])``.
    """
    rows, curves = [], []
    for N in widths:
        for lmbda in lambdas:
            for s in seeds:
                kd_log, sc_log = (logs.get((k, N, lmbda, s), []) for k in ("kd", "scratch"))
                rows.append({"N": N, "lmbda": lmbda, "seed": s, **paired_objective(kd_log, sc_log, lmbda, tail),
                             "kodak_kd_vs_scratch_pct": kodak_cost_change(per_image, N, lmbda, s)})
                curves.append({"N": N, "lmbda": lmbda, "seed": s,
                               "curve": paired_objective_curve(kd_log, sc_log, lmbda)})
    return pd.DataFrame(rows, columns=OBJECTIVE_COLUMNS), curves


def objective_summary(objective: pd.DataFrame) -> list[dict]:
    """Per (N, λ): mean paired KD-vs-scratch change of the training objective over the seeds, its
    Student-t 95% CI and two-sided p-value (:func:`t_summary`); ``resolved`` when the CI excludes 0
    and every seed agrees in sign (at least two seeds). ``kodak_*``: the same rule applied to the
    Kodak RD cost.

    Args:
        objective: rows of :data:`OBJECTIVE_COLUMNS` (``kodak_kd_vs_scratch_pct`` optional).
    """
    out = []
    for (N, lmbda), g in objective.groupby(["N", "lmbda"]):
        d = g.kd_vs_scratch_pct.astype(float)
        row = {"N": int(N), "lmbda": float(lmbda), "seeds": len(d)}
        row.update(t_summary(d))
        if "kodak_kd_vs_scratch_pct" in g:
            row.update({f"kodak_{k}": v for k, v in t_summary(g.kodak_kd_vs_scratch_pct.astype(float)).items()})
        out.append(row)
    return out


def kodak_cost_change(per_image: pd.DataFrame, N: int, lmbda: float, seed: int) -> float:
    """KD vs scratch (%) in the same RD cost on the Kodak images, real bitstreams (mean bpp and mean
    MSE over the images): the held-out counterpart of :func:`paired_objective`.

    Args:
        per_image: rows ``codec, N, lmbda, seed, psnr, bpp`` (stage 02's ``per_image.csv``).

    Returns:
        The change in percent; NaN when either student of the pair is missing.
    """
    cost = {}
    for kind in ("kd", "scratch"):
        g = per_image[(per_image.codec == kind) & (per_image.N == N) & (per_image.lmbda == lmbda)
                      & (per_image.seed == seed)]
        if g.empty:
            return math.nan
        cost[kind] = rd_cost(float((10 ** (-g.psnr / 10)).mean()), float(g.bpp.mean()), lmbda)
    return 100 * (cost["kd"] / cost["scratch"] - 1)


def recorded_seed_controls(index: Path | None = None) -> dict | None:
    """The recorded seeds and controls of the released N=64 students (record :data:`SEED_CONTROLS_RECORD`,
    benchmarks/seed_controls.py): their Kodak-24 RD points, budgets and the run-to-run noise of KD vs scratch
    (``kodak24.noise_summary``, as :func:`noise_summary` gives it); None where the index has no such record."""
    rec = find_record(SEED_CONTROLS_RECORD, index)
    return None if rec is None else rec.data


def recorded_kd_vs_rd(index: Path | None = None) -> dict | None:
    """The recorded benchmark of KD vs its RD-only twin from the pruned teacher (record :data:`KD_VS_RD_RECORD` of
    the index of benchmark records, :func:`lic.provenance.record`; ``index`` another index): how they trained
    (``setup``), the per-seed rows and their :func:`t_summary` (``summary``); None where the index has no such
    record or its file is gone (an installed package without the repository's benchmarks)."""
    rec = find_record(KD_VS_RD_RECORD, index)
    return None if rec is None else rec.data
