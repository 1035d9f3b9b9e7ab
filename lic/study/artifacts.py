"""Keyed artifacts and the one plan of a study.

Each stage writes ``artifacts/<stage folder>/<key>/``, where ``key`` hashes the stage's result-affecting
parameters and the keys of its inputs (:func:`stage_key`). :func:`plan` resolves every requested stage and
the stages they read, in dependency order: each gets its typed config (:mod:`lic.study.config`), its key
(computed once) and its artifact handle (:class:`StageArtifact`). A stage's back end then runs FINN-style
as ``run(cfg, inputs)``, ``inputs`` mapping the stage ids it reads to their finished artifacts::

    pl = plan("smoke", ["03"], {"02": {"widths": [8]}})
    quant.run(pl.cfg("03"), pl.inputs("03"), out=pl["03"])

Each stage module of :mod:`lic.study.stages` declares ``reads(cfg)`` (the stage ids it reads) and
``key_inputs(cfg, inputs)`` (what its key covers besides its parameters).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lic.errors import ArtifactError, ParameterError
from lic.fileio import read_json, write_json
from lic.provenance import ROOT
from lic.study.config import StageConfig, as_config, config
from lic.study.params import NOTEBOOK_ONLY, STAGES

__all__ = ["stage_module", "stage_key", "artifacts_root", "stage_dir", "StageArtifact", "Plan", "plan",
           "input_keys", "prepare", "load_model"]

#: parameters that never change a result (locations, threads) and so stay out of the key
_NOT_KEYED = {"train_dir", "kodak_dir", "artifacts", "threads", "force", "progress"}


def stage_module(stage: str):
    """The ``lic.study.stages`` module of a stage (``PRESETS``, ``reads``, ``key_inputs``, ``run``).

    Raises:
        ParameterError: unknown stage.
    """
    if stage not in STAGES:
        raise ParameterError(f"unknown stage {stage!r}; stages: {list(STAGES)}")
    return importlib.import_module(f"lic.study.stages.{STAGES[stage][2]}")


def stage_key(stage: str, params: Mapping, inputs: dict[str, Any] | None = None) -> str:
    """10-hex key of a stage's result-affecting parameters and its inputs' keys (with the released
    weights' checksums when a parameter is ``"zoo"``, so a new release never reuses stale artifacts).

    ``eval_sets`` enters by content (each set's name and :func:`lic.data.evalsets.fingerprint`), not by
    path, and not at all when empty: a stage without extra sets keeps its earlier key.

    Raises:
        ParameterError, DataError: a malformed ``eval_sets`` entry, or a set folder that cannot be read.
    """
    keyed = {k: v for k, v in dict(params).items() if k not in _NOT_KEYED and k != "preset"}
    if "eval_sets" in keyed:
        from lic.data.evalsets import key_of

        sets = key_of(keyed.pop("eval_sets"))
        if sets:
            keyed["eval_sets"] = sets
    if any(v == "zoo" for v in keyed.values()):  # starts from weights/: a new release is a new input
        from lic.codec.zoo import fingerprint

        inputs = {**(inputs or {}), "zoo": fingerprint()}
    blob = json.dumps({"stage": stage, "params": keyed, "inputs": inputs or {}}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:10]


def artifacts_root(params: Mapping | None = None) -> Path:
    """Where artifacts go: ``params["artifacts"]``, else $LIC_ARTIFACTS, else ``artifacts/``."""
    root = (params or {}).get("artifacts") or os.environ.get("LIC_ARTIFACTS") or ROOT / "artifacts"
    return Path(root)


def stage_dir(stage: str, params: Mapping, inputs: dict[str, Any] | None = None) -> Path:
    """``artifacts/<stage folder>/<key>/`` (not created)."""
    return artifacts_root(params) / STAGES[stage][0] / stage_key(stage, params, inputs)


@dataclass(frozen=True)
class StageArtifact:
    """A stage's artifact folder: its config, what its key covers, the key (computed once), whether it is
    done, its results.

    Attributes:
        stage: the stage id, ``"01"`` … ``"05"``.
        cfg: the stage's config (:class:`lic.study.config.StageConfig`; a resolved dict is taken as it is).
        inputs: what the key covers besides the parameters: the input stages' keys (and the zoo's or the
            quantization schemes' digests where a stage declares them).
        key: :func:`stage_key` of the above, computed when the handle is made unless given.
    """

    stage: str
    cfg: Mapping
    inputs: dict = field(default_factory=dict)
    key: str = ""

    def __post_init__(self):
        if not self.key:
            object.__setattr__(self, "key", stage_key(self.stage, self.cfg, self.inputs))

    @property
    def params(self) -> dict:
        """The parameters as a plain dict (``preset`` included)."""
        return self.cfg.as_dict() if isinstance(self.cfg, StageConfig) else dict(self.cfg)

    @property
    def dir(self) -> Path:
        return artifacts_root(self.cfg) / STAGES[self.stage][0] / self.key

    @property
    def done(self) -> bool:
        return (self.dir / "results.json").exists()

    def require(self) -> StageArtifact:
        """This artifact, finished.

        Raises:
            ArtifactError: it has not been run yet (the message names the notebook to run).
        """
        if not self.done:
            preset = self.params.get("preset")
            raise ArtifactError(f"stage {self.stage} ({preset}) has no artifact at {self.dir}: run notebooks/"
                                f"{STAGES[self.stage][1]} first (or python -m lic.study --preset {preset} "
                                f"--stages {self.stage})")
        return self

    def results(self) -> dict:
        f = self.dir / "results.json"
        if not f.exists():
            raise ArtifactError(f"stage {self.stage} has no results at {self.dir}: "
                                f"run notebooks/{STAGES[self.stage][1]} first")
        return read_json(f)

    def finish(self, results: dict) -> dict:
        """Write ``results.json`` (+ params.json) last, atomically."""
        self.dir.mkdir(parents=True, exist_ok=True)
        write_json(self.dir / "params.json", {"stage": self.stage, "key": self.key, "params": self.params,
                                              "inputs": self.inputs})
        results = {**results, "stage": self.stage, "key": self.key, "preset": self.params.get("preset")}
        write_json(self.dir / "results.json", results)
        return results


def input_keys(inputs: Mapping[str, StageArtifact]) -> dict[str, str]:
    """stage id -> key of each input artifact (what every stage's key covers)."""
    return {s: a.key for s, a in inputs.items()}


@dataclass(frozen=True)
class Plan:
    """Every stage of a study resolved once, in dependency order.

    Attributes:
        preset: the preset every stage falls back to.
        artifacts: stage id -> its :class:`StageArtifact` (config, key, folder), inputs first.
        reads: stage id -> the stage ids it reads.
    """

    preset: str
    artifacts: dict[str, StageArtifact]
    reads: dict[str, tuple[str, ...]]

    def __getitem__(self, stage: str) -> StageArtifact:
        if stage not in self.artifacts:
            raise ParameterError(f"stage {stage!r} is not in this plan ({list(self.artifacts)})")
        return self.artifacts[stage]

    def __iter__(self):
        return iter(self.artifacts)

    def cfg(self, stage: str) -> StageConfig:
        """The typed config of ``stage``."""
        return self[stage].cfg

    def inputs(self, stage: str) -> dict[str, StageArtifact]:
        """The finished artifacts ``stage`` reads, by stage id.

        Raises:
            ArtifactError: one has not been run yet (names the notebook to run).
        """
        return {u: self[u].require() for u in self.reads[stage]}


def plan(preset: str, stages: list[str] | tuple[str, ...] | str | None = None,
         overrides: Mapping[str, Mapping] | None = None) -> Plan:
    """Resolve ``stages`` (default all) and every stage they read, each once: config, key, artifact.

    Args:
        preset: ``smoke``, ``quick`` or ``paper``.
        stages: stage ids (or one).
        overrides: ``{stage: {parameter: value}}``; ``None`` values keep the preset's, notebook-only
            names (``force``, ``upstream``, ``interactive``) are ignored.

    Raises:
        ParameterError: an unknown stage, preset or parameter, a value of the wrong type, or a ``source``
            a stage cannot read (one line).
        DataError: an evaluation set that cannot be read (its content is keyed).
    """
    stages = [stages] if isinstance(stages, str) else list(STAGES) if stages is None else list(stages)
    overrides = dict(overrides or {})
    for s in [*stages, *overrides]:
        if s not in STAGES:
            raise ParameterError(f"unknown stage {s!r}; stages: {list(STAGES)}")
    arts: dict[str, StageArtifact] = {}
    reads: dict[str, tuple[str, ...]] = {}

    def resolve(s: str) -> StageArtifact:
        if s not in arts:
            mod = stage_module(s)
            cfg = config(s, preset, **{k: v for k, v in (overrides.get(s) or {}).items() if k not in NOTEBOOK_ONLY})
            reads[s] = tuple(mod.reads(cfg))
            ins = {u: resolve(u) for u in reads[s]}
            arts[s] = StageArtifact(s, cfg, mod.key_inputs(cfg, ins))
        return arts[s]

    for s in stages:
        resolve(s)
    order = sorted(arts)  # stage ids are in dependency order: a stage reads only earlier ones
    return Plan(preset, {s: arts[s] for s in order}, {s: reads[s] for s in order})


def prepare(stage: str, cfg: Mapping, inputs: Mapping[str, StageArtifact] | None = None,
            out: StageArtifact | None = None):
    """A stage back end's start: ``(typed config, finished inputs, own artifact)``.

    ``cfg`` may be a resolved dict (converted). ``inputs``: the artifacts the stage reads, as a plan gives
    them (``pl.inputs(stage)``); None only for a stage that reads nothing. ``out`` None: the stage's
    artifact from its config and inputs (a plan gives it, its key computed already).

    Raises:
        ParameterError: bad parameters, or inputs that are not the ones the config reads (none given to a
            stage that reads some: the message says how a plan gives them).
        ArtifactError: an input has not been run (names its notebook).
    """
    cfg, mod = as_config(stage, cfg), stage_module(stage)
    reads = tuple(mod.reads(cfg))
    if not inputs and reads:
        raise ParameterError(f"stage {stage} reads {list(reads)} with these parameters, was given none: pass "
                             f"the finished artifacts a plan gives, pl = plan(preset, [{stage!r}], overrides); "
                             f"run(pl.cfg({stage!r}), pl.inputs({stage!r}), out=pl[{stage!r}])")
    inputs = inputs or {}
    if set(inputs) != set(reads):
        raise ParameterError(f"stage {stage} reads {list(reads)} with these parameters, was given {list(inputs)}")
    inputs = {u: inputs[u].require() for u in reads}
    return cfg, inputs, out or StageArtifact(stage, cfg, mod.key_inputs(cfg, inputs))


def load_model(artifact: StageArtifact, lmbda: float, **selector):
    """The model at ``lmbda`` that a later stage reads from a finished artifact: the stage module's
    ``load_model(artifact, lmbda, **selector)`` (01: the teacher; 02: ``N``, ``kind``; 03: ``row``).

    Raises:
        ArtifactError: the artifact is not finished or holds no such model.
    """
    return stage_module(artifact.stage).load_model(artifact.require(), lmbda, **selector)
