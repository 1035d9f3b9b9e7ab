r"""Knowledge distillation of a narrow student codec from a frozen teacher.

Mazouz et al., "Lightweight FPGA Deployment of Learned Image Compression with Knowledge
Distillation and Hybrid Quantization" (arXiv 2503.04832), first contribution: the student has
the teacher's architecture with a smaller transform width N (M is kept), so one knob sizes
the accelerator. It is trained on

.. math::
    L = w_\mathrm{lat}\,\frac{1}{|F|}\sum_{f\in F}\mathrm{MSE}(P_f(f_s), f_t)
      + w_\mathrm{out}\,\mathrm{MSE}(\hat x_s, \hat x_t)
      + w_\mathrm{rd}\,\big(\lambda\cdot 255^2\cdot\mathrm{MSE}(x, \hat x_s) + \mathrm{bpp}_s\big),

where ``F`` is the set of matched features (``y``, ``z``, intermediate ``g_a`` outputs),
``P_f`` a learned 1x1 convolution from the student's to the teacher's channel count where they
differ (identity otherwise), and the last term CompressAI's ``RateDistortionLoss``.
Training reuses :func:`lic.train.loop.train` (same loop, resume, optimizers); the projections go in
as ``extra_modules`` so they are optimised and checkpointed with the student.

The from-scratch baseline (:func:`train_scratch`) builds the same student from the same seed
and trains it with the RD loss alone on the same batches and budget, so the benefit of KD is
measured rather than assumed. :func:`fit` trains a student described by a
:class:`lic.train.specs.StudentSpec`: it makes the one choice between KD and the RD loss alone, and
between a random init, given weights and the pruned teacher's weights.
"""

from __future__ import annotations

import math
import os
from typing import Mapping, Sequence

import torch
import torch.nn.functional as F
from compressai.losses import RateDistortionLoss
from torch import nn

from lic.codec.models import build_model, load_state_dict_into
from lic.data.images import CropSampler
from lic.errors import ParameterError
from lic.train.loop import TrainConfig, default_device, seed_everything, train
from lic.train.specs import StudentSpec

__all__ = [
    "FEATURES",
    "LATENT_NORMS",
    "DEFAULT_WEIGHTS",
    "ABLATIONS",
    "normalize_weights",
    "feature_channels",
    "forward_features",
    "DistillationLoss",
    "distill_student",
    "train_scratch",
    "fit",
]

#: crops of the first training batch that a data-driven pruned student calibrates its channel choice on
PRUNE_CALIB = 16

#: matchable feature -> submodule whose output it is. ``y`` = g_a output (M channels),
#: ``z`` = h_a output (N channels), ``g_a.k`` / ``g_s.k`` = k-th layer of the analysis / synthesis
#: transform (GDN / IGDN outputs, N channels): encoder and decoder hint layers (FitNets).
FEATURES: dict[str, str] = {"y": "g_a", "z": "h_a", "g_a.1": "g_a.1", "g_a.3": "g_a.3", "g_a.5": "g_a.5",
                            "g_s.1": "g_s.1", "g_s.3": "g_s.3", "g_s.5": "g_s.5"}

#: latent-term normalisations: ``none``, the plain MSE; ``teacher``, each feature's MSE divided by the
#: teacher feature's mean square (scale-free, so hint layers of very different magnitudes — GDN outputs
#: ~1e-3, ``y`` ~1 — weigh alike in the average)
LATENT_NORMS = ("none", "teacher")

#: loss weights of the paper's setting (latent, output, rate-distortion)
DEFAULT_WEIGHTS: dict[str, float] = {"latent": 0.2, "output": 0.2, "rd": 0.4}

#: loss-term ablation: which terms keep their weight (the others are set to 0)
ABLATIONS: dict[str, tuple[str, ...]] = {
    "latent-only": ("latent",),
    "output-only": ("output",),
    "rd-only": ("rd",),
    "all": ("latent", "output", "rd"),
}


def normalize_weights(weights: Mapping[str, float] | Sequence[float] | None) -> dict[str, float]:
    """``{"latent", "output", "rd"}`` from a dict or a 3-sequence; checks they are usable.

    Raises:
        ParameterError: unknown key, negative/non-finite weight, or all weights zero.
    """
    if weights is None:
        return dict(DEFAULT_WEIGHTS)
    if not isinstance(weights, Mapping):
        weights = list(weights)
        if len(weights) != 3:
            raise ParameterError(f"weights must be (latent, output, rd), got {weights!r}")
        weights = dict(zip(DEFAULT_WEIGHTS, weights))
    unknown = set(weights) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise ParameterError(f"unknown loss weight(s) {sorted(unknown)}; known: {list(DEFAULT_WEIGHTS)}")
    w = {k: float(weights.get(k, 0.0)) for k in DEFAULT_WEIGHTS}
    if any(not math.isfinite(v) or v < 0 for v in w.values()):
        raise ParameterError(f"loss weights must be finite and >= 0, got {w}")
    if not any(w.values()):
        raise ParameterError("at least one loss weight must be positive")
    return w


def _check_latents(latents: Sequence[str]) -> tuple[str, ...]:
    if isinstance(latents, str):
        latents = (latents,)
    latents = tuple(latents)
    bad = [n for n in latents if n not in FEATURES]
    if bad:
        raise ParameterError(f"unknown latent(s) {bad}; choose from {list(FEATURES)}")
    return latents


def feature_channels(model: nn.Module, name: str) -> int:
    """Channel count of feature ``name`` of a hyperprior model (``y``: M, the others: N)."""
    return int(model.M) if name == "y" else int(model.N)


def forward_features(model: nn.Module, x: torch.Tensor, names: Sequence[str] = ()) -> tuple[dict, dict]:
    """``model(x)`` plus the outputs of the submodules of :data:`FEATURES` ``names`` (forward hooks).

    Returns:
        ``(out, {name: tensor})``; hooks are removed even when the forward raises.
    """
    feats: dict[str, torch.Tensor] = {}
    modules = dict(model.named_modules())
    handles = []
    try:
        for name in names:
            mod = modules[FEATURES[name]]
            handles.append(mod.register_forward_hook(lambda _m, _i, o, name=name: feats.__setitem__(name, o)))
        out = model(x)
    finally:
        for h in handles:
            h.remove()
    return out, feats


class DistillationLoss(nn.Module):
    r"""Latent + output + rate-distortion distillation loss (see the module docstring).

    The teacher is frozen (``requires_grad_(False)``, eval mode, run under ``torch.no_grad()``)
    and held by reference, not registered as a submodule: it is neither trained nor part of
    this module's ``state_dict``, and ``.train()`` never takes it out of eval mode.

    Projections: features with N channels (``z``, ``g_a.k``) differ in width between a student
    (N_s) and the teacher (N_t); each such feature gets a learned 1x1 convolution
    ``Conv2d(C_s, C_t, 1)`` mapping the student's feature to the teacher's width before the MSE
    (FitNets-style hint layer). ``y`` has M channels, equal for both since students keep M, so
    it is compared directly. The projections are only needed for training; they are returned by
    :attr:`extra_modules` so :func:`lic.train.loop.train` optimises and checkpoints them.

    The output term is measured like the RD distortion, :math:`\lambda \cdot 255^2 \cdot
    \mathrm{MSE}(\hat x_s, \hat x_t)`, so its weight is comparable with the RD term's.

    Args:
        teacher: trained codec (``lic.codec.models.HyperpriorLIC``).
        student: the codec to train (only its widths are read here).
        lmbda: λ of the rate-distortion term.
        weights: ``{"latent", "output", "rd"}`` (default 0.2 / 0.2 / 0.4) or a 3-sequence.
        latents: features matched by the latent term, from :data:`FEATURES`; their MSEs are averaged.
        latent_norm: ``"none"`` or ``"teacher"`` (each MSE over the teacher feature's mean square),
            see :data:`LATENT_NORMS`.
    """

    def __init__(self, teacher: nn.Module, student: nn.Module, lmbda: float,
                 weights: Mapping[str, float] | Sequence[float] | None = None, latents: Sequence[str] = ("y",),
                 latent_norm: str = "none"):
        super().__init__()
        self.weights = normalize_weights(weights)
        self.latents = _check_latents(latents)
        if latent_norm not in LATENT_NORMS:
            raise ParameterError(f"latent_norm must be one of {LATENT_NORMS}, got {latent_norm!r}")
        self.latent_norm = latent_norm
        if self.weights["latent"] > 0 and not self.latents:
            raise ParameterError("the latent term has a positive weight but no latents are selected")
        teacher.eval().requires_grad_(False)
        object.__setattr__(self, "teacher", teacher)  # a plain attribute: not a submodule
        self.rd = RateDistortionLoss(lmbda=lmbda)
        self.proj = nn.ModuleDict()
        for name in self.latents:
            cs, ct = feature_channels(student, name), feature_channels(teacher, name)
            if cs != ct:
                self.proj[self._key(name)] = nn.Conv2d(cs, ct, kernel_size=1)

    @staticmethod
    def _key(name: str) -> str:
        return name.replace(".", "_")  # ModuleDict keys may not hold dots

    @property
    def extra_modules(self) -> dict[str, nn.Module]:
        """Trainable modules outside the student, for ``lic.train.loop.train(extra_modules=...)``."""
        return {"kd_proj": self.proj} if len(self.proj) else {}

    def project(self, name: str, feat: torch.Tensor) -> torch.Tensor:
        """Student feature ``name`` mapped to the teacher's channel count (identity if equal)."""
        key = self._key(name)
        return self.proj[key](feat) if key in self.proj else feat

    def _feature_mse(self, s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        mse = F.mse_loss(s, t)
        if self.latent_norm == "teacher":
            mse = mse / t.pow(2).mean().clamp_min(1e-12)  # t comes from no_grad: a constant scale
        return mse

    def forward(self, x: torch.Tensor, student_out: dict, teacher_out: dict | None = None) -> dict:
        """Loss terms from already computed outputs.

        Args:
            x: the input batch ``[B, 3, H, W]``.
            student_out: ``{"x_hat", "likelihoods", "features": {name: tensor}}``.
            teacher_out: the same for the teacher; may be ``None`` when the latent and output
                weights are both zero.

        Returns:
            ``{"loss", "latent", "output", "rd", "bpp", "mse"}`` (``loss`` keeps the graph).
        """
        w = self.weights
        rd = self.rd(student_out, x)
        zero = rd["loss"].new_zeros(())
        latent, output = zero, zero
        if w["latent"] > 0 or w["output"] > 0:
            if teacher_out is None:
                raise ParameterError("latent/output terms need the teacher's outputs")
        if w["latent"] > 0:
            sf, tf = student_out["features"], teacher_out["features"]
            latent = sum(self._feature_mse(self.project(n, sf[n]).float(), tf[n].float())
                         for n in self.latents) / len(self.latents)
        if w["output"] > 0:
            # in the units of the RD distortion term (λ·255²·MSE), so the 0.2 / 0.4 weights compare
            # like with like; a raw MSE of [0,1] images would be ~10^-3 of the RD term and vanish
            output = self.rd.lmbda * 255**2 * F.mse_loss(student_out["x_hat"], teacher_out["x_hat"])
        # a term with weight 0 is left out, not multiplied by 0 (0 * inf would poison the sum)
        loss = sum((w[k] * v for k, v in (("latent", latent), ("output", output), ("rd", rd["loss"])) if w[k] > 0), zero)
        return {"loss": loss, "latent": latent.detach(), "output": output.detach(), "rd": rd["loss"].detach(),
                "bpp": rd["bpp_loss"].detach(), "mse": rd["mse_loss"].detach()}

    def loss_fn(self, student: nn.Module, x: torch.Tensor) -> dict:
        """``fn(model, x)`` for :func:`lic.train.loop.train`: runs teacher (no grad) and student."""
        names = self.latents if self.weights["latent"] > 0 else ()
        s_out, s_feats = forward_features(student, x, names)
        t_out = None
        if self.weights["latent"] > 0 or self.weights["output"] > 0:
            with torch.no_grad():
                t, t_feats = forward_features(self.teacher, x, names)
            t_out = {"x_hat": t["x_hat"], "features": t_feats}
        return self(x, {**s_out, "features": s_feats}, t_out)


def _student(N: int, M: int, seed: int, init: nn.Module | None) -> nn.Module:
    seed_everything(seed)
    model = build_model(N=N, M=M)  # same seed -> same init for the KD and the scratch student
    if init is not None:
        if (int(init.N), int(init.M)) != (N, M):
            raise ParameterError(f"init model has N={init.N}, M={init.M}, the student N={N}, M={M}")
        load_state_dict_into(model, init.state_dict())
        model.int_prior = getattr(init, "int_prior", None)  # a released integer prior, valid while not trained
    return model


def distill_student(
    teacher: nn.Module,
    N: int,
    cfg: TrainConfig,
    sampler: CropSampler,
    ckpt_path: str | os.PathLike,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    latents: Sequence[str] = ("y",),
    latent_norm: str = "none",
    init: nn.Module | None = None,
    progress: bool = True,
    desc: str | None = None,
    max_seconds: float | None = None,
) -> tuple[nn.Module, dict]:
    """Train a width-``N`` student (M of the teacher) by distillation from ``teacher``.

    Args:
        teacher: trained codec; frozen here.
        N: student transform width.
        cfg: training budget and λ (``cfg.seed`` seeds the student's init and the noise).
        sampler: training crops.
        ckpt_path: resumable training state (:func:`lic.train.loop.train`).
        weights, latents, latent_norm: see :class:`DistillationLoss`.
        init: optional starting weights of the same widths (e.g. a released student).
        max_seconds: stop early (checkpointed) after this wall time; the next call resumes.

    Returns:
        ``(student, train_info)``; the student is in eval mode with updated CDFs.
    """
    dev = default_device()
    student = _student(int(N), int(teacher.M), cfg.seed, init).to(dev)
    # NHWC like the student (lic.train.loop): the frozen teacher's forward is a third of a KD step
    kd = DistillationLoss(teacher.to(dev, memory_format=torch.channels_last), student, cfg.lmbda, weights,
                          latents, latent_norm).to(dev)
    seed_everything(cfg.seed + 1)  # same noise stream as train_scratch, whatever the projections drew
    info = train(student, cfg, sampler, ckpt_path, loss_fn=kd.loss_fn, extra_modules=kd.extra_modules,
                 progress=progress, desc=desc or f"KD N={N} λ={cfg.lmbda}", max_seconds=max_seconds)
    teacher.to("cpu")
    return student, info


def train_scratch(
    N: int,
    M: int,
    cfg: TrainConfig,
    sampler: CropSampler,
    ckpt_path: str | os.PathLike,
    init: nn.Module | None = None,
    progress: bool = True,
    desc: str | None = None,
    max_seconds: float | None = None,
) -> tuple[nn.Module, dict]:
    """The from-scratch baseline: the same student (seed, widths, batches, steps), RD loss only."""
    student = _student(int(N), int(M), cfg.seed, init).to(default_device())
    seed_everything(cfg.seed + 1)
    info = train(student, cfg, sampler, ckpt_path, progress=progress, desc=desc or f"scratch N={N} λ={cfg.lmbda}",
                 max_seconds=max_seconds)
    return student, info


def fit(
    spec: StudentSpec,
    teacher: nn.Module | None,
    sampler: CropSampler,
    ckpt_path: str | os.PathLike,
    cfg: TrainConfig | None = None,
    init: nn.Module | None = None,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    latents: Sequence[str] = ("y",),
    latent_norm: str = "none",
    progress: bool = True,
    desc: str | None = None,
    max_seconds: float | None = None,
) -> tuple[nn.Module, dict]:
    """Train the student ``spec`` describes: by KD from ``teacher`` or by the RD loss alone
    (``spec.loss``), starting from ``init``, else from the teacher's weights pruned to ``spec.N``
    (``spec.inherits``, :func:`lic.train.prune.prune_to_width`), else from the random init of ``spec.seed``.

    Args:
        spec: the student.
        teacher: the trained codec it distils or inherits from; may be None for an RD-only
            student that inherits nothing.
        sampler: training crops.
        ckpt_path: resumable training state (:func:`lic.train.loop.train`).
        cfg: the training run; default ``spec.train_config()``.
        init: starting weights of the student's widths (a released student, a fine-tune's base).
        weights: KD loss weights (:func:`normalize_weights`); an ``abl-<config>`` student keeps only
            the terms of :data:`ABLATIONS` ``[config]``, the others set to 0.
        latents, latent_norm: see :class:`DistillationLoss`.
        progress, desc, max_seconds: see :func:`lic.train.loop.train` (``desc`` default ``spec.label``).

    Returns:
        ``(student, train_info)``; the student is in eval mode with updated CDFs.

    Raises:
        ParameterError: ``spec`` needs a teacher and none is given.
    """
    if teacher is None and (spec.loss == "kd" or (init is None and spec.inherits)):
        raise ParameterError(f"{spec.name} needs a teacher (loss {spec.loss}, inherits: {spec.inherits})")
    if init is None and spec.inherits:  # the teacher's own weights, its N channels pruned to the student's
        from lic.train.prune import prune_to_width

        calib = sampler.batch(0, PRUNE_CALIB) if spec.prune == "data" else None  # the run's first crops
        init = prune_to_width(teacher, spec.N, calib).train()
    cfg = cfg or spec.train_config()
    desc = desc or spec.label
    if spec.loss == "rd":
        return train_scratch(spec.N, spec.M, cfg, sampler, ckpt_path, init=init, progress=progress, desc=desc,
                             max_seconds=max_seconds)
    w = normalize_weights(weights)
    if spec.ablation:
        keep = ABLATIONS[spec.ablation]
        w = {k: (v if k in keep else 0.0) for k, v in w.items()}
    return distill_student(teacher, spec.N, cfg, sampler, ckpt_path, weights=w, latents=latents,
                           latent_norm=latent_norm, init=init, progress=progress, desc=desc, max_seconds=max_seconds)
