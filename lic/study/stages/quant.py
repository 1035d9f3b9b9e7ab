"""Stage 03: hardware-friendly GDN and hybrid quantization ablation (Brevitas), real bitstreams.

Input: the stage-02 student of width ``width`` and kind ``student_kind`` (``source="student"``; ``"kd"``,
or ``"kd-pruned"``, the KD student that inherited the teacher's pruned weights — the quick preset's, the
student one would deploy) or the stage-01 teacher (``source="teacher"``), one float model per λ. For each λ the stage builds the ablation rows

=====================  =====================================================================
``float``              the input model fine-tuned for ``qat_steps`` unquantized (fair control)
``int8``               8-bit convs/deconvs + GDN operands on 8-bit words (PoT scale per tensor)
``hybrid``             8-bit convs/deconvs + 32-bit fixed-point GDN (Q16.16): the accelerator; its float
                       model first equalized through the GDNs (:mod:`lic.quant.equalize`), activation PoT
                       scales by MSE (:data:`lic.quant.hybrid.SCHEMES`)
``hybrid_simplified``  ``hybrid`` after swapping the GDN formula for the simplified one (GDN1), its ``β``,
                       ``γ`` fitted to the standard GDN's denominators (:mod:`lic.quant.gdnfit`)
``fixed_gdn``          float convs + 32-bit fixed-point GDN (isolates the GDN's cost)
``pruned``             ``prune_ratio`` of N removed (data-driven, calibration crops), fine-tuned, then ``hybrid``; a new width, so
                       its integer prior is calibrated again where the input model had one
=====================  =====================================================================

each quantized one PTQ-calibrated on training crops, then QAT fine-tuned for ``qat_steps`` (RD loss,
:func:`lic.train.loop.train`), then coded on Kodak with real bitstreams. Only ``g_a``/``g_s`` are
quantized; ``h_a``, ``h_s`` and the entropy models stay float32 (host side).

Run-to-run noise (``noise_seeds``): every row is rebuilt with each extra seed (other calibration
crops, QAT batches and noise; the same input model) and its BD-rate against that seed's float row
measured again; :func:`noise_table` shows the BD-rate per seed and its spread, the yardstick for
the differences between rows.

Artifacts in ``artifacts/03_gdn_quant/<key>/`` (key includes the input stage's key):

* ``<row>_l<λ>.pt`` — quantized models (:func:`lic.quant.hybrid.save_quantized`;
  reload with :func:`lic.quant.hybrid.load_quantized`), ``qat_<row>_l<λ>.pt`` resumable QAT state;
* ``hybrid_l<λ>_g_a.npz``, ``hybrid_l<λ>_g_s.npz`` — **what stage 04 consumes**: the integer
  parameters of the hybrid model's transforms in :mod:`lic.hw.fixedpoint`'s ``IntTransform`` format
  (``.npz`` with a JSON ``__meta__`` header: word widths, per-layer shifts and formats; arrays
  ``L{k}.weight`` int8 codes, ``L{k}.w_frac`` per-channel PoT exponents, ``L{k}.bias`` int32 at
  the accumulator scale, ``L{k}.out_shift``; GDN ``L{k}.gamma``/``L{k}.beta`` unsigned words),
  produced by :func:`lic.quant.hybrid.export_int_params` (``lic.hw.fixedpoint.quantize_transform`` on the
  float equivalent of the quantized transform, calibrated on ``calib`` training crops);
  load with ``lic.hw.fixedpoint.IntTransform.load``;
* ``hybrid_l<λ>_g_a.onnx`` — QCDQ ONNX of the hybrid ``g_a``, checked with onnxruntime;
* ``<row>_l<λ>_s<seed>.pt`` — the same for a noise seed;
* ``rd_quant.csv``, ``noise.csv``, ``rd_quant``, ``gdn_ranges``, ``collapse`` (PNG + SVG), ``results.json``;
* ``rd_quant_sets.csv``: the main seed's rows coded on every set of ``eval_sets`` beside Kodak
  (:mod:`lic.data.evalsets`); :func:`sets_table` sets each row's BD-rate vs float per set side by side.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from lic.codec.gdn import FixedPointGDN, gdn_modules
from lic.codec.intprior import set_entropy
from lic.data.evalsets import KODAK, extra_sets, load_eval_sets, set_label, side_by_side
from lic.data.images import CropSampler, pad_to_multiple
from lic.errors import ArtifactError, ParameterError
from lic.eval.metrics import bd_rate
from lic.eval.rd import evaluate_codec, rd_point
from lic.fileio import atomic_write_text
from lic.provenance import git_commit
from lic.quant.gdnfit import to_simplified
from lic.quant.hybrid import (CALIB_BATCH, EXPORT_CALIB_BATCH, ONNX_INPUT_BATCH, SCHEMES, check_onnx, export_int_params, export_onnx,
                              load_quantized, model_size_bytes, quantize_calibrated, saturation_counts, save_quantized)
from lic.study.params import stage_presets
from lic.study.plots import finish_layout, published_anchors, rd_figure, save_figure
from lic.study.artifacts import StageArtifact, input_keys, load_model as load_input, prepare
from lic.study.config import QuantConfig
from lic.study.runner import check_noise_seeds
from lic.study.stages import quantdiag
from lic.study.stages.teacher import calibration_crops
from lic.train.loop import default_device, seed_everything, train, train_config
from lic.train.prune import prune_channels
from lic.train.specs import lambda_tag

__all__ = ["PRESETS", "ROWS", "reads", "key_inputs", "run", "load_model", "rd_table", "ablation_table",
           "noise_table", "figure", "gdn_range_figure", "sets_table"]

#: preset -> parameters (plus :data:`lic.study.runner.COMMON`), from the typed table :data:`lic.study.params.STAGE_PARAMS`
PRESETS = stage_presets("03")

#: ablation row -> label shown in tables and figures (the ``variant`` column of every table and CSV)
ROWS = {
    "float": "float32 (same fine-tuning)",
    "int8": "int8 everywhere (GDN 8-bit)",
    "hybrid": "hybrid 8 + 32-bit GDN",
    "hybrid_simplified": "hybrid + simplified GDN",
    "fixed_gdn": "float conv + fixed-point GDN",
    "pruned": "hybrid + pruned",
}


#: how the rows that used to collapse are built now (part of the key: models built the old way are not reused)
ROW_BUILDS = {"hybrid_simplified": "simplified GDN fitted to the standard one (lic.quant.gdnfit)",
              "pruned": "data-driven channel choice and compensation (lic.train.prune, calib); integer prior "
                        "recalibrated at the pruned width (lic.codec.intprior.set_entropy)"}


def reads(cfg: QuantConfig) -> tuple[str, ...]:
    """The stage 03 reads: 02 (``source="student"``) or 01 (``"teacher"``).

    Raises:
        ParameterError: a bad ``source`` or ``student_kind``.
    """
    if cfg["source"] not in ("student", "teacher"):
        raise ParameterError(f"source must be 'student' or 'teacher', got {cfg['source']!r}")
    from lic.train.specs import STUDENT_KINDS

    if cfg["student_kind"] not in STUDENT_KINDS:
        raise ParameterError(f"student_kind must be one of {STUDENT_KINDS}, got {cfg['student_kind']!r}")
    return ("02",) if cfg["source"] == "student" else ("01",)


def key_inputs(cfg: QuantConfig, inputs: dict[str, StageArtifact]) -> dict:
    """What the key covers besides the parameters: the input stage's key and the quantization
    schemes' definitions (a changed scheme is a different result, not a cached one)."""
    return {**input_keys(inputs), "schemes": {k: v.bits() for k, v in SCHEMES.items() if v is not None},
            "rows": ROW_BUILDS}


def _load_source(p: QuantConfig, src: StageArtifact, lmbda: float) -> torch.nn.Module:
    """The float model at ``lmbda`` of the input artifact: the stage-02 student (width, kind) or the teacher."""
    if src.stage == "02":
        return load_input(src, lmbda, N=p.width, kind=p.student_kind)
    return load_input(src, lmbda)


def _build(row: str, base, p: QuantConfig, lmbda: float, sampler: CropSampler, st: StageArtifact, *,
           progress: bool = True, sfx: str = ""):
    """The trained model of one ablation row (float copy, or calibrated + QAT-tuned quantized); ``p`` a
    config or a parameter dict, ``st`` anything with a ``dir`` (the QAT checkpoints go there)."""
    def fit(model, steps: int, tag: str):
        if steps > 0:
            cfg = train_config(p, lmbda=lmbda, steps=steps, precision="fp32")
            train(model, cfg, sampler, st.dir / f"{tag}_l{lambda_tag(lmbda)}{sfx}.pt", progress=progress,
                  desc=f"{tag} λ={lmbda}")
        return model

    seed_everything(p["seed"])
    if row == "float":  # control: the same fine-tuning budget, no quantization
        return fit(copy.deepcopy(base), p["qat_steps"], "finetune_float").eval()
    src, scheme, steps = base, row, p["qat_steps"]
    calib = [sampler.batch(CALIB_BATCH + k, p["calib_batch_size"]) for k in range(p["calib_batches"])]
    if row == "hybrid_simplified":  # fitted to the standard GDN, not only swapped (that broke the model)
        src, scheme, steps = to_simplified(base, calib), "hybrid", p["simplified_steps"]
    elif row == "pruned":  # data-driven choice and compensation (L1 alone broke the model)
        src = fit(prune_channels(base, p["prune_ratio"], calib=torch.cat(calib)), p["prune_steps"], "finetune_pruned")
        scheme = "hybrid"
    q = quantize_calibrated(src, scheme, sampler, p["calib_batches"], p["calib_batch_size"])
    q = fit(q, steps, f"qat_{row}")
    if row == "pruned" and getattr(base, "int_prior", None) is not None:  # a new width: its own integer prior
        set_entropy(q, "integer", lambda: calibration_crops(p["train_dir"], p["crop"]), rebuild=True)
    for _, m in gdn_modules(q):
        if isinstance(m, FixedPointGDN):
            m.reset_saturations()
    return q.eval()


@torch.no_grad()
def _gdn_inputs(model, x: torch.Tensor) -> dict[str, np.ndarray]:
    """|input| of every GDN of ``g_a`` (image ``x``) and ``g_s`` (its latents), float model."""
    acts: dict[str, np.ndarray] = {}
    hooks = [m.register_forward_hook(lambda mod, inp, out, n=n: acts.__setitem__(n, inp[0].abs().flatten().numpy()))
             for n, m in gdn_modules(model)]
    try:
        xp, _ = pad_to_multiple(x.unsqueeze(0), 64)
        model.g_s(torch.round(model.g_a(xp)))
    finally:
        for h in hooks:
            h.remove()
    return acts


def _range_stats(acts: dict[str, np.ndarray], int8_model, hybrid_model) -> list[dict]:
    """Per GDN: input percentiles, share below the 8-bit LSB, representable ranges, saturations."""
    q8 = dict(gdn_modules(int8_model))
    q32 = dict(gdn_modules(hybrid_model))
    sat8, sat32 = saturation_counts(int8_model), saturation_counts(hybrid_model)
    rows = []
    for name, a in acts.items():
        m8 = q8[name]
        f8 = m8._frac(m8.amax[0], True)
        lsb8, max8 = 2.0**-f8, 127 * 2.0**-f8
        f32 = q32[name].frac_bits
        rows.append({
            "gdn": name, "max_abs": float(a.max()), "p50": float(np.median(a)), "p99": float(np.percentile(a, 99)),
            "int8_lsb": lsb8, "int8_max": max8, "share_below_int8_lsb": float((a < lsb8 / 2).mean()),
            "share_above_int8_max": float((a > max8).mean()),
            "q32_lsb": 2.0**-f32, "q32_max": (2**31 - 1) * 2.0**-f32,
            "saturations_int8_kodak": sat8.get(name, 0), "saturations_hybrid_kodak": sat32.get(name, 0),
        })
    return rows




@dataclass
class _Collected:
    """What the λ x seed x row loop of :func:`run` gathers (each dict keyed by row, then λ tag)."""

    rd: list = field(default_factory=list)
    rd_extra: list = field(default_factory=list)
    sizes: dict = field(default_factory=dict)
    sats: dict = field(default_factory=dict)
    models: dict = field(default_factory=dict)
    built: dict = field(default_factory=dict)
    int_params: dict = field(default_factory=dict)
    onnx: dict = field(default_factory=dict)
    ranges: list = field(default_factory=list)
    hist: dict = field(default_factory=dict)
    collapse: dict = field(default_factory=dict)


@dataclass
class _Job:
    """One run of stage 03: its config and artifact, the evaluation sets, the main seed's crops and what the
    loop collects."""

    p: QuantConfig
    st: StageArtifact
    sets: list
    sampler: CropSampler
    force: bool = False
    progress: bool = True
    c: _Collected = field(default_factory=_Collected)


def _code_row(job: _Job, row: str, base, lmbda: float, seed: int, sampler: CropSampler) -> None:
    """Build (or reload) one ablation row at one λ and seed, code it on Kodak (and, for the main seed, every
    other evaluation set) and collect its RD point, size and saturations."""
    p, c, progress = job.p, job.c, job.progress
    main = seed == p.seed
    sfx, label, tag = "" if main else f"_s{seed}", ROWS[row], lambda_tag(lmbda)
    f = job.st.dir / f"{row}_l{tag}{sfx}.pt"
    if f.exists() and not job.force:
        model = load_quantized(f)
    else:
        model = _build(row, base, p if main else p.replace(seed=seed), lmbda, sampler, job.st, progress=progress,
                       sfx=sfx)
        save_quantized(f, model, lmbda=lmbda, row=row, seed=seed)
    res = evaluate_codec(model, job.sets[0].images, progress=progress, desc=f"{row} λ={lmbda}{sfx}")
    c.rd.append(rd_point(res, variant=label, row=row, lmbda=lmbda, seed=seed))
    if not main:
        return
    for s in extra_sets(job.sets):
        res = evaluate_codec(model, s.images, progress=progress, desc=f"{s.name} {row} λ={lmbda}")
        c.rd_extra.append(rd_point(res, set=s.name, variant=label, row=row, lmbda=lmbda, seed=seed))
    c.built[row] = model
    c.sizes.setdefault(row, model_size_bytes(model))
    c.sats.setdefault(row, {})[tag] = sum(saturation_counts(model).values())
    c.models.setdefault(row, {})[tag] = f.name


def _export_hybrid(job: _Job, lmbda: float) -> None:
    """Integer parameters (what stage 04 consumes) and the checked QCDQ ONNX of the hybrid ``g_a`` at ``lmbda``."""
    c, sampler, hw = job.c, job.sampler, job.p.onnx_hw
    hyb, tag = c.built["hybrid"], lambda_tag(lmbda)
    calib = sampler.batch(EXPORT_CALIB_BATCH, job.p.calib_batch_size)
    stem = job.st.dir / f"hybrid_l{tag}"
    c.int_params[tag] = {k: v.rsplit("/", 1)[-1] for k, v in export_int_params(hyb, stem, calib).items()}
    x_onnx = sampler.batch(ONNX_INPUT_BATCH, 1)[..., :hw, :hw]
    onnx_path = export_onnx(hyb.g_a, stem.with_name(stem.name + "_g_a.onnx"), x_onnx)
    c.onnx[tag] = {"file": onnx_path.name, **check_onnx(onnx_path, hyb.g_a, x_onnx)}


def _collect(job: _Job, src: StageArtifact) -> _Collected:
    """Every row at every λ and seed (:func:`_code_row`) of the models of ``src``, the hybrid exports, the
    first λ's GDN ranges."""
    p, c = job.p, job.c
    for lmbda in p.lambdas:
        base = _load_source(p, src, lmbda)
        for seed in [p.seed, *p.noise_seeds]:
            samp = job.sampler if seed == p.seed else CropSampler(p.train_dir, crop=p.crop, seed=seed)
            for row in ROWS:
                _code_row(job, row, base, lmbda, seed, samp)
        _export_hybrid(job, lmbda)
        if lmbda == p.lambdas[0]:
            acts = _gdn_inputs(base, job.sets[0].images[0][1])
            c.ranges = _range_stats(acts, c.built["int8"], c.built["hybrid"])
            c.hist = {k: np.histogram(np.log2(np.maximum(v, 2.0**-24)), bins=np.arange(-24, 17))[0].tolist()
                      for k, v in acts.items()}
            c.collapse = {**quantdiag.diagnose(base, c.built, p, job.sampler, job.sets[0].images), "lmbda": lmbda}
    return c


def _noise(all_df: pd.DataFrame) -> pd.DataFrame:
    """BD-rate (PSNR) vs that seed's float row of every other row, per seed."""
    noise = []
    for seed, g in all_df.groupby("seed", sort=False):
        f_ = g[g.row == "float"]
        noise += [{"row": row, "variant": label, "seed": int(seed),
                   "bd_rate_psnr_vs_float": bd_rate(f_.bpp, f_.psnr, g[g.row == row].bpp, g[g.row == row].psnr)}
                  for row, label in ROWS.items() if row != "float"]
    return pd.DataFrame(noise, columns=["row", "variant", "seed", "bd_rate_psnr_vs_float"])


def _summary(rd_df: pd.DataFrame, c: _Collected) -> list[dict]:
    """One record a row (main seed): BD-rates vs float, sizes, GDN saturations on Kodak."""
    ref = rd_df[rd_df.row == "float"]
    summary = []
    for row, label in ROWS.items():
        d = rd_df[rd_df.row == row]
        summary.append({
            "row": row, "variant": label,
            "bd_rate_psnr_vs_float": bd_rate(ref.bpp, ref.psnr, d.bpp, d.psnr) if row != "float" else 0.0,
            "bd_rate_msssim_vs_float": bd_rate(ref.bpp, ref.ms_ssim, d.bpp, d.ms_ssim) if row != "float" else 0.0,
            "size_bytes": c.sizes[row]["total"], "size_transforms_bytes": c.sizes[row]["transforms"],
            "gdn_saturations_kodak": int(sum(c.sats[row].values())),
        })
    return summary


def _current(cached: dict) -> bool:
    """Whether a cached result names its rows' labels ``variant`` (one made before is rebuilt; its models
    are reloaded, not retrained)."""
    return all("variant" in s for s in cached.get("summary", []))


def run(cfg: QuantConfig, inputs: dict[str, StageArtifact] | None = None, *, out: StageArtifact | None = None,
        force: bool = False, progress: bool = True) -> dict:
    """Run stage 03 with its config on the finished artifact it reads (``inputs["02"]``, or ``["01"]`` with
    ``source="teacher"``), as a plan gives it (``pl.inputs("03")``).

    Raises:
        ParameterError: no λ, bad ``noise_seeds``, ``source`` or ``student_kind``; no ``inputs`` (or not the
            ones the config reads).
        ArtifactError: the input stage has not been run.
    """
    if len(cfg["lambdas"]) < 1:
        raise ParameterError("lambdas must list at least one λ (two for BD-rates)")
    check_noise_seeds(cfg)
    p, inputs, st = prepare("03", cfg, inputs, out)
    (src, st_in), = inputs.items()
    if st.done and not force and _current(cached := st.results()):
        return cached
    if p.threads:
        torch.set_num_threads(int(p.threads))
    t_start = time.monotonic()
    sets = load_eval_sets(p.eval_sets, p.kodak_dir, p.kodak_limit)
    sampler = CropSampler(p.train_dir, crop=p.crop, seed=p.seed)
    st.dir.mkdir(parents=True, exist_ok=True)
    c = _collect(_Job(p, st, sets, sampler, force, progress), st_in)
    all_df = pd.DataFrame(c.rd)
    atomic_write_text(st.dir / "rd_quant.csv", all_df.to_csv(index=False))
    noise_df = _noise(all_df)
    atomic_write_text(st.dir / "noise.csv", noise_df.to_csv(index=False))
    rd_df = all_df[all_df.seed == p.seed]
    if c.rd_extra:
        atomic_write_text(st.dir / "rd_quant_sets.csv", pd.DataFrame(c.rd_extra).to_csv(index=False))
    results = {
        "figures": {},
        "eval_sets": [s.info() for s in sets],
        "rd_sets": c.rd_extra,
        "sets_bd": _sets_bd(rd_df.assign(set=KODAK), *(pd.DataFrame(c.rd_extra),) if c.rd_extra else ()),
        "rd": rd_df.to_dict("records"),
        "rd_noise_seeds": all_df[all_df.seed != p.seed].to_dict("records"),
        "noise": noise_df.to_dict("records"),
        "seeds": [p.seed, *p.noise_seeds],
        "summary": _summary(rd_df, c),
        "sizes": c.sizes,
        "models": c.models,
        "int_params": c.int_params,
        "onnx": c.onnx,
        "gdn_ranges": c.ranges,
        "gdn_hist_log2": {"bins": list(range(-24, 17)), "counts": c.hist},
        "collapse": c.collapse,
        "source": {"stage": src, "key": st_in.key, "kind": p.source,
                   **({"student_kind": p.student_kind, "N": p.width} if src == "02" else {})},
        "kodak_images": len(sets[0].images),
        "device": str(default_device()),  # what this stage ran (and fine-tuned) on
        "commit": git_commit(),
        "wall_s": time.monotonic() - t_start,
    }
    cap = (f"preset={p.preset} source={p.source}"
           f"{' ' + p.student_kind + ' N=' + str(p.width) if src == '02' else ''} qat_steps={p.qat_steps} "
           f"Kodak-{len(sets[0].images)} commit={results['commit']}")
    results["figures"]["rd"] = save_figure(figure(results, caption=cap), st.dir, "rd_quant")
    results["figures"]["gdn_ranges"] = save_figure(gdn_range_figure(results, caption=cap), st.dir, "gdn_ranges")
    results["figures"]["collapse"] = save_figure(quantdiag.figure(results, caption=cap), st.dir, "collapse")
    return st.finish(results)


def _sets_bd(*frames: pd.DataFrame) -> list[dict]:
    """Long rows ``set, variant, bd_rate_psnr_vs_float, bd_rate_msssim_vs_float`` of every row on every set."""
    out = []
    for df in frames:
        for name, g in df.groupby("set", sort=False):
            ref = g[g.row == "float"]
            for row, label in ROWS.items():
                d = g[g.row == row]
                if d.empty:
                    continue
                bd = {}
                for m, col in (("psnr", "psnr"), ("msssim", "ms_ssim")):
                    if row == "float":  # the anchor itself: 0, or n/a where the metric is (MS-SSIM of small images)
                        bd[m] = 0.0 if ref[col].notna().any() else math.nan
                    else:
                        bd[m] = bd_rate(ref.bpp, ref[col], d.bpp, d[col])
                out.append({"set": name, "variant": label, "bd_rate_psnr_vs_float": bd["psnr"],
                            "bd_rate_msssim_vs_float": bd["msssim"]})
    return out


def sets_table(results: dict, metric: str = "psnr") -> pd.DataFrame:
    """Each ablation row's BD-rate vs float (``metric`` psnr or msssim), one column per evaluation set."""
    rows = results.get("sets_bd") or [{"set": KODAK, **r} for r in results["summary"]]
    order = [s["name"] for s in results.get("eval_sets", [])] or [KODAK]
    return side_by_side(rows, ["variant"], f"bd_rate_{metric}_vs_float", order)


def rd_table(results: dict) -> pd.DataFrame:
    """Every (row, λ) point: bpp from file bytes, PSNR, MS-SSIM (mean over Kodak)."""
    return pd.DataFrame(results["rd"])[["variant", "lmbda", "bpp", "psnr", "ms_ssim"]]


def ablation_table(results: dict) -> pd.DataFrame:
    """One line per ablation row: mean RD, BD-rates vs float, bit-width-aware size, saturations."""
    rd = pd.DataFrame(results["rd"]).groupby("row", sort=False)[["bpp", "psnr", "ms_ssim"]].mean()
    s = pd.DataFrame(results["summary"]).set_index("row")
    return s.join(rd).reset_index()[["variant", "bpp", "psnr", "ms_ssim", "bd_rate_psnr_vs_float",
                                     "bd_rate_msssim_vs_float", "size_bytes", "size_transforms_bytes",
                                     "gdn_saturations_kodak"]]


def noise_table(results: dict) -> pd.DataFrame:
    """BD-rate (PSNR) vs float of every row per seed, with the spread over seeds (max - min).

    A difference between two rows is larger than run-to-run noise when it exceeds both rows' spread."""
    df = pd.DataFrame(results.get("noise", []), columns=["row", "variant", "seed", "bd_rate_psnr_vs_float"])
    if df.empty:
        return df
    t = df.pivot_table(index="variant", columns="seed", values="bd_rate_psnr_vs_float", sort=False, dropna=False)
    t.columns = [f"seed {c}" for c in t.columns]
    t["spread"] = [seed_spread(v) for v in t.to_numpy()]
    return t


def seed_spread(values) -> float:
    """max - min of per-seed BD-rates; NaN if any seed has none (its curve does not overlap float)."""
    v = [float(x) for x in values]
    return max(v) - min(v) if v and all(math.isfinite(x) for x in v) else math.nan


def figure(results: dict, caption: str = ""):
    """RD curves (PSNR and MS-SSIM) of every ablation row."""
    df = pd.DataFrame(results["rd"])
    curves = {label: df[df.variant == label] for label in df.variant.unique()}
    return rd_figure(curves, title=f"{set_label(KODAK, results.get('kodak_images'))}: quantization / GDN ablation "
                     "(real bitstreams)", caption=caption, anchors=published_anchors())


def gdn_range_figure(results: dict, caption: str = ""):
    """Histogram of log2|GDN input| per layer with the int8 and Q16.16 representable ranges."""
    import matplotlib.pyplot as plt

    h = results["gdn_hist_log2"]
    ranges = {r["gdn"]: r for r in results["gdn_ranges"]}
    names = list(h["counts"])
    cols = min(3, len(names)) or 1
    rows = -(-len(names) // cols) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    edges = np.asarray(h["bins"], dtype=float)
    for ax, name in zip(axes.flat, names):
        r = ranges[name]
        ax.bar(edges[:-1], h["counts"][name], width=1.0, align="edge", color="0.55")
        ax.axvspan(np.log2(r["int8_lsb"]), np.log2(r["int8_max"]), color="tab:red", alpha=0.15, label="int8 range")
        ax.axvline(np.log2(r["q32_lsb"]), color="tab:blue", ls="--", lw=1, label="Q16.16 LSB")
        ax.set_yscale("log")
        ax.set_title(f"{name}: {r['share_below_int8_lsb']:.0%} < int8 LSB, sat int8={r['saturations_int8_kodak']}"
                     f" / 32b={r['saturations_hybrid_kodak']}", fontsize=7)
        ax.set_xlabel("log2 |GDN input|", fontsize=8)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("GDN input ranges (float model, first Kodak image) vs word formats")
    return finish_layout(fig, caption)


def load_model(artifact: StageArtifact, lmbda: float, row: str = "hybrid"):
    """A quantized model of a finished stage-03 artifact (default: the hybrid one stage 04 builds on).

    Raises:
        ArtifactError: the artifact is not finished, or has no such model.
    """
    res = artifact.results()
    name = res["models"].get(row, {}).get(lambda_tag(lmbda))
    if name is None:
        raise ArtifactError(f"stage 03 ({artifact.params.get('preset')}) has no {row} model at λ={lmbda}")
    return load_quantized(artifact.dir / name)
