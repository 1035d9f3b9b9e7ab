"""Labels of the report's numbers: the image set and its count each was measured on (``Kodak-24``, ``Kodak-8``, a
user's set by name and count), the training budget behind a trained model (steps, batch × crop², device: this
run's or the released model's recorded phases), and the released models' recorded Kodak numbers beside this run's
re-measurement of them (``weights/manifest.json``, ``weights/kodak_measured.json``)."""

from __future__ import annotations

import math
import re

from lic.data.evalsets import KODAK, set_label
from lic.study.tables import fmt

__all__ = ["kodak", "released_budget", "run_budget", "teacher_budget", "student_budget", "quant_budget",
           "released_points", "released_rows", "CI", "ci_label", "spread_label"]

#: what every "±" of the report is: the half-width of a Student-t 95 % confidence interval of a mean over seeds
CI = "95% CI of the mean, Student t"


def ci_label(seeds) -> str:
    """``mean of 3 seeds ± 95% CI of the mean (Student t)``."""
    return f"mean of {seeds} seeds ± {CI}"


def spread_label(seeds: int) -> str:
    """``max − min over 2 seeds``: what a seed spread is."""
    return f"max − min over {seeds} seeds"


def kodak(r: dict, stage: str) -> str:
    """``Kodak-8``: the Kodak images stage ``stage`` measured on (its ``kodak_images``)."""
    n = (r.get("stages", {}).get(stage) or {}).get("kodak_images") or (r.get(f"r{stage}") or {}).get("kodak_images")
    return set_label(KODAK, n)


def _shape(phase: dict) -> str:
    """``16×256² on NVIDIA H200`` of one recorded phase (phases released before batch and crop were recorded:
    their recipe's, :data:`lic.release.recipes.REFERENCE`)."""
    from lic.release.recipes import REFERENCE

    r = {**REFERENCE.get(phase.get("name"), {}), **phase}
    return f"{r.get('batch_size', '?')}×{r.get('crop', '?')}² on {r.get('device') or 'cpu'}"


def released_budget(names) -> str:
    """``released: 24,224 steps (8×128² on cpu, 16×256² on NVIDIA H200)``: the recorded training of released models
    (a range of steps over several), from their manifests."""
    from lic.codec.zoo import available

    man = available()
    entries = [man[n] for n in dict.fromkeys(names) if n in man]
    if not entries:
        return "released (budget not in weights/manifest.json)"
    steps = sorted({sum(p.get("steps", 0) for p in e.get("phases", [])) or e.get("total_steps") or 0 for e in entries})
    shapes = list(dict.fromkeys(_shape(p) for e in entries for p in e.get("phases", [])))
    span = f"{steps[0]:,}" if len(steps) == 1 else f"{steps[0]:,}–{steps[-1]:,}"
    grown = sorted({w for e in entries for w in _narrower_phases(e)}, reverse=True)
    return (f"released: {span} steps" + (f" ({', '.join(shapes)})" if shapes else "")
            + (f", grown from N={'/'.join(map(str, grown))}" if grown else ""))


def _narrower_phases(entry: dict) -> set[int]:
    """The widths narrower than the model's own among its phases' recipe names (``-n64-``): a student grown from a
    narrower one (:func:`lic.train.widen.widen_to_width`) trained those phases at that width."""
    N = int((entry.get("config") or {}).get("N", 0))
    return {w for p in entry.get("phases", []) if (m := re.search(r"-n(\d+)-", str(p.get("name", ""))))
            and (w := int(m.group(1))) < N}


def run_budget(steps, batch, crop, device, what: str = "steps") -> str:
    """``this run: 4 steps of 2×64² on cpu``."""
    return f"this run: {fmt(steps, digits=None)} {what} of {batch}×{crop}² on {device or 'a device not recorded'}"


def _zoo(inits) -> list[str]:
    return [str(v).removeprefix("zoo:") for v in inits if str(v).startswith("zoo:")]


def teacher_budget(r: dict) -> str:
    """The teacher's training: the released teachers' phases (``init="zoo"``), this run's steps, or both."""
    r01, p = r["r01"], (r.get("stages", {}).get("01") or {}).get("params") or {}
    parts = [released_budget(z)] if (z := _zoo((r01.get("init") or {}).values())) else []
    if p.get("steps"):
        parts.append(run_budget(p["steps"], p.get("batch_size", "?"), p.get("crop", "?"), r01.get("device")))
    elif not parts:
        parts.append(f"not trained in this run (init {p.get('init', '?')})")
    return " + ".join(parts)


def student_budget(r: dict, kind: str, N) -> str:
    """A stage-02 student's training: the released student's phases, this run's steps, or both."""
    r02, p = r["r02"], (r.get("stages", {}).get("02") or {}).get("params") or {}
    inits = [d.get("init") for d in [*r02.get("rd", []), *r02.get("deployed_rd", [])]
             if d.get("codec") == kind and str(d.get("N")) == str(N)]
    parts = [released_budget(z)] if (z := _zoo(inits)) else []
    if p.get("steps"):
        parts.append(run_budget(p["steps"], p.get("batch_size", "?"), p.get("crop", "?"), r02.get("device")))
    elif not parts:
        parts.append("not trained in this run")
    return " + ".join(parts)


def quant_budget(r: dict) -> str:
    """Stage 03's fine-tuning of the quantized rows: ``this run: 10 QAT steps of 4×128² on cpu``."""
    p = (r.get("stages", {}).get("03") or {}).get("params") or {}
    return run_budget(p.get("qat_steps", "?"), p.get("batch_size", "?"), p.get("crop", "?"),
                      (r.get("r03") or {}).get("device"), what="QAT steps")


def _recorded_same(variant: str, n: int) -> dict | None:
    """Mean bpp / PSNR of a released model's recorded rows on the first ``n`` Kodak images (the ones a stage
    coding ``n`` images coded), or None when they are not all recorded."""
    from lic.data.images import kodak_md5s
    from lic.eval.measured import recorded

    names = {n_.rsplit(".", 1)[0] for n_ in sorted(kodak_md5s())[:n]}
    rows = [x for x in recorded(variant).values() if x.get("image") in names]
    if len(rows) != n:
        return None
    return {k: sum(x[k] for x in rows) / n for k in ("bpp", "psnr")}


def _point(bpp, psnr) -> str:
    return f"{fmt(bpp)} bpp, {psnr:.2f} dB" if all(isinstance(v, (int, float)) and math.isfinite(v)
                                                 for v in (bpp, psnr)) else "n/a"


def _coded(coding: dict | None) -> str:
    """``1 of 24 images coded, 23 reused after an exact spot check``."""
    c = coding or {}
    if c.get("reused"):
        coded = c.get("coded", 0)
        return (f"{coded} image{'s' if coded != 1 else ''} coded, {c['reused']} rows reused from "
                "weights/kodak_measured.json after the spot check matched")
    return "every image coded"


def _released_point(variant: str, point: dict, n: int, coding: dict | None, who: str) -> dict | None:
    from lic.codec.zoo import available

    e = available().get(variant)
    if not e or not e.get("kodak"):
        return None
    rec_n = e.get("kodak_images") or 24
    same = _recorded_same(variant, n) if n and n < rec_n else None
    return {"variant": variant, "who": who, "n": n, "ours": {"bpp": point["bpp"], "psnr": point["psnr"]},
            "recorded": {**e["kodak"], "n": rec_n}, "same": same, "coding": coding}


def released_points(r: dict) -> list[dict]:
    """Each released model this run used as it is (teachers of stage 01 at every λ, students of stage 02, main
    seed): ``variant, who, n`` (images this run coded), ``ours`` and ``recorded`` (bpp, psnr; recorded ``n``),
    ``same`` (the recorded rows of the same ``n`` images, where fewer than recorded) and ``coding``."""
    from lic.codec.zoo import INT_SUFFIX, available
    from lic.train.specs import STUDENT_KINDS, lambda_tag

    out, man = [], available()
    variant = lambda name, entropy: (f"{name}{INT_SUFFIX}" if entropy == "integer"  # noqa: E731
                                     and f"{name}{INT_SUFFIX}" in man else name)
    r01 = r["r01"]
    for pt in r01.get("rd", []):
        tag = lambda_tag(pt["lmbda"])
        init = str((r01.get("init") or {}).get(tag, ""))
        coding = (r01.get("coding") or {}).get(tag)
        if (init.startswith("zoo:") and not (r["stages"].get("01", {}).get("params") or {}).get("steps")
                and (coding or {}).get("why") != "not a released model"):
            out.append(_released_point(variant(init[4:], r01.get("entropy")), pt, r01.get("kodak_images"), coding,
                                       "teacher"))
    r02 = r.get("r02") or {}
    main_seed = (r02.get("rd") or [{}])[0].get("seed", 0)
    if not (r["stages"].get("02", {}).get("params") or {}).get("steps"):
        for pt in [*r02.get("rd", []), *r02.get("deployed_rd", [])]:
            init = str(pt.get("init", ""))
            if not (init.startswith("zoo:") and pt.get("seed", 0) == main_seed and pt.get("codec") in STUDENT_KINDS
                    and {"N", "lmbda"} <= set(pt)):  # the ablation's students train on from a released one
                continue
            tag = f"{pt['codec']}/n{int(pt['N'])}/l{lambda_tag(pt['lmbda'])}"
            coding = (r02.get("coding") or {}).get(tag)
            if (coding or {}).get("why") != "not a released model":  # coded as released, not trained further
                out.append(_released_point(variant(init[4:], r02.get("entropy")), pt, r02.get("kodak_images"),
                                           coding, "student"))
    return [x for x in out if x]


def released_rows(r: dict) -> list[tuple[str, str, str]]:
    """Headline rows of :func:`released_points`: this run's re-measurement, the recorded numbers as the anchor."""
    rows = []
    for x in released_points(r):
        rec, same = x["recorded"], x["same"]
        anchor = f"{_point(rec['bpp'], rec['psnr'])} (recorded at release, Kodak-{rec['n']}, weights/manifest.json)"
        if same:
            anchor += f"; on the same {x['n']} images {_point(same['bpp'], same['psnr'])} (weights/kodak_measured.json)"
        rows.append((f"released {x['who']} {x['variant']}: mean bpp, PSNR on Kodak-{x['n']}, re-measured by this run",
                     f"{_point(x['ours']['bpp'], x['ours']['psnr'])} ({_coded(x['coding'])})", anchor))
    return rows
