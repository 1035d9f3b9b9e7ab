"""Released reference weights (``weights/``), loaded by name, and the recipe that made them.

Like CompressAI's zoo, a table maps a name to its architecture, widths and λ; ``weights/
manifest.json`` records for each released file its SHA-256, the exact command, preset,
commit, steps and measured Kodak numbers. Files are fp16 state dicts (half the bytes of fp32;
the entropy models' CDF tables are rebuilt on load).

Train or continue a reference model (resumable across sessions)::

    python -m lic.zoo train teacher-n128-m192-l0.0250 --minutes 60
    python -m lic.zoo release teacher-n128-m192-l0.0250

The ``reference`` preset is every recipe in dependency order (base teacher, its fine-tunes,
then the students); interrupted anywhere, the same command continues where it stopped::

    python -m lic.zoo train reference --threads 2 && python -m lic.zoo release reference
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from .errors import ArtifactError, ParameterError
from .fileio import atomic_write_bytes, read_json, write_json
from .specs import StudentSpec, lambda_tag

__all__ = ["WEIGHTS_DIR", "REFERENCE", "STUDENTS", "STUDENT_STEPS", "PRESET_REFERENCE", "PRESET_GPU", "PRESET_GPU_P2",
           "PRESET_CPU_P3", "PRESET_CPU_P4", "PRESETS", "GPU_LAMBDAS", "expand", "describe_phases", "load_pretrained",
           "available", "ckpt_path", "released_log", "released_student", "train_reference", "release"]

GOLDEN_IMAGES = 3
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
#: training states of the recipes (``$LIC_ZOO_WORK`` moves them, e.g. into a GPU job's output folder)
WORK_DIR = Path(os.environ.get("LIC_ZOO_WORK") or Path(__file__).resolve().parents[1] / "artifacts" / "reference")

_T = {"N": 128, "M": 192, "crop": 128, "batch_size": 8, "precision": "bf16"}
#: the teacher every student at the base λ distils (its fine-tunes distil the teacher of their λ)
TEACHER = "teacher-n128-m192-l0.0250"
#: name -> recipe. ``init`` names the reference model a run starts from (weights only, fresh optimizer);
#: ``inherit`` a wider model whose channel-pruned weights it starts from (:func:`lic.prune.prune_channels`);
#: ``dir`` the work folder; ``release: False`` marks an intermediate that is not released. The students'
#: rows are :meth:`lic.specs.StudentSpec.recipe` of :data:`STUDENTS`.
REFERENCE: dict[str, dict] = {
    # phase 1 of the base teacher: from scratch at the paper's operating point, fp32
    "teacher-n128-m192-base": {**_T, "lmbda": 0.025, "lr": 3e-4, "steps": 10000, "precision": "fp32",
                               "dir": "teacher-n128-m192", "release": False},
    # phase 2: continued in bf16 autocast (on a CPU with AMX-BF16 2.88x the steps/s of NHWC fp32 at N=128,
    # benchmarks/results/throughput_2026-11-25b.txt; without AMX 0.88x, throughput_2026-11-25c-noamx.txt),
    # lr restarted at 3e-4 and dropped 10x for the last 15%. The released run followed a 20k-step schedule
    # up to step 5,800, then this one: the two are the same step for step, both keep lr 3e-4 until 8,500.
    TEACHER: {**_T, "lmbda": 0.025, "lr": 3e-4, "steps": 10000, "init": "teacher-n128-m192-base",
              "dir": "teacher-n128-m192-long"},
    # the other RD points: fine-tuned from the base (rate moves within a few hundred steps); the two
    # lowest λ extend the teacher curve down to the students' PSNR so BD-rates vs the teacher exist.
    # Four points in all (11 MB each in fp16, the N=64 students 4.1 MB; weights/ holds 120 MB, du -sh weights).
    **{f"teacher-n128-m192-l{lambda_tag(l)}": {**_T, "lmbda": l, "lr": 1e-4, "steps": 300, "init": TEACHER}
       for l in (0.0067,)},
    **{f"teacher-n128-m192-l{lambda_tag(l)}": {**_T, "lmbda": l, "lr": 1e-4, "steps": 500, "init": TEACHER}
       for l in (0.0018, 0.0035)},
}
#: training steps of a student at the base λ (all students: the same budget)
STUDENT_STEPS = 6000
#: the base-λ training of every reference student (the teacher's crops, batches and precision)
_S = {"M": 192, "lmbda": 0.025, "lr": 3e-4, "steps": STUDENT_STEPS, "batch_size": 8, "crop": 128,
      "precision": "bf16", "teacher": TEACHER}


def _with_fine_tune(base: StudentSpec) -> list[StudentSpec]:
    """``base`` and its 300-step fine-tune to λ=0.0067 from it (BD-rate needs two RD points)."""
    return [base, dataclasses.replace(base, lmbda=0.0067, lr=1e-4, steps=300, init=base.name,
                                      teacher="teacher-n128-m192-l0.0067")]


#: the released students, each after what it starts from. Paper: N is the only knob, M kept. KD and
#: from-scratch at the same budget and seed; N=64 with three seeds (init, crops and noise all change),
#: which measures the run-to-run noise the KD-vs-scratch difference has to exceed; ordered by seed, so an
#: interrupted preset has the complete seed-0 sweep first. Then weight inheritance (release v2.1): the
#: student starts from the λ=0.025 teacher itself, its N channels cut to the student's by filter L1 norm
#: (lic.prune.prune_channels), and trains on the same budget by KD ("kd-pruned") or by the RD loss alone
#: ("rd-pruned", the control that isolates KD); measured first with benchmarks/kd_variants.py --init
#: pruned-teacher (the same configs, step for step).
STUDENTS: list[StudentSpec] = [
    *_with_fine_tune(StudentSpec("kd", 64, seed=0, **_S)), *_with_fine_tune(StudentSpec("scratch", 64, seed=0, **_S)),
    *_with_fine_tune(StudentSpec("kd", 32, seed=0, **_S)),
    *_with_fine_tune(StudentSpec("kd", 64, seed=1, **_S)), *_with_fine_tune(StudentSpec("scratch", 64, seed=1, **_S)),
    *_with_fine_tune(StudentSpec("kd", 64, seed=2, **_S)), *_with_fine_tune(StudentSpec("scratch", 64, seed=2, **_S)),
    *_with_fine_tune(StudentSpec("kd-pruned", 64, seed=0, **_S)),
    *_with_fine_tune(StudentSpec("rd-pruned", 64, seed=0, **_S)),
]
#: the KD student from the pruned teacher also at the teacher's two lowest λ (500-step fine-tunes from its
#: base, as the teacher's): its BD-rate vs the teacher then rests on four RD points, as the teacher's curve does
_KD_PRUNED = StudentSpec("kd-pruned", 64, seed=0, **_S)
STUDENTS += [dataclasses.replace(_KD_PRUNED, lmbda=l, lr=1e-4, steps=500, init=_KD_PRUNED.name,
                                 teacher=f"teacher-n128-m192-l{lambda_tag(l)}") for l in (0.0018, 0.0035)]
REFERENCE.update({s.name: s.recipe() for s in STUDENTS})

# the next teacher phase (not released yet): 10k more bf16 steps from the released teacher, trained last so an
# interrupted preset never delays the release above; promoting it means re-distilling the students from it.
REFERENCE["teacher-n128-m192-p3"] = {**_T, "lmbda": 0.025, "lr": 3e-4, "steps": 10000, "init": TEACHER,
                                     "release": False}

#: the ``reference`` preset: all recipes, each after the models it starts from or distils
PRESET_REFERENCE = list(REFERENCE)

# the GPU job (scripts/device_run.sh, the ``gpu`` preset), at each of the teacher's four λ: the released teacher
# continued at the paper's 16 x 256² batches (CUDA bf16 autocast, crops from memory), then the KD student re-derived
# from it (its N channels pruned to 64, lic.prune, and distilled from it); ``gpu-p2``: that student continued (fresh
# optimizer, lr 1e-4), distilled from the same teacher. Time-boxed (--minutes per model): the lr drops 10x after 85 %
# of the box (lr_schedule "time"), ``steps`` only bounds it. ``replaces``: the released model a result is adopted as
# (``python -m lic.gpujob adopt``) where it beats it on Kodak. Not part of the CPU preset.
GPU_LAMBDAS = (0.0018, 0.0035, 0.0067, 0.025)
_G = {"crop": 256, "batch_size": 16, "precision": "amp", "gpu": True, "steps": 100_000}
for _l in GPU_LAMBDAS:
    _t = f"teacher-n128-m192-l{lambda_tag(_l)}"
    REFERENCE[f"{_t}-gpu"] = {**_T, **_G, "lmbda": _l, "lr": 1e-4, "init": _t, "replaces": _t, "lr_schedule": "time"}
    _s = StudentSpec("kd-pruned", 64, lmbda=_l, lr=3e-4, seed=0, **_G, teacher=f"{_t}-gpu")
    _r = {"replaces": dataclasses.replace(_s, gpu=False).name, "lr_schedule": "time"}
    REFERENCE[_s.name] = {**_s.recipe(), **_r}
    REFERENCE[f"{_s.name}-p2"] = {**dataclasses.replace(_s, init=_s.name, lr=1e-4).recipe(), **_r}
PRESET_GPU = [n for n in REFERENCE if REFERENCE[n].get("gpu") and not n.endswith("-p2")]
PRESET_GPU_P2 = [n for n in REFERENCE if n.endswith("-gpu-p2")]
# phase 3 on a CPU, after the GPU job: the released (GPU-trained) kd-pruned students continued by KD from the
# released teacher of their λ, 8 x 128² fp32 crops, lr 5e-5 dropped 10x after 85 % of the time box; adopted in
# place of the released student (``replaces``) where they beat it on Kodak.
for _l in GPU_LAMBDAS:
    _s = StudentSpec("kd-pruned", 64, seed=0, **{**_S, "lmbda": _l, "lr": 5e-5, "steps": 100_000, "precision": "fp32"})
    _s = dataclasses.replace(_s, init=_s.name, teacher=f"teacher-n128-m192-l{lambda_tag(_l)}")
    REFERENCE[f"{_s.name}-cpu-p3"] = {**_s.recipe(), "replaces": _s.name, "lr_schedule": "time"}
PRESET_CPU_P3 = [n for n in REFERENCE if n.endswith("-cpu-p3")]
# phase 4 on a CPU: the released students (after phase 3) annealed by the RD loss alone, lr 1e-5 dropped 10x after
# 85 % of the time box, 8 x 128² fp32, fresh crops (seed 4). Stage 03's float control (the same loss and lr, 150
# steps) had gained them up to 0.09 dB on Kodak, as much as phase 3's 6.7k KD steps. The phase's recipe is the RD-only
# kind of the pruned lineage (``rd-pruned`` with an ``init``: RD loss, no teacher); it replaces the kd-pruned student.
for _l in GPU_LAMBDAS:
    _k = StudentSpec("kd-pruned", 64, seed=0, **{**_S, "lmbda": _l})
    _s = StudentSpec("rd-pruned", 64, seed=4, **{**_S, "lmbda": _l, "lr": 1e-5, "steps": 100_000, "precision": "fp32",
                                                 "teacher": None, "init": _k.name})
    REFERENCE[f"{_k.name}-cpu-p4"] = {**_s.recipe(), "replaces": _k.name, "lr_schedule": "time"}
PRESET_CPU_P4 = [n for n in REFERENCE if n.endswith("-cpu-p4")]
# KD vs RD-only from the pruned teacher, seeds 1 to 3 (GPU job 2): the released teacher of each of two λ pruned to
# N=64, then trained by KD or by the RD loss alone on the same crops (the seed), KDRD_STEPS steps each at 16 x 256²
# (lr 3e-4, 10x drop at 85 %; the time box only guards the lr drop). Measurements, not released models
# (benchmarks/results/gpu_job_2026-11-27b).
KDRD_STEPS = 4000
_KDRD = [StudentSpec(k, 64, lmbda=_l, lr=3e-4, seed=_seed, **{**_G, "steps": KDRD_STEPS},
                     teacher=f"teacher-n128-m192-l{lambda_tag(_l)}")
         for _seed in (1, 2, 3) for _l in (0.0067, 0.025) for k in ("kd-pruned", "rd-pruned")]
REFERENCE.update({s.name: {**s.recipe(), "lr_schedule": "time"} for s in _KDRD})
PRESET_GPU_KDRD = [s.name for s in _KDRD]
#: preset name -> its recipes in training order, as the commands (``lic.zoo``, ``lic.gpujob``, ``lic.runlog``)
#: take them: ``reference`` (the CPU preset), the GPU job ``gpu`` (``gpu-l<λ>``: its models at one λ), its
#: second phase ``gpu-p2``, the CPU phases ``cpu-p3``, ``cpu-p4`` after it, and GPU job 2's ``gpu-kdrd``
PRESETS: dict[str, list[str]] = {
    "reference": PRESET_REFERENCE, "gpu": PRESET_GPU, "gpu-p2": PRESET_GPU_P2, "cpu-p3": PRESET_CPU_P3,
    "cpu-p4": PRESET_CPU_P4, "gpu-kdrd": PRESET_GPU_KDRD,
    **{f"gpu-l{lambda_tag(x)}": [n for n in PRESET_GPU if f"-l{lambda_tag(x)}-" in n] for x in GPU_LAMBDAS}}


def expand(names: list[str], release: bool = False) -> list[str]:
    """Recipe names in the order given, each of :data:`PRESETS` expanded to its recipes. For ``release``,
    intermediates (``release: False``) are left out of a preset and refused by name."""
    out = [n for name in names for n in PRESETS.get(name, [name])]
    if release:
        internal = [n for n in names if REFERENCE.get(n, {}).get("release", True) is False]
        if internal:
            raise ParameterError(f"{internal} are intermediate training phases, not released models")
        out = [n for n in out if REFERENCE[n].get("release", True)]
    return out


def _chain(name: str) -> list[tuple[str, dict | None]]:
    """(recipe name, training state) along the ``init`` chain of ``name``, first run first. A released
    model this checkout holds no training state of ends the chain with state ``None`` (its manifest
    entry then tells its own phases and curve)."""
    out = []
    while name:
        f = ckpt_path(name)
        if not f.exists() and out and name in available():
            out.append((name, None))
            break
        if not f.exists():
            raise ArtifactError(f"{name} has not been trained yet ({f}): python -m lic.zoo train {name}")
        out.append((name, torch.load(f, map_location="cpu", weights_only=False)))
        name = REFERENCE.get(name, {}).get("init")
    return out[::-1]


def phases(name: str, chain: list | None = None) -> list[dict]:
    """The training runs behind reference model ``name``, first to last: the ``init`` chain, each
    with its recipe name, steps done, precision, λ and lr (a released model's full provenance)."""
    out = []
    for n, state in chain or _chain(name):
        if state is None:  # released, trained elsewhere: its recorded phases
            out += available()[n]["phases"]
            continue
        tc = {"precision": "fp32", **state["train_config"]}
        out.append({"name": n, "steps": state["step"], "precision": tc["precision"], "lmbda": tc["lmbda"],
                    "lr": tc["lr"], "seconds": round(state.get("seconds", 0.0)), "batch_size": tc["batch_size"],
                    "crop": tc["crop"], "device": state.get("device"), "processes": state.get("world", 1)})
    return out


def describe_phases(phases_: list[dict]) -> str:
    """Training phases (:func:`phases`, a manifest's) in words: each one's steps, loss, batch, crop and device
    (phases released before batch and crop were recorded: their recipe's)."""
    def one(p: dict) -> str:
        r = {**REFERENCE.get(p["name"], {}), **p}
        return (f"{r['steps']:,} {r.get('loss', 'rd').upper()} steps of {r.get('batch_size', '?')}×{r.get('crop', '?')}² "
                f"on {r.get('device') or 'cpu'}")
    return f"{len(phases_)} phases: " + "; ".join(one(p) for p in phases_)


def curve(name: str, chain: list | None = None, points: int = 120) -> list[dict]:
    """Training curve over the whole ``init`` chain: ``step`` counted from scratch, loss, bpp and
    training-crop PSNR (from the logged MSE), averaged into at most ``points`` windows."""
    import numpy as np

    rows, offset = [], 0
    for n, state in chain or _chain(name):
        if state is None:  # released, trained elsewhere: its recorded (already windowed) curve
            rows += [dict(r) for r in available()[n].get("curve", [])]
            offset += available()[n].get("total_steps", rows[-1]["step"] if rows else 0)
            continue
        rows += [{**h, "step": h["step"] + offset} for h in state["history"]]
        offset += state["step"]
    if not rows:
        return []
    keys = [k for k in ("loss", "bpp", "mse") if k in rows[0]]
    out = []
    for w in np.array_split(np.arange(len(rows)), min(points, len(rows))):
        r = {"step": int(rows[w[-1]]["step"]), **{k: float(np.mean([rows[i][k] for i in w])) for k in keys}}
        if "mse" in r:
            r["psnr_train"] = float(10 * np.log10(1.0 / r["mse"]))
        out.append({k: round(v, 5) if isinstance(v, float) else v for k, v in r.items()})
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def available(weights_dir: Path | None = None) -> dict[str, dict]:
    """Released models: name -> manifest entry (empty if nothing is released)."""
    f = Path(weights_dir or WEIGHTS_DIR) / "manifest.json"
    return read_json(f)["models"] if f.exists() else {}


def load_pretrained(name: str, verify: bool = True) -> torch.nn.Module:
    """A released reference model by name (eval mode, CDFs built).

    Raises:
        ArtifactError: unknown name, missing file or checksum mismatch.
    """
    from .models import load_checkpoint

    models = available()
    if name not in models:
        raise ArtifactError(f"no released model {name!r} in {WEIGHTS_DIR}; released: {sorted(models)}")
    entry = models[name]
    path = WEIGHTS_DIR / entry["file"]
    if not path.exists():
        raise ArtifactError(f"{path} is listed in the manifest but missing")
    if verify and _sha256(path) != entry["sha256"]:
        raise ArtifactError(f"{path}: SHA-256 mismatch with weights/manifest.json")
    return load_checkpoint(path)


def released_student(spec: StudentSpec, init: str):
    """Where stage 02's student ``spec`` starts for its ``init`` parameter: the released student of
    that name for ``zoo`` / ``auto``, nothing (its random init, or the pruned teacher) for ``scratch``
    and, with ``auto``, where none is released.

    Ablation students (``abl-*``) with ``init="zoo"`` all start from the released from-scratch
    student of their width and λ (seed 0), so the four loss configurations fine-tune the same weights.

    Returns:
        ``(model or None, label)``; label ``"scratch"`` or ``"zoo:<name>"``.

    Raises:
        ArtifactError: ``init="zoo"`` and the student is not released.
    """
    if init == "scratch":
        return None, "scratch"
    name = (dataclasses.replace(spec, kind="scratch", seed=0) if spec.ablation else spec).name
    released = available()
    if name in released:
        return load_pretrained(name), f"zoo:{name}"
    if init == "auto":
        return None, "scratch"
    students = sorted(k for k in released if k.startswith("student-"))
    raise ArtifactError(f"no released student {name!r} in weights/ (released: {students or 'none'}); "
                        f"use init='auto' (scratch where missing) or init='scratch'")


def fingerprint() -> str:
    """12-hex digest of every released file's SHA-256 (changes with any new release)."""
    blob = ",".join(f"{k}:{v['sha256']}" for k, v in sorted(available().items()))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=WEIGHTS_DIR.parent, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def ckpt_path(name: str) -> Path:
    """The resumable training state of recipe ``name`` (``$LIC_ZOO_WORK/<dir or name>/train.pt``)."""
    return WORK_DIR / REFERENCE.get(name, {}).get("dir", name) / "train.pt"


def trained_model(name: str) -> torch.nn.Module:
    """The latest training checkpoint of reference model ``name`` (not the released file)."""
    from .models import build_model, load_state_dict_into

    f = ckpt_path(name)
    if not f.exists():
        raise ArtifactError(f"{name} has not been trained yet ({f}): python -m lic.zoo train {name}")
    state = torch.load(f, map_location="cpu", weights_only=False)
    return load_state_dict_into(build_model(**state["config"]), state["model"]).eval()


def source_model(name: str) -> torch.nn.Module:
    """The model a run starts from or distils: its training checkpoint where this checkout has one,
    else its released fp16 weights (a fresh clone continues the zoo from ``weights/``)."""
    if ckpt_path(name).exists() or name not in available():
        return trained_model(name)
    print(f"{name}: no training state in {WORK_DIR}; using the released weights/{available()[name]['file']}",
          flush=True)
    return load_pretrained(name).float()


def train_reference(name: str, minutes: float | None = None, threads: int | None = None, train_dir=None,
                    **overrides) -> dict:
    """Train (or continue) reference model ``name`` for up to ``minutes`` (resumable).

    ``overrides`` replace recipe fields (``steps``, ``batch_size``, ``crop``, ``workers``): dry runs of
    the GPU recipes on a CPU, a smaller GPU. A recipe with ``workers`` streams its crops
    (:class:`lic.datasets.StreamingCrops`); the others keep the in-memory sampler their batches came from.
    A student's recipe is trained by :func:`lic.distill.fit`, a teacher's with the RD loss.

    Returns:
        :func:`lic.train.train`'s info.

    Raises:
        ParameterError: unknown recipe name.
        ArtifactError: a model it starts from or distils has been neither trained here nor released.
    """
    from .data import CropSampler
    from .datasets import StreamingCrops
    from .distill import fit
    from .models import build_model
    from .train import default_device, seed_everything, train, train_config

    if name not in REFERENCE:
        raise ParameterError(f"unknown reference model {name!r}; known: {sorted(REFERENCE)}")
    r = {**REFERENCE[name], **{k: v for k, v in overrides.items() if v is not None}}
    if threads:
        torch.set_num_threads(threads)
    cfg = train_config(r, ckpt_every=min(100, max(1, r["steps"] // 2)))
    seed_everything(cfg.seed)
    if r.get("workers") is not None:
        sampler = StreamingCrops(train_dir, crop=cfg.crop, seed=cfg.seed, workers=int(r["workers"]))
    else:
        sampler = CropSampler(train_dir, crop=cfg.crop, seed=cfg.seed)
    max_s = None if minutes is None else minutes * 60
    init = source_model(r["init"]).train() if "init" in r else None
    if "kind" not in r:  # a teacher
        model = init if init is not None else build_model(N=r["N"], M=r["M"])
        return train(model.to(default_device()), cfg, sampler, ckpt_path(name), max_seconds=max_s, desc=name)
    spec = StudentSpec.from_recipe(r)
    teacher = source_model(spec.teacher) if spec.uses_teacher else None
    return fit(spec, teacher, sampler, ckpt_path(name), cfg=cfg, init=init, desc=name, max_seconds=max_s)[1]


def released_log(name: str) -> list[dict]:
    """Training log of released model ``name``'s own (last) phase, from its manifest curve, steps
    counted from the start of that phase; empty when ``name`` is not released or has no curve."""
    entry = available().get(name, {})
    if not entry.get("curve") or not entry.get("phases"):
        return []
    start = entry["total_steps"] - entry["phases"][-1]["steps"]
    return [{**r, "step": r["step"] - start} for r in entry["curve"] if r["step"] > start]


def release(name: str, eval_limit: int | None = None, command: str = "", weights_dir: Path | None = None) -> dict:
    """Export the trained checkpoint as fp16, measure it on Kodak, update the manifest of ``weights_dir``
    (default ``weights/``; a GPU job releases into its output folder)."""
    from .data import load_kodak
    from .eval import evaluate_codec
    from .models import load_checkpoint

    chain = _chain(name)  # the model's own training state last
    state = chain[-1][1]
    model = trained_model(name)
    sd = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    buf = io.BytesIO()
    torch.save({"config": model.config, "state_dict": sd}, buf)
    wdir = Path(weights_dir or WEIGHTS_DIR)
    wdir.mkdir(parents=True, exist_ok=True)
    # measured from a staged copy first: a failed evaluation leaves weights/ and its manifest as they were
    staged = atomic_write_bytes(wdir / f".{name}.pt.staged", buf.getvalue())
    try:
        released = load_checkpoint(staged)  # what users get: fp16 file, constant buffers rebuilt
        kodak = load_kodak(limit=eval_limit)
        res = evaluate_codec(released, kodak)
        path = wdir / f"{name}.pt"
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    models = available(wdir)
    models[name] = {
        "file": path.name,
        "sha256": _sha256(path),
        "config": model.config,
        "lmbda": state["train_config"]["lmbda"],
        "train_config": state["train_config"],
        "steps": state["step"],
        "train_seconds": round(state.get("seconds", 0.0)),
        # the whole init chain (a fine-tune's steps above are its own; total_steps counts from scratch)
        "phases": (ph := phases(name, chain)),
        "total_steps": sum(x["steps"] for x in ph),
        "curve": curve(name, chain),
        # weights inherited from a wider model (channel-pruned) before the first phase, if any
        **({"inherit": inh} if (inh := REFERENCE.get(chain[0][0], {}).get("inherit")) else {}),
        # where the model's own last phase trained (older states: not recorded)
        "hardware": {"device": state.get("device"), "processes": state.get("world", 1), "torch": torch.__version__},
        "commit": _git_commit(),
        "command": command or f"python -m lic.zoo train {name}",
        "kodak": {k: round(float(v), 5) for k, v in res["mean"].items() if k in ("bpp", "psnr", "ms_ssim")},
        # the golden test re-measures these images and compares
        "kodak_golden": res["per_image"].head(GOLDEN_IMAGES)[["image", "bytes", "bpp", "psnr"]].to_dict("records"),
        "kodak_images": len(res["per_image"]),
        "released": time.strftime("%Y-%m-%d"),
    }
    write_json(wdir / "manifest.json", {"models": models})
    # the per-image rows beside it: stages reuse them where a spot check reproduces them (lic.measured)
    from .measured import store

    store(name, models[name]["sha256"], kodak, res["per_image"], wdir / "kodak_measured.json")
    return models[name]


def main(argv=None) -> int:
    """``python -m lic.zoo train|release|list`` (see the module docstring)."""
    p = argparse.ArgumentParser(prog="python -m lic.zoo", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train or continue a reference model (resumable)")
    t.add_argument("name", nargs="+", choices=[*PRESETS, *sorted(REFERENCE)],
                   help="one or more, trained in the order given; 'reference': all CPU recipes, in dependency "
                        "order; 'gpu': the GPU job (scripts/device_run.sh), 'gpu-l<λ>' its models at one λ")
    t.add_argument("--minutes", type=float, default=None, help="stop (checkpointed) after this wall time, per model")
    t.add_argument("--threads", type=int, default=None)
    t.add_argument("--train-dir", default=None)
    for flag in ("steps", "batch-size", "crop", "workers"):
        t.add_argument(f"--{flag}", type=int, default=None, help="override the recipe's (dry runs, smaller GPUs)")
    r = sub.add_parser("release", help="export fp16 weights, measure on Kodak, update weights/manifest.json")
    r.add_argument("name", nargs="+", choices=[*PRESETS, *sorted(REFERENCE)])
    r.add_argument("--limit", type=int, default=None, help="Kodak images (default all 24)")
    r.add_argument("--weights-dir", type=Path, default=None, help="release there instead of weights/")
    sub.add_parser("list", help="released models")
    a = p.parse_args(argv)
    if a.cmd == "train":
        for name in expand(a.name):
            out = train_reference(name, a.minutes, a.threads, a.train_dir, steps=a.steps, batch_size=a.batch_size,
                                  crop=a.crop, workers=a.workers)
            last = out["history"][-1] if out["history"] else {}
            print(f"{name}: step {out['step']}, {out['seconds']:.0f} s, last {last}", flush=True)
    elif a.cmd == "release":
        for name in expand(a.name, release=True):
            print(name, release(name, a.limit, f"python -m lic.zoo train {name}", a.weights_dir)["kodak"], flush=True)
    else:
        for k, v in available().items():
            print(k, v["kodak"], v["steps"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
