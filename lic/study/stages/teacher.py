"""Stage 01: teacher baseline — train (or fine-tune from the zoo) per λ, evaluate with real
bitstreams on Kodak and every set of ``eval_sets`` (:mod:`lic.data.evalsets`), compare with JPEG and WebP.

Artifacts in ``artifacts/01_teacher/<key>/``: ``teacher_l<λ>.pt`` (checkpoints),
``train_l<λ>.pt`` (resumable training state), ``per_image.csv``, ``baselines.csv`` (Kodak),
``per_image_sets.csv``, ``baselines_sets.csv`` (the sets beside Kodak, column ``set``),
``rd_teacher.png/.svg`` (a row of panels per set), ``results.json``.
"""

from __future__ import annotations

import functools
import time

import matplotlib.pyplot as plt
import pandas as pd
import torch

from lic.codec.intprior import set_entropy
from lic.codec.models import build_model, load_checkpoint, save_checkpoint
from lic.data.evalsets import KODAK, extra_sets, load_eval_sets, set_label, side_by_side
from lic.data.images import CropSampler
from lic.errors import ArtifactError, ParameterError
from lic.eval.anchors import bd_vs_anchors
from lic.eval.measured import evaluate
from lic.eval.metrics import bd_rate, quality_at_rate
from lic.eval.rd import baselines, complexity, evaluate_codec, rd_point
from lic.fileio import atomic_write_text
from lic.provenance import git_commit
from lic.study.params import stage_presets
from lic.study.plots import finish_layout, published_anchors, rd_figure, rd_figure_sets, save_figure
from lic.study.artifacts import StageArtifact, input_keys, prepare
from lic.study.config import TeacherConfig
from lic.train.loop import default_device, seed_everything, train, train_config
from lic.train.specs import lambda_tag

__all__ = ["PRESETS", "reads", "key_inputs", "run", "load_model", "training_sampler", "rd_table", "matching_bpp", "figure",
           "figure_training", "bd_sets_table", "anchors_table"]

#: preset -> parameters (plus :data:`lic.study.runner.COMMON`), from the typed table :data:`lic.study.params.STAGE_PARAMS`
PRESETS = stage_presets("01")


def reads(cfg: TeacherConfig) -> tuple[str, ...]:
    """Stage 01 reads no earlier stage (its data and, with ``init="zoo"``, the released weights)."""
    return ()


def key_inputs(cfg: TeacherConfig, inputs: dict[str, StageArtifact]) -> dict:
    """What the key covers besides the parameters: nothing (the zoo's checksums enter by ``init``)."""
    return input_keys(inputs)


def _init_model(p: TeacherConfig, lmbda: float) -> tuple[torch.nn.Module, str]:
    seed_everything(p.seed)
    if p.init == "scratch":
        return build_model(N=p.N, M=p.M), "scratch"
    if p.init == "compressai":  # the paper's teacher: CompressAI's pretrained model at this λ
        from lic.codec.pretrained import compressai_quality, load_compressai

        model = load_compressai(lmbda)
        if (int(model.N), int(model.M)) != (p.N, p.M):
            raise ParameterError(f"CompressAI's quality {compressai_quality(lmbda)} (λ={lmbda}) has N={model.N}, "
                                 f"M={model.M}, stage 01 has N={p.N}, M={p.M}: set both or drop that λ")
        return model, f"compressai:bmshj2018-hyperprior-q{compressai_quality(lmbda)}"
    if p.init != "zoo":
        return load_checkpoint(p.init), str(p.init)  # a checkpoint path
    from lic.codec.zoo import available, load_pretrained, released_variant

    cands = {k: v for k, v in available().items()
             if v["config"]["N"] == p.N and v["config"]["M"] == p.M and k.startswith("teacher") and "int_prior" not in v}
    if not cands:
        raise ArtifactError(f"no released teacher with N={p.N}, M={p.M} in weights/: use init='scratch'")
    name = min(cands, key=lambda k: abs(cands[k]["lmbda"] - lmbda))
    return load_pretrained(released_variant(name, p.entropy)), f"zoo:{name}"


@functools.lru_cache(maxsize=4)
def calibration_crops(train_dir: str | None, crop: int, n: int = 8) -> torch.Tensor:
    """Calibration images of an integer prior made in a run: ``n`` crops of the first ``n`` training photos."""
    return CropSampler(train_dir, crop=crop, seed=0, max_images=n).batch(0, n)


def training_sampler(p: TeacherConfig):
    """Training crops: streamed from disk by ``p.workers`` DataLoader workers (paper preset: a folder of
    any size), else the in-memory :class:`~lic.data.images.CropSampler` (smoke/quick: a small folder)."""
    if p.workers is None:
        return CropSampler(p.train_dir, crop=p.crop, seed=p.seed)
    from lic.data.streaming import StreamingCrops

    return StreamingCrops(p.train_dir, crop=p.crop, seed=p.seed, workers=int(p.workers))


def _teachers(p: TeacherConfig, st: StageArtifact, sets: list, force: bool, progress: bool) -> dict:
    """Load, train (``steps`` > 0) and code every λ's teacher on every set: the stage's raw rows.

    Released teachers reuse their recorded Kodak rows where a live spot check reproduces them
    (:func:`lic.eval.measured.evaluate`); ``coding`` says per λ what was coded and what reused.
    """
    images, extra = sets[0].images, extra_sets(sets)
    out = {"rd": [], "per_image": [], "models": {}, "init": {}, "coding": {}, "rd_extra": [], "per_image_extra": []}
    sampler = None
    for lmbda in p.lambdas:
        tag = lambda_tag(lmbda)
        final = st.dir / f"teacher_l{tag}.pt"
        if final.exists() and not force:
            model, out["init"][tag] = load_checkpoint(final), "cached"
        else:
            model, out["init"][tag] = _init_model(p, lmbda)
            if p.steps > 0:
                sampler = sampler or training_sampler(p)
                train(model.to(default_device()), train_config(p, lmbda=lmbda), sampler,
                      st.dir / f"train_l{tag}.pt", progress=progress, desc=f"teacher λ={lmbda}")
            set_entropy(model, p.entropy, lambda: calibration_crops(p.train_dir, p.crop), rebuild=p.steps > 0)
            save_checkpoint(final, model, lmbda=lmbda, init=out["init"][tag])
        origin = out["init"][tag] if p.steps == 0 else None
        res = evaluate(model, images, origin, progress=progress, desc=f"Kodak λ={lmbda}")
        out["coding"][tag] = res["coding"]
        out["rd"].append(rd_point(res, codec="teacher", lmbda=lmbda))
        out["per_image"].append(res["per_image"].assign(codec="teacher", lmbda=lmbda))
        for s in extra:
            res = evaluate_codec(model, s.images, progress=progress, desc=f"{s.name} λ={lmbda}")
            out["rd_extra"].append(rd_point(res, set=s.name, codec="teacher", lmbda=lmbda))
            out["per_image_extra"].append(res["per_image"].assign(set=s.name, codec="teacher", lmbda=lmbda))
        out["models"][tag] = final.name
    out["model"] = model
    return out


def _matching_bpp(rd_df: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """The teacher's points next to JPEG's and WebP's PSNR / MS-SSIM interpolated at the same bpp."""
    match = rd_df[["lmbda", "bpp", "psnr", "ms_ssim"]].copy()
    for codec in ("jpeg", "webp"):
        b = base[base.codec == codec]
        match[f"{codec}_psnr"] = quality_at_rate(b.bpp, b.psnr, match.bpp)
        match[f"psnr_minus_{codec}_db"] = match.psnr - match[f"{codec}_psnr"]
        match[f"{codec}_ms_ssim"] = quality_at_rate(b.bpp, b.ms_ssim, match.bpp)
    return match


def run(cfg: TeacherConfig, inputs: dict[str, StageArtifact] | None = None, *, out: StageArtifact | None = None,
        force: bool = False, progress: bool = True) -> dict:
    """Run stage 01 with its config (see :data:`lic.study.params.STAGE_PARAMS`; a resolved dict is converted).

    Args:
        cfg: the stage's :class:`~lic.study.config.TeacherConfig`.
        inputs: the artifacts it reads (none).
        out: its artifact as the plan made it (default: made here from ``cfg``).
    """
    p, _, st = prepare("01", cfg, inputs, out)
    if not p.lambdas:
        raise ParameterError("lambdas must list at least one λ")
    if st.done and not force:
        return st.results()
    if p.threads:
        torch.set_num_threads(int(p.threads))
    t_start = time.monotonic()
    sets = load_eval_sets(p.eval_sets, p.kodak_dir, p.kodak_limit)
    images, extra = sets[0].images, extra_sets(sets)
    st.dir.mkdir(parents=True, exist_ok=True)
    t = _teachers(p, st, sets, force, progress)
    base = baselines(images, p.jpeg_qualities)
    base_extra = [baselines(s.images, p.jpeg_qualities).assign(set=s.name) for s in extra]
    if extra:
        atomic_write_text(st.dir / "per_image_sets.csv",
                          pd.concat(t["per_image_extra"], ignore_index=True).to_csv(index=False))
        atomic_write_text(st.dir / "baselines_sets.csv", pd.concat(base_extra, ignore_index=True).to_csv(index=False))
    per_image_df = pd.concat(t["per_image"], ignore_index=True)
    atomic_write_text(st.dir / "per_image.csv", per_image_df.to_csv(index=False))
    atomic_write_text(st.dir / "baselines.csv", base.to_csv(index=False))
    rd_df = pd.DataFrame(t["rd"])
    bd = _bd_baselines(rd_df, base)
    model = t["model"]
    results = {
        "figures": {},
        "rd": t["rd"],
        "baselines": base.to_dict("records"),
        "models": t["models"],
        "init": t["init"],
        "complexity_720p": complexity(model, (720, 1280)),
        "complexity_kodak": complexity(model, (512, 768)),
        # over the images this run coded (rows reused from weights/kodak_measured.json have no timing)
        "timing_s_per_image": {"encode": float(per_image_df.enc_s.mean()), "decode": float(per_image_df.dec_s.mean())},
        "coding": t["coding"],
        "entropy": p.entropy,
        **bd,
        "matching_bpp": _matching_bpp(rd_df, base).to_dict("records"),
        # how far the released teachers trained (weights/manifest.json): curve over the whole init chain
        "zoo_training": _zoo_training(t["init"]),
        "kodak_images": len(images),
        # CompressAI's published Kodak-24 points (data/anchors): our teacher on its images against each
        "bd_vs_anchors": bd_vs_anchors(rd_df, len(images)),
        "device": str(default_device()),  # what this stage ran (and trained, steps > 0) on
        # every evaluation set (Kodak first): RD points and BD-rates vs JPEG / WebP on each
        "eval_sets": [s.info() for s in sets],
        "rd_sets": _rd_sets(t["rd"], base, t["rd_extra"], base_extra),
        "bd_sets": [{"set": KODAK, **bd}] + [{"set": s.name, **_bd_baselines(pd.DataFrame([r for r in t["rd_extra"]
                                              if r["set"] == s.name]), b)} for s, b in zip(extra, base_extra)],
        "commit": git_commit(),
        "wall_s": time.monotonic() - t_start,
    }
    fig = figure(results, caption=f"preset={p.preset} N={p.N} M={p.M} steps={p.steps} init={p.init} "
                 + " ".join(set_label(s.name, len(s.images)) for s in sets) + f" commit={results['commit']}")
    results["figures"]["rd"] = save_figure(fig, st.dir, "rd_teacher")
    if results["zoo_training"]:
        results["figures"]["training"] = save_figure(figure_training(results, caption=f"commit {results['commit']}"),
                                                     st.dir, "training_curve")
    return st.finish(results)


def _bd_baselines(rd: pd.DataFrame, base: pd.DataFrame) -> dict:
    """BD-rate (PSNR) of the teacher's RD points vs JPEG and WebP measured on the same images."""
    return {f"bd_rate_vs_{c}": bd_rate(base[base.codec == c].bpp, base[base.codec == c].psnr, rd.bpp, rd.psnr)
            for c in ("jpeg", "webp")}


def _rd_sets(rd: list, base: pd.DataFrame, rd_extra: list, base_extra: list) -> list[dict]:
    """Teacher and baseline points of every set as rows ``set, codec, setting, bpp, psnr, ms_ssim``."""
    frames = [pd.DataFrame(rd).assign(set=KODAK), base.assign(set=KODAK), pd.DataFrame(rd_extra), *base_extra]
    df = pd.concat([f.rename(columns={"lmbda": "setting", "quality": "setting"}) for f in frames if not f.empty],
                   ignore_index=True)
    return df[["set", "codec", "setting", "bpp", "psnr", "ms_ssim"]].to_dict("records")


def _zoo_training(inits: dict) -> dict:
    from lic.codec.zoo import available, released_curve

    out, released = {}, available()
    for init in inits.values():
        name = init.removeprefix("zoo:")
        entry = released.get(name, {}) if init.startswith("zoo:") else {}
        if entry and (curve := released_curve(name)):
            out[name] = {"curve": curve, "phases": entry.get("phases", [])}
    return out


def figure_training(results: dict, caption: str = ""):
    """Training curves of the released teachers: training-crop PSNR and bpp against steps from
    scratch (every phase of the ``init`` chain), phase boundaries dotted."""
    zt = results.get("zoo_training") or {}
    curves = {name: pd.DataFrame(z["curve"]) for name, z in zt.items()}
    fig, axes = plt.subplots(1, 2, figsize=(10.4, 3.8))
    for name, c in curves.items():
        for ax, col in zip(axes, ("psnr_train", "bpp")):
            if col in c:
                ax.plot(c.step, c[col], lw=1.2, label=name)
    ends = sorted({sum(ph["steps"] for ph in z["phases"][: i + 1]) for z in zt.values()
                   for i in range(len(z["phases"]) - 1)})
    psnr = pd.concat([c.get("psnr_train", pd.Series(dtype=float)) for c in curves.values()])
    if len(psnr):  # a single loss spike (one bad batch) would squash the axis: clip it, say so
        lo = float(psnr.quantile(0.02)) - 1.0
        if float(psnr.min()) < lo:
            axes[0].set_ylim(bottom=lo)
            axes[0].text(0.98, 0.03, f"clipped: a window down to {psnr.min():.1f} dB (loss spike)", ha="right",
                         transform=axes[0].transAxes, fontsize=7, color="C3")
    for ax, label in zip(axes, ("PSNR of the training crops [dB]", "bpp (training crops)")):
        for e in ends:
            ax.axvline(e, color="0.6", ls=":", lw=1)
        ax.set_xlabel("training steps from scratch (8×128² crops)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("Released teachers: training curves (dotted: a new phase, e.g. bf16 continuation or λ fine-tune)")
    return finish_layout(fig, caption)


def rd_table(results: dict) -> pd.DataFrame:
    """Teacher points and baseline points as one table (mean over each set's images), column ``set``
    first (``kodak``, then every set of ``eval_sets``)."""
    if results.get("rd_sets"):
        return pd.DataFrame(results["rd_sets"])[["set", "codec", "setting", "bpp", "psnr", "ms_ssim"]]
    t = pd.DataFrame(results["rd"]).rename(columns={"lmbda": "setting"})
    b = pd.DataFrame(results["baselines"]).rename(columns={"quality": "setting"})
    return pd.concat([t, b], ignore_index=True).assign(set=KODAK)[["set", "codec", "setting", "bpp", "psnr", "ms_ssim"]]


def bd_sets_table(results: dict) -> pd.DataFrame:
    """BD-rate (PSNR) of the teacher vs JPEG and vs WebP, one column per evaluation set."""
    rows = results.get("bd_sets") or [{"set": KODAK, "bd_rate_vs_jpeg": results["bd_rate_vs_jpeg"],
                                       "bd_rate_vs_webp": results["bd_rate_vs_webp"]}]
    long = [{"set": r["set"], "anchor": c.upper(), "bd_rate_psnr": r[f"bd_rate_vs_{c}"]} for r in rows
            for c in ("jpeg", "webp")]
    return side_by_side(long, ["anchor"], "bd_rate_psnr", [r["set"] for r in rows])


def matching_bpp(results: dict) -> pd.DataFrame:
    """Each teacher point next to JPEG and WebP at the same bpp (their curves interpolated in
    log-bpp, NaN outside their measured range): PSNR and MS-SSIM, and the PSNR difference in dB."""
    cols = ["lmbda", "bpp", "psnr", "jpeg_psnr", "webp_psnr", "psnr_minus_jpeg_db", "psnr_minus_webp_db",
            "ms_ssim", "jpeg_ms_ssim", "webp_ms_ssim"]
    return pd.DataFrame(results.get("matching_bpp", []), columns=cols)


def figure(results: dict, caption: str = ""):
    """RD curves (PSNR and MS-SSIM) of the teacher vs JPEG and WebP; a row of panels per set when
    ``eval_sets`` added sets beside Kodak."""
    kodak = set_label(KODAK, results.get("kodak_images"))
    if len(results.get("eval_sets") or []) > 1:
        df = pd.DataFrame(results["rd_sets"])
        curves = {set_label(s["name"], s.get("images")): {
            lab: df[(df.set == s["name"]) & (df.codec == c)]
            for c, lab in (("teacher", "teacher (ours)"), ("jpeg", "JPEG"), ("webp", "WEBP"))} for s in results["eval_sets"]}
        return rd_figure_sets(curves, title="Every evaluation set: teacher vs JPEG / WebP (real bitstreams)",
                              caption=caption, anchors=published_anchors(), anchor_set=kodak)
    base = pd.DataFrame(results["baselines"])
    curves = {"teacher (ours)": pd.DataFrame(results["rd"])}
    for codec in ("jpeg", "webp"):
        curves[codec.upper()] = base[base.codec == codec]
    return rd_figure(curves, title=f"{kodak}: teacher vs JPEG / WebP (real bitstreams)", caption=caption,
                     anchors=published_anchors())


def anchors_table(results: dict, images: int | None = None) -> pd.DataFrame:
    """BD-rate (PSNR) and BD-PSNR of the teacher against CompressAI's published Kodak-24 points (stage 01's
    ``bd_vs_anchors``; results made before it kept them: computed from the teacher's points on ``images`` Kodak
    images, default its ``kodak_images``)."""
    rows = results.get("bd_vs_anchors") or bd_vs_anchors(results["rd"], images or results.get("kodak_images"))
    return pd.DataFrame(rows, columns=["anchor", "anchor_set", "ours_set", "points", "bd_rate_vs_anchor",
                                       "bd_psnr_vs_anchor_db", "source"])


def load_model(artifact: StageArtifact, lmbda: float) -> torch.nn.Module:
    """The teacher at ``lmbda`` of a finished stage-01 artifact.

    Raises:
        ArtifactError: the artifact is not finished, or holds no teacher at ``lmbda``.
    """
    res = artifact.results()
    name = res["models"].get(lambda_tag(lmbda))
    if name is None:
        raise ArtifactError(f"stage 01 ({artifact.params.get('preset')}) has no teacher at λ={lmbda}; "
                            f"it has {sorted(res['models'])}")
    return load_checkpoint(artifact.dir / name)
