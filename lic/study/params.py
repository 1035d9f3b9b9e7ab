"""Every stage parameter, described once: a typed table per stage.

Each row names a parameter, its type, what it means and its value in each preset. From these tables
come each stage's ``PRESETS`` (:func:`stage_presets`), :data:`lic.study.runner.COMMON`, the typed config
dataclasses of :mod:`lic.study.config` and their checks, the parsing of ``python -m lic.study -p STAGE.NAME
VALUE``, the notebooks' ``parameters`` cells and ``docs/PARAMETERS.md`` (both generated from here)::

    python -m lic.study.params --check   # the notebooks' parameters cells and the docs equal the tables
    python -m lic.study.params --write   # regenerate them from the tables

A notebook's next cell takes the values back without naming them again, into the study's plan:
``pl = plan(preset, ["02"], {**(upstream or {}), "02": overrides("02", globals())})``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Union

from lic.errors import ParameterError
from lic.provenance import ROOT

__all__ = ["PRESET_NAMES", "UNSET", "Param", "COMMON_PARAMS", "NOTEBOOK_PARAMS", "NOTEBOOK_ONLY", "STAGE_PARAMS",
           "NOTES", "params_of", "notebook_params", "common_defaults", "stage_presets", "annotation", "check_value",
           "parse_value", "overrides", "parameters_cell", "markdown", "check", "write", "DOCS", "main"]

PRESET_NAMES = ("smoke", "quick", "paper")


class _Unset:
    """A preset that does not set a parameter (the stage's code then uses its own default)."""

    def __repr__(self) -> str:
        return "UNSET"


#: the value of a parameter a preset leaves out of its dict
UNSET = _Unset()
_SAME = object()


@dataclass(frozen=True)
class Param:
    """One parameter: name, type of its values (``None`` always means "the preset's" or "derived"),
    a one-line meaning and its value in each preset (:data:`UNSET`: left out of that preset).

    For notebook-only parameters (not in any preset) ``smoke`` holds the notebook's default.

    Attributes:
        name: the parameter's name in the preset dict, the notebook and ``-p STAGE.NAME``.
        type: a ``typing`` annotation of its values (``int``, ``List[float]``, ``Union[bool, List[int]]``).
        doc: one line: the notebook's ``# help`` and the docs' meaning (no ``=``: papermill would not parse it).
        smoke: value in the smoke preset.
        quick: value in the quick preset (default: the smoke value).
        paper: value in the paper preset (default: the quick value).
    """

    name: str
    type: Any
    doc: str
    smoke: Any = UNSET
    quick: Any = _SAME
    paper: Any = _SAME

    def __post_init__(self):
        if self.quick is _SAME:
            object.__setattr__(self, "quick", self.smoke)
        if self.paper is _SAME:
            object.__setattr__(self, "paper", self.quick)

    def value(self, preset: str) -> Any:
        """The parameter's value in ``preset`` (a copy), or :data:`UNSET`."""
        v = getattr(self, preset)
        return v if v is UNSET else copy.deepcopy(v)


_UTILISATION = Param("utilisation", float, "fraction of each board's resources the accelerator may use", 0.8)
_PRECISION = Param("precision", str, 'training precision: "fp32", "bf16", "fp16" (+ GradScaler) or "amp" (CUDA '
                   'bf16, else fp16); unset: fp32', UNSET, UNSET, "amp")
_WORKERS = Param("workers", int, "DataLoader workers streaming training crops from disk (a folder of any size); "
                 "unset: crops from an in-memory sampler", UNSET, UNSET, 8)

_ENTROPY = Param("entropy", str, '"integer": integer h_a, h_s and CDF indexes (lic.codec.intprior: streams decode the '
                 'same on any machine; released "-int" variants, else calibrated here) or "float" (CompressAI\'s)',
                 "integer")

#: parameters every stage has (:data:`lic.study.runner.COMMON`), after the stage's own in each table
COMMON_PARAMS: tuple[Param, ...] = (
    Param("seed", int, "seeds everything random in the stage (init, crops, noise, test vectors)", 0),
    Param("train_dir", str, "training photos; None: $LIC_TRAIN_DIR", None),
    Param("kodak_dir", str, "Kodak; None: $LIC_KODAK_DIR", None),
    Param("artifacts", str, "artifact root; None: $LIC_ARTIFACTS, else artifacts/", None),
    Param("threads", int, "torch threads; None: torch default", None),
    Param("eval_sets", List[Any], 'image folders coded beside Kodak: "path" or {"path", "name", "md5sums"} (a '
          "folder MD5SUMS is verified; keyed by content); stage 05 shows only these, [] every set", []),
)

#: notebook parameters that steer a run but are no stage parameters (not keyed, not in a preset)
NOTEBOOK_PARAMS: tuple[Param, ...] = (
    Param("preset", str, "smoke | quick | paper: the parameter set every None below falls back to", "quick"),
    Param("upstream", Dict[str, Dict[str, Any]], "{stage: overrides} given to earlier stages (the study runner "
          "passes them on)", None),
    Param("force", bool, "recompute even if the artifact exists", False),
    Param("interactive", bool, "True in JupyterLab: ipywidgets explorer; False (papermill, batch): static table",
          False),
)
#: names of :data:`NOTEBOOK_PARAMS` the runner passes to a notebook but never to a stage
NOTEBOOK_ONLY = frozenset(p.name for p in NOTEBOOK_PARAMS) - {"preset"}

#: stage -> its own parameters, in the notebook's order
STAGE_PARAMS: dict[str, tuple[Param, ...]] = {
    "01": (
        Param("N", int, "transform channels of the teacher", 16, 128),
        Param("M", int, "latent channels", 24, 192),
        Param("lambdas", List[float], "RD trade-offs λ, one model each", [0.0067, 0.025],
              [0.0018, 0.0035, 0.0067, 0.025], [0.0018, 0.0035, 0.0067, 0.013, 0.025]),
        Param("steps", int, "training steps per λ (0: evaluate the initial weights)", 4, 0),
        Param("batch_size", int, "crops per step", 2, 8, 16),
        Param("crop", int, "crop size in pixels", 64, 128, 256),
        Param("lr", float, "Adam learning rate", 1e-4),
        Param("init", str, '"scratch", "zoo" (released weights/), "compressai" (the paper\'s teacher: CompressAI\'s '
              "pretrained bmshj2018-hyperprior at each λ: N 128, M 192, λ up to 0.025) or a checkpoint path",
              "scratch", "zoo", "compressai"),
        Param("kodak_limit", int, "number of Kodak images (24: all)", 2, 24),
        Param("jpeg_qualities", List[int], "Pillow quality sweep for JPEG and WebP", [20, 60, 90],
              [5, 10, 20, 30, 40, 50, 60, 70, 80, 90], [5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95]),
        _ENTROPY,
        _PRECISION,
        _WORKERS,
    ),
    "02": (
        Param("widths", List[int], "student transform widths N; M is the teacher's", [8, 12], [32, 64],
              [16, 32, 64, 96, 112]),
        Param("lambdas", List[float], "λ subset of the stage-01 teacher set (None: all of the teacher's)", None,
              [0.0067, 0.025], None),
        Param("steps", int, "training steps per student (KD and from-scratch)", 2, 0, 1_000_000),
        Param("batch_size", int, "crops per step", 2, 8, 16),
        Param("crop", int, "crop size in pixels", 64, 128, 256),
        Param("lr", float, "Adam learning rate", 1e-4),
        Param("init", str, '"scratch", "zoo" (released students in weights/, error if missing) or "auto" (zoo where '
              "released)", "scratch", "zoo", "scratch"),
        Param("weights", Dict[str, float], "loss weights of the KD objective (see lic.train.kd.DEFAULT_WEIGHTS)",
              {"latent": 0.2, "output": 0.2, "rd": 0.4}),
        Param("latents", List[str], 'features matched by the latent term: "y", "z", "g_a.1", "g_a.3", "g_a.5", '
              '"g_s.1", "g_s.3", "g_s.5"', ["y"]),
        Param("scratch_baseline", Union[bool, List[int]], "also train students from scratch (RD loss only) for "
              "the KD-vs-scratch BD-rate: True (every width) or a list of widths", [8], [64], True),
        Param("noise_seeds", List[int], "extra seeds for the run-to-run noise of KD vs scratch ([] for none; quick: "
              "the recorded seeds of benchmarks/results/seed_controls.json)", [1], [], []),
        Param("objective_tail", float, "final fraction of each run whose training RD cost pairs KD with scratch "
              "(0.15: after the lr drop)", 0.15),
        Param("pruned_widths", List[int], "widths whose students also start from the channel-pruned teacher "
              "(kd-pruned / rd-pruned)", [8], [64], []),
        Param("pruned_kinds", List[str], 'which of "kd-pruned" (KD) and "rd-pruned" (the RD-only control) train at '
              "each of pruned_widths (quick: the control is a benchmark record)", ["kd-pruned", "rd-pruned"],
              ["kd-pruned"], ["kd-pruned", "rd-pruned"]),
        Param("deployed_lambdas", List[float], "more λ of the stage-01 teacher set for the deployed student (KD from "
              "the pruned teacher, each of pruned_widths): its BD-rate vs the teacher on these and lambdas ([]: none)",
              [], [0.0018, 0.0035], []),
        Param("ablation_width", int, "width N of the loss-term ablation (0: no ablation)", 8, 64),
        Param("ablation_init", str, 'ablation students start from "scratch" or "zoo" (the released from-scratch '
              "student)", "scratch", "zoo", "scratch"),
        Param("ablation_steps", int, "training steps of each ablation student", 2, 40, 1_000_000),
        Param("kodak_limit", int, "number of Kodak images (24: all)", 2, 8, 24),
        _ENTROPY,
        _PRECISION,
        _WORKERS,
    ),
    "03": (
        Param("source", str, '"student" (stage 02, width below) or "teacher" (stage 01)', "student"),
        Param("width", int, "N of the stage-02 student to quantize", 12, 64),
        Param("student_kind", str, 'which stage-02 student: "kd", "scratch", "kd-pruned" (from the pruned '
              'teacher), "rd-pruned"', "kd", "kd-pruned", "kd"),
        Param("lambdas", List[float], "λ, one model each (two or more for BD-rates)", [0.0067, 0.025],
              [0.0067, 0.025], [0.0018, 0.0035, 0.0067, 0.013, 0.025, 0.0483]),
        Param("calib_batches", int, "PTQ calibration batches of training crops", 2, 4, 32),
        Param("calib_batch_size", int, "crops per calibration batch", 2, 4, 8),
        Param("crop", int, "crop size in pixels (calibration, QAT, fine-tuning)", 64, 128, 256),
        Param("qat_steps", int, "QAT fine-tuning steps per quantized model", 2, 10, 5000),
        Param("simplified_steps", int, "fine-tuning steps after swapping in the simplified GDN", 2, 20, 20000),
        Param("prune_ratio", float, "fraction of the N channels removed by L1 pruning", 0.3),
        Param("prune_steps", int, "float fine-tuning steps after pruning (before quantization)", 2, 20, 20000),
        Param("batch_size", int, "crops per training step", 2, 4, 8),
        Param("lr", float, "Adam learning rate of QAT / fine-tuning", 1e-5),
        Param("kodak_limit", int, "number of Kodak images (24: all)", 1, 6, 24),
        Param("onnx_hw", int, "crop side of the ONNX export check", 64, 128, 256),
        Param("noise_seeds", List[int], "extra seeds: every row rebuilt per seed, for the run-to-run noise of the "
              "table", [1]),
    ),
    "04": (
        Param("source", str, '"quant": stage-03 hybrid model + integer params; "teacher": stage-01 teacher '
              "quantized here", "quant"),
        Param("lmbda", float, "which RD point's model to build", 0.025),
        Param("width", int, "not read (the model's width is its source's); part of the artifact key", None),
        Param("calib_crops", int, 'training crops used to calibrate (source "teacher")', 2, 8, 32),
        Param("calib_crop", int, "their size in pixels", 64, 128, 256),
        Param("csim_random", int, "random images through the C-sim tops", 2, 2, 4),
        Param("csim_shape", List[int], "[H, W] of the random images", [64, 64], [64, 64], [128, 128]),
        Param("csim_kodak", int, "Kodak images (centre crops) through the C-sim tops", 1, 2, 24),
        Param("csim_crop", int, "crop size of those", 64, 128, 256),
        Param("parallel", Dict[str, List[int]], '{layer: [pe, simd]} of the C-sim build, e.g. {"g_a.0": [2, 3]} '
              "({}: the board's folding plan)", {}),
        Param("csim_folding", str, '"plan": the C-sim is built with the board\'s folding plan unless parallel is '
              "set", "plan"),
        Param("board", str, "zcu102 | zcu104 | kv260 | u250 (data/boards/*.yaml)", "zcu102"),
        _UTILISATION,
        Param("clock_mhz", float, "None: the board's planning clock", None),
        Param("transforms", str, 'what runs on the FPGA: "g_a" (encoder transform), "both", "encoder", ...', "g_a"),
        Param("fps_target", float, "real-time target in frames/s", 30),
        Param("resolutions", List[List[int]], "[[width, height], ...]; the first is the headline one",
              [[1280, 720], [1920, 1080]]),
        Param("rtl", bool, "run the RTL co-simulation (iverilog + yosys) when installed", True),
        Param("rtl_vectors", int, "test vectors per RTL unit", 2000, 10000, 100000),
        Param("rtl_ga", bool, "simulate the whole g_a RTL with Verilator (measured cycles and fps)", True),
        Param("rtl_ga_crop", int, "side of the Kodak centre crop streamed through it (a multiple of 16)",
              64, 128, 512),
    ),
    "05": (
        Param("boards", List[str], "boards of the width-for-board frontier (data/boards/*.yaml)",
              ["zcu102", "zcu104", "kv260", "u250"]),
        Param("resolution", List[int], "[width, height] of the frontier", [1280, 720]),
        Param("fps", float, "frame-rate target of the frontier", 30),
        _UTILISATION,
    ),
}

#: stage -> what its table does not say row by row (shown in docs/PARAMETERS.md)
NOTES: dict[str, str] = {
    "01": "paper: the paper's teacher, CompressAI's pretrained bmshj2018-hyperprior at quality 1-5 (N=128, M=192; "
          "quality 6+ has M=320, which the students' M=192 cannot distil). Training from scratch instead "
          "(`-p 01.init scratch -p 01.steps 1000000`) streams 16 × 256² crops by 8 DataLoader workers under "
          "CUDA autocast.",
    "02": "Students are distilled from the stage-01 teacher; `lambdas` None takes the teacher's set.",
    "05": "Stage 05 reports the run of stages 01-04 with the same preset (and `upstream` overrides).",
}


def _stage(stage: str) -> tuple[Param, ...]:
    if stage not in STAGE_PARAMS:
        raise ParameterError(f"unknown stage {stage!r}; stages: {list(STAGE_PARAMS)}")
    return STAGE_PARAMS[stage]


def params_of(stage: str) -> dict[str, Param]:
    """name -> :class:`Param` of a stage's parameters (its own, then :data:`COMMON_PARAMS`).

    Raises:
        ParameterError: unknown stage.
    """
    return {p.name: p for p in (*_stage(stage), *COMMON_PARAMS)}


def notebook_params(stage: str) -> list[Param]:
    """The rows of a stage notebook's ``parameters`` cell, in order: preset (and upstream after stage 01)
    first, the stage's parameters, the common ones, then force (and interactive for the report).

    Raises:
        ParameterError: unknown stage.
    """
    nb = {p.name: p for p in NOTEBOOK_PARAMS}
    head = [nb["preset"]] + ([nb["upstream"]] if stage != "01" else [])
    tail = [nb["force"]] + ([nb["interactive"]] if stage == "05" else [])
    return [*head, *params_of(stage).values(), *tail]


def common_defaults() -> dict[str, Any]:
    """name -> value of :data:`COMMON_PARAMS` (the same in every preset)."""
    return {p.name: p.value("smoke") for p in COMMON_PARAMS}


def stage_presets(stage: str) -> dict[str, dict[str, Any]]:
    """preset -> a stage's own parameters (:data:`UNSET` ones left out; common ones not included).

    Raises:
        ParameterError: unknown stage.
    """
    return {pr: {p.name: p.value(pr) for p in _stage(stage) if p.value(pr) is not UNSET} for pr in PRESET_NAMES}


def annotation(t: Any) -> str:
    """A type as the notebooks write it: ``int``, ``List[float]``, ``Union[bool, List[int]]``."""
    if t is Any:
        return "Any"
    if isinstance(t, type):
        return t.__name__
    name = getattr(t, "_name", None) or str(getattr(t, "__origin__", t)).replace("typing.", "")
    return f"{name}[{', '.join(annotation(a) for a in t.__args__)}]"


def _is(value: Any, t: Any) -> bool:
    """Whether ``value`` is of type ``t`` (ints count as floats; bools are no numbers; tuples are lists)."""
    origin, args = getattr(t, "__origin__", None), getattr(t, "__args__", ())
    if t is Any:
        return True
    if origin is Union:
        return any(_is(value, a) for a in args)
    if origin is list:
        return isinstance(value, (list, tuple)) and all(_is(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(_is(k, args[0]) and _is(v, args[1]) for k, v in value.items())
    if t in (int, float) and isinstance(value, bool):
        return False
    return isinstance(value, (int, float) if t is float else t)


def check_value(stage: str, name: str, value: Any) -> None:
    """Check a non-``None`` value of a known parameter against its table type.

    Raises:
        ParameterError: the value is of another type (one line naming stage, parameter, type and value).
    """
    t = params_of(stage)[name].type
    if value is not None and not _is(value, t):
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        raise ParameterError(f"stage {stage} parameter {name!r} must be {annotation(t)}, "
                             f"got {type(value).__name__} {shown}".replace("\n", " "))


def parse_value(stage: str, name: str, text: str) -> Any:
    """A command-line value of ``STAGE.NAME``, read as its table type: JSON, except that a ``str``
    parameter takes the text as it is (unless it is a quoted JSON string). Unknown names: JSON if it
    parses, else the text (:func:`lic.study.runner.resolve_params` then names the error).

    Raises:
        ParameterError: the text is no JSON for a non-string parameter.
    """
    rows = {p.name: p for p in NOTEBOOK_PARAMS}
    if stage in STAGE_PARAMS:
        rows.update(params_of(stage))
    t = rows[name].type if name in rows else None
    if t is str and not text.startswith('"'):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        if t is None or t is Any or _is(text, t):
            return text
        raise ParameterError(f"-p {stage}.{name}: {text!r} is no {annotation(t)} (give a JSON value)") from None


def overrides(stage: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """A stage's parameters as a notebook holds them (``globals()`` after its parameters cell), for
    ``plan(preset, [stage], {stage: overrides(stage, globals())})``.

    Raises:
        ParameterError: unknown stage.
    """
    return {name: namespace[name] for name in params_of(stage) if name in namespace}


# --- generated text: the notebooks' parameters cells and docs/PARAMETERS.md -------------------------------

_TYPING = "from typing import Any, Dict, List, Optional, Union  # the annotations papermill reads (typed parameters)"
DOCS = ROOT / "docs" / "PARAMETERS.md"
NOTEBOOKS = ROOT / "notebooks"

#: stage id -> (artifact folder name, notebook, module of lic.study.stages holding ``PRESETS`` and ``run``)
STAGES: dict[str, tuple[str, str, str]] = {
    "01": ("01_teacher", "01_teacher_baseline.ipynb", "teacher"),
    "02": ("02_distillation", "02_distillation.ipynb", "distill"),
    "03": ("03_gdn_quant", "03_gdn_quant_ablation.ipynb", "quant"),
    "04": ("04_hls", "04_hls_build_cosim.ipynb", "hls"),
    "05": ("05_report", "05_report.ipynb", "report"),
}



def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def parameters_cell(stage: str) -> str:
    """The source of a stage notebook's ``parameters`` cell: one typed line with a ``# help`` each; a stage
    parameter defaults to ``None`` (the preset's value), a notebook-only one to its own default.

    Raises:
        ParameterError: unknown stage.
    """
    lines = [_TYPING]
    for p in notebook_params(stage):
        if p.name in NOTEBOOK_ONLY | {"preset"} and p.smoke is not None:
            lines.append(f"{p.name}: {annotation(p.type)} = {_literal(p.smoke)}  # {p.doc}")
        else:
            lines.append(f"{p.name}: Optional[{annotation(p.type)}] = None  # {p.doc}")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "—" if value is UNSET else f"`{json.dumps(value, ensure_ascii=False)}`"


def _row(p: Param, presets: bool = True) -> str:
    values = [_cell(p.value(pr)) for pr in PRESET_NAMES] if presets else [_cell(p.smoke)]
    cells = [f"`{p.name}`", f"`{annotation(p.type)}`", *values, p.doc]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def markdown() -> str:
    """``docs/PARAMETERS.md``: a table per stage (name, type, smoke, quick, paper, meaning), the common and
    the notebook-only parameters."""
    head = "| name | type | smoke | quick | paper | meaning |\n|---|---|---|---|---|---|"
    out = ["# Parameters", "",
           "Generated from the tables of `lic/study/params.py` by `python -m lic.study.params --write` (do not edit by hand;",
           "`python -m lic.study.params --check` runs in the tests). Override a parameter in a notebook's `parameters`",
           "cell (every `None` falls back to the preset) or on the command line: `python -m lic.study --preset",
           "quick -p 02.widths '[32, 64]'` (the value is read as the parameter's type: JSON, plain text for a",
           "string). A value of another type stops the run with one line. Values are shown as `-p` takes them",
           "(JSON: `null` is None, `true` True); — : the preset leaves the parameter unset.", ""]
    for stage, (folder, nb, _) in STAGES.items():
        out += [f"## {stage} · `{folder}` · `notebooks/{nb}`", ""]
        out += [NOTES[stage], ""] if stage in NOTES else []
        out += [head, *(_row(p) for p in _stage(stage)), ""]
    out += ["## Every stage", "", "Each stage has these too (`lic.study.runner.COMMON`); locations and `threads` stay out "
            "of the artifact key.", "", head, *(_row(p) for p in COMMON_PARAMS), "",
            "## Notebook only", "", "Steer a run, never part of a stage's parameters or key (`upstream` from stage 02 "
            "on, `interactive` in 05).", "", "| name | type | default | meaning |\n|---|---|---|---|",
            *(_row(p, presets=False) for p in NOTEBOOK_PARAMS), ""]
    return "\n".join(out)


def _notebooks() -> dict[str, Path]:
    return {stage: NOTEBOOKS / nb for stage, (_, nb, _) in STAGES.items()}


def _parameters_cell_of(nb: dict) -> dict:
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"a notebook needs exactly one cell tagged 'parameters', found {len(cells)}")
    return cells[0]


def check() -> list[str]:
    """What differs from the tables: a line per notebook whose parameters cell is stale, and the docs."""
    problems = []
    for stage, path in _notebooks().items():
        cell = _parameters_cell_of(json.loads(path.read_text(encoding="utf-8")))
        if "".join(cell["source"]) != parameters_cell(stage):
            problems.append(f"{path.name}: the parameters cell differs from lic.study.params (run python -m lic.study.params --write)")
    if not DOCS.exists() or DOCS.read_text(encoding="utf-8") != markdown():
        problems.append(f"{DOCS.name}: differs from lic.study.params (run python -m lic.study.params --write)")
    return problems


def write() -> list[Path]:
    """Regenerate the notebooks' parameters cells (nothing else in them) and ``docs/PARAMETERS.md``; return
    the files that changed."""
    from lic.fileio import atomic_write_text

    changed = []
    for stage, path in _notebooks().items():
        raw = path.read_text(encoding="utf-8")  # read right before writing: other cells may be edited meanwhile
        nb = json.loads(raw)
        text = parameters_cell(stage)
        _parameters_cell_of(nb)["source"] = text.splitlines(keepends=True)
        new = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        if new != raw:
            changed.append(atomic_write_text(path, new))
    if not DOCS.exists() or DOCS.read_text(encoding="utf-8") != markdown():
        DOCS.parent.mkdir(parents=True, exist_ok=True)
        changed.append(atomic_write_text(DOCS, markdown()))
    return changed


def main(argv=None) -> int:
    """``python -m lic.study.params --check | --write``: exit 0 when current (or written), 1 when stale."""
    a = argparse.ArgumentParser(prog="python -m lic.study.params", description=main.__doc__)
    g = a.add_mutually_exclusive_group(required=True)
    g.add_argument("--check", action="store_true", help="the notebooks' parameters cells and the docs are current")
    g.add_argument("--write", action="store_true", help="regenerate them from the tables")
    args = a.parse_args(argv)
    if args.write:
        for path in write():
            print(f"wrote {path}")
        return 0
    problems = check()
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
