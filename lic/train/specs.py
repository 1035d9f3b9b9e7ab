"""Names shared by the stages and the model zoo: the one spelling of a λ, and one student.

A student is described once, by a :class:`StudentSpec`; its zoo name
(``student-kd-n64-m192-l0.0250-s1``), its stage-02 artifact tag (``kd/n64/l0.0250/s1``) and its
file names (``student_kd_n64_l0.0250_s1.pt``) are all derived from it, and so is its
:class:`lic.train.loop.TrainConfig`. :func:`lic.train.kd.fit` trains one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from lic.errors import ArtifactError, ParameterError

__all__ = ["lambda_tag", "KIND_LOSS", "PRUNED_KINDS", "DEPLOYED_KIND", "STUDENT_KINDS", "LOSSES", "StudentSpec"]

#: the training losses of a student: ``kd`` (:class:`lic.train.kd.DistillationLoss`) or ``rd``, the
#: rate-distortion loss alone (the control)
LOSSES = ("kd", "rd")
#: main student kind -> its loss. ``kd``/``scratch``: random init; ``kd-pruned``/``rd-pruned``: start
#: from the teacher's own weights, its N channels pruned to the student's (:func:`lic.train.prune.prune_to_width`)
KIND_LOSS: dict[str, str] = {"kd": "kd", "scratch": "rd", "kd-pruned": "kd", "rd-pruned": "rd"}
#: the kinds that inherit the pruned teacher's weights
PRUNED_KINDS = ("kd-pruned", "rd-pruned")
#: the student kind the study deploys (quantized in stage 03, built in stage 04): KD from the pruned teacher
DEPLOYED_KIND = "kd-pruned"
#: every kind of main student; stage 02's loss-term ablation adds ``abl-<config>`` (KD, some terms off)
STUDENT_KINDS = tuple(KIND_LOSS)


def lambda_tag(lmbda: float) -> str:
    """λ as it appears in artifact names and results keys: four decimals (``0.0067``)."""
    return f"{lmbda:.4f}"


@dataclass(frozen=True)
class StudentSpec:
    """One student: what it is, how it is trained, and every name it goes by.

    The student has the teacher's architecture with transform width ``N`` (M kept). It trains by
    distillation or by the RD loss alone (:attr:`loss`, from ``kind``), from a random init of
    ``seed``, from the weights of the model ``init`` names, or — the pruned kinds without ``init`` —
    from the teacher's weights pruned to ``N`` channels (:attr:`inherits`).

    Args:
        kind: one of :data:`STUDENT_KINDS`, or ``abl-<config>`` (a :data:`lic.train.kd.ABLATIONS` config).
        N: transform width.
        M: latent channels (the teacher's).
        lmbda: λ of the RD term.
        seed: seeds the init, the crops and the noise (``-s<seed>`` in the name when not 0).
        steps: training steps.
        lr: learning rate.
        batch_size: crops per step.
        crop: crop size in pixels.
        precision: :data:`lic.train.loop.PRECISIONS`.
        init: zoo name of the model whose weights it starts from (the zoo's fine-tunes), if any.
        teacher: zoo name of the teacher it distils or inherits from (the zoo's recipes), if any.
        workers: stream crops from disk with this many DataLoader workers (None: in memory).
        gpu: the GPU continuation of a released student (``-gpu`` in the name).
        prune: how a pruned kind that inherits selects the teacher's channels: None, filter L1; ``"data"``, by their
            contribution on the first training batch, with the removed channels' mean folded in
            (:func:`lic.train.prune.prune_channels`).

    Raises:
        ParameterError: unknown ``kind`` or a width below 1.
    """

    kind: str
    N: int
    M: int = 192
    lmbda: float = 0.025
    seed: int = 0
    steps: int = 0
    lr: float = 1e-4
    batch_size: int = 8
    crop: int = 128
    precision: str = "fp32"
    init: str | None = None
    teacher: str | None = None
    workers: int | None = None
    gpu: bool = False
    prune: str | None = None

    def __post_init__(self):
        if self.kind not in KIND_LOSS and not self.kind.startswith("abl-"):
            raise ParameterError(f"unknown student kind {self.kind!r}; kinds: {STUDENT_KINDS} or abl-<config>")
        if self.prune not in (None, "data"):
            raise ParameterError(f"prune must be None (filter L1) or 'data', got {self.prune!r}")
        if int(self.N) < 1 or int(self.M) < 1:
            raise ParameterError(f"student widths must be positive, got N={self.N}, M={self.M}")

    @property
    def loss(self) -> str:
        """``"kd"`` or ``"rd"`` (:data:`LOSSES`); the ablation students are distilled."""
        return KIND_LOSS.get(self.kind, "kd")

    @property
    def ablation(self) -> str | None:
        """The loss-term ablation config of an ``abl-<config>`` student, else None."""
        return self.kind.removeprefix("abl-") if self.kind.startswith("abl-") else None

    @property
    def inherits(self) -> bool:
        """Whether it starts from the pruned teacher (a pruned kind that names no ``init``)."""
        return self.kind in PRUNED_KINDS and self.init is None

    @property
    def uses_teacher(self) -> bool:
        """Whether training reads the teacher: distilled, or started from its pruned weights."""
        return self.loss == "kd" or self.inherits

    @property
    def name(self) -> str:
        """The one name: ``student-<kind>-n<N>-m<M>-l<λ>[-s<seed>][-gpu]`` (the released file's stem)."""
        return (f"student-{self.kind}-n{int(self.N)}-m{int(self.M)}-l{lambda_tag(self.lmbda)}"
                + (f"-s{int(self.seed)}" if self.seed else "") + ("-gpu" if self.gpu else ""))

    @property
    def label(self) -> str:
        """Progress-bar label: ``kd N=64 λ=0.025``."""
        return f"{self.kind} N={self.N} λ={self.lmbda}"

    def tag(self, main_seed: int = 0) -> str:
        """Stage-02 results key ``<kind>/n<N>/l<λ>[/s<seed>]`` (``/s``: a seed other than ``main_seed``)."""
        return f"{self.kind}/n{int(self.N)}/l{lambda_tag(self.lmbda)}" + self._seed_suffix(main_seed, "/")

    def file_name(self, prefix: str = "student", main_seed: int = 0) -> str:
        """Stage-02 file ``<prefix>_<kind>_n<N>_l<λ>[_s<seed>].pt`` (``student``: the model, ``train``:
        its resumable training state)."""
        return f"{prefix}_{self.kind}_n{int(self.N)}_l{lambda_tag(self.lmbda)}{self._seed_suffix(main_seed, '_')}.pt"

    def _seed_suffix(self, main_seed: int, sep: str) -> str:
        return "" if self.seed == main_seed else f"{sep}s{int(self.seed)}"

    def train_config(self, **overrides):
        """The :class:`lic.train.loop.TrainConfig` of this student (:func:`lic.train.loop.train_config`);
        ``overrides`` replace fields (``ckpt_every``, ``precision``)."""
        from lic.train.loop import train_config

        return train_config(dataclasses.asdict(self), **overrides)

    def recipe(self) -> dict:
        """The zoo's recipe row: the fields that are set, ``loss``, and ``inherit`` (the model whose
        pruned weights it starts from, recorded in the release manifest)."""
        r = {k: v for k, v in dataclasses.asdict(self).items() if v is not None and v is not False}
        return {**r, "loss": self.loss, **({"inherit": self.teacher} if self.inherits else {})}

    @classmethod
    def from_recipe(cls, recipe: dict) -> StudentSpec:
        """The spec of a zoo recipe row (:meth:`recipe`; keys that are not fields are ignored)."""
        return cls(**{f.name: recipe[f.name] for f in dataclasses.fields(cls) if f.name in recipe})


def released_student(spec: StudentSpec, init: str, entropy: str = "float"):
    """Where stage 02's student ``spec`` starts for its ``init`` parameter: the released student of
    that name for ``zoo`` / ``auto``, nothing (its random init, or the pruned teacher) for ``scratch``
    and, with ``auto``, where none is released.

    Ablation students (``abl-*``) with ``init="zoo"`` all start from the released from-scratch
    student of their width and λ (seed 0), so the four loss configurations fine-tune the same weights.

    With ``entropy="integer"`` the released ``<name>-int`` variant is loaded where there is one (same weights, the
    integer entropy model attached); the label names the float model either way.

    Returns:
        ``(model or None, label)``; label ``"scratch"`` or ``"zoo:<name>"``.

    Raises:
        ArtifactError: ``init="zoo"`` and the student is not released.
    """
    from lic.codec.zoo import available, load_pretrained, released_variant

    if init == "scratch":
        return None, "scratch"
    name = (dataclasses.replace(spec, kind="scratch", seed=0) if spec.ablation else spec).name
    released = available()
    if name in released:
        return load_pretrained(released_variant(name, entropy)), f"zoo:{name}"
    if init == "auto":
        return None, "scratch"
    students = sorted(k for k in released if k.startswith("student-"))
    raise ArtifactError(f"no released student {name!r} in weights/ (released: {students or 'none'}); "
                        f"use init='auto' (scratch where missing) or init='scratch'")
