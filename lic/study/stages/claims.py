"""What the report says in words: the headline table (each claim of arXiv 2503.04832 beside what this run
measured and its anchor) and the summary paragraph, both generated from the stages' results and the released
models' manifests, never typed in; plus which student the report deploys at each width."""

from __future__ import annotations

import math

import pandas as pd

from lic.eval.portability import INT_ENTROPY_RECORD, PORTABLE_RECORD
from lic.eval.stats import noise_summary, objective_summary, recorded_kd_vs_rd, recorded_seed_controls
from lic.study.stages.distill import noise_table, objective_table
from lic.study.stages.quant import seed_spread
from lic.study.tables import NO_OVERLAP, fmt

__all__ = ["KIND_LABEL", "DEPLOY_ORDER", "kinds_bd", "deployable", "portable_rows", "headline_table",
           "summary_paragraph"]

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


def _claims(r: dict) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The paper's claims (abstract of arXiv 2503.04832, paraphrased) with (quantity, measured, anchor) rows."""
    r01, r02, r03, r04 = r["r01"], r["r02"], r["r03"], r["r04"]
    tN, n = r02["teacher_N"], r["stages"]["01"].get("kodak_images", "?")
    out = [("Learned image compression beats standardised codecs in RD efficiency", [
        (f"teacher N={tN}: BD-rate (PSNR) vs JPEG", _bd(r01["bd_rate_vs_jpeg"]), f"JPEG 4:2:0 (Pillow), same {n} Kodak images"),
        (f"teacher N={tN}: BD-rate (PSNR) vs WebP", _bd(r01["bd_rate_vs_webp"]), f"WebP method 6 (Pillow), same {n} images")])]
    kd = []
    for s in r02["summary"]:
        g = s.get("gflops_vs_teacher")
        for kind, bd in kinds_bd(s).items():
            if bd is None:
                continue
            at = f" at {g:.3g}× its GFLOPs" if _ok(g) else ""
            kd.append((f"student N={s['N']}, {KIND_LABEL[kind]}: BD-rate vs teacher{at}", _bd(bd),
                       f"teacher N={tN} (float), same images"))
    for d in r02.get("deployed", []):
        lams = ", ".join(f"{l:g}" for l in d["lambdas"])
        kd.append((f"student N={d['N']}, {KIND_LABEL[d['kind']]}: BD-rate vs teacher on {d['points']} λ ({lams}) at "
                   f"{d['gflops_vs_teacher']:.3g}× its GFLOPs", _bd(d["bd_rate_vs_teacher"]), f"teacher N={tN} (float), same images"))
    kd += _seed_rows(r02)
    out.append(("A student distilled by changing one width N keeps RD efficiency at lower complexity", kd))
    noise = pd.DataFrame(r03.get("noise", []), columns=["row", "bd_rate_psnr_vs_float"])
    spread = noise.groupby("row").bd_rate_psnr_vs_float.apply(list).to_dict()
    q = []
    for s in r03["summary"]:
        if s["row"] == "float":
            continue
        v, sp = s["bd_rate_psnr_vs_float"], seed_spread(spread.get(s["row"], []))
        q.append((f"{s['variant']}: BD-rate vs float", _bd(v) + (f" (spread over seeds {fmt(sp)})" if _ok(sp) and _ok(v) else ""),
                  "the same student in float32 (same fine-tuning)"))
    out.append(("The hardware-friendly GDN keeps RD efficiency after quantization (hybrid 8/32)", q))
    hw = [("C-sim vs Python fixed point: mismatching values",
           f"{fmt(r04['csim']['mismatches'])} of {fmt(r04['csim']['values'])}", "lic.fixedpoint (bit-level spec)")]
    hyper = r04.get("csim_hyper") or {}
    if hyper.get("status") == "ok":
        hw.append(("C-sim of the integer entropy model (h_a, h_s, CDF indexes): mismatching values",
                   f"{fmt(hyper['mismatches'])} of {fmt(hyper['values'])}", "lic.fixedpoint (bit-level spec)"))
    for unit, u in ((r04.get("rtl") or {}).get("units") or {}).items():
        hw.append((f"RTL {unit} (Icarus Verilog): mismatching vectors", f"{fmt(u.get('mismatches'))} of {fmt(u.get('vectors'))}",
                   "Python reference and C-sim"))
    target = (r["stages"]["04"].get("params") or {}).get("fps_target")
    for res, t in (r04.get("throughput") or {}).items():
        hw.append((f"{res} on {r04['board']['name']}: frames per second ({t['cores']} core(s), analytical model)",
                   f"{fmt(t['fps'])} fps", f"real-time target {fmt(target)} fps" if target else "real-time target"))
    g = r04.get("rtl_ga") or {}
    if g.get("status") == "ok":
        hw.append((f"whole g_a in RTL, {g['image']} (cycle-accurate, Verilator): mismatching latents",
                   f"{fmt(g['mismatches'])} of {fmt(g['latents'])}", "lic.fixedpoint (bit-level spec)"))
        hw.append((f"{g['resolution']} on {r04['board']['name']}: frames per second measured in RTL simulation "
                   f"({g.get('cores', 1)} core(s), {fmt(g.get('clock_mhz'))} MHz)",
                   f"{fmt(g.get('fps_measured'))} fps (cycles a pixel, model / measured {fmt(g.get('model_over_measured'))})",
                   f"analytical model: {fmt(g.get('fps_modelled'))} fps"))
    res = {x["layer"]: x for x in r04.get("rtl_ga_resources", [])}
    budget = next((x for k, x in res.items() if k.endswith("at 80 %")), None)
    if "whole g_a" in res and budget:
        hw.append(("whole g_a in RTL at the plan: LUT / DSP / BRAM36 (yosys synth_xilinx, recorded benchmark)",
                   " / ".join(fmt(res["whole g_a"][k]) for k in ("lut", "dsp", "bram36")),
                   f"{budget['layer']}: " + " / ".join(fmt(budget[k]) for k in ("lut", "dsp", "bram36"))))
    for c in r04.get("codec_vs_float", [])[:4]:  # psnr_float: the model stage 04 exported, on its own latents
        hw.append((f"{c['image']}: PSNR of the integer codec (C-sim g_a, integer g_s) − the model's",
                   f"{c['psnr_int_gs'] - c['psnr_float']:+.3f} dB",
                   "hybrid 8/32 model (stage 03)" if (r04.get("source") or {}).get("stage") == "03" else "float model"))
    out.append(("A pipelined FPGA design runs the codec in real time, close to the float model", hw))
    out.append(("Streams decode to the same image on any machine (this study: an integer entropy model)",
                portable_rows(r)))
    comp = [k for k in r04 if any(w in k for w in ("published", "comparison", "prior"))]
    out.append(("It outperforms all earlier FPGA implementations of LIC", [
        ("comparison with published FPGA designs", f"see section 5 ({', '.join(comp)})" if comp
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
    for m in (ps.data.get("models") or []) if ps else []:
        rows.append((f"{m['model']} ({m['entropy']} entropy): streams coded under 8 CPU backend settings, each decoded "
                     f"under all 8 ({', '.join(ps.data['images'])}; recorded benchmark{', stale' if ps.stale else ''})",
                     f"{m['decoded']} of {m['pairs']} decoded, {m['refused']} refused, {m['wrong_images']} wrong",
                     "oneDNN on/off × 1/2 threads × NCHW/channels_last"))
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


def _provenance(r01: dict, r02: dict) -> list[str]:
    """Where the released teacher and deployed student trained (their phases, from the manifests), and whether the
    pruned-teacher students can be compared (they inherited the same teacher)."""
    from lic.codec.zoo import available
    from lic.release.recipes import describe_phases
    from lic.train.specs import DEPLOYED_KIND

    out = [f"The released teacher ({name}) trained in {describe_phases(z['phases'])}."
           for name, z in list((r01.get("zoo_training") or {}).items())[-1:]]
    zs = sorted({str(d.get("init")).removeprefix("zoo:") for d in [*r02.get("rd", []), *r02.get("deployed_rd", [])]
                 if str(d.get("init")).startswith(f"zoo:student-{DEPLOYED_KIND}-n")})
    if zs and zs[-1] in available():  # sorted: the highest λ last
        out.append(f"The released deployed student ({zs[-1]}) trained in {describe_phases(available()[zs[-1]]['phases'])}.")
    if any(s.get("pruned_same_teacher") is False for s in r02["summary"]):
        out.append("This run does not compare KD with RD-only from the pruned teacher: its two students inherited "
                   "different teachers (the released RD-only control comes from an earlier teacher).")
    rec = recorded_kd_vs_rd()
    if rec:
        x = rec["summary"]["kd_vs_rd_bd_pct"]
        out.append(f"In a recorded benchmark ({_recorded_setup(rec)}), KD from the pruned teacher costs "
                   f"{x['mean_pct']:+.1f} ± {x['ci95']:.1f} % BD-rate against its RD-only twin over {len(rec['seeds'])} "
                   f"seeds, {'larger' if x['resolved'] else 'not larger'} than the seed-to-seed noise"
                   + _cost_changes(rec["summary"]) + ".")
    return out


def _cost_changes(summary: dict) -> str:
    """``; its Kodak RD cost changes +2.5 % at λ 0.0067, -4.9 % at λ 0.025`` from a record's per-λ summaries."""
    per = [(k.removeprefix("cost_change_pct_l"), v["mean_pct"]) for k, v in summary.items()
           if k.startswith("cost_change_pct_l") and _ok(v["mean_pct"])]
    return ("; its Kodak RD cost (λ·255²·MSE + bpp) changes " + ", ".join(f"{v:+.1f} % at λ {float(t):g}" for t, v in per)
            if per else "")


def _recorded_kd_vs_rd_rows() -> list[tuple[str, str, str]]:
    """The headline row of the recorded KD vs RD-only benchmark (:func:`lic.eval.stats.recorded_kd_vs_rd`), if any."""
    rec = recorded_kd_vs_rd()
    if not rec:
        return []
    x = rec["summary"]["kd_vs_rd_bd_pct"]
    return [(f"KD vs RD-only from the pruned teacher, N={_one(rec['setup']['N'])}, mean of {len(rec['seeds'])} seeds "
             f"± 95% CI (recorded benchmark: {_recorded_setup(rec)})",
             f"{_bd(x['mean_pct'])} ± {fmt(x['ci95'])} ({'resolved' if x['resolved'] else 'not resolved above seed noise'})",
             "RD-only twin: same pruned teacher, λ, crops and steps")]


def _seed_rows(r02: dict) -> list[tuple[str, str, str]]:
    """KD vs RD-only over seeds: Kodak BD-rate against the seed noise, and the paired in-sample training objective;
    this run's where it trained more than one seed, else the recorded seeds (:func:`recorded_seed_controls`),
    labelled as a recorded benchmark with their budget; then the recorded KD vs RD-only from the pruned teacher."""
    rows, rec = [], recorded_seed_controls()
    noise, where = noise_summary(noise_table(r02)), ""
    if not noise and rec:  # this run trained no extra seeds: the recorded ones
        noise, where = rec["kodak24"]["noise_summary"], f" (recorded benchmark: {_seeds_setup(rec)})"
    for x in noise:
        verdict = "resolved" if x["resolved"] else "not resolved above seed noise"
        rows.append((f"KD vs RD-only student N={x['N']}, mean of {x['seeds']} seeds ± 95% CI{where}",
                     f"{_bd(x['kd_vs_scratch_mean'])} ± {fmt(x['ci95'])} ({verdict})" if _ok(x["kd_vs_scratch_mean"])
                     else NO_OVERLAP, "RD-only student, same init, batches and steps"))
    rows += _recorded_kd_vs_rd_rows()
    objective, where = [o for o in objective_summary(objective_table(r02)) if o["seeds"] > 1], ""
    if not objective and rec and rec.get("objective"):  # one seed here: the record's
        objective, where = rec["objective"]["summary"], f" (recorded benchmark: {_seeds_setup(rec, kodak=False)})"
    for o in objective:
        rows.append((f"KD vs RD-only N={o['N']} λ={o['lmbda']}: training RD cost, final phase (in-sample){where}",
                     f"{fmt(o['mean_pct'], True)} ± {fmt(o['ci95'])} % (p={o['p']:.3f}, "
                     f"{'resolved' if o['resolved'] else 'not resolved'})", "RD-only twin on identical batches"))
    return rows


def _seeds_setup(rec: dict, kodak: bool = True) -> str:
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


def _recorded_setup(rec: dict) -> str:
    """``4,000 steps of 16×256² on NVIDIA H200, λ 0.0067 / 0.025, Kodak-24`` (benchmarks/kdrd_seeds.py)."""
    s = rec["setup"]
    lams = " / ".join(f"{lm:g}" for lm in s["lambdas"])
    return (f"{fmt(_one(s['steps']))} steps of {_one(s['batch_size'])}×{_one(s['crop'])}² on "
            f"{_one(s['device'])}, λ {lams}, Kodak-{_one(s['kodak_images'])}")


def _portable_sentence(r01: dict) -> list[str]:
    """One sentence on the entropy model the run coded with and the recorded rate cost of the integer one."""
    from lic.provenance import find_record

    rd = find_record(INT_ENTROPY_RECORD)
    fams = [v for v in ((rd.data.get("families") or {}).values() if rd else []) if v and _ok(v["bd_rate_int_vs_float"])]
    if r01.get("entropy") != "integer" or not fams:
        return []
    costs = " and ".join(f"{v['bd_rate_int_vs_float']:+.2f} %" for v in fams)
    return [f"Streams use the integer entropy model, so they decode to the same image on any machine; it costs "
            f"{costs} BD-rate against the float entropy model (Kodak-{fams[0]['images']}, released teachers and "
            f"N=64 students, recorded benchmark)."]


def summary_paragraph(r: dict, chosen: dict | None = None) -> str:
    """A few sentences of what this run shows, generated from its numbers (Markdown)."""
    r01, r02, r03, r04 = r["r01"], r["r02"], r["r03"], r["r04"]
    n, tN = r["stages"]["01"].get("kodak_images", "?"), r02["teacher_N"]
    out = [f"Preset `{r['preset']}`, {n} Kodak images, every rate from the bytes of real files."]
    j, w = r01["bd_rate_vs_jpeg"], r01["bd_rate_vs_webp"]
    if _ok(j) and _ok(w):
        word = lambda v: f"{abs(v):.1f} % {'fewer' if v < 0 else 'more'} bits"  # noqa: E731
        out.append(f"At equal PSNR the teacher (N={tN}) needs {word(j)} than JPEG and {word(w)} than WebP.")
    else:
        out.append("The teacher's RD curve does not overlap JPEG's or WebP's in PSNR, so no BD-rate is given.")
    out += _provenance(r01, r02)
    dep = deployable(r02)
    if dep:
        N = max(dep)
        kind, bd = dep[N]
        g = next(s.get("gflops_vs_teacher") for s in r02["summary"] if int(s["N"]) == N)
        out.append(f"The widest measured student to deploy, N={N} ({KIND_LABEL[kind]}), costs {bd:+.1f} % BD-rate "
                   f"against the teacher at {g:.3g}× its GFLOPs per 720p frame.")
    for d in r02.get("deployed", []):
        if _ok(d["bd_rate_vs_teacher"]):
            out.append(f"On {d['points']} λ instead of {len(r02['lambdas'])}, the deployed N={d['N']} student "
                       f"({KIND_LABEL[d['kind']]}) costs {d['bd_rate_vs_teacher']:+.1f} % BD-rate against the teacher.")
    for x in noise_summary(noise_table(r02)):
        if _ok(x["kd_vs_scratch_mean"]):
            out.append(f"KD vs RD-only training at N={x['N']}: {x['kd_vs_scratch_mean']:+.1f} ± {x['ci95']:.1f} % over "
                       f"{x['seeds']} seeds, {'larger' if x['resolved'] else 'not larger'} than the seed-to-seed noise.")
    q = {s["row"]: s["bd_rate_psnr_vs_float"] for s in r03["summary"]}
    for row, what in (("hybrid", "8-bit convolutions with a 32-bit GDN (hybrid)"), ("int8", "8 bits everywhere")):
        if row in q:
            out.append(f"Quantizing to {what} costs {q[row]:+.1f} % BD-rate against float." if _ok(q[row]) else
                       f"Quantized to {what}, the RD curve does not overlap float's in PSNR (no BD-rate).")
    out += _portable_sentence(r01)
    c = r04["csim"]
    out.append(f"The HLS C-simulation {'matches' if c['mismatches'] == 0 else 'does NOT match'} the Python fixed-point "
               f"reference ({fmt(c['mismatches'])} mismatches in {fmt(c['values'])} values).")
    hy = r04.get("csim_hyper") or {}
    if hy.get("status") == "ok":
        out.append(f"The integer entropy model's h_a and h_s in HLS C-simulation give {fmt(hy['mismatches'])} "
                   f"mismatches in {fmt(hy['values'])} values (z and CDF indexes).")
    res, t = next(iter((r04.get("throughput") or {"-": None}).items()))
    if t:
        out.append(f"The analytical model predicts {fmt(t['fps'])} fps at {res} on {r04['board']['name']} "
                   f"({t['cores']} core(s)) — a model, not a measurement on a board.")
    if chosen:
        fits = [f"{b} N={c['N']}" for b, c in chosen.items() if c.get("fits")]
        out.append("Widest measured width that meets the frame-rate target: " + (", ".join(fits) if fits else "none") + ".")
    if r["preset"] != "paper":
        out.append(f"Budgets of the `{r['preset']}` preset are short; read differences of a few % against the noise rows.")
    return " ".join(out)
