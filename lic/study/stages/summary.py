"""The report's summary: 6-10 bullets, each a claim of this run with its number and its label (image set and count,
training budget, recorded benchmark or model), generated from the stages' results, never typed in."""

from __future__ import annotations

from lic.eval.portability import INT_ENTROPY_RECORD
from lic.eval.stats import noise_summary, recorded_kd_vs_rd
from lic.study.stages.claims import KIND_LABEL, _ok, deployable, recorded_setup
from lic.study.stages.distill import noise_table
from lic.study.stages.labels import (CI, ci_label, kodak, quant_budget, released_points, student_budget,
                                     teacher_budget)
from lic.study.tables import fmt

__all__ = ["MIN_BULLETS", "MAX_BULLETS", "summary_bullets", "summary_markdown", "summary_paragraph"]

MIN_BULLETS, MAX_BULLETS = 6, 10


def _word(v: float) -> str:
    return f"{abs(v):.1f} % {'fewer' if v < 0 else 'more'} bits"


def _teacher(r: dict) -> str:
    r01, tN, k = r["r01"], r["r02"]["teacher_N"], kodak(r, "01")
    j, w = r01["bd_rate_vs_jpeg"], r01["bd_rate_vs_webp"]
    if _ok(j) and _ok(w):
        return (f"At equal PSNR the teacher (N={tN}; {teacher_budget(r)}) needs {_word(j)} than JPEG and {_word(w)} "
                f"than WebP (BD-rate, {k}).")
    return (f"The teacher's RD curve (N={tN}; {teacher_budget(r)}) does not overlap JPEG's or WebP's in PSNR on {k}, "
            "so no BD-rate is given.")


def _anchors(r: dict) -> str:
    from lic.study.stages.teacher import anchors_table

    t = anchors_table(r["r01"], (r["stages"].get("01") or {}).get("kodak_images"))
    parts = [f"{a['bd_rate_vs_anchor']:+.1f} % BD-rate, {a['bd_psnr_vs_anchor_db']:+.2f} dB BD-PSNR against "
             f"{a['anchor']}" if _ok(a["bd_rate_vs_anchor"]) and _ok(a["bd_psnr_vs_anchor_db"])
             else f"no overlap in PSNR with {a['anchor']}" for a in t.to_dict("records")]
    ours = t.ours_set.iloc[0] if len(t) else kodak(r, "01")
    return (f"Against CompressAI's published points (not measured here), our teacher on {ours} gives "
            + "; ".join(parts) + ".")


def _released(r: dict) -> str | None:
    """How closely this run's re-measurement of the released models meets their recorded numbers."""
    pts = released_points(r)
    if not pts:
        return None
    out = []
    for n in sorted({x["n"] for x in pts}):
        same_n = [x for x in pts if x["n"] == n]
        ref = [(x, x["recorded"] if x["recorded"]["n"] == n else x["same"]) for x in same_n]
        ref = [(x, y) for x, y in ref if y]
        if not ref:
            continue
        db = max(abs(x["ours"]["bpp"] - y["bpp"]) for x, y in ref)
        dp = max(abs(x["ours"]["psnr"] - y["psnr"]) for x, y in ref)
        out.append(f"{len(ref)} on Kodak-{n} within {fmt(db)} bpp and {dp:.3f} dB")
    if not out:
        return None
    return ("This run re-measured the released models it used as they are against their recorded numbers on the same "
            "images (weights/manifest.json, weights/kodak_measured.json): " + "; ".join(out) + ".")


def _student(r: dict) -> str:
    r02, dep, k = r["r02"], deployable(r["r02"]), kodak(r, "02")
    if not dep:
        return f"No student's RD curve overlaps the teacher's in PSNR on {k}: no student BD-rate is given."
    N = max(dep)
    kind, bd = dep[N]
    g = next(s.get("gflops_vs_teacher") for s in r02["summary"] if int(s["N"]) == N)
    out = (f"The widest measured student to deploy, N={N} ({KIND_LABEL[kind]}; {student_budget(r, kind, N)}), costs "
           f"{bd:+.1f} % BD-rate against the teacher at {g:.3g}× its GFLOPs per 720p frame ({k})")
    for d in r02.get("deployed", []):
        if _ok(d["bd_rate_vs_teacher"]):
            out += (f"; on {d['points']} λ instead of {len(r02['lambdas'])}, the deployed N={d['N']} student "
                    f"({KIND_LABEL[d['kind']]}) costs {d['bd_rate_vs_teacher']:+.1f} %")
    return out + "."


def _seeds(r: dict) -> str | None:
    r02, out = r["r02"], []
    for x in noise_summary(noise_table(r02)):
        if _ok(x["kd_vs_scratch_mean"]):
            out.append(f"KD vs RD-only training at N={x['N']}: {x['kd_vs_scratch_mean']:+.1f} ± {x['ci95']:.1f} % "
                       f"BD-rate ({ci_label(x['seeds'])}, {kodak(r, '02')}; {student_budget(r, 'kd', x['N'])}), "
                       f"{'larger' if x['resolved'] else 'not larger'} than the seed-to-seed noise.")
    if any(s.get("pruned_same_teacher") is False for s in r02["summary"]):
        out.append("This run does not compare KD with RD-only from the pruned teacher: its two students inherited "
                   "different teachers (the released RD-only control comes from an earlier teacher).")
    rec = recorded_kd_vs_rd()
    if rec:
        x = rec["summary"]["kd_vs_rd_bd_pct"]
        out.append(f"In a recorded benchmark ({recorded_setup(rec)}), KD from the pruned teacher costs "
                   f"{x['mean_pct']:+.1f} ± {x['ci95']:.1f} % BD-rate ({CI}) against its RD-only twin over "
                   f"{len(rec['seeds'])} seeds, {'larger' if x['resolved'] else 'not larger'} than the seed-to-seed "
                   "noise" + _cost_changes(rec["summary"]) + ".")
    return " ".join(out) or None


def _cost_changes(summary: dict) -> str:
    """``; its Kodak RD cost changes +2.5 % at λ 0.0067, -4.9 % at λ 0.025`` from a record's per-λ summaries."""
    per = [(k.removeprefix("cost_change_pct_l"), v["mean_pct"]) for k, v in summary.items()
           if k.startswith("cost_change_pct_l") and _ok(v["mean_pct"])]
    return ("; its Kodak RD cost (λ·255²·MSE + bpp) changes " + ", ".join(f"{v:+.1f} % at λ {float(t):g}" for t, v in per)
            if per else "")


def _quant(r: dict) -> str:
    q = {s["row"]: s["bd_rate_psnr_vs_float"] for s in r["r03"]["summary"]}
    out = []
    for row, what in (("hybrid", "8-bit convolutions with a 32-bit GDN (hybrid)"), ("int8", "8 bits everywhere")):
        if row in q:
            out.append(f"quantizing to {what} costs {q[row]:+.1f} % BD-rate against float" if _ok(q[row]) else
                       f"quantized to {what}, the RD curve does not overlap float's in PSNR (no BD-rate)")
    text = "; ".join(out) if out else "no quantized row was measured"
    return f"{text[0].upper()}{text[1:]} ({kodak(r, '03')}; {quant_budget(r)})."


def _portable(r: dict) -> str | None:
    """The entropy model the run coded with and the recorded rate cost of the integer one."""
    from lic.provenance import find_record

    rd = find_record(INT_ENTROPY_RECORD)
    fams = {k: v for k, v in ((rd.data.get("families") or {}).items() if rd else ())
            if v and _ok(v["bd_rate_int_vs_float"])}
    if r["r01"].get("entropy") != "integer" or not fams:
        return None
    bd = [v["bd_rate_int_vs_float"] for v in fams.values()]
    costs = f"{bd[0]:+.2f} %" if len(bd) == 1 else f"{min(bd):+.2f} to {max(bd):+.2f} %"
    who = ", ".join(k.split(" (")[0] for k in fams)
    return (f"Streams use the integer entropy model, so they decode to the same image on any machine; it costs "
            f"{costs} BD-rate against the float entropy model (Kodak-{min(v['images'] for v in fams.values())}, "
            f"released models: {who}; recorded benchmark).")


def _bitexact(r: dict) -> str:
    r04 = r["r04"]
    c, hy, g = r04["csim"], r04.get("csim_hyper") or {}, r04.get("rtl_ga") or {}
    out = (f"The HLS C-simulation of g_a and g_s {'matches' if c['mismatches'] == 0 else 'does NOT match'} the Python "
           f"fixed-point reference: {fmt(c['mismatches'])} mismatches in {fmt(c['values'])} values")
    if hy.get("status") == "ok":
        out += f"; h_a and h_s of the integer entropy model: {fmt(hy['mismatches'])} in {fmt(hy['values'])}"
    if g.get("status") == "ok":
        out += f"; the whole g_a in RTL (Verilator, {g['image']}): {fmt(g['mismatches'])} in {fmt(g['latents'])} latents"
    return out + "."


def _throughput(r: dict, chosen: dict | None) -> str:
    r04 = r["r04"]
    res, t = next(iter((r04.get("throughput") or {"-": None}).items()))
    out = (f"The analytical model predicts {fmt(t['fps'])} fps for g_a at {res} on {r04['board']['name']} "
           f"({t['cores']} core(s)) — a model, not a measurement on a board" if t else "No throughput was modelled")
    g = r04.get("rtl_ga") or {}
    if g.get("status") == "ok":
        out += (f"; the RTL simulation measures {fmt(g.get('fps_measured'))} fps at {g['resolution']} "
                f"({fmt(g.get('clock_mhz'))} MHz, cycle-accurate)")
    if chosen:
        fits = [f"{b} N={c['N']}" for b, c in chosen.items() if c.get("fits")]
        out += "; widest measured width that meets the frame-rate target: " + (", ".join(fits) if fits else "none")
    return out + "."


def summary_bullets(r: dict, chosen: dict | None = None) -> list[str]:
    """6-10 claims of this run, each with its number and its label (Markdown, one a bullet)."""
    bullets = [_teacher(r), _anchors(r), _released(r), _student(r), _seeds(r), _quant(r), _portable(r), _bitexact(r),
               _throughput(r, chosen)]
    return [b for b in bullets if b][:MAX_BULLETS]


def _lead(r: dict) -> str:
    short = (f" Budgets of the `{r['preset']}` preset are short; read differences of a few % against the noise "
             "rows." if r["preset"] != "paper" else "")
    return (f"Preset `{r['preset']}`: stage 01 coded {kodak(r, '01')}, stage 02 {kodak(r, '02')}, stage 03 "
            f"{kodak(r, '03')}; every rate from the bytes of real files; ± is a {CI}." + short)


def summary_markdown(r: dict, chosen: dict | None = None) -> str:
    """The summary as the report shows it: one lead line (preset, image sets), then the bullets."""
    return _lead(r) + "\n\n" + "\n".join(f"- {b}" for b in summary_bullets(r, chosen))


def summary_paragraph(r: dict, chosen: dict | None = None) -> str:
    """The lead line and the bullets as one paragraph (plain text search, older callers)."""
    return " ".join([_lead(r), *summary_bullets(r, chosen)])
