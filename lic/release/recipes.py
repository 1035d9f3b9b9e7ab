"""The recipes of the released models: name -> training recipe (data, not code paths).

Teachers first, then the students distilled from them; the campaign CLI (:mod:`lic.release.campaign`) trains and
releases them, a preset at a time. How each phase went is in docs/CAMPAIGN.md and in the benchmark records.
"""

from __future__ import annotations

import dataclasses

from lic.errors import ParameterError
from lic.train.specs import StudentSpec, lambda_tag

__all__ = ["REFERENCE", "STUDENTS", "STUDENT_STEPS", "TEACHER", "PRESET_REFERENCE", "PRESET_GPU", "PRESET_GPU_P2",
           "PRESET_CPU_P3", "PRESET_CPU_P4", "PRESET_GPU_KDRD", "PRESETS", "GPU_LAMBDAS", "KDRD_STEPS", "expand",
           "describe_phases"]

_T = {"N": 128, "M": 192, "crop": 128, "batch_size": 8, "precision": "bf16"}
#: the teacher every student at the base λ distils (its fine-tunes distil the teacher of their λ)
TEACHER = "teacher-n128-m192-l0.0250"
#: name -> recipe. ``init`` names the reference model a run starts from (weights only, fresh optimizer);
#: ``inherit`` a wider model whose channel-pruned weights it starts from (:func:`lic.train.prune.prune_channels`);
#: ``dir`` the work folder; ``release: False`` marks an intermediate that is not released. The students'
#: rows are :meth:`lic.train.specs.StudentSpec.recipe` of :data:`STUDENTS`.
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
#: (lic.train.prune.prune_channels), and trains on the same budget by KD ("kd-pruned") or by the RD loss alone
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
# from it (its N channels pruned to 64, lic.train.prune, and distilled from it); ``gpu-p2``: that student continued (fresh
# optimizer, lr 1e-4), distilled from the same teacher. Time-boxed (--minutes per model): the lr drops 10x after 85 %
# of the box (lr_schedule "time"), ``steps`` only bounds it. ``replaces``: the released model a result is adopted as
# (``python -m lic.release.gpujob adopt``) where it beats it on Kodak. Not part of the CPU preset.
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
#: preset name -> its recipes in training order, as the commands (``python -m lic.release``, ``lic.release.gpujob``, ``lic.release.runlog``)
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


def describe_phases(phases_: list[dict]) -> str:
    """Training phases (:func:`phases`, a manifest's) in words: each one's steps, loss, batch, crop and device
    (phases released before batch and crop were recorded: their recipe's)."""
    def one(p: dict) -> str:
        r = {**REFERENCE.get(p["name"], {}), **p}
        return (f"{r['steps']:,} {r.get('loss', 'rd').upper()} steps of {r.get('batch_size', '?')}×{r.get('crop', '?')}² "
                f"on {r.get('device') or 'cpu'}")
    return f"{len(phases_)} phases: " + "; ".join(one(p) for p in phases_)
