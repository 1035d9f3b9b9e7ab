"""Typed stage configs, generated from the parameter tables of :mod:`lic.study.params`.

One frozen dataclass a stage (:class:`TeacherConfig` … :class:`ReportConfig`), its fields the stage's
parameters, the common ones and ``preset``, each typed ``Optional[<table type>]`` and checked against the
table (:func:`lic.study.params.check_value`) when the config is made. A config is also a read-only mapping
(``cfg["steps"]``, ``{**cfg}``) whose items are :meth:`StageConfig.as_dict`: the parameters as the artifact
key and ``params.json`` hold them (a parameter a preset may leave unset, ``precision`` or ``workers``, is
left out while it is None, as the presets leave it out)::

    cfg = config("02", "smoke", widths=[8])      # typed, checked
    cfg.widths, cfg["widths"], cfg.as_dict()     # [8], [8], {...}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Optional

from lic.errors import ParameterError
from lic.study.params import (PRESET_NAMES, STAGE_PARAMS, STAGES, UNSET, check_value, common_defaults, params_of,
                              stage_presets)

__all__ = ["StageConfig", "CONFIGS", "config_class", "config", "as_config", "TeacherConfig", "DistillConfig",
           "QuantConfig", "HlsConfig", "ReportConfig"]


class StageConfig(Mapping):
    """Base of the generated configs: validation, :meth:`as_dict` and read-only mapping access."""

    stage: ClassVar[str]
    #: parameters some preset leaves unset: out of :meth:`as_dict` (so out of the key) while None
    optional: ClassVar[frozenset]

    def __post_init__(self):
        if self.preset not in PRESET_NAMES:
            raise ParameterError(f"unknown preset {self.preset!r}; choose one of {sorted(PRESET_NAMES)}")
        for f in dataclasses.fields(self):
            if f.name != "preset":
                check_value(self.stage, f.name, getattr(self, f.name))

    def as_dict(self) -> dict[str, Any]:
        """The parameters (``preset`` included) as a plain dict: what keys, ``params.json`` and JSON take."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if not (f.name in self.optional and getattr(self, f.name) is None)}

    def replace(self, **changes) -> StageConfig:
        """A copy with ``changes`` (checked again)."""
        return dataclasses.replace(self, **changes)

    def __getitem__(self, name: str) -> Any:
        return self.as_dict()[name]

    def __iter__(self):
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())


def _class_name(stage: str) -> str:
    return STAGES[stage][2].capitalize() + "Config"


def _make(stage: str) -> type[StageConfig]:
    """The config dataclass of ``stage`` from its table rows (own parameters, common ones, ``preset``)."""
    optional = frozenset(p.name for p in STAGE_PARAMS[stage]
                         if any(p.value(pr) is UNSET for pr in PRESET_NAMES))
    fields = [("preset", str)]
    for p in params_of(stage).values():
        fields.append((p.name, Optional[p.type], dataclasses.field(default=None)) if p.name in optional
                      else (p.name, Optional[p.type]))
    doc = (f"Stage {stage} parameters (``notebooks/{STAGES[stage][1]}``), generated from "
           f":data:`lic.study.params.STAGE_PARAMS` ``[{stage!r}]`` and the common parameters.")
    cls = dataclasses.make_dataclass(_class_name(stage), fields, bases=(StageConfig,), frozen=True, kw_only=True,
                                     namespace={"stage": stage, "optional": optional, "__doc__": doc})
    cls.__module__ = __name__  # pickled by name (Dask workers), documented here
    return cls


#: stage -> its config class
CONFIGS: dict[str, type[StageConfig]] = {s: _make(s) for s in STAGES}
TeacherConfig = CONFIGS["01"]
DistillConfig = CONFIGS["02"]
QuantConfig = CONFIGS["03"]
HlsConfig = CONFIGS["04"]
ReportConfig = CONFIGS["05"]


def config_class(stage: str) -> type[StageConfig]:
    """The config dataclass of a stage.

    Raises:
        ParameterError: unknown stage.
    """
    if stage not in CONFIGS:
        raise ParameterError(f"unknown stage {stage!r}; stages: {list(STAGES)}")
    return CONFIGS[stage]


def config(stage: str, preset: str, **overrides) -> StageConfig:
    """The preset's parameters for ``stage`` with non-``None`` overrides applied, typed.

    Overrides are checked against the stage's table: a parameter a preset leaves unset (``precision``
    outside paper) may still be given.

    Raises:
        ParameterError: unknown stage, preset or parameter name, or a value of the wrong type (one line).
    """
    cls = config_class(stage)
    table = stage_presets(stage)
    if preset not in table:
        raise ParameterError(f"unknown preset {preset!r}; choose one of {sorted(table)}")
    p, known = {**common_defaults(), **table[preset]}, params_of(stage)
    for k, v in overrides.items():
        if k not in known:
            raise ParameterError(f"stage {stage} has no parameter {k!r}; known: {sorted(known)}")
        check_value(stage, k, v)
        if v is not None:
            p[k] = v
    return cls(preset=preset, **p)


def as_config(stage: str, params: Mapping) -> StageConfig:
    """A resolved parameter dict (``preset`` included, as :func:`lic.study.runner.resolve_params` gives it)
    as the stage's config; a config of that stage is returned as it is.

    Raises:
        ParameterError: an unknown or missing parameter, or a value of the wrong type.
    """
    cls = config_class(stage)
    if isinstance(params, cls):
        return params
    names = {f.name for f in dataclasses.fields(cls)}
    unknown, missing = set(params) - names, {f.name for f in dataclasses.fields(cls)
                                             if f.name not in params and f.name not in cls.optional}
    if unknown or missing:
        raise ParameterError(f"stage {stage} parameters: unknown {sorted(unknown)}, missing {sorted(missing)}")
    return cls(**dict(params))
