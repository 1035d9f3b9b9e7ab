"""The recipes of the released models: name -> training recipe (data, not code paths).

Teachers first, then the students distilled from them, then the later phases, a preset each (:data:`PRESETS`); the
campaign CLI (:mod:`lic.release.campaign`) trains and releases them, a preset at a time. What ran where, and why:
docs/CAMPAIGN.md and the benchmark records it cites.
"""

from __future__ import annotations

import dataclasses

from lic.errors import ParameterError
from lic.train.specs import StudentSpec, lambda_tag

__all__ = ["REFERENCE", "STUDENTS", "STUDENT_STEPS", "TEACHER", "PRESET_REFERENCE", "PRESET_GPU", "PRESET_GPU_P2",
           "PRESET_CPU_P3", "PRESET_CPU_P4", "PRESET_GPU_KDRD", "PRESET_WIDTHS", "PRESET_WIDTHS_P2", "PRESET_WIDTHS_P3",
           "PRESET_WIDTHS_N32_P2", "WIDTH_LAMBDAS", "WIDTH_STEPS", "WIDTH_P2_STEPS", "WIDTH_P3_STEPS", "WIDTH_P4_STEPS",
           "WIDTH_N32_P3_STEPS", "PRESET_WIDTHS_P4", "PRESET_WIDTHS_N32_P3",
           "PRESET_WIDTHS_N32_P4",
           "WIDTH_N32_P2_STEPS", "PRESETS", "GPU_LAMBDAS", "KDRD_STEPS", "expand", "describe_phases"]

#: the teachers' training: N=128, M=192, 8 × 128² crops, bf16 autocast
_T = {"N": 128, "M": 192, "crop": 128, "batch_size": 8, "precision": "bf16"}
#: the teacher every student at the base λ distils (its fine-tunes distil the teacher of their λ)
TEACHER = "teacher-n128-m192-l0.0250"
#: name -> recipe. ``init`` names the reference model a run starts from (weights only, fresh optimizer);
#: ``inherit`` a wider model whose channel-pruned weights it starts from (:func:`lic.train.prune.prune_channels`);
#: ``dir`` the work folder; ``release: False`` marks an intermediate that is not released; ``replaces`` the released
#: model a result is adopted as (``python -m lic.release.gpujob adopt``); ``lr_schedule: "time"`` drops the lr 10×
#: after 85 % of the ``--minutes`` box (``steps`` then only bounds the run). The students' rows are
#: :meth:`lic.train.specs.StudentSpec.recipe` of :data:`STUDENTS`. History: docs/CAMPAIGN.md.
REFERENCE: dict[str, dict] = {
    # base teacher, phase 1: from scratch at λ 0.025, fp32 (an intermediate)
    "teacher-n128-m192-base": {**_T, "lmbda": 0.025, "lr": 3e-4, "steps": 10000, "precision": "fp32",
                               "dir": "teacher-n128-m192", "release": False},
    # base teacher, phase 2: continued in bf16, lr 3e-4 dropped 10× for the last 15 %
    TEACHER: {**_T, "lmbda": 0.025, "lr": 3e-4, "steps": 10000, "init": "teacher-n128-m192-base",
              "dir": "teacher-n128-m192-long"},
    # the teacher's other RD points: fine-tunes of the base teacher
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


#: the released students, each after what it starts from (N the only knob, M kept), seed 0 first: KD and
#: from-scratch at the same budget and seed, N=64 with seeds 1 and 2 (the run-to-run noise), then the N=64
#: students that inherit the λ 0.025 teacher's channels, pruned by filter L1 norm: by KD ("kd-pruned") and by the
#: RD loss alone ("rd-pruned", the control that isolates KD)
STUDENTS: list[StudentSpec] = [
    *_with_fine_tune(StudentSpec("kd", 64, seed=0, **_S)), *_with_fine_tune(StudentSpec("scratch", 64, seed=0, **_S)),
    *_with_fine_tune(StudentSpec("kd", 32, seed=0, **_S)),
    *_with_fine_tune(StudentSpec("kd", 64, seed=1, **_S)), *_with_fine_tune(StudentSpec("scratch", 64, seed=1, **_S)),
    *_with_fine_tune(StudentSpec("kd", 64, seed=2, **_S)), *_with_fine_tune(StudentSpec("scratch", 64, seed=2, **_S)),
    *_with_fine_tune(StudentSpec("kd-pruned", 64, seed=0, **_S)),
    *_with_fine_tune(StudentSpec("rd-pruned", 64, seed=0, **_S)),
]
#: the kd-pruned student also at the teacher's two lowest λ (500-step fine-tunes, as the teacher's): four RD points
_KD_PRUNED = StudentSpec("kd-pruned", 64, seed=0, **_S)
STUDENTS += [dataclasses.replace(_KD_PRUNED, lmbda=l, lr=1e-4, steps=500, init=_KD_PRUNED.name,
                                 teacher=f"teacher-n128-m192-l{lambda_tag(l)}") for l in (0.0018, 0.0035)]
REFERENCE.update({s.name: s.recipe() for s in STUDENTS})
# the next teacher phase, not released: 10k more bf16 steps from the released teacher, trained last
REFERENCE["teacher-n128-m192-p3"] = {**_T, "lmbda": 0.025, "lr": 3e-4, "steps": 10000, "init": TEACHER,
                                     "release": False}

#: ``reference``: the CPU preset, every recipe above, each after the models it starts from or distils
PRESET_REFERENCE = list(REFERENCE)

#: the λ of the GPU job and of the CPU phases after it
GPU_LAMBDAS = (0.0018, 0.0035, 0.0067, 0.025)
#: the GPU recipes' training: the paper's 16 × 256² crops, CUDA autocast, time-boxed
_G = {"crop": 256, "batch_size": 16, "precision": "amp", "gpu": True, "steps": 100_000}
# ``gpu``: each released teacher continued on a GPU, then its KD student re-derived from it (pruned to N=64);
# ``gpu-p2``: that student continued (lr 1e-4), distilled from the same teacher
for _l in GPU_LAMBDAS:
    _t = f"teacher-n128-m192-l{lambda_tag(_l)}"
    REFERENCE[f"{_t}-gpu"] = {**_T, **_G, "lmbda": _l, "lr": 1e-4, "init": _t, "replaces": _t, "lr_schedule": "time"}
    _s = StudentSpec("kd-pruned", 64, lmbda=_l, lr=3e-4, seed=0, **_G, teacher=f"{_t}-gpu")
    _r = {"replaces": dataclasses.replace(_s, gpu=False).name, "lr_schedule": "time"}
    REFERENCE[_s.name] = {**_s.recipe(), **_r}
    REFERENCE[f"{_s.name}-p2"] = {**dataclasses.replace(_s, init=_s.name, lr=1e-4).recipe(), **_r}
PRESET_GPU = [n for n in REFERENCE if REFERENCE[n].get("gpu") and not n.endswith("-p2")]
PRESET_GPU_P2 = [n for n in REFERENCE if n.endswith("-gpu-p2")]
# ``cpu-p3``: the released kd-pruned students continued by KD from their λ's teacher, 8 × 128² fp32, lr 5e-5
for _l in GPU_LAMBDAS:
    _s = StudentSpec("kd-pruned", 64, seed=0, **{**_S, "lmbda": _l, "lr": 5e-5, "steps": 100_000, "precision": "fp32"})
    _s = dataclasses.replace(_s, init=_s.name, teacher=f"teacher-n128-m192-l{lambda_tag(_l)}")
    REFERENCE[f"{_s.name}-cpu-p3"] = {**_s.recipe(), "replaces": _s.name, "lr_schedule": "time"}
PRESET_CPU_P3 = [n for n in REFERENCE if n.endswith("-cpu-p3")]
# ``cpu-p4``: the released kd-pruned students annealed by the RD loss alone (rd-pruned with an init, no teacher),
# lr 1e-5, fresh crops (seed 4)
for _l in GPU_LAMBDAS:
    _k = StudentSpec("kd-pruned", 64, seed=0, **{**_S, "lmbda": _l})
    _s = StudentSpec("rd-pruned", 64, seed=4, **{**_S, "lmbda": _l, "lr": 1e-5, "steps": 100_000, "precision": "fp32",
                                                 "teacher": None, "init": _k.name})
    REFERENCE[f"{_k.name}-cpu-p4"] = {**_s.recipe(), "replaces": _k.name, "lr_schedule": "time"}
PRESET_CPU_P4 = [n for n in REFERENCE if n.endswith("-cpu-p4")]
#: the widths of the one-knob sweep (#32) beside the deployed N=64, and the λ each is trained at
WIDTH_LAMBDAS: dict[int, tuple[float, ...]] = {96: GPU_LAMBDAS, 32: GPU_LAMBDAS, 16: (0.0067, 0.025)}
#: steps of the two phases of a ``widths`` student (8 × 128² crops on a CPU: 6-10 minutes at N=96 from the data-driven init)
WIDTH_STEPS = {"kd": 800, "rd": 400}
# ``widths``: the deployed recipe at other widths, CPU only. Phase 1 (``-kd``, an intermediate): the released teacher of
# the λ pruned to N (data-driven: channels by their contribution, the removed ones' mean folded in), distilled from it, 8 × 128² bf16, lr 1e-4 dropped 10× for the last 15 %; phase 2 (the
# released name): annealed by the RD loss alone from phase 1, lr 1e-5, fresh crops (seed 4), as ``cpu-p4`` did
for _n, _ls in WIDTH_LAMBDAS.items():
    for _l in _ls:
        _t = f"teacher-n128-m192-l{lambda_tag(_l)}"
        _k = StudentSpec("kd-pruned", _n, seed=0, **{**_S, "lmbda": _l, "lr": 1e-4, "steps": WIDTH_STEPS["kd"],
                                                      "teacher": _t}, prune="data")
        REFERENCE[f"{_k.name}-kd"] = {**_k.recipe(), "release": False}
        _s = StudentSpec("rd-pruned", _n, seed=4, **{**_S, "lmbda": _l, "lr": 1e-5, "steps": WIDTH_STEPS["rd"],
                                                      "teacher": None, "init": f"{_k.name}-kd"})
        REFERENCE[_k.name] = _s.recipe()
#: steps of the ``widths-p2`` RD anneal (a released student continued)
WIDTH_P2_STEPS = 1500


def _continuation(n: int, suffix: str, grow_from: int | None, recipe) -> list[str]:
    """Register ``<student>-<suffix>`` for each released kd-pruned student of width ``n`` (every λ of
    :data:`WIDTH_LAMBDAS`), adopted in its place where it beats it on Kodak: ``recipe(λ, init)`` gives the run, which
    starts from that student, or with ``grow_from`` from the released student of that narrower width at the same λ,
    widened to ``n`` without changing what it computes (:func:`lic.train.widen.widen_to_width`).
    Returns the names, the base λ first."""
    names = []
    for lmbda in sorted(WIDTH_LAMBDAS[n], reverse=True):
        nm = StudentSpec("kd-pruned", n, lmbda=lmbda).name
        base = StudentSpec("kd-pruned", grow_from, lmbda=lmbda).name if grow_from else nm
        REFERENCE[f"{nm}-{suffix}"] = {**recipe(lmbda, base).recipe(), "replaces": nm}
        names.append(f"{nm}-{suffix}")
    return names


def _rd_continuation(n: int, suffix: str, seed: int, steps: int, precision: str | None = None,
                     grow_from: int | None = None) -> list[str]:
    """:func:`_continuation`: annealed by the RD loss alone (lr 1e-5, 8 × 128², fresh crops of ``seed``, in
    ``precision`` where given)."""
    extra = {"precision": precision} if precision else {}
    return _continuation(n, suffix, grow_from, lambda lmbda, init: StudentSpec(
        "rd-pruned", n, seed=seed, **{**_S, "lmbda": lmbda, "lr": 1e-5, "steps": steps, **extra, "teacher": None,
                                      "init": init}))


# ``widths-p2``: the released N=96 students annealed further by the RD loss alone (lr 1e-5, fresh crops, seed 5); adopted
# in place of the released student where they beat it on Kodak (``python -m lic.release.gpujob adopt``)
PRESET_WIDTHS_P2 = _rd_continuation(96, "p2", seed=5, steps=WIDTH_P2_STEPS)


def _kd_continuation(n: int, suffix: str, seed: int, lr: float, steps: int, precision: str = "fp32",
                     grow_from: int | None = None) -> list[str]:
    """:func:`_continuation`: distilled further from the λ's teacher (KD + RD, 8 × 128² in ``precision``, fresh crops
    of ``seed``, lr dropped 10× for the last 15 %)."""
    return _continuation(n, suffix, grow_from, lambda lmbda, init: dataclasses.replace(StudentSpec(
        "kd-pruned", n, seed=seed, **{**_S, "lmbda": lmbda, "lr": lr, "steps": steps, "precision": precision,
                                      "teacher": f"teacher-n128-m192-l{lambda_tag(lmbda)}"}), init=init))


#: steps of the ``widths-p3`` KD continuation
WIDTH_P3_STEPS = 1200
# ``widths-p3``: the released N=96 students distilled further at lr 5e-5 (as ``cpu-p3``), seed 6
PRESET_WIDTHS_P3 = _kd_continuation(96, "p3", seed=6, lr=5e-5, steps=WIDTH_P3_STEPS)
#: steps of the ``widths-n32-p2`` KD continuation (8 × 128² fp32: 2.7 steps/s on one thread of this CPU, ~40 min)
WIDTH_N32_P2_STEPS = 6000
# ``widths-n32-p2``: the released N=32 students (1,200 steps, far from converged) distilled further at the base
# students' lr 3e-4, seed 7
PRESET_WIDTHS_N32_P2 = _kd_continuation(32, "p2", seed=7, lr=3e-4, steps=WIDTH_N32_P2_STEPS)
#: steps of the ``widths-p4`` KD continuation (8 × 128² bf16 with AMX: 2.8 steps/s on one thread at N=96, ~36 min)
WIDTH_P4_STEPS = 6000
# ``widths-p4``: the released N=96 students (3,900 steps at λ 0.025, 2,700 at the others; +4.1 % BD-rate) distilled
# further at the teacher's lr 1e-4, seed 8, in bf16 (2.1× the fp32 steps/s on an AMX CPU)
PRESET_WIDTHS_P4 = _kd_continuation(96, "p4", seed=8, lr=1e-4, steps=WIDTH_P4_STEPS, precision="bf16")
#: steps of the ``widths-n32-p3`` KD continuation (8 × 128² bf16 with AMX: about 4.5 steps/s on one thread at N=32)
WIDTH_N32_P3_STEPS = 8000
# ``widths-n32-p3``: the ``widths-n32-p2`` students (7,200 steps; the loss still falling at λ 0.025) distilled further
# as in p2 (lr 3e-4, dropped 10× for the last 15 %), seed 9, in bf16
PRESET_WIDTHS_N32_P3 = _kd_continuation(32, "p3", seed=9, lr=3e-4, steps=WIDTH_N32_P3_STEPS, precision="bf16")
# ``widths-n32-p4``: the p3 students (15,200 steps; p3 took the N=32 BD-rate from +33.9 % to +20.4 %) once more, as p3,
# seed 10
PRESET_WIDTHS_N32_P4 = _kd_continuation(32, "p4", seed=10, lr=3e-4, steps=WIDTH_N32_P3_STEPS, precision="bf16")
# ``widths-n32-p5``: the p4 students (23,200 steps; p4 took the N=32 BD-rate from +20.4 % to +14.6 %) once more, as p3,
# seed 12
PRESET_WIDTHS_N32_P5 = _kd_continuation(32, "p5", seed=12, lr=3e-4, steps=WIDTH_N32_P3_STEPS, precision="bf16")
#: steps of the ``widths-g64`` KD continuation (8 × 128² bf16: about 3 steps/s on one thread at N=96)
WIDTH_G64_STEPS = 3000
# ``widths-g64``: N=96 students grown from the released N=64 students of the same λ (+0.82 % BD-rate, trained on a GPU,
# better than the CPU-trained N=96 at three of the four λ) and distilled from the λ's teacher at lr 5e-5 (the N=64
# students' cpu-p3 lr), seed 11
PRESET_WIDTHS_G64 = _kd_continuation(96, "g64", seed=11, lr=5e-5, steps=WIDTH_G64_STEPS, precision="bf16",
                                     grow_from=64)
# ``widths-g64-rd``: the N=64 students grown to N=96 as in ``widths-g64``, then annealed by the RD loss alone at lr 1e-5
# (the N=64 students' own last phase, ``cpu-p4``), bf16, seed 13: KD at lr 5e-5 took the grown students below their
# N=64 starting point (λ 0.0018, 0.0035)
PRESET_WIDTHS_G64_RD = _rd_continuation(96, "g64rd", seed=13, steps=WIDTH_G64_STEPS, precision="bf16", grow_from=64)
#: ``widths``: each width's two phases, the widest first, the base λ first within a width
PRESET_WIDTHS = [x for _n in WIDTH_LAMBDAS for _l in sorted(WIDTH_LAMBDAS[_n], reverse=True)
                 for _nm in [StudentSpec("kd-pruned", _n, lmbda=_l).name] for x in (f"{_nm}-kd", _nm)]
#: steps of each ``gpu-kdrd`` twin
KDRD_STEPS = 4000
# ``gpu-kdrd``: KD vs RD-only twins from the pruned teacher, seeds 1-3 at λ 0.0067 / 0.025 (measurements, not released)
_KDRD = [StudentSpec(k, 64, lmbda=_l, lr=3e-4, seed=_seed, **{**_G, "steps": KDRD_STEPS},
                     teacher=f"teacher-n128-m192-l{lambda_tag(_l)}")
         for _seed in (1, 2, 3) for _l in (0.0067, 0.025) for k in ("kd-pruned", "rd-pruned")]
REFERENCE.update({s.name: {**s.recipe(), "lr_schedule": "time"} for s in _KDRD})
PRESET_GPU_KDRD = [s.name for s in _KDRD]
#: preset name -> its recipes in training order, as ``python -m lic.release``, ``lic.release.gpujob`` and
#: ``lic.release.runlog`` take them (``gpu-l<λ>``: the ``gpu`` preset's models at one λ)
PRESETS: dict[str, list[str]] = {
    "reference": PRESET_REFERENCE, "gpu": PRESET_GPU, "gpu-p2": PRESET_GPU_P2, "cpu-p3": PRESET_CPU_P3,
    "cpu-p4": PRESET_CPU_P4, "gpu-kdrd": PRESET_GPU_KDRD, "widths": PRESET_WIDTHS, "widths-p2": PRESET_WIDTHS_P2,
    "widths-p3": PRESET_WIDTHS_P3, "widths-n32-p2": PRESET_WIDTHS_N32_P2,
    "widths-p4": PRESET_WIDTHS_P4, "widths-n32-p3": PRESET_WIDTHS_N32_P3,
    "widths-n32-p4": PRESET_WIDTHS_N32_P4, "widths-n32-p5": PRESET_WIDTHS_N32_P5,
    "widths-g64": PRESET_WIDTHS_G64, "widths-g64-rd": PRESET_WIDTHS_G64_RD,
    **{f"widths-n{_n}": [x for x in PRESET_WIDTHS if f"-n{_n}-" in x] for _n in WIDTH_LAMBDAS},
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
