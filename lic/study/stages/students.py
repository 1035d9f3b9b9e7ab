"""Stage 02's students: their specs (:class:`lic.train.specs.StudentSpec`) from the stage's config, and
:class:`Students`, which loads or fits each one and codes it on Kodak and the other evaluation sets."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from lic.codec.intprior import set_entropy
from lic.codec.models import load_checkpoint, save_checkpoint
from lic.eval.measured import evaluate
from lic.eval.rd import complexity, evaluate_codec, rd_point
from lic.release.campaign import released_log as _released_campaign_log
from lic.study.artifacts import StageArtifact
from lic.study.config import DistillConfig
from lic.study.stages import teacher as teacher_stage
from lic.study.stages.teacher import calibration_crops
from lic.train.kd import ABLATIONS, fit
from lic.train.specs import StudentSpec, lambda_tag, released_student

__all__ = ["spec", "baseline_widths", "main_specs", "ablation_kinds", "Students", "released_log"]


def spec(p: DistillConfig, M: int, kind: str, N: int, lmbda: float, seed: int | None = None) -> StudentSpec:
    """The stage's student ``kind`` of width ``N`` at ``lmbda`` (``seed`` default: the main seed)."""
    return StudentSpec(kind, N, M=M, lmbda=lmbda, seed=p["seed"] if seed is None else seed,
                       steps=p["ablation_steps"] if kind.startswith("abl-") else p["steps"], lr=p["lr"],
                       batch_size=p["batch_size"], crop=p["crop"], precision=p.get("precision", "fp32"))


def baseline_widths(p: DistillConfig) -> list[int]:
    """The widths with a from-scratch baseline (``scratch_baseline``: True, or a list of widths)."""
    sb = p["scratch_baseline"]
    return [N for N in p["widths"] if sb is True or (isinstance(sb, (list, tuple)) and N in sb)]


def main_specs(p: DistillConfig, M: int, lambdas: list[float]) -> list[StudentSpec]:
    """Every main student in training order: KD (and scratch where a baseline is asked) per width,
    the pruned-teacher kinds, then the noise seeds' KD and scratch students."""
    base = baseline_widths(p)
    specs = [spec(p, M, k, N, l) for N in p["widths"] for l in lambdas
             for k in ("kd", *(("scratch",) if N in base else ()))]
    specs += [spec(p, M, k, N, l) for N in p["pruned_widths"] for l in lambdas for k in p["pruned_kinds"]]
    specs += [spec(p, M, k, N, l, s) for s in p["noise_seeds"] for N in base for l in lambdas
              for k in ("kd", "scratch")]
    return specs


def ablation_kinds(p: DistillConfig, lambdas: list[float], inits: dict[str, str]) -> dict[str, str]:
    """Loss-term ablation config -> student kind at ``ablation_width`` (empty without an ablation).
    ``all`` is the main KD student itself where that one was trained alike (scratch init, same steps)."""
    if not p["ablation_width"]:
        return {}
    A, out = int(p["ablation_width"]), {}
    for cfg_name in ABLATIONS:
        out[cfg_name] = f"abl-{cfg_name}"
        if (cfg_name == "all" and A in p["widths"] and p["ablation_init"] == "scratch"
                and p["ablation_steps"] == p["steps"]
                and all(inits[StudentSpec("kd", A, lmbda=l, seed=p["seed"]).tag(p["seed"])] == "scratch"
                        for l in lambdas)):
            out[cfg_name] = "kd"  # the main KD student is this configuration already
    return out


@dataclass
class Students:
    """Step 1 of stage 02: every student loaded or fitted, then evaluated; what later steps read.

    Attributes:
        p: the stage's config; st: its artifact; t01: the finished stage-01 artifact (the teachers).
    """

    p: DistillConfig
    st: StageArtifact
    t01: StageArtifact
    images: list
    extra: list
    force: bool
    progress: bool
    models: dict = field(default_factory=dict)  # tag -> checkpoint file name
    inits: dict = field(default_factory=dict)  # tag -> init label
    train_s: dict = field(default_factory=dict)
    logs: dict = field(default_factory=dict)  # (kind, N, λ, seed) -> training log (step, mse, bpp), last phase
    cplx: dict = field(default_factory=dict)  # str(N) -> complexity at 720p and Kodak size
    rd: list = field(default_factory=list)
    per_image: list = field(default_factory=list)
    rd_extra: list = field(default_factory=list)  # main-seed students on the sets beside Kodak
    per_image_extra: list = field(default_factory=list)
    teachers: dict = field(default_factory=dict)
    samplers: dict = field(default_factory=dict)  # seed -> CropSampler or StreamingCrops
    untrained: set = field(default_factory=set)  # tags of released students used as they are
    coding: dict = field(default_factory=dict)  # tag -> Kodak images coded / reused (lic.eval.measured.evaluate)

    def teacher(self, lmbda: float) -> torch.nn.Module:
        """The stage-01 teacher at ``lmbda``, loaded once."""
        if lambda_tag(lmbda) not in self.teachers:
            self.teachers[lambda_tag(lmbda)] = teacher_stage.load_model(self.t01, lmbda)
        return self.teachers[lambda_tag(lmbda)]

    def sampler(self, seed: int):
        """The training crops of ``seed`` (streamed from disk when ``p["workers"]`` is set), made once."""
        if seed not in self.samplers:
            self.samplers[seed] = teacher_stage.training_sampler(self.p.replace(seed=seed))
        return self.samplers[seed]

    def student(self, spec: StudentSpec) -> str:
        """Load (a finished checkpoint) or fit student ``spec``, evaluate it; returns its init label."""
        tag = spec.tag(self.p["seed"])
        if tag in self.models:
            return self.inits[tag]
        final = self.st.dir / spec.file_name("student", self.p["seed"])
        ckpt = self.st.dir / spec.file_name("train", self.p["seed"])
        if final.exists() and not self.force:
            model = load_checkpoint(final)
            meta = torch.load(final, map_location="cpu", weights_only=True)
            self.inits[tag], self.train_s[tag] = meta.get("init", "cached"), meta.get("train_seconds", math.nan)
            local = torch.load(ckpt, map_location="cpu", weights_only=False)["history"] if ckpt.exists() else []
            self.logs[spec.kind, spec.N, spec.lmbda, spec.seed] = local or released_log(self.inits[tag])
        else:
            model = self._fit(spec, tag, ckpt)
            save_checkpoint(final, model, lmbda=spec.lmbda, kind=spec.kind, init=self.inits[tag], steps=spec.steps,
                            train_seconds=self.train_s[tag])
        self._evaluate(spec, tag, model)
        self.models[tag] = final.name
        if str(spec.N) not in self.cplx:
            self.cplx[str(spec.N)] = {"720p": complexity(model, (720, 1280)), "kodak": complexity(model, (512, 768))}
        return self.inits[tag]

    def _fit(self, spec: StudentSpec, tag: str, ckpt) -> torch.nn.Module:
        p = self.p
        init_model, self.inits[tag] = released_student(spec, p["ablation_init"] if spec.ablation else p["init"],
                                                       p["entropy"])
        if init_model is None and spec.inherits:
            self.inits[tag] = f"pruned teacher λ={spec.lmbda}"
        if self.force and ckpt.exists():
            ckpt.unlink()
        model, info = fit(spec, self.teacher(spec.lmbda) if spec.uses_teacher else None, self.sampler(spec.seed),
                          ckpt, init=init_model, weights=p["weights"], latents=p["latents"], progress=self.progress)
        self.train_s[tag] = info["seconds"]
        set_entropy(model, p["entropy"], lambda: calibration_crops(p["train_dir"], p["crop"]),
                    rebuild=bool(info["history"]))
        self.logs[spec.kind, spec.N, spec.lmbda, spec.seed] = info["history"] or released_log(self.inits[tag])
        if not info["history"]:  # a released model, not trained further: its recorded Kodak rows may be reused
            self.untrained.add(tag)
        return model

    def _evaluate(self, spec: StudentSpec, tag: str, model: torch.nn.Module) -> None:
        """Kodak (every student) and the other sets (main-seed, non-ablation students), real bitstreams."""
        key = {"codec": spec.kind, "N": spec.N, "lmbda": spec.lmbda, "seed": spec.seed}
        origin = self.inits[tag] if tag in self.untrained else None
        res = evaluate(model, self.images, origin, progress=self.progress, desc=f"Kodak {tag}")
        self.coding[tag] = res["coding"]
        self.rd.append(rd_point(res, **key, init=self.inits[tag]))
        self.per_image.append(res["per_image"].assign(**key))
        for s in self.extra if spec.seed == self.p["seed"] and not spec.ablation else ():
            res = evaluate_codec(model, s.images, progress=self.progress, desc=f"{s.name} {tag}")
            self.rd_extra.append(rd_point(res, set=s.name, **key, init=self.inits[tag]))
            self.per_image_extra.append(res["per_image"].assign(set=s.name, **key))


def released_log(init_label: str) -> list[dict]:
    """The released model's own training log for a ``zoo:<name>`` init label, else empty."""
    return _released_campaign_log(init_label.removeprefix("zoo:")) if init_label.startswith("zoo:") else []
