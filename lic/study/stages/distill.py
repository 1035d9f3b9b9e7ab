"""Stage 02: knowledge distillation — student width N as the single knob.

For each λ (of the stage-01 teacher set, or a subset) and each width N, a student with the teacher's architecture
and M is trained by distillation (:mod:`lic.train.kd`) and, as the control, from scratch with the RD loss alone
(same seed, batches and steps). Each is evaluated with real bitstreams on Kodak; BD-rates (PSNR) are taken against
the teacher (its stage-01 per-image numbers on the same images) and against the from-scratch student. A loss-term
ablation (latent-only / output-only / RD-only / all three) runs at one width.

Run-to-run noise (``noise_seeds``): at every width with a from-scratch baseline, the KD and the from-scratch
students are also trained (or, with a zoo init, taken from the release) with each extra seed — new init, crops and
noise. The noise table sets the KD-vs-scratch BD-rate of every seed beside the seed-to-seed BD-rates of each kind,
so the KD effect can be read against it. A second, paired measure reads the students' training logs (released ones
from the manifest): the RD cost λ·255²·MSE + bpp that both optimise, over the final phase (``objective_tail``) of
two runs that saw identical batches, per seed, with a Student-t CI (:func:`lic.eval.stats.paired_objective`,
:func:`lic.eval.stats.objective_summary`). It is an in-sample measure (how well each student fits the training
photos), not a held-out one: it tells whether KD optimises the student's own objective better; whether that carries
over to unseen images is what the Kodak BD-rates above measure.

Weight inheritance (``pruned_widths``, an extension of the paper): at these widths two more students start from the
teacher itself, its N channels cut to the student's by filter L1 norm (:func:`lic.train.prune.prune_channels`), and
train on the same budget by KD (``kd-pruned``) or by the RD loss alone (``rd-pruned``, the control that isolates KD
from the inherited weights).

Initialisation (``init``): ``"scratch"``; ``"zoo"``, released students from ``weights/`` (:mod:`lic.codec.zoo`,
names :attr:`lic.train.specs.StudentSpec.name`, e.g. ``student-kd-n64-m192-l0.0250``), an error naming the missing
ones otherwise; ``"auto"``, released where available and scratch elsewhere. ``steps`` then trains (or fine-tunes)
each student. The ablation students (``ablation_init``, ``ablation_steps``) start from scratch or, with ``"zoo"``,
all from the released from-scratch student of their width (never from a KD student, which has already seen all three
terms), so the four configurations fine-tune the same weights with the same budget. With a zoo init, the stage key
includes the released files' checksums.

Other evaluation sets (``eval_sets``, :mod:`lic.data.evalsets`): every main-seed student (KD, from scratch, pruned
kinds; not the noise seeds or the ablation) and the teacher are also coded on each set beside Kodak;
:func:`sets_table` gives the BD-rates vs teacher per set side by side, :func:`lic.study.plots.figure_sets` the RD
curves with a row of panels per set (``per_image_sets.csv``, ``rd_students_sets``). The Kodak tables above are
unchanged by it.

Artifacts in ``artifacts/02_distillation/<key>/``: ``student_<kind>_n<N>_l<λ>.pt`` (checkpoints, kind
``kd``/``scratch``/``abl-…``), ``train_*.pt`` (resumable training state), ``per_image.csv``, ``rd.csv``,
``summary.csv``, ``ablation.csv``, ``noise.csv``, ``objective.csv``, ``rd_students``, ``rd_ablation``,
``complexity_bd``, ``objective_kd``, ``widths_headline`` (PNG + SVG), ``results.json``.

The headline (:mod:`lic.study.stages.widths`, ``results["width_headline"]``): every released width's BD-rate vs the
released teacher from the Kodak records, params, GFLOPs and the published per-width penalties; on every set of
``eval_sets`` the same released models coded in the run.

:func:`run` is an ordered plan: load or fit (:func:`lic.train.kd.fit`) and evaluate every student
(:class:`lic.train.specs.StudentSpec`); the tables and statistics (:mod:`lic.eval.stats`); the figures
(:mod:`lic.study.plots`).
"""

from __future__ import annotations

import hashlib
import time
from collections import namedtuple

import matplotlib.pyplot as plt
import pandas as pd
import torch

from lic.codec.models import load_checkpoint
from lic.codec.zoo import WEIGHTS_DIR, available
from lic.data.evalsets import KODAK, EvalSet, extra_sets, load_eval_sets, set_label, side_by_side
from lic.errors import ArtifactError, ParameterError
from lic.eval.anchors import WIDTH_ANCHORS
from lic.eval.measured import RECORD
from lic.eval.rd import evaluate_codec, rd_point
from lic.eval.stats import (NOISE_COLUMNS, OBJECTIVE_COLUMNS, ablation_bd, deployed_curves, noise_summary,
                            objective_summary, paired_objectives, seed_spread, sets_bd, width_summary)
from lic.fileio import atomic_write_text
from lic.provenance import ROOT, git_commit, sha256_file
from lic.study.artifacts import StageArtifact, input_keys, prepare
from lic.study.config import DistillConfig
from lic.study.params import stage_presets
from lic.study.plots import figure_ablation, figure_complexity, figure_objective, figure_rd, figure_sets, save_figure
from lic.study.runner import check_noise_seeds
from lic.study.stages import teacher as teacher_stage
from lic.study.stages import widths as widths_stage
from lic.study.stages.students import Students, baseline_widths, main_specs
from lic.study.stages.students import spec as student_spec
from lic.study.stages.students import ablation_kinds as _kinds
from lic.train.kd import ABLATIONS, FEATURES, normalize_weights
from lic.train.loop import default_device
from lic.train.specs import DEPLOYED_KIND, PRUNED_KINDS, StudentSpec, lambda_tag

__all__ = ["PRESETS", "reads", "key_inputs", "run", "load_model", "rd_table", "summary_table",
           "ablation_table", "noise_table", "objective_table", "sets_table"]

#: preset -> parameters (plus :data:`lic.study.runner.COMMON`), from the typed table :data:`lic.study.params.STAGE_PARAMS`
PRESETS = stage_presets("02")

_INITS = ("scratch", "zoo", "auto")


def _zoo_digest() -> str:
    """Checksum of the released students (changes the key of a zoo-initialised stage)."""
    from lic.codec.zoo import available

    rel = sorted((k, v.get("sha256", "")) for k, v in available().items() if k.startswith("student-"))
    return hashlib.sha256(repr(rel).encode()).hexdigest()[:10]


def reads(cfg: DistillConfig) -> tuple[str, ...]:
    """Stage 02 reads the stage-01 teachers."""
    return ("01",)


def key_inputs(cfg: DistillConfig, inputs: dict[str, StageArtifact]) -> dict:
    """What the key covers besides the parameters: stage 01's key, the released students' checksums
    when a student starts from the zoo, and what the width headline reads (the manifest, the Kodak records
    and the published per-width anchors: a new release is a new headline, not a cached one)."""
    keys = input_keys(inputs)
    if cfg.init in ("zoo", "auto") or cfg.ablation_init in ("zoo", "auto"):
        keys["zoo"] = _zoo_digest()
    keys["headline"] = {str(f.relative_to(ROOT)): sha256_file(f) if f.is_file() else None
                        for f in (WEIGHTS_DIR / "manifest.json", RECORD, WIDTH_ANCHORS)}
    return keys


def _validate(p: dict) -> None:
    widths = p["widths"]
    if not widths or any(not isinstance(n, int) or n < 1 for n in widths):
        raise ParameterError(f"widths must list positive integers, got {widths!r}")
    for k in ("init", "ablation_init"):
        if p[k] not in _INITS:
            raise ParameterError(f"{k} must be one of {_INITS}, got {p[k]!r}")
    normalize_weights(p["weights"])
    bad = [n for n in p["latents"] if n not in FEATURES]
    if bad:
        raise ParameterError(f"unknown latent(s) {bad}; choose from {list(FEATURES)}")
    check_noise_seeds(p)
    pw = p["pruned_widths"]
    if not isinstance(pw, (list, tuple)) or any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in pw):
        raise ParameterError(f"pruned_widths must list positive integer widths, got {pw!r}")
    if (pw and not p["pruned_kinds"]) or any(k not in PRUNED_KINDS for k in p["pruned_kinds"]):
        raise ParameterError(f"pruned_kinds must list some of {list(PRUNED_KINDS)}, got {p['pruned_kinds']!r}")
    if not isinstance(p["objective_tail"], (int, float)) or not 0 < p["objective_tail"] <= 1:
        raise ParameterError(f"objective_tail must be a fraction in (0, 1], got {p['objective_tail']!r}")
    if p["ablation_width"] and (not isinstance(p["ablation_width"], int) or p["ablation_width"] < 1):
        raise ParameterError(f"ablation_width must be a positive integer or 0 (no ablation), got {p['ablation_width']!r}")


def _teacher_rows(t01: StageArtifact, r01: dict, s: EvalSet | None) -> pd.DataFrame:
    """Stage 01's per-image teacher rows of Kodak (``s`` None) or of set ``s`` (only where stage 01
    coded a set of the same name and content)."""
    if s is None:
        return pd.read_csv(t01.dir / "per_image.csv", dtype={"image": str})
    same = any(e["name"] == s.name and e.get("content") == s.content for e in r01.get("eval_sets", []))
    f = t01.dir / "per_image_sets.csv"
    if not same or not f.exists():
        return pd.DataFrame(columns=["codec", "image", "lmbda", "bpp", "psnr", "ms_ssim"])
    df = pd.read_csv(f, dtype={"image": str, "set": str})
    return df[df.set == s.name]


def _teacher_rd(t01: StageArtifact, r01: dict, images, progress: bool, s: EvalSet | None = None) -> pd.DataFrame:
    """Teacher RD points on exactly ``images`` (Kodak, or set ``s``): stage-01 per-image rows,
    re-measured if absent."""
    names = [n for n, _ in images]
    df = _teacher_rows(t01, r01, s)
    df = df[(df.codec == "teacher") & df.image.isin(names)]
    lambdas = sorted(float(k) for k in r01["models"])
    if all(set(df[df.lmbda.map(lambda_tag) == lambda_tag(l)].image) == set(names) for l in lambdas):
        return df.groupby("lmbda", as_index=False)[["bpp", "psnr", "ms_ssim"]].mean().assign(codec="teacher")
    rows = []
    for l in lambdas:
        model = teacher_stage.load_model(t01, l)
        rows.append(rd_point(evaluate_codec(model, images, progress=progress, desc=f"teacher λ={l}"
                                            + (f" {s.name}" if s else "")),
                             codec="teacher", lmbda=l))
    return pd.DataFrame(rows)


def _write_csv(st: StageArtifact, name: str, df: pd.DataFrame) -> None:
    atomic_write_text(st.dir / name, df.to_csv(index=False))


#: what the plan reads before training: stage 01 (``t01``, its results ``r01``), the λ, M and the teacher's
#: N, the evaluation sets and the teacher's RD points on Kodak and on each other set
_Inputs = namedtuple("_Inputs", "t01 r01 lambdas M teacher_N sets teacher_rd teacher_sets")


def _read_inputs(p: DistillConfig, t01: StageArtifact, progress: bool) -> _Inputs:
    """Stage 01's results, the λ to distil at and the teacher's RD points on every evaluation set.

    Raises:
        ParameterError: a λ is not in the stage-01 teacher set.
    """
    r01 = t01.results()
    teacher_lambdas = sorted(float(k) for k in r01["models"])
    lambdas = [float(l) for l in (p["lambdas"] or teacher_lambdas)]
    missing = [l for l in [*lambdas, *p["deployed_lambdas"]] if lambda_tag(l) not in r01["models"]]
    if missing:
        raise ParameterError(f"λ {missing} not in the stage-01 teacher set {teacher_lambdas}")
    sets = load_eval_sets(p.get("eval_sets"), p["kodak_dir"], p["kodak_limit"])
    return _Inputs(t01, r01, lambdas, int(t01.params["M"]), int(t01.params["N"]), sets,
                   _teacher_rd(t01, r01, sets[0].images, progress),
                   {s.name: _teacher_rd(t01, r01, s.images, progress, s) for s in extra_sets(sets)})


def _statistics(p: dict, inp: _Inputs, run: Students, ablation_kinds: dict[str, str]) -> dict:
    """Step 2: the tables (written as CSV) and the statistics over them (:mod:`lic.eval.stats`)."""
    rd_all = pd.DataFrame(run.rd)  # the main λ, and the deployed student's extra λ (its own table and curve)
    rd_df = rd_all[rd_all.lmbda.map(lambda_tag).isin({lambda_tag(l) for l in inp.lambdas})]
    per_image_df = pd.concat(run.per_image, ignore_index=True)
    _write_csv(run.st, "per_image.csv", per_image_df)
    _write_csv(run.st, "rd.csv", rd_df)
    if run.per_image_extra:
        _write_csv(run.st, "per_image_sets.csv", pd.concat(run.per_image_extra, ignore_index=True))
    t_cplx = {"720p": inp.r01["complexity_720p"], "kodak": inp.r01["complexity_kodak"]}
    summary = width_summary(rd_df, inp.teacher_rd, p["widths"], inp.M, p["seed"], run.cplx, t_cplx,
                            {k: v.get("inherit", "?") for k, v in available().items()})
    summary_df = pd.DataFrame(summary)
    _write_csv(run.st, "summary.csv", summary_df)
    ablation_df = pd.DataFrame(ablation_bd(rd_df, inp.teacher_rd, ablation_kinds, ABLATIONS,
                                           int(p["ablation_width"] or 0), p["seed"]))
    _write_csv(run.st, "ablation.csv", ablation_df)
    noise_df = seed_spread(rd_df, baseline_widths(p), p["seed"], p["noise_seeds"])
    objective_df, objective_curves = paired_objectives(run.logs, per_image_df, baseline_widths(p), inp.lambdas,
                                                       [p["seed"], *p["noise_seeds"]], p["objective_tail"])
    _write_csv(run.st, "objective.csv", objective_df)
    _write_csv(run.st, "noise.csv", noise_df)
    extra_rd = pd.DataFrame(run.rd_extra)
    by_set = {KODAK: (inp.teacher_rd, rd_df[rd_df.seed == p["seed"]]),
              **{n: (t, extra_rd[extra_rd.set == n]) for n, t in inp.teacher_sets.items()}}
    # the summary's rows as width_summary gave them: None (a kind not run) stays None, NaN (no overlap) NaN
    return {"rd": rd_df, "summary": summary_df, "summary_rows": summary, "ablation": ablation_df, "noise": noise_df,
            "objective": objective_df, "objective_curves": objective_curves, "teacher_complexity": t_cplx,
            "sets_bd": sets_bd(by_set, sorted({*p["widths"], *p["pruned_widths"]})),
            "deployed": deployed_curves(rd_all, inp.teacher_rd, DEPLOYED_KIND, p["pruned_widths"], p["seed"], inp.lambdas,
                                        run.cplx, t_cplx) if p["deployed_lambdas"] else [],
            "deployed_rd": rd_all.drop(rd_df.index)}


def _results(p: dict, inp: _Inputs, run: Students, tables: dict, t_start: float) -> dict:
    """``results.json``'s fields (the figures are added by :func:`_figures`)."""
    return {
        "figures": {},
        "widths": list(p["widths"]), "lambdas": inp.lambdas, "M": inp.M, "teacher_N": inp.teacher_N,
        "weights": normalize_weights(p["weights"]), "latents": list(p["latents"]),
        "pruned_widths": list(p["pruned_widths"]),
        "rd": tables["rd"].to_dict("records"),
        "teacher_rd": inp.teacher_rd[["codec", "lmbda", "bpp", "psnr", "ms_ssim"]].to_dict("records"),
        "summary": tables["summary_rows"],
        "ablation": tables["ablation"].to_dict("records"),
        "noise": tables["noise"].to_dict("records"), "noise_summary": noise_summary(tables["noise"]),
        "objective": tables["objective"].to_dict("records"),
        "objective_summary": objective_summary(tables["objective"]),
        "objective_curves": tables["objective_curves"], "objective_tail": float(p["objective_tail"]),
        "ablation_width": int(p["ablation_width"] or 0),
        "models": run.models, "init": run.inits, "train_seconds": run.train_s, "coding": run.coding,
        "entropy": p["entropy"],
        "complexity": run.cplx, "teacher_complexity": tables["teacher_complexity"],
        "bd_note": ("BD-rate needs at least 2 λ points per curve: with one λ every BD-rate is NaN"
                    if len(inp.lambdas) < 2 else
                    "BD-rate (PSNR, pchip): negative = fewer bits than the anchor; NaN = curves do not overlap"),
        "kodak_images": len(run.images),
        "device": str(default_device()),  # what this stage ran (and trained, steps > 0) on
        "eval_sets": [s.info() for s in inp.sets],
        "rd_sets": _rd_sets(run.rd_extra, inp.teacher_sets),
        "sets_bd": tables["sets_bd"], "deployed": tables["deployed"], "deployed_rd": tables["deployed_rd"].to_dict("records"),
        "commit": git_commit(),
        "wall_s": time.monotonic() - t_start,
    }


def _figures(p: DistillConfig, results: dict, st: StageArtifact, extra: list) -> None:
    """Step 3: the figures (:mod:`lic.study.plots`) as PNG + SVG, their paths into ``results["figures"]``."""
    caption = (f"preset={p['preset']} widths={p['widths']} M={results['M']} steps={p['steps']} init={p['init']} "
               f"w={results['weights']} latents={p['latents']} Kodak-{results['kodak_images']} "
               f"commit={results['commit']}")
    figs = results["figures"]
    figs["rd"] = save_figure(figure_rd(results, caption), st.dir, "rd_students")
    figs["complexity"] = save_figure(figure_complexity(results, caption), st.dir, "complexity_bd")
    figs["widths"] = save_figure(widths_stage.figure(results, f"preset={p['preset']} commit={results['commit']}"),
                                 st.dir, "widths_headline")
    if extra:
        cap_sets = caption + " | " + " ".join(set_label(s.name, len(s.images)) for s in extra)
        figs["rd_sets"] = save_figure(figure_sets(results, cap_sets), st.dir, "rd_students_sets")
    if any(c["curve"] for c in results["objective_curves"]):
        figs["objective"] = save_figure(figure_objective(results, caption), st.dir, "objective_kd")
    if results["ablation"]:
        figs["ablation"] = save_figure(figure_ablation(results, caption), st.dir, "rd_ablation")
    plt.close("all")


def run(cfg: DistillConfig, inputs: dict[str, StageArtifact] | None = None, *, out: StageArtifact | None = None,
        force: bool = False, progress: bool = True) -> dict:
    """Run stage 02 with its config on the finished stage-01 artifact ``inputs["01"]`` (a plan's
    ``inputs("02")``); ``out``: the stage's artifact as the plan made it.

    The plan, in order: every student loaded or fitted and evaluated (main students, pruned-teacher
    students, noise seeds, then the loss-term ablation); the tables and statistics; the figures.

    Raises:
        ArtifactError: stage 01 has not been run (names its notebook), or a released student
            is missing with ``init="zoo"``.
        ParameterError: invalid parameters, or a λ outside the stage-01 teacher set.
    """
    _validate(cfg)
    p, inputs, st = prepare("02", cfg, inputs, out)
    t01 = inputs["01"]
    if st.done and not force:
        return st.results()
    if p.get("threads"):
        torch.set_num_threads(int(p["threads"]))
    t_start = time.monotonic()
    inp = _read_inputs(p, t01, progress)
    st.dir.mkdir(parents=True, exist_ok=True)
    run = Students(p, st, t01, inp.sets[0].images, extra_sets(inp.sets), force, progress)
    for spec in main_specs(p, inp.M, inp.lambdas):
        run.student(spec)
    for spec in (student_spec(p, inp.M, DEPLOYED_KIND, N, l) for N in p["pruned_widths"] for l in p["deployed_lambdas"]):
        run.student(spec)  # the deployed student's extra λ (a spec already run is not run again)
    ablation_kinds = _kinds(p, inp.lambdas, run.inits)
    for kind in ablation_kinds.values():
        for lmbda in inp.lambdas:
            run.student(student_spec(p, inp.M, kind, int(p["ablation_width"]), lmbda))
    results = _results(p, inp, run, _statistics(p, inp, run, ablation_kinds), t_start)
    results["width_headline"] = widths_stage.compute(p, run, inp)  # the headline: every released width, from its records
    results["wall_s"] = time.monotonic() - t_start
    _figures(p, results, st, run.extra)
    return st.finish(results)


def load_model(artifact: StageArtifact, lmbda: float, N: int, kind: str = "kd") -> torch.nn.Module:
    """A student of a finished stage-02 artifact: ``kind`` (one of :data:`lic.train.specs.STUDENT_KINDS`),
    width ``N``, at ``lmbda``, main seed.

    Raises:
        ArtifactError: the artifact is not finished, or has no such student.
    """
    res, seed = artifact.results(), artifact.params["seed"]
    tag = StudentSpec(kind, int(N), lmbda=lmbda, seed=seed).tag(seed)
    name = res["models"].get(tag)
    if name is None:
        raise ArtifactError(f"stage 02 ({artifact.params.get('preset')}) has no student {tag}; "
                            f"it has {sorted(res['models'])}")
    return load_checkpoint(artifact.dir / name)


def rd_table(results: dict) -> pd.DataFrame:
    """Teacher and student RD points (mean over the Kodak images), one row per (codec, N, λ)."""
    t = pd.DataFrame(results["teacher_rd"]).assign(N=results["teacher_N"], init="stage 01")
    s = pd.DataFrame(results["rd"])
    t["seed"] = s.seed.iloc[0] if "seed" in s and len(s) else None
    return pd.concat([t, s], ignore_index=True)[["codec", "N", "lmbda", "seed", "init", "bpp", "psnr", "ms_ssim"]]


def summary_table(results: dict) -> pd.DataFrame:
    """Per width: params, GFLOPs (720p, Kodak), BD-rates vs teacher and vs scratch, inits."""
    cols = ["N", "M", "params", "params_vs_teacher", "gflops_720p", "gflops_kodak", "gflops_vs_teacher", "bd_rate_kd_vs_teacher",
            "bd_rate_scratch_vs_teacher", "bd_rate_kd_vs_scratch", "init_kd", "init_scratch", "same_init",
            "bd_rate_kd_pruned_vs_teacher", "bd_rate_rd_pruned_vs_teacher", "bd_rate_kd_pruned_vs_rd_pruned", "pruned_same_teacher"]
    return pd.DataFrame(results["summary"]).reindex(columns=cols).set_index("N")


def objective_table(results: dict) -> pd.DataFrame:
    """Per seed: KD vs from-scratch training objective (RD cost) over the runs' final phase."""
    return pd.DataFrame(results.get("objective", []), columns=OBJECTIVE_COLUMNS)


def noise_table(results: dict) -> pd.DataFrame:
    """Run-to-run noise: KD-vs-scratch BD-rate per seed, seed-to-seed BD-rate per kind."""
    return pd.DataFrame(results.get("noise", []), columns=NOISE_COLUMNS)


def ablation_table(results: dict) -> pd.DataFrame:
    """Loss-term ablation at ``ablation_width``: mean bpp/PSNR and BD-rates."""
    cols = ["config", "terms", "kind", "N", "bpp", "psnr", "bd_rate_vs_teacher", "bd_rate_vs_all"]
    return pd.DataFrame(results["ablation"], columns=cols)


def _rd_sets(rd_extra: list[dict], teacher_sets: dict[str, pd.DataFrame]) -> list[dict]:
    """RD points on the sets beside Kodak: the teacher's and every main-seed student's, column ``set``."""
    t = [df[["lmbda", "bpp", "psnr", "ms_ssim"]].assign(set=name, codec="teacher") for name, df in teacher_sets.items()]
    df = pd.concat([*t, pd.DataFrame(rd_extra)], ignore_index=True)
    return df.to_dict("records") if not df.empty else []


def sets_table(results: dict) -> pd.DataFrame:
    """BD-rate (PSNR) of every student kind vs the teacher (and KD vs scratch) per width, one column
    per evaluation set (Kodak first; n/a where the curves do not overlap)."""
    rows = results.get("sets_bd") or []
    order = [s["name"] for s in results.get("eval_sets", [])] or [KODAK]
    return side_by_side(rows, ["N", "comparison"], "bd_rate", order)
