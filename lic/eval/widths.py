"""The width headline from the released models' records: BD-rate vs the teacher of every trained width N.

The released students (``weights/manifest.json``, names :attr:`lic.train.specs.StudentSpec.name`) are grouped by kind
and width; each width's curve is read from ``weights/kodak_measured.json`` (:func:`lic.eval.measured.recorded`: the
per-image rows coded at release, bound to the weights' SHA-256), never re-coded. The teacher is the released teacher
of the students' M. A width's BD-rate (PSNR, pchip, :func:`lic.eval.metrics.bd_rate`) is taken on the λ it has,
against the teacher's curve on all its λ (as stage 02's summary takes it) and on the images recorded for every point
of both; with fewer than two λ it is n/a and says why. A model with an
integer entropy model (``-int``, :mod:`lic.codec.intprior`) is read where ``entropy="integer"`` and both the student
and the teacher have one (a width released before its ``-int`` variants compares float with float and says so).

New releases appear by themselves: nothing here names a width or a λ.
"""

from __future__ import annotations

import functools
import math
import re

import pandas as pd

from lic.codec.zoo import INT_SUFFIX, available
from lic.eval.measured import recorded
from lic.eval.metrics import bd_rate
from lic.train.specs import DEPLOYED_KIND, lambda_tag

__all__ = ["ABLATION_KIND", "released_students", "released_teachers", "teacher_family", "variant", "curve",
           "width_bd", "complexity_of", "headline"]

#: the random-init KD students: an ablation row of the headline, not a deployable width
ABLATION_KIND = "kd"
_STUDENT = re.compile(r"^student-(?P<kind>kd-pruned|rd-pruned|kd|scratch)-n(?P<N>\d+)-m(?P<M>\d+)-l(?P<l>\d+\.\d+)$")
_TEACHER = re.compile(r"^teacher-n(?P<N>\d+)-m(?P<M>\d+)-l(?P<l>\d+\.\d+)$")


def released_students(kind: str, M: int | None = None, man: dict | None = None) -> dict[int, dict[str, str]]:
    """Width N -> {λ tag -> name} of the released students of ``kind`` (main seed, float names; ``M`` filters)."""
    out: dict[int, dict[str, str]] = {}
    for name in (man if man is not None else available()):
        m = _STUDENT.match(name)
        if m and m["kind"] == kind and (M is None or int(m["M"]) == int(M)):
            out.setdefault(int(m["N"]), {})[lambda_tag(float(m["l"]))] = name
    return dict(sorted(out.items()))


def released_teachers(man: dict | None = None) -> dict[tuple[int, int], dict[str, str]]:
    """(N, M) -> {λ tag -> name} of the released teachers."""
    out: dict[tuple[int, int], dict[str, str]] = {}
    for name in (man if man is not None else available()):
        m = _TEACHER.match(name)
        if m:
            out.setdefault((int(m["N"]), int(m["M"])), {})[lambda_tag(float(m["l"]))] = name
    return out


def teacher_family(M: int, man: dict | None = None) -> tuple[int | None, dict[str, str]]:
    """The released teacher of latent width ``M`` (the widest, where several): ``(N, {λ tag -> name})``."""
    fams = {k: v for k, v in released_teachers(man).items() if k[1] == int(M)}
    if not fams:
        return None, {}
    (N, _), names = max(fams.items(), key=lambda kv: (len(kv[1]), kv[0][0]))
    return N, dict(sorted(names.items()))


def variant(name: str, entropy: str = "integer", man: dict | None = None) -> str:
    """The released variant a stage with ``entropy`` codes: ``<name>-int`` where released (and ``entropy`` is
    ``"integer"``), else ``name``."""
    man = man if man is not None else available()
    return f"{name}{INT_SUFFIX}" if entropy == "integer" and f"{name}{INT_SUFFIX}" in man else name


def curve(names: dict[str, str], path=None) -> dict[str, pd.DataFrame]:
    """λ tag -> the recorded per-image rows (``image, bpp, psnr, ms_ssim``) of each released variant (empty
    frames where nothing is recorded for the file released under that name)."""
    return {tag: pd.DataFrame(list(recorded(v, path).values()), columns=["image", "bpp", "psnr", "ms_ssim"])
            for tag, v in names.items()}


def _means(rows: dict[str, pd.DataFrame], tags: list[str], images: set[str]) -> pd.DataFrame:
    out = []
    for t in tags:
        d = rows[t][rows[t].image.isin(images)]
        out.append({"lmbda": float(t), "bpp": float(d.bpp.mean()), "psnr": float(d.psnr.mean()),
                    "ms_ssim": float(d.ms_ssim.mean())})
    return pd.DataFrame(out)


def width_bd(teacher: dict[str, pd.DataFrame], student: dict[str, pd.DataFrame], all_tags: list[str]) -> dict:
    """BD-rate (PSNR) of a student curve on the λ it has vs the teacher's curve on all its λ (as stage 02's summary
    takes it), on the images recorded for every point of both.

    Args:
        teacher, student: λ tag -> per-image rows (:func:`curve`).
        all_tags: the teacher's λ (what "on 4 λ" counts).

    Returns:
        ``lambdas`` (the student's λ compared), ``points``, ``of`` (the teacher's λ count), ``images`` (count),
        ``bd_rate`` (NaN where n/a), ``na`` (why it is n/a, else None), ``student_rd`` and ``teacher_rd`` (mean
        per λ).
    """
    tags = [t for t in all_tags if t in student and not student[t].empty]
    ttags = [t for t in all_tags if t in teacher and not teacher[t].empty]
    sets = [set(student[t].image) for t in tags] + [set(teacher[t].image) for t in ttags]
    images = set.intersection(*sets) if tags and ttags else set()
    out = {"lambdas": [float(t) for t in tags], "points": len(tags), "of": len(all_tags), "images": len(images),
           "bd_rate": math.nan, "na": None, "student_rd": [], "teacher_rd": []}
    if not images:
        out["na"] = "no Kodak rows recorded for it (weights/kodak_measured.json)"
        return out
    s, t = _means(student, tags, images), _means(teacher, ttags, images)
    out.update(student_rd=s.to_dict("records"), teacher_rd=t.to_dict("records"))
    if len(tags) < 2:
        out["na"] = f"1 λ released ({tags[0]}): a BD-rate needs 2"
        return out
    out["bd_rate"] = bd_rate(t.bpp, t.psnr, s.bpp, s.psnr)
    if not math.isfinite(out["bd_rate"]):
        out["na"] = (f"its curve does not overlap the teacher's in PSNR ({s.psnr.min():.2f}–{s.psnr.max():.2f} dB vs "
                     f"{t.psnr.min():.2f}–{t.psnr.max():.2f} dB)")
    return out


#: the frame :func:`complexity_of` counts on (1280x720, padded to 1280x768 as the codec pads) and the smaller frame
#: it runs the counter on: every layer's operations scale with the pixels exactly where both sides are multiples of 64
_FRAME, _SMALL = (768, 1280), (192, 320)


@functools.lru_cache(maxsize=32)
def complexity_of(N: int, M: int) -> dict:
    """Parameters and GFLOPs per 720p frame of the hyperprior codec of widths ``N``, ``M``
    (:func:`lic.eval.rd.complexity` on an untrained model: the architecture's, not a model's)."""
    from lic.codec.models import build_model
    from lic.eval.rd import complexity

    c = complexity(build_model("hyperprior", N=int(N), M=int(M)), _SMALL)
    scale = (_FRAME[0] * _FRAME[1]) / (_SMALL[0] * _SMALL[1])
    return {"params": int(c["params"]), "gflops_720p": float(c["gflops"]) * scale}


def _row(kind: str, role: str, N: int, names: dict[str, str], teacher: dict[str, str], tags: list[str], entropy: str,
         man: dict, M: int, path) -> dict:
    """One width's row; the integer entropy model's variants only where the student and the teacher both have them
    (else both float: a like-for-like curve pair), said in ``entropy``."""
    both = entropy == "integer" and all(f"{n}{INT_SUFFIX}" in man for n in [*names.values(), *teacher.values()])
    e = "integer" if both else "float"
    vs = {t: variant(n, e, man) for t, n in names.items()}
    tcurve = curve({t: variant(n, e, man) for t, n in teacher.items()}, path)
    r = {"kind": kind, "role": role, "N": int(N), "M": int(M), "names": sorted(names.values()), "by_lambda": dict(names),
         "variants": sorted(vs.values()), "released_lambdas": sorted(float(t) for t in names),
         "entropy": e if e == entropy or not names else f"{e} (no {INT_SUFFIX} release of it yet)",
         **width_bd(tcurve, curve(vs, path), tags), **complexity_of(N, M)}
    if not names:
        r["na"] = "not released yet (no student of this width in weights/manifest.json)"
    return r


def headline(entropy: str = "integer", M: int | None = None, widths=(), path=None, man: dict | None = None) -> dict:
    """Every released width's BD-rate vs the released teacher from the Kodak records.

    Args:
        entropy: which variants to read (``"integer"``: the ``-int`` ones where released).
        M: the students' and teacher's latent width (None: the released teacher's with the most λ).
        widths: more widths to list (e.g. the published anchor's) as n/a where nothing is released.

    Returns:
        ``teacher`` (N, names, variants, λ, complexity), ``rows``: the deployable kind (:data:`DEPLOYED_KIND`) per
        width, widest first, then the random-init KD students (:data:`ABLATION_KIND`, role ``ablation``).
    """
    man = man if man is not None else available()
    if M is None:
        fams = released_teachers(man)
        if not fams:
            return {"teacher": {"N": None, "names": [], "by_lambda": {}, "lambdas": []}, "rows": [], "entropy": entropy}
        M = max(fams.items(), key=lambda kv: (len(kv[1]), kv[0][0]))[0][1]
    tN, tnames = teacher_family(M, man)
    tags = list(tnames)
    tv = {t: variant(n, entropy, man) for t, n in tnames.items()}
    dep = released_students(DEPLOYED_KIND, M, man)
    rows = [_row(DEPLOYED_KIND, "deployable", N, dep.get(N, {}), tnames, tags, entropy, man, M, path)
            for N in sorted({*dep, *(int(w) for w in widths if tN is None or int(w) < tN)}, reverse=True)]
    rows += [_row(ABLATION_KIND, "ablation", N, names, tnames, tags, entropy, man, M, path)
             for N, names in sorted(released_students(ABLATION_KIND, M, man).items(), reverse=True)]
    teacher = {"N": tN, "M": int(M), "names": sorted(tnames.values()), "by_lambda": tnames, "variants": sorted(tv.values()),
               "lambdas": [float(t) for t in tags], **(complexity_of(tN, M) if tN else {})}
    return {"teacher": teacher, "rows": rows, "entropy": entropy}
