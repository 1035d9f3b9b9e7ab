"""What the report says in its headline table: each claim of arXiv 2503.04832 beside what this run measured and its
anchor, every number labelled with its image set and count and, for a trained model, its budget
(:mod:`lic.study.stages.labels`); generated from the stages' results, the released models' manifests and the
benchmark records, never typed in; plus which student the report deploys at each width. The summary's bullets are
:mod:`lic.study.stages.summary`'s."""

from __future__ import annotations

import math
import re

import pandas as pd

from lic.eval.portability import INT_ENTROPY_RECORD, PORTABLE_RECORD
from lic.eval.stats import noise_summary, objective_summary, recorded_kd_vs_rd, recorded_seed_controls
from lic.study.stages.distill import noise_table, objective_table
from lic.study.stages.labels import (ci_label, kodak, quant_budget, released_rows, spread_label, student_budget,
                                     teacher_budget)
from lic.study.stages.quant import seed_spread
from lic.study.tables import NO_OVERLAP, fmt

__all__ = ["KIND_LABEL", "DEPLOY_ORDER", "kinds_bd", "deployable", "portable_rows", "headline_table", "seeds_setup",
           "recorded_setup"]

#: student kinds of stage 02, in the order the report prefers one to deploy (weights inherited first)
KIND_LABEL = {"kd-pruned": "KD from the pruned teacher", "rd-pruned": "RD-only from the pruned teacher",
              "kd": "KD from random init", "scratch": "RD-only from random init"}
DEPLOY_ORDER = ("kd-pruned", "kd", "rd-pruned", "scratch")


def _ok(v) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def _bd(v, digits: int = 2) -> str:
    """A BD-rate for the report: ``+8.85 %`` or ``n/a (curves do not overlap)``."""
    return f"{v:+.{digits}f} %" if _ok(v) else NO_OVERLAP


def kinds_bd(s: dict) -> dict[str, float | None]:
    """kind -> BD-rate vs teacher of one stage-02 summary row."""
    return {k: s.get(f"bd_rate_{k.replace('-', '_')}_vs_teacher") for k in KIND_LABEL}


def deployable(r02: dict) -> dict[int, tuple[str, float]]:
    """Width -> (kind, BD-rate vs teacher) of the student one would deploy at that width: the first
    kind of :data:`DEPLOY_ORDER` measured there with a finite BD-rate."""
    out = {}
    for s in r02["summary"]:
        bd = kinds_bd(s)
        kind = next((k for k in DEPLOY_ORDER if _ok(bd[k])), None)
        if kind is not None:
            out[int(s["N"])] = (kind, float(bd[kind]))
    return out


def _rd_rows(r: dict) -> list[tuple[str, str, str]]:
    """The teacher against JPEG / WebP on its images and against CompressAI's published Kodak-24 points."""
    from lic.study.stages.teacher import anchors_table

    r01, tN, k01 = r["r01"], r["r02"]["teacher_N"], kodak(r, "01")
    who = f"teacher N={tN} ({teacher_budget(r)})"
    rows = [(f"{who}: BD-rate (PSNR) vs JPEG, {k01}", _bd(r01["bd_rate_vs_jpeg"]), f"JPEG 4:2:0 (Pillow), the same {k01}"),
            (f"{who}: BD-rate (PSNR) vs WebP, {k01}", _bd(r01["bd_rate_vs_webp"]), f"WebP method 6 (Pillow), the same {k01}")]
    for a in anchors_table(r01, (r["stages"].get("01") or {}).get("kodak_images")).to_dict("records"):
        dp = a["bd_psnr_vs_anchor_db"]
        rows.append((f"teacher N={tN} on {a['ours_set']} vs {a['anchor']}: BD-rate (PSNR) / BD-PSNR",
                     f"{_bd(a['bd_rate_vs_anchor'])} / {dp:+.2f} dB" if _ok(dp) else NO_OVERLAP,
                     f"published points on {a['anchor_set']}, not measured here ({a['source']})"))
    return rows


def _kd_rows(r: dict) -> list[tuple[str, str, str]]:
    """Every student kind's BD-rate vs the teacher, the deployed student on more λ, the seed rows."""
    r02, k02 = r["r02"], kodak(r, "02")
    tN, kd = r02["teacher_N"], []
    for s in r02["summary"]:
        g = s.get("gflops_vs_teacher")
        for kind, bd in kinds_bd(s).items():
            if bd is None:
                continue
            at = f" at {g:.3g}× its GFLOPs" if _ok(g) else ""
            kd.append((f"student N={s['N']}, {KIND_LABEL[kind]}: BD-rate vs teacher{at}, {k02} "
                       f"({student_budget(r, kind, s['N'])})", _bd(bd), f"teacher N={tN} (float), the same {k02}"))
    for d in r02.get("deployed", []):
        lams = ", ".join(f"{l:g}" for l in d["lambdas"])
        kd.append((f"student N={d['N']}, {KIND_LABEL[d['kind']]}: BD-rate vs teacher on {d['points']} λ ({lams}) at "
                   f"{d['gflops_vs_teacher']:.3g}× its GFLOPs, {k02} ({student_budget(r, d['kind'], d['N'])})",
                   _bd(d["bd_rate_vs_teacher"]), f"teacher N={tN} (float), the same {k02}"))
    return kd + _width_rows(r02) + _seed_rows(r)


def _width_rows(r02: dict) -> list[tuple[str, str, str]]:
    """Stage 02's width headline (:mod:`lic.study.stages.widths`): every released deployable width and the random-init
    ablation, BD-rate vs the released teacher on the Kodak rows recorded at release, the published penalty beside."""
    w = r02.get("width_headline") or {}
    t, a = w.get("teacher") or {}, w.get("anchor") or {}
    out = []
    for x in w.get("rows", []):
        g = x.get("gflops_vs_teacher")
        at = f" at {g:.3g}× its GFLOPs" if _ok(g) else ""
        who = f"student N={x['N']}, {KIND_LABEL[x['kind']]}"
        if not x["names"]:
            q = f"{who}: BD-rate vs teacher{at}, not released yet"
        else:
            q = f"{who} (released): BD-rate vs teacher on {x['on']}{at}, {x['set']} recorded at release ({x['budget']})"
        anchor = f"released teacher N={t.get('N')}, the same images"
        if x.get("anchor_bd_rate") is not None:
            anchor += f"; {a.get('label', 'published')}: {x['anchor_bd_rate']:+.1f} % at N={x['N']}"
        out.append((q, _bd(x["bd_rate"]) if _ok(x["bd_rate"]) else f"n/a ({x['na']})", anchor))
    return out


def _quant_rows(r: dict) -> list[tuple[str, str, str]]:
    """Each quantized / GDN row's BD-rate vs float, with its seed spread."""
    r03, k03 = r["r03"], kodak(r, "03")
    noise = pd.DataFrame(r03.get("noise", []), columns=["row", "bd_rate_psnr_vs_float"])
    spread = noise.groupby("row").bd_rate_psnr_vs_float.apply(list).to_dict()
    q = []
    for s in r03["summary"]:
        if s["row"] == "float":
            continue
        v, seeds = s["bd_rate_psnr_vs_float"], spread.get(s["row"], [])
        sp = seed_spread(seeds)
        q.append((f"{s['variant']}: BD-rate vs float, {k03} ({quant_budget(r)})",
                  _bd(v) + (f" ({spread_label(len(seeds))}: {fmt(sp)} pp)" if _ok(sp) and _ok(v) else ""),
                  f"the same student in float32 (same fine-tuning), the same {k03}"))
    return q


def _csim_inputs(r04: dict) -> str:
    """``2 random 3x64x64, kodim01 (Kodak centre crop 3x64x64)``: what went through the C-sim tops."""
    rows = (r04.get("csim") or {}).get("rows") or []
    rnd = [x for x in rows if x.get("input") == "random"]
    kod = [x for x in rows if x.get("input") != "random"]
    parts = [f"{len(rnd)} random {rnd[0]['shape']}"] if rnd else []
    if kod:
        parts.append(f"{', '.join(x['input'] for x in kod)} (Kodak centre crops {kod[0]['shape']})")
    return ", ".join(parts) or "inputs not recorded"


def _hw_rows(r: dict) -> list[tuple[str, str, str]]:
    """Bit-exactness, throughput (modelled, measured in RTL simulation), synthesised resources, integer codec."""
    r04 = r["r04"]
    hw = [(f"C-sim g_a, g_s vs Python fixed point: mismatching values ({_csim_inputs(r04)})",
           f"{fmt(r04['csim']['mismatches'])} of {fmt(r04['csim']['values'])}", "lic.fixedpoint (bit-level spec)")]
    hyper = r04.get("csim_hyper") or {}
    if hyper.get("status") == "ok":
        imgs = ", ".join(x.get("image", "?") for x in hyper.get("rows", []))
        hw.append((f"C-sim of the integer entropy model (h_a, h_s, CDF indexes): mismatching values ({imgs})",
                   f"{fmt(hyper['mismatches'])} of {fmt(hyper['values'])}", "lic.fixedpoint (bit-level spec)"))
    for unit, u in ((r04.get("rtl") or {}).get("units") or {}).items():
        hw.append((f"RTL {unit} (Icarus Verilog, random vectors): mismatching vectors",
                   f"{fmt(u.get('mismatches'))} of {fmt(u.get('vectors'))}", "Python reference and C-sim"))
    target = (r["stages"]["04"].get("params") or {}).get("fps_target")
    for res, t in (r04.get("throughput") or {}).items():
        hw.append((f"{res} on {r04['board']['name']}: frames per second ({t['cores']} core(s), analytical model)",
                   f"{fmt(t['fps'])} fps", f"real-time target {fmt(target)} fps" if target else "real-time target"))
    hw += _rtl_ga_rows(r04)
    crop = (r["stages"]["04"].get("params") or {}).get("csim_crop")
    for c in r04.get("codec_vs_float", [])[:4]:  # psnr_float: the model stage 04 exported, on its own latents
        where = f"{c['image']} (Kodak centre crop {crop}×{crop})" if crop else f"{c['image']} (Kodak centre crop)"
        hw.append((f"{where}: PSNR of the integer codec (C-sim g_a, integer g_s) − the model's",
                   f"{c['psnr_int_gs'] - c['psnr_float']:+.3f} dB",
                   "hybrid 8/32 model (stage 03)" if (r04.get("source") or {}).get("stage") == "03" else "float model"))
    return hw


def _rtl_ga_rows(r04: dict) -> list[tuple[str, str, str]]:
    """The whole g_a in RTL: mismatches and measured fps (this run, Verilator); LUT / DSP / BRAM36 (recorded)."""
    hw, g = [], r04.get("rtl_ga") or {}
    if g.get("status") == "ok":
        hw.append((f"whole g_a in RTL, {g['image']} (cycle-accurate, Verilator): mismatching latents",
                   f"{fmt(g['mismatches'])} of {fmt(g['latents'])}", "lic.fixedpoint (bit-level spec)"))
        hw.append((f"{g['resolution']} on {r04['board']['name']}: frames per second measured in RTL simulation "
                   f"({g.get('cores', 1)} core(s), {fmt(g.get('clock_mhz'))} MHz, {g['image']} streamed)",
                   f"{fmt(g.get('fps_measured'))} fps (cycles a pixel, model / measured {fmt(g.get('model_over_measured'))})",
                   f"analytical model: {fmt(g.get('fps_modelled'))} fps"))
    res = {x["layer"]: x for x in r04.get("rtl_ga_resources", [])}
    budget = next((x for k, x in res.items() if k.endswith("at 80 %")), None)
    if "whole g_a" in res and budget:
        lab = str(res["whole g_a"].get("label", ""))
        stale = ", stale" if "stale" in lab else ""
        of = re.search(r"\((released [^)]*)\)", lab)
        hw.append((f"whole g_a in RTL at the plan{' of the ' + of.group(1) if of else ''}: LUT / DSP / BRAM36 "
                   f"(yosys synth_xilinx, recorded benchmark{stale})",
                   " / ".join(fmt(res["whole g_a"][k]) for k in ("lut", "dsp", "bram36")),
                   f"{budget['layer']}: " + " / ".join(fmt(budget[k]) for k in ("lut", "dsp", "bram36"))))
    return hw


def _claims(r: dict) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The paper's claims (abstract of arXiv 2503.04832, paraphrased) with (quantity, measured, anchor) rows; first
    the released models' recorded Kodak numbers beside this run's re-measurement."""
    out = []
    released = released_rows(r)
    if released:
        out.append(("The released models, recorded at release and re-measured by this run (this study)", released))
    out.append(("Learned image compression beats standardised codecs in RD efficiency", _rd_rows(r)))
    out.append(("A student distilled by changing one width N keeps RD efficiency at lower complexity", _kd_rows(r)))
    out.append(("The hardware-friendly GDN keeps RD efficiency after quantization (hybrid 8/32)", _quant_rows(r)))
    out.append(("A pipelined FPGA design runs the codec in real time, close to the float model", _hw_rows(r)))
    out.append(("Streams decode to the same image on any machine (this study: an integer entropy model)",
                portable_rows(r)))
    comp = [k for k in r["r04"] if any(w in k for w in ("published", "comparison", "prior"))]
    out.append(("It outperforms all earlier FPGA implementations of LIC", [
        ("comparison with published FPGA designs", "see section 5, published FPGA designs" if comp
         else "not measured in this run (stage 04 gives no published-design table)", "published FPGA LIC designs")]))
    return out


def portable_rows(r: dict) -> list[tuple[str, str, str]]:
    """The integer entropy model: its recorded rate cost per family, the recorded backend matrix, and what this
    run coded with it (records ``int_entropy_rd`` and ``portable_streams``, :mod:`lic.codec.intprior`)."""
    from lic.provenance import find_record

    rows = []
    rd = find_record(INT_ENTROPY_RECORD)
    for fam, v in ((rd.data.get("families") or {}) if rd else {}).items():
        if v:
            lams = " / ".join(f"{l:g}" for l in v["lambdas"])
            rows.append((f"{fam}: BD-rate of the integer entropy model vs float (Kodak-{v['images']}, {len(v['lambdas'])} "
                         f"λ {lams}; released weights, recorded benchmark{', stale' if rd.stale else ''})",
                         _bd(v["bd_rate_int_vs_float"], 3), "the same weights with CompressAI's float entropy model"))
    ps = find_record(PORTABLE_RECORD)
    models = pd.DataFrame((ps.data.get("models") or []) if ps else [])
    for entropy, g in models.groupby("entropy", sort=False) if not models.empty else ():
        rows.append((f"{len(g)} released {entropy}-entropy models: streams coded under 8 CPU backend settings, each "
                     f"decoded under all 8 ({', '.join(ps.data['images'])}, full size; recorded benchmark"
                     f"{', stale' if ps.stale else ''})",
                     f"{g.decoded.sum():,} of {g.pairs.sum():,} decoded, {g.refused.sum():,} refused, "
                     f"{g.wrong_images.sum():,} wrong images", "oneDNN on/off × 1/2 threads × NCHW/channels_last"))
    ru = (ps.data.get("reuse_summary") or {}) if ps else {}
    if ru.get("checks"):
        rows.append(("the stages' spot check of the integer-entropy models' recorded Kodak rows under each of the 8 "
                     "settings (the stand-in for another CPU; recorded benchmark)",
                     f"{ru['reused']} of {ru['checks']} reused", "lic.eval.measured.PORTABLE_TOL"))
    for st in ("01", "02"):
        res = r.get(f"r{st}") or {}
        coding = res.get("coding") or {}
        if res.get("entropy") and coding:
            reused = sum(c.get("reused", 0) for c in coding.values())
            total = reused + sum(c.get("coded", 0) for c in coding.values())
            rows.append((f"stage {st} of this run: entropy model; Kodak rows reused from the release record",
                         f"{res['entropy']}; {reused} of {total} reused", "weights/kodak_measured.json (spot check)"))
    return rows


def headline_table(r: dict) -> pd.DataFrame:
    """The study in one table: each claim of the paper, what this run measured, and its anchor."""
    rows = []
    for claim, items in _claims(r):
        for i, (q, v, a) in enumerate(items):
            rows.append({"paper's claim": claim if i == 0 else "", "quantity": q, "our measured": v, "anchor": a})
    return pd.DataFrame(rows, columns=["paper's claim", "quantity", "our measured", "anchor"])


def _recorded_kd_vs_rd_rows() -> list[tuple[str, str, str]]:
    """The headline row of the recorded KD vs RD-only benchmark (:func:`lic.eval.stats.recorded_kd_vs_rd`), if any."""
    rec = recorded_kd_vs_rd()
    if not rec:
        return []
    x = rec["summary"]["kd_vs_rd_bd_pct"]
    return [(f"KD vs RD-only from the pruned teacher, N={_one(rec['setup']['N'])}, {ci_label(len(rec['seeds']))} "
             f"(recorded benchmark: {recorded_setup(rec)})",
             f"{_bd(x['mean_pct'])} ± {fmt(x['ci95'])} ({'resolved' if x['resolved'] else 'not resolved above seed noise'})",
             "RD-only twin: same pruned teacher, λ, crops and steps")]


def _seed_rows(r: dict) -> list[tuple[str, str, str]]:
    """KD vs RD-only over seeds: Kodak BD-rate against the seed noise, and the paired in-sample training objective;
    this run's where it trained more than one seed (its Kodak images and budget), else the recorded seeds
    (:func:`recorded_seed_controls`), labelled as a recorded benchmark with their budget; then the recorded KD vs
    RD-only from the pruned teacher."""
    r02 = r["r02"]
    rows, rec = [], recorded_seed_controls()
    noise, where = noise_summary(noise_table(r02)), ""
    if noise:
        where = f", {kodak(r, '02')} ({student_budget(r, 'kd', noise[0]['N'])})"
    elif rec:  # this run trained no extra seeds: the recorded ones
        noise, where = rec["kodak24"]["noise_summary"], f" (recorded benchmark: {seeds_setup(rec)})"
    for x in noise:
        verdict = "resolved" if x["resolved"] else "not resolved above seed noise"
        rows.append((f"KD vs RD-only student N={x['N']}, {ci_label(x['seeds'])}{where}",
                     f"{_bd(x['kd_vs_scratch_mean'])} ± {fmt(x['ci95'])} ({verdict})" if _ok(x["kd_vs_scratch_mean"])
                     else NO_OVERLAP, "RD-only student, same init, batches and steps"))
    rows += _recorded_kd_vs_rd_rows()
    objective, where = [o for o in objective_summary(objective_table(r02)) if o["seeds"] > 1], ""
    if objective:
        where = f" ({student_budget(r, 'kd', objective[0]['N'])})"
    elif rec and rec.get("objective"):  # one seed here: the record's
        objective, where = rec["objective"]["summary"], f" (recorded benchmark: {seeds_setup(rec, kodak=False)})"
    for o in objective:
        rows.append((f"KD vs RD-only N={o['N']} λ={o['lmbda']}: training RD cost, final phase (in-sample, "
                     f"{ci_label(o['seeds'])}){where}",
                     f"{fmt(o['mean_pct'], True)} ± {fmt(o['ci95'])} % (p={o['p']:.3f}, "
                     f"{'resolved' if o['resolved'] else 'not resolved'})", "RD-only twin on identical batches"))
    return rows


def seeds_setup(rec: dict, kodak: bool = True) -> str:
    """``6,000 steps of 8×128² on cpu, λ 0.0067 / 0.025, Kodak-24`` of the recorded seed students
    (benchmarks/seed_controls.py; each seed's λ 0.0067 point a fine-tune of its λ 0.025 one)."""
    base = [s for s in rec["students"].values() if s.get("kind") == "kd" and s.get("seed") and s.get("lmbda") == 0.025]
    tc = base[0]["train_config"] if base else {}
    lams = " / ".join(f"{lm:g}" for lm in rec["lambdas"])
    return (f"{fmt(tc.get('steps', '?'))} steps of {tc.get('batch_size', '?')}×{tc.get('crop', '?')}² on "
            f"{base[0].get('hardware', {}).get('device') or 'cpu' if base else '?'}, λ {lams}"
            + (", Kodak-24" if kodak else ""))


def _one(values: list):
    """A recorded setup field: its one value, or the values joined where the runs differed."""
    return values[0] if len(values) == 1 else "/".join(str(v) for v in values)


def recorded_setup(rec: dict) -> str:
    """``4,000 steps of 16×256² on NVIDIA H200, λ 0.0067 / 0.025, Kodak-24`` (benchmarks/kdrd_seeds.py)."""
    s = rec["setup"]
    lams = " / ".join(f"{lm:g}" for lm in s["lambdas"])
    return (f"{fmt(_one(s['steps']))} steps of {_one(s['batch_size'])}×{_one(s['crop'])}² on "
            f"{_one(s['device'])}, λ {lams}, Kodak-{_one(s['kodak_images'])}")
