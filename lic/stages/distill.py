"""Stage 02: knowledge distillation — student width N as the single knob.

For each λ (of the stage-01 teacher set, or a subset) and each width N, a student with the
teacher's architecture and M is trained by distillation (:mod:`lic.distill`) and, as the
control, from scratch with the RD loss alone (same seed, batches and steps). Each is evaluated
with real bitstreams on Kodak; BD-rates (PSNR) are taken against the teacher (its stage-01
per-image numbers on the same images) and against the from-scratch student. A loss-term
ablation (latent-only / output-only / RD-only / all three) runs at one width.

Run-to-run noise (``noise_seeds``): at every width with a from-scratch baseline, the KD and the
from-scratch students are also trained (or, with a zoo init, taken from the release) with each
extra seed — new init, crops and noise. The noise table sets the KD-vs-scratch BD-rate of every
seed beside the seed-to-seed BD-rates of each kind, so the KD effect can be read against it.
A second, paired measure reads the students' training logs (released ones from the manifest): the
RD cost λ·255²·MSE + bpp that both optimise, over the final phase (``objective_tail``) of two runs
that saw identical batches, per seed, with a Student-t CI (:func:`paired_objective`,
:func:`objective_summary`). It is an in-sample measure (how well each student fits the training
photos), not a held-out one: it tells whether KD optimises the student's own objective better;
whether that carries over to unseen images is what the Kodak BD-rates above measure.

Weight inheritance (``pruned_widths``, an extension of the paper): at these widths two more students
start from the teacher itself, its N channels cut to the student's by filter L1 norm
(:func:`lic.prune.prune_channels`), and train on the same budget by KD (``kd-pruned``) or by the RD
loss alone (``rd-pruned``, the control that isolates KD from the inherited weights).

Initialisation (``init``): ``"scratch"``; ``"zoo"``, released students from ``weights/``
(:mod:`lic.zoo`, names ``student-<kind>-n<N>-m<M>-l<λ>[-s<seed>]``, e.g. ``student-kd-n64-m192-l0.0250``),
an error naming the missing ones otherwise; ``"auto"``, released where available and scratch
elsewhere. ``steps`` then trains (or fine-tunes) each student. The ablation students (``ablation_init``,
``ablation_steps``) start from scratch or, with ``"zoo"``, all from the released from-scratch student
of their width (never from a KD student, which has already seen all three terms), so the four
configurations fine-tune the same weights with the same budget. With a zoo init, the stage key
includes the released files' checksums.

Other evaluation sets (``eval_sets``, :mod:`lic.evalsets`): every main-seed student (KD, from scratch,
pruned kinds; not the noise seeds or the ablation) and the teacher are also coded on each set beside
Kodak; :func:`sets_table` gives the BD-rates vs teacher per set side by side, :func:`figure_sets` the
RD curves with a row of panels per set (``per_image_sets.csv``, ``rd_students_sets``). The Kodak
tables above are unchanged by it.

Artifacts in ``artifacts/02_distillation/<key>/``: ``student_<kind>_n<N>_l<λ>.pt``
(checkpoints, kind ``kd``/``scratch``/``abl-…``), ``train_*.pt`` (resumable training state),
``per_image.csv``, ``rd.csv``, ``summary.csv``, ``ablation.csv``, ``noise.csv``, ``objective.csv``,
``rd_students``, ``rd_ablation``, ``complexity_bd``, ``objective_kd`` (PNG + SVG), ``results.json``.
"""

from __future__ import annotations

import hashlib
import math
import time

import matplotlib.pyplot as plt
import pandas as pd
import torch

from ..specs import lambda_tag
from ..data import CropSampler
from ..distill import ABLATIONS, FEATURES, distill_student, normalize_weights, train_scratch
from ..errors import ArtifactError, ParameterError
from ..eval import complexity, evaluate_codec, rd_point
from ..evalsets import KODAK, EvalSet, extra_sets, load_eval_sets, rd_figure_sets, side_by_side
from ..fileio import atomic_write_text
from ..metrics import bd_rate, rd_cost
from ..models import load_checkpoint, save_checkpoint
from ..params import stage_presets
from ..plots import rd_figure, save_figure
from ..study import Stage, check_noise_seeds, git_commit, input_stage, resolve_params
from ..train import TrainConfig
from . import teacher as teacher_stage

__all__ = ["PRESETS", "run", "stage_handle", "load_student", "zoo_name", "rd_table", "summary_table",
           "ablation_table", "noise_table", "noise_summary", "objective_table", "objective_summary",
           "paired_objective", "paired_objective_curve", "figure_objective", "figure_rd", "figure_ablation", "figure_complexity",
           "sets_table", "figure_sets"]

#: students that inherit the teacher's weights (channels pruned to N by filter L1 norm), by their loss
PRUNED_KINDS = {"kd-pruned": "kd", "rd-pruned": "rd"}
#: every kind of main student (``student-<kind>-n<N>-…``): random init by KD or from scratch, or inherited
STUDENT_KINDS = ("kd", "scratch", *PRUNED_KINDS)

#: preset -> parameters (plus :data:`lic.study.COMMON`), from the typed table :data:`lic.params.STAGE_PARAMS`
PRESETS = stage_presets("02")

_INITS = ("scratch", "zoo", "auto")


def zoo_name(kind: str, N: int, M: int, lmbda: float, seed: int = 0) -> str:
    """Released-weights name of a student, e.g. ``student-kd-n64-m192-l0.0250`` (``-s1``: seed 1)."""
    return f"student-{kind}-n{int(N)}-m{int(M)}-l{lambda_tag(lmbda)}" + (f"-s{int(seed)}" if seed else "")


def _zoo_digest() -> str:
    """Checksum of the released students (changes the key of a zoo-initialised stage)."""
    from ..zoo import available

    rel = sorted((k, v.get("sha256", "")) for k, v in available().items() if k.startswith("student-"))
    return hashlib.sha256(repr(rel).encode()).hexdigest()[:10]


def _inputs(p: dict, key01: str) -> dict[str, str]:
    inputs = {"01": key01}
    if p["init"] in ("zoo", "auto") or p.get("ablation_init") in ("zoo", "auto"):
        inputs["zoo"] = _zoo_digest()
    return inputs


def stage_handle(preset: str = "quick", upstream: dict | None = None) -> Stage:
    """The stage-02 artifact for a preset (+ ``upstream["02"]`` overrides, earlier stages' too)."""
    upstream = upstream or {}
    p = resolve_params("02", preset, **upstream.get("02", {}))
    return Stage("02", p, _inputs(p, teacher_stage.stage_handle(preset, upstream).key))


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
    if not isinstance(p["objective_tail"], (int, float)) or not 0 < p["objective_tail"] <= 1:
        raise ParameterError(f"objective_tail must be a fraction in (0, 1], got {p['objective_tail']!r}")
    if p["ablation_width"] and (not isinstance(p["ablation_width"], int) or p["ablation_width"] < 1):
        raise ParameterError(f"ablation_width must be a positive integer or 0 (no ablation), got {p['ablation_width']!r}")


def _init_model(kind: str, N: int, M: int, lmbda: float, init: str, seed: int = 0):
    """(model or None, label): a released student for ``init`` zoo/auto, None for scratch.

    Ablation students (``abl-*``) with ``init="zoo"`` all start from the released from-scratch
    student of their width and λ, so the four loss configurations fine-tune the same weights."""
    if init == "scratch":
        return None, "scratch"
    from ..zoo import available, load_pretrained

    abl = kind.startswith("abl-")
    name = zoo_name("scratch" if abl else kind, N, M, lmbda, 0 if abl else seed)
    released = available()
    if name in released:
        return load_pretrained(name), f"zoo:{name}"
    if init == "auto":
        return None, "scratch"
    students = sorted(k for k in released if k.startswith("student-"))
    raise ArtifactError(f"no released student {name!r} in weights/ (released: {students or 'none'}); "
                        f"use init='auto' (scratch where missing) or init='scratch'")


def _teacher_rows(t01: Stage, r01: dict, s: EvalSet | None) -> pd.DataFrame:
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


def _teacher_rd(t01: Stage, r01: dict, images, upstream: dict, progress: bool, s: EvalSet | None = None) -> pd.DataFrame:
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
        model = teacher_stage.load_teacher(t01.params["preset"], l, **upstream.get("01", {}))
        rows.append(rd_point(evaluate_codec(model, images, progress=progress, desc=f"teacher λ={l}"
                                            + (f" {s.name}" if s else "")),
                             codec="teacher", lmbda=l))
    return pd.DataFrame(rows)


def _bd(anchor: pd.DataFrame, test: pd.DataFrame) -> float:
    if anchor.empty or test.empty:
        return math.nan
    return bd_rate(anchor.bpp, anchor.psnr, test.bpp, test.psnr)


def run(p: dict, force: bool = False, progress: bool = True, upstream: dict | None = None) -> dict:
    """Run stage 02 with resolved parameters ``p``; reads stage 01 (same preset, ``upstream`` overrides).

    Raises:
        ArtifactError: stage 01 has not been run (names its notebook), or a released student
            is missing with ``init="zoo"``.
    """
    _validate(p)
    upstream = upstream or {}
    t01 = input_stage("01", p["preset"], upstream)
    st = Stage("02", p, _inputs(p, t01.key))
    if st.done and not force:
        return st.results()
    if p.get("threads"):
        torch.set_num_threads(int(p["threads"]))
    t_start = time.monotonic()
    r01 = t01.results()
    teacher_lambdas = sorted(float(k) for k in r01["models"])
    lambdas = [float(l) for l in (p["lambdas"] or teacher_lambdas)]
    missing = [l for l in lambdas if lambda_tag(l) not in r01["models"]]
    if missing:
        raise ParameterError(f"λ {missing} not in the stage-01 teacher set {teacher_lambdas}")
    M, teacher_N = int(t01.params["M"]), int(t01.params["N"])
    weights = normalize_weights(p["weights"])
    sets = load_eval_sets(p.get("eval_sets"), p["kodak_dir"], p["kodak_limit"])
    images, extra = sets[0].images, extra_sets(sets)
    teacher_rd = _teacher_rd(t01, r01, images, upstream, progress)
    teacher_sets = {s.name: _teacher_rd(t01, r01, s.images, upstream, progress, s) for s in extra}
    st.dir.mkdir(parents=True, exist_ok=True)

    teachers: dict[str, torch.nn.Module] = {}
    rd, per_image, models, inits, train_s = [], [], {}, {}, {}
    rd_extra, per_image_extra = [], []  # main-seed students on the sets beside Kodak
    logs: dict[str, list[dict]] = {}  # tag -> training log (step, mse, bpp) of the model's last training phase
    cplx: dict[str, dict] = {}

    samplers: dict = {}  # seed -> CropSampler or StreamingCrops

    def teacher(lmbda: float) -> torch.nn.Module:
        """The stage-01 teacher at ``lmbda``, loaded once."""
        if lambda_tag(lmbda) not in teachers:
            teachers[lambda_tag(lmbda)] = teacher_stage.load_teacher(p["preset"], lmbda, **upstream.get("01", {}))
        return teachers[lambda_tag(lmbda)]

    def student(kind: str, N: int, lmbda: float, seed: int | None = None) -> str:
        """Train (or reuse) and evaluate one student; returns its init label."""
        seed = p["seed"] if seed is None else seed
        sfx = "" if seed == p["seed"] else f"_s{seed}"
        tag = f"{kind}/n{N}/l{lambda_tag(lmbda)}" + sfx.replace("_", "/")
        if tag in models:
            return inits[tag]
        final = st.dir / f"student_{kind}_n{N}_l{lambda_tag(lmbda)}{sfx}.pt"
        if final.exists() and not force:
            model = load_checkpoint(final)
            meta = torch.load(final, map_location="cpu", weights_only=True)
            inits[tag], train_s[tag] = meta.get("init", "cached"), meta.get("train_seconds", math.nan)
            ckpt = st.dir / f"train_{kind}_n{N}_l{lambda_tag(lmbda)}{sfx}.pt"
            local = torch.load(ckpt, map_location="cpu", weights_only=False)["history"] if ckpt.exists() else []
            logs[tag] = local or _released_log(inits[tag])
        else:
            abl = kind.startswith("abl-")
            init_model, inits[tag] = _init_model(kind, N, M, lmbda, p["ablation_init"] if abl else p["init"], seed)
            if kind in PRUNED_KINDS and init_model is None:  # the teacher's own weights, channels pruned to N
                from ..prune import prune_to_width

                init_model, inits[tag] = prune_to_width(teacher(lmbda), N).train(), f"pruned teacher λ={lmbda}"
            if seed not in samplers:
                samplers[seed] = teacher_stage.training_sampler({**p, "seed": seed})  # streamed from disk when p["workers"] is set
            sampler = samplers[seed]
            steps = p["ablation_steps"] if abl else p["steps"]
            cfg = TrainConfig(lmbda=lmbda, steps=steps, batch_size=p["batch_size"], crop=p["crop"], lr=p["lr"],
                              seed=seed, ckpt_every=max(1, min(200, steps)), precision=p.get("precision", "fp32"))
            ckpt = st.dir / f"train_{kind}_n{N}_l{lambda_tag(lmbda)}{sfx}.pt"
            if force and ckpt.exists():
                ckpt.unlink()
            if kind == "scratch" or PRUNED_KINDS.get(kind) == "rd":
                model, info = train_scratch(N, M, cfg, sampler, ckpt, init=init_model, progress=progress,
                                            desc=f"{kind} N={N} λ={lmbda}")
            else:
                keep = ABLATIONS[kind.removeprefix("abl-")] if kind.startswith("abl-") else tuple(weights)
                w = {k: (v if k in keep else 0.0) for k, v in weights.items()}
                model, info = distill_student(teacher(lmbda), N, cfg, sampler, ckpt, weights=w,
                                              latents=p["latents"], init=init_model, progress=progress,
                                              desc=f"{kind} N={N} λ={lmbda}")
            train_s[tag] = info["seconds"]
            logs[tag] = info["history"] or _released_log(inits[tag])
            save_checkpoint(final, model, lmbda=lmbda, kind=kind, init=inits[tag], steps=steps,
                            train_seconds=info["seconds"])
        res = evaluate_codec(model, images, progress=progress, desc=f"Kodak {tag}")
        rd.append(rd_point(res, codec=kind, N=N, lmbda=lmbda, seed=seed, init=inits[tag]))
        per_image.append(res["per_image"].assign(codec=kind, N=N, lmbda=lmbda, seed=seed))
        for s in extra if seed == p["seed"] and not kind.startswith("abl-") else ():
            res = evaluate_codec(model, s.images, progress=progress, desc=f"{s.name} {tag}")
            rd_extra.append(rd_point(res, set=s.name, codec=kind, N=N, lmbda=lmbda, seed=seed, init=inits[tag]))
            per_image_extra.append(res["per_image"].assign(set=s.name, codec=kind, N=N, lmbda=lmbda, seed=seed))
        models[tag] = final.name
        if str(N) not in cplx:
            cplx[str(N)] = {"720p": complexity(model, (720, 1280)), "kodak": complexity(model, (512, 768))}
        return inits[tag]

    sb = p["scratch_baseline"]
    baseline_widths = [N for N in p["widths"] if sb is True or (isinstance(sb, (list, tuple)) and N in sb)]
    for N in p["widths"]:
        for lmbda in lambdas:
            student("kd", N, lmbda)
            if N in baseline_widths:
                student("scratch", N, lmbda)
    for N in p["pruned_widths"]:
        for lmbda in lambdas:
            for kind in PRUNED_KINDS:
                student(kind, N, lmbda)
    for s in p["noise_seeds"]:
        for N in baseline_widths:
            for lmbda in lambdas:
                student("kd", N, lmbda, s)
                student("scratch", N, lmbda, s)
    ablation_kinds = {}
    if p["ablation_width"]:
        A = int(p["ablation_width"])
        for cfg_name in ABLATIONS:
            kind = f"abl-{cfg_name}"
            if (cfg_name == "all" and A in p["widths"] and p["ablation_init"] == "scratch"
                    and p["ablation_steps"] == p["steps"]
                    and all(inits[f"kd/n{A}/l{lambda_tag(l)}"] == "scratch" for l in lambdas)):
                kind = "kd"  # the main KD student is this configuration already
            ablation_kinds[cfg_name] = kind
            for lmbda in lambdas:
                student(kind, A, lmbda)

    rd_df = pd.DataFrame(rd)
    per_image_df = pd.concat(per_image, ignore_index=True)
    atomic_write_text(st.dir / "per_image.csv", per_image_df.to_csv(index=False))
    atomic_write_text(st.dir / "rd.csv", rd_df.to_csv(index=False))
    extra_rd = pd.DataFrame(rd_extra)
    if per_image_extra:
        atomic_write_text(st.dir / "per_image_sets.csv",
                          pd.concat(per_image_extra, ignore_index=True).to_csv(index=False))

    def curve(kind, N, seed=p["seed"]):
        return rd_df[(rd_df.codec == kind) & (rd_df.N == N) & (rd_df.seed == seed)]

    t_cplx = {"720p": r01["complexity_720p"], "kodak": r01["complexity_kodak"]}
    summary = []
    for N in p["widths"]:
        kd, sc = curve("kd", N), curve("scratch", N)
        origin = lambda c: {lambda_tag(l): i.split(":")[0] for l, i in zip(c.lmbda, c.init)}  # noqa: E731
        summary.append({
            "N": N, "M": M,
            "params": cplx[str(N)]["720p"]["params"],
            "params_vs_teacher": cplx[str(N)]["720p"]["params"] / t_cplx["720p"]["params"],
            "gflops_720p": cplx[str(N)]["720p"]["gflops"],
            "gflops_kodak": cplx[str(N)]["kodak"]["gflops"],
            "gflops_vs_teacher": cplx[str(N)]["720p"]["gflops"] / t_cplx["720p"]["gflops"],
            "bd_rate_kd_vs_teacher": _bd(teacher_rd, kd),
            "bd_rate_scratch_vs_teacher": _bd(teacher_rd, sc),
            "bd_rate_kd_vs_scratch": _bd(sc, kd),
            "init_kd": ",".join(sorted(set(kd.init))), "init_scratch": ",".join(sorted(set(sc.init))),
            # KD vs scratch is a fair comparison only when both started alike (zoo or scratch) at every λ
            "same_init": not sc.empty and origin(kd) == origin(sc),
            # weight inheritance (pruned teacher), by KD and by the RD loss alone: NaN where not run
            "bd_rate_kd_pruned_vs_teacher": _bd(teacher_rd, curve("kd-pruned", N)),
            "bd_rate_rd_pruned_vs_teacher": _bd(teacher_rd, curve("rd-pruned", N)),
            "bd_rate_kd_pruned_vs_rd_pruned": _bd(curve("rd-pruned", N), curve("kd-pruned", N)),
        })
    summary_df = pd.DataFrame(summary)
    atomic_write_text(st.dir / "summary.csv", summary_df.to_csv(index=False))
    ablation = []
    if ablation_kinds:
        A = int(p["ablation_width"])
        ref = curve(ablation_kinds["all"], A)
        for cfg_name, kind in ablation_kinds.items():
            c = curve(kind, A)
            ablation.append({"config": cfg_name, "kind": kind, "N": A,
                             "terms": "+".join(ABLATIONS[cfg_name]),
                             "bpp": float(c.bpp.mean()), "psnr": float(c.psnr.mean()),
                             "bd_rate_vs_teacher": _bd(teacher_rd, c),
                             "bd_rate_vs_all": _bd(ref, c) if cfg_name != "all" else 0.0})
    ablation_df = pd.DataFrame(ablation)
    atomic_write_text(st.dir / "ablation.csv", ablation_df.to_csv(index=False))
    noise = []
    for N in baseline_widths if p["noise_seeds"] else []:
        for s in [p["seed"], *p["noise_seeds"]]:
            noise.append({"N": N, "comparison": "kd vs scratch", "seed": str(s),
                          "bd_rate": _bd(curve("scratch", N, s), curve("kd", N, s))})
        for kind in ("kd", "scratch"):
            for s in p["noise_seeds"]:
                noise.append({"N": N, "comparison": f"{kind}: seed {s} vs seed {p['seed']}",
                              "seed": f"{s} vs {p['seed']}", "bd_rate": _bd(curve(kind, N), curve(kind, N, s))})
    noise_df = pd.DataFrame(noise, columns=["N", "comparison", "seed", "bd_rate"])
    objective, objective_curves = [], []
    for N in baseline_widths:
        for lmbda in lambdas:
            for s in [p["seed"], *p["noise_seeds"]]:
                sfx = "" if s == p["seed"] else f"/s{s}"
                kd_log, sc_log = (logs.get(f"{k}/n{N}/l{lambda_tag(lmbda)}{sfx}", []) for k in ("kd", "scratch"))
                objective.append({"N": N, "lmbda": lmbda, "seed": s,
                                  **paired_objective(kd_log, sc_log, lmbda, p["objective_tail"]),
                                  "kodak_kd_vs_scratch_pct": _kodak_cost_change(per_image_df, N, lmbda, s)})
                objective_curves.append({"N": N, "lmbda": lmbda, "seed": s,
                                         "curve": paired_objective_curve(kd_log, sc_log, lmbda)})
    objective_df = pd.DataFrame(objective, columns=OBJECTIVE_COLUMNS)
    atomic_write_text(st.dir / "objective.csv", objective_df.to_csv(index=False))
    atomic_write_text(st.dir / "noise.csv", noise_df.to_csv(index=False))

    results = {
        "figures": {},
        "widths": list(p["widths"]), "lambdas": lambdas, "M": M, "teacher_N": teacher_N,
        "weights": weights, "latents": list(p["latents"]), "pruned_widths": list(p["pruned_widths"]),
        "rd": rd_df.to_dict("records"),
        "teacher_rd": teacher_rd[["codec", "lmbda", "bpp", "psnr", "ms_ssim"]].to_dict("records"),
        "summary": summary_df.to_dict("records"),
        "ablation": ablation_df.to_dict("records"),
        "noise": noise_df.to_dict("records"), "noise_summary": noise_summary(noise_df),
        "objective": objective_df.to_dict("records"), "objective_summary": objective_summary(objective_df),
        "objective_curves": objective_curves, "objective_tail": float(p["objective_tail"]),
        "ablation_width": int(p["ablation_width"] or 0),
        "models": models, "init": inits, "train_seconds": train_s,
        "complexity": cplx, "teacher_complexity": t_cplx,
        "bd_note": ("BD-rate needs at least 2 λ points per curve: with one λ every BD-rate is NaN"
                    if len(lambdas) < 2 else
                    "BD-rate (PSNR, pchip): negative = fewer bits than the anchor; NaN = curves do not overlap"),
        "kodak_images": len(images),
        "eval_sets": [s.info() for s in sets],
        "rd_sets": _rd_sets(rd_extra, teacher_sets),
        "sets_bd": _sets_bd({KODAK: (teacher_rd, rd_df[rd_df.seed == p["seed"]]),
                             **{n: (t, extra_rd[extra_rd.set == n]) for n, t in teacher_sets.items()}},
                            sorted({*p["widths"], *p["pruned_widths"]})),
        "commit": git_commit(),
        "wall_s": time.monotonic() - t_start,
    }
    caption = (f"preset={p['preset']} widths={p['widths']} M={M} steps={p['steps']} init={p['init']} "
               f"w={weights} latents={p['latents']} Kodak n={len(images)} commit={results['commit']}")
    results["figures"]["rd"] = save_figure(figure_rd(results, caption), st.dir, "rd_students")
    results["figures"]["complexity"] = save_figure(figure_complexity(results, caption), st.dir, "complexity_bd")
    if extra:
        cap_sets = caption + " | " + " ".join(f"{s.name} n={len(s.images)}" for s in extra)
        results["figures"]["rd_sets"] = save_figure(figure_sets(results, cap_sets), st.dir, "rd_students_sets")
    if any(c["curve"] for c in objective_curves):
        results["figures"]["objective"] = save_figure(figure_objective(results, caption), st.dir, "objective_kd")
    if ablation:
        results["figures"]["ablation"] = save_figure(figure_ablation(results, caption), st.dir, "rd_ablation")
    plt.close("all")
    return st.finish(results)


#: the BD-rates of stage 02's summary that :func:`sets_table` repeats on every set
SET_COMPARISONS = {"kd vs teacher": ("teacher", "kd"), "scratch vs teacher": ("teacher", "scratch"),
                   "kd-pruned vs teacher": ("teacher", "kd-pruned"), "rd-pruned vs teacher": ("teacher", "rd-pruned"),
                   "kd vs scratch": ("scratch", "kd")}


def _rd_sets(rd_extra: list[dict], teacher_sets: dict[str, pd.DataFrame]) -> list[dict]:
    """RD points on the sets beside Kodak: the teacher's and every main-seed student's, column ``set``."""
    t = [df[["lmbda", "bpp", "psnr", "ms_ssim"]].assign(set=name, codec="teacher") for name, df in teacher_sets.items()]
    df = pd.concat([*t, pd.DataFrame(rd_extra)], ignore_index=True)
    return df.to_dict("records") if not df.empty else []


def _sets_bd(by_set: dict[str, tuple[pd.DataFrame, pd.DataFrame]], widths) -> list[dict]:
    """Long rows ``set, N, comparison, bd_rate`` (PSNR) of :data:`SET_COMPARISONS` for every width
    and set where both curves were measured; ``by_set``: name -> (teacher RD, main-seed students' RD)."""
    out = []
    for name, (teacher, rd) in by_set.items():
        for N in widths:
            cur = lambda k: rd[(rd.N == N) & (rd.codec == k)] if not rd.empty else rd  # noqa: E731
            for comp, (a, b) in SET_COMPARISONS.items():
                anchor = teacher if a == "teacher" else cur(a)
                if not cur(b).empty and not anchor.empty:
                    out.append({"set": name, "N": N, "comparison": comp, "bd_rate": _bd(anchor, cur(b))})
    return out


def sets_table(results: dict) -> pd.DataFrame:
    """BD-rate (PSNR) of every student kind vs the teacher (and KD vs scratch) per width, one column
    per evaluation set (Kodak first; n/a where the curves do not overlap)."""
    rows = results.get("sets_bd") or []
    order = [s["name"] for s in results.get("eval_sets", [])] or [KODAK]
    return side_by_side(rows, ["N", "comparison"], "bd_rate", order)


def figure_sets(results: dict, caption: str = ""):
    """RD curves of the teacher and the main-seed students, a row of panels per evaluation set."""
    rd = pd.DataFrame(results.get("rd_sets") or [])
    kinds = [(k, N) for N in sorted({*results["widths"], *results.get("pruned_widths", [])}) for k in STUDENT_KINDS]
    per_set = {KODAK: _curves(results, kinds)}  # the same labels in the same order (colours) on every set
    for s in results.get("eval_sets", [])[1:]:
        d = rd[rd.set == s["name"]] if not rd.empty else rd
        curves = {f"teacher N={results['teacher_N']}": d[d.codec == "teacher"]}
        for kind, N in kinds:
            c = d[(d.codec == kind) & (d.N == N)]
            if not c.empty:
                curves[f"{kind} N={N}"] = c
        per_set[s["name"]] = curves
    return rd_figure_sets(per_set, title="Teacher vs students on every evaluation set (real bitstreams)",
                          caption=caption)


def load_student(preset: str, N: int, lmbda: float, upstream: dict | None = None, kind: str = "kd") -> torch.nn.Module:
    """A stage-02 student (``kind`` ``kd`` or ``scratch``) of width ``N`` at ``lmbda``.

    Raises:
        ArtifactError: stage 02 has not been run for this preset, or has no such student.
    """
    st = stage_handle(preset, upstream)
    res = st.results()
    tag = f"{kind}/n{int(N)}/l{lambda_tag(lmbda)}"
    name = res["models"].get(tag)
    if name is None:
        raise ArtifactError(f"stage 02 ({preset}) has no student {tag}; it has {sorted(res['models'])}")
    return load_checkpoint(st.dir / name)


def rd_table(results: dict) -> pd.DataFrame:
    """Teacher and student RD points (mean over the Kodak images), one row per (codec, N, λ)."""
    t = pd.DataFrame(results["teacher_rd"]).assign(N=results["teacher_N"], init="stage 01")
    s = pd.DataFrame(results["rd"])
    t["seed"] = s.seed.iloc[0] if "seed" in s and len(s) else None
    return pd.concat([t, s], ignore_index=True)[["codec", "N", "lmbda", "seed", "init", "bpp", "psnr", "ms_ssim"]]


def summary_table(results: dict) -> pd.DataFrame:
    """Per width: params, GFLOPs (720p, Kodak), BD-rates vs teacher and vs scratch, inits."""
    cols = ["N", "M", "params", "params_vs_teacher", "gflops_720p", "gflops_kodak", "gflops_vs_teacher",
            "bd_rate_kd_vs_teacher", "bd_rate_scratch_vs_teacher", "bd_rate_kd_vs_scratch", "init_kd", "init_scratch",
            "same_init", "bd_rate_kd_pruned_vs_teacher", "bd_rate_rd_pruned_vs_teacher", "bd_rate_kd_pruned_vs_rd_pruned"]
    return pd.DataFrame(results["summary"]).reindex(columns=cols).set_index("N")


def noise_summary(noise: pd.DataFrame) -> list[dict]:
    """Per width: the mean KD-vs-scratch BD-rate over the seeds against two kinds of noise.

    ``paired_spread``: max - min of the per-seed KD-vs-scratch values (each pair shares init and
    batches, so this is the noise of the paired comparison); ``seed_noise``: the largest |BD-rate|
    between two seeds of the same kind (what a new seed alone does to one model). ``noise`` is the
    larger; the effect counts as resolved when |mean| exceeds it and every seed agrees in sign.
    NaN BD-rates (curves without overlap) resolve nothing.

    Also reported, not part of ``resolved``: ``ci95``, the half-width of the Student-t 95% confidence
    interval of the mean paired difference (sd/√n · t₀.₉₇₅,ₙ₋₁), which shrinks as seeds are added."""
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
            t = _t_summary(kd)
            row["sd"], row["ci95"] = t["sd"], t["ci95"]
            row["resolved"] = bool(abs(row["kd_vs_scratch_mean"]) > row["noise"] and (kd.gt(0).all() or kd.lt(0).all()))
        out.append(row)
    return out


OBJECTIVE_COLUMNS = ["N", "lmbda", "seed", "steps", "tail_steps", "kd_cost", "scratch_cost", "kd_vs_scratch_pct",
                     "kodak_kd_vs_scratch_pct"]


def _kodak_cost_change(per_image: pd.DataFrame, N: int, lmbda: float, seed: int) -> float:
    """KD vs scratch (%) in the same RD cost on the Kodak images, real bitstreams (mean bpp and mean
    MSE over the images): the held-out counterpart of :func:`paired_objective`."""
    cost = {}
    for kind in ("kd", "scratch"):
        g = per_image[(per_image.codec == kind) & (per_image.N == N) & (per_image.lmbda == lmbda)
                      & (per_image.seed == seed)]
        if g.empty:
            return math.nan
        cost[kind] = rd_cost(float((10 ** (-g.psnr / 10)).mean()), float(g.bpp.mean()), lmbda)
    return 100 * (cost["kd"] / cost["scratch"] - 1)


def _released_log(init_label: str) -> list[dict]:
    """Training log of a released model's own (last) phase from the manifest curve, steps from 0;
    empty for anything not from the zoo."""
    if not init_label.startswith("zoo:"):
        return []
    from ..zoo import available

    entry = available().get(init_label.removeprefix("zoo:"), {})
    if not entry.get("curve") or not entry.get("phases"):
        return []
    start = entry["total_steps"] - entry["phases"][-1]["steps"]
    return [{**r, "step": r["step"] - start} for r in entry["curve"] if r["step"] > start]


def paired_objective(kd_log: list[dict], scratch_log: list[dict], lmbda: float, tail: float) -> dict:
    """KD vs from-scratch student on the objective both share, the RD cost λ·255²·MSE + bpp, read
    from their training logs over the last ``tail`` fraction of the run.

    The two runs of one seed see identical batches in the same order, so the batch-to-batch noise
    cancels in the pair; each logged value was computed before the step that trains on its batch,
    but the crops come from the training photos, which recur (the reference students draw each
    pixel of the 49 photos about 15 times in 6,000 steps): an in-sample fit, not a held-out score.
    The tail default (0.15) is the phase after the lr drop, where the models change least.
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
    (for the figure: the final-phase number is one end of a curve, not a chosen window)."""
    if not kd_log or not scratch_log:
        return []
    last = min(kd_log[-1]["step"], scratch_log[-1]["step"])
    out, edges = [], [round(last * i / windows) for i in range(windows + 1)]
    for a, b in zip(edges[:-1], edges[1:]):
        kd = [rd_cost(r["mse"], r["bpp"], lmbda) for r in kd_log if a < r["step"] <= b]
        sc = [rd_cost(r["mse"], r["bpp"], lmbda) for r in scratch_log if a < r["step"] <= b]
        if kd and sc:
            out.append({"step": b, "pct": 100 * (sum(kd) / len(kd)) / (sum(sc) / len(sc)) - 100})
    return out


def figure_objective(results: dict, caption: str = ""):
    """Per seed and λ: KD vs from-scratch training objective (%) over the run; shaded: the final
    phase summarised by :func:`objective_summary`."""
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


def _t_summary(d: pd.Series) -> dict:
    """Mean, sd, Student-t 95% CI half-width, two-sided p (H0: mean 0) and ``resolved`` (CI excludes
    0 and all values agree in sign) of paired differences ``d``; NaN unless ≥ 2 finite values."""
    from scipy import stats

    row = {"mean_pct": math.nan, "sd": math.nan, "ci95": math.nan, "p": math.nan, "resolved": False}
    if len(d) >= 2 and not d.isna().any():
        sd = float(d.std(ddof=1))
        ci = float(stats.t.ppf(0.975, len(d) - 1) * sd / math.sqrt(len(d)))
        pval = float(stats.ttest_1samp(d, 0.0).pvalue) if sd > 0 else (0.0 if d.iloc[0] else 1.0)
        row.update(mean_pct=float(d.mean()), sd=sd, ci95=ci, p=pval,
                   resolved=bool(abs(d.mean()) > ci and (d.gt(0).all() or d.lt(0).all())))
    return row


def objective_summary(objective: pd.DataFrame) -> list[dict]:
    """Per (N, λ): mean paired KD-vs-scratch change of the training objective over the seeds, its
    Student-t 95% CI and two-sided p-value; ``resolved`` when the CI excludes 0 and every seed
    agrees in sign (at least two seeds). ``kodak_*``: the same rule applied to the Kodak RD cost."""
    out = []
    for (N, lmbda), g in objective.groupby(["N", "lmbda"]):
        d = g.kd_vs_scratch_pct.astype(float)
        row = {"N": int(N), "lmbda": float(lmbda), "seeds": len(d)}
        row.update(_t_summary(d))
        if "kodak_kd_vs_scratch_pct" in g:
            row.update({f"kodak_{k}": v for k, v in _t_summary(g.kodak_kd_vs_scratch_pct.astype(float)).items()})
        out.append(row)
    return out


def objective_table(results: dict) -> pd.DataFrame:
    """Per seed: KD vs from-scratch training objective (RD cost) over the runs' final phase."""
    return pd.DataFrame(results.get("objective", []), columns=OBJECTIVE_COLUMNS)


def noise_table(results: dict) -> pd.DataFrame:
    """Run-to-run noise: KD-vs-scratch BD-rate per seed, seed-to-seed BD-rate per kind."""
    return pd.DataFrame(results.get("noise", []), columns=["N", "comparison", "seed", "bd_rate"])


def ablation_table(results: dict) -> pd.DataFrame:
    """Loss-term ablation at ``ablation_width``: mean bpp/PSNR and BD-rates."""
    cols = ["config", "terms", "kind", "N", "bpp", "psnr", "bd_rate_vs_teacher", "bd_rate_vs_all"]
    return pd.DataFrame(results["ablation"], columns=cols)


def _curves(results: dict, kinds) -> dict[str, pd.DataFrame]:
    rd = pd.DataFrame(results["rd"])
    if "seed" in rd:  # the main seed's curves; the other seeds are summarised by noise_table
        rd = rd[rd.seed == rd.seed.iloc[0]]
    curves = {f"teacher N={results['teacher_N']}": pd.DataFrame(results["teacher_rd"])}
    for kind, N in kinds:
        c = rd[(rd.codec == kind) & (rd.N == N)]
        if not c.empty:
            curves[f"{kind} N={N}"] = c
    return curves


def figure_rd(results: dict, caption: str = ""):
    """RD curves (PSNR, MS-SSIM): teacher vs KD and from-scratch students of every width."""
    pruned = results.get("pruned_widths", [])
    kinds = [(k, N) for N in results["widths"] for k in ("kd", "scratch", *(PRUNED_KINDS if N in pruned else ()))]
    return rd_figure(_curves(results, kinds), title="Kodak: teacher vs students (real bitstreams)", caption=caption)


def figure_ablation(results: dict, caption: str = ""):
    """RD curves of the loss-term ablation at ``ablation_width``."""
    kinds = [(a["kind"], a["N"]) for a in results["ablation"]]
    return rd_figure(_curves(results, kinds), title=f"Loss-term ablation, N={results['ablation_width']}",
                     caption=caption)


def figure_complexity(results: dict, caption: str = ""):
    """BD-rate vs teacher against GFLOPs per 720p frame, one line per student kind (random-init KD and
    from-scratch at every width, KD and RD-only from the pruned teacher at ``pruned_widths``)."""
    from ..plots import student_complexity_figure

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
