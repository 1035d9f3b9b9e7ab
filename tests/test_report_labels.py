"""A report a reviewer trusts: every number labelled with its image set and count (Kodak-24, Kodak-8, a user's set)
and a trained model's budget, the released models' recorded numbers beside this run's, CompressAI's published
points on every RD figure with our teacher's BD-rate against them, stage 04 curated (the rest in a collapsed
appendix), the summary as 6-10 labelled bullets, and no main-body table more than half n/a."""

import math
import re

import matplotlib
import pandas as pd
import pytest

from lic.study import tables
from lic.study.stages import hwreport, report

matplotlib.use("Agg")

TEACHER = "teacher-n128-m192-l0.0250"
STUDENT = "student-kd-pruned-n64-m192-l0.0250"


def _released(name: str) -> dict:
    from lic.codec.zoo import available

    e = available().get(name)
    if not e:
        pytest.skip(f"{name} not released in this checkout")
    return e


def _quick_like() -> dict:
    """Stage results shaped like the quick preset: stage 01 codes Kodak-24, stages 02 and 03 Kodak-8; the teacher
    and the deployed student are released models used as they are (numbers made up where not the manifest's)."""
    teacher = [{"codec": "teacher", "lmbda": lm, **{k: t[k] for k in ("bpp", "psnr", "ms_ssim")}}  # as recorded
               for lm, t in ((0.0067, _released("teacher-n128-m192-l0.0067")["kodak"]), (0.025, _released(TEACHER)["kodak"]))]
    student = [{"codec": "kd-pruned", "N": 64, "lmbda": lm, "seed": 0, "bpp": b, "psnr": p, "ms_ssim": 0.95,
                "init": f"zoo:student-kd-pruned-n64-m192-l{lm:.4f}"} for lm, b, p in ((0.0067, 0.47, 29.9),
                                                                                      (0.025, 0.95, 32.9))]
    r01 = {"bd_rate_vs_jpeg": -30.0, "bd_rate_vs_webp": -5.0, "rd": teacher, "kodak_images": 24, "entropy": "float",
           "init": {"0.0067": "zoo:teacher-n128-m192-l0.0067", "0.0250": f"zoo:{TEACHER}"},
           "coding": {"0.0250": {"coded": 1, "reused": 23, "spot": "kodim01", "why": None}},
           "baselines": [{"codec": c, "quality": q, "bpp": b, "psnr": p, "ms_ssim": 0.9} for c, q, b, p in
                         (("jpeg", 20, 0.5, 28.0), ("jpeg", 60, 1.1, 32.0), ("webp", 20, 0.4, 29.0), ("webp", 60, 0.9, 33.0))]}
    summ = {"N": 64, "gflops_720p": 28.3, "gflops_vs_teacher": 0.283, "bd_rate_kd_vs_teacher": None,
            "bd_rate_scratch_vs_teacher": None, "bd_rate_kd_pruned_vs_teacher": 8.85, "bd_rate_rd_pruned_vs_teacher": None}
    r02 = {"teacher_N": 128, "teacher_complexity": {"720p": {"gflops": 100.0}}, "summary": [summ], "noise": [],
           "objective": [], "rd": student, "kodak_images": 8, "entropy": "float", "lambdas": [0.0067, 0.025],
           "widths": [64], "pruned_widths": [64], "teacher_rd": teacher}
    r03 = {"summary": [{"row": "float", "variant": "float32", "bd_rate_psnr_vs_float": 0.0},
                       {"row": "hybrid", "variant": "hybrid 8 + 32-bit GDN", "bd_rate_psnr_vs_float": 3.7}],
           "noise": [], "source": {"kind": "student", "N": 64, "student_kind": "kd-pruned"}, "kodak_images": 8,
           "device": "cpu", "rd": [{"row": r, "variant": r, "lmbda": lm, "seed": 0, "bpp": b, "psnr": p, "ms_ssim": 0.95}
                                   for r in ("float", "hybrid") for lm, b, p in ((0.0067, 0.47, 29.9), (0.025, 0.95, 32.9))]}
    params = {"01": {"steps": 0, "init": "zoo"}, "02": {"steps": 0, "init": "zoo"},
              "03": {"qat_steps": 10, "batch_size": 4, "crop": 128}, "04": {"fps_target": 30, "csim_crop": 128}}
    return {"r01": r01, "r02": r02, "r03": r03, "r04": _r04(), "preset": "quick", "kodak_md5": "x",
            "stages": {s: {"key": "k", "commit": "c", "kodak_images": n, "params": params[s]}
                       for s, n in (("01", 24), ("02", 8), ("03", 8), ("04", None))}}


def _r04() -> dict:
    """Stage 04's results, cut down: a two-stage g_a and g_s plan, C-sim beats, the RTL g_a, published designs."""
    from lic.hw.published import PUBLISHED

    def plan(t, kind):
        layers = [{"name": f"{t}.{i}", "kind": kind if i % 2 == 0 else "gdn", "pe": 2, "simd": 4 + i, "fifo_depth": 16,
                   "cycles": 1000 + i, "k": 5, "stride": 2, "dsp": 10, "lut": 900, "bram": 2, "ff": 400} for i in range(2)]
        return {"clock_mhz": 200.0, "resolution": [1280, 720], "layers": layers,
                "notes": {"bottleneck": f"{t}.1", "cores": 1, "cycles": 1065, "fps": 187.8,
                          "resources": {"dsp": 20, "lut": 1800, "bram": 4, "ff": 800}}}

    ours = {"design": "this work, g_a (folding plan)", "board": "ZCU102", "model": "g_a of ScaleHyperprior N=64",
            "precision": "hybrid", "resolution": "1280x720", "fps": 187.8, "s_per_image": 1 / 187.8, "clock_mhz": 200.0,
            "dsp": 20, "bram36": 4, "lut": 1800, "gops": 12.0, "label": "modelled (lic.hw.fpga_model)",
            "source": "lic.hw.fpga_model.folding_plan"}
    return {"csim": {"mismatches": 0, "values": 700, "rows": [
                {"input": "random", "shape": "3x64x64", "g_a_values": 100, "g_a_mismatches": 0, "g_s_values": 200,
                 "g_s_mismatches": 0},
                {"input": "kodim01", "shape": "3x64x64", "g_a_values": 100, "g_a_mismatches": 0, "g_s_values": 300,
                 "g_s_mismatches": 0}]},
            "csim_hyper": {"status": "ok", "mismatches": 0, "values": 40,
                           "rows": [{"image": "kodim01", "h_a_values": 10, "h_a_mismatches": 0, "h_s_values": 30,
                                     "h_s_mismatches": 0}]},
            "board": {"name": "zcu102"}, "throughput": {"1280x720": {"fps": 187.8, "cores": 1}},
            "folding_plan": {"g_a": plan("g_a", "conv"), "g_s": plan("g_s", "deconv")},
            "beats_vs_model": [{"layer": f"{t}.{i}", "model_cycles": 50, "csim_beats": 50} for t in ("g_a", "g_s")
                               for i in range(2)],
            "rtl": {"status": "ok", "units": {"conv": {"mismatches": 0, "vectors": 500}}},
            "rtl_ga": {"status": "ok", "image": "kodim01 centre 64x64", "mismatches": 0, "latents": 768,
                       "fps_measured": 185.0, "fps_modelled": 187.8, "model_over_measured": 1.015, "clock_mhz": 200.0,
                       "resolution": "1280x720", "cores": 1,
                       "layers": [{"layer": f"g_a.{i}", "fpga_model_over_measured": 1.01} for i in range(2)]},
            "comparison": [*PUBLISHED, ours], "codec_vs_float": [], "source": {"stage": "03"},
            "fps_sweep": [{"budget_fraction": 1.0, "fps": 187.8}], "saturations": {"g_a": {"g_a.0": 0}}}


def _cells(h: pd.DataFrame) -> dict:
    return dict(zip(h.quantity, h["our measured"]))


def test_a_number_from_8_images_is_labelled_kodak_8():
    """Quick: stage 01 codes Kodak-24, stages 02 and 03 Kodak-8; every label (headline, summary, captions, curves)
    says which."""
    r = _quick_like()
    h = report.headline_table(r)
    student = [q for q in h.quantity if q.startswith("student N=64, KD from the pruned teacher: BD-rate vs teacher")]
    assert len(student) == 1 and ", Kodak-8 (released: " in student[0] and "Kodak-24" not in student[0]
    assert _cells(h)[student[0]] == "+8.85 %"
    teacher = [q for q in h.quantity if q.startswith("teacher N=128 (released: ") and "vs JPEG" in q]
    assert len(teacher) == 1 and teacher[0].endswith("BD-rate (PSNR) vs JPEG, Kodak-24")
    quant = next(q for q in h.quantity if q.startswith("hybrid 8 + 32-bit GDN: BD-rate vs float"))
    assert quant == "hybrid 8 + 32-bit GDN: BD-rate vs float, Kodak-8 (this run: 10 QAT steps of 4×128² on cpu)"
    assert "Kodak-8" in report.caption(r, "02") and "Kodak-24" in report.caption(r, "01")
    labels = list(report.rd_curves(r))
    assert "teacher N=128 (float), Kodak-24" in labels and "student N=64, KD from the pruned teacher, Kodak-8" in labels
    assert report.rd_title(r) == "Real bitstreams: teacher, JPEG, WebP on Kodak-24; students on Kodak-8; quantized on Kodak-8"
    text = report.summary_markdown(r)
    assert "stage 01 coded Kodak-24, stage 02 Kodak-8, stage 03 Kodak-8" in text
    assert "0.283× its GFLOPs per 720p frame (Kodak-8)" in text
    from lic.data.evalsets import set_label

    assert (set_label("kodak", 8), set_label("photos", 12), set_label("one", 1)) == (
        "Kodak-8", "photos (12 images)", "one (1 image)")


def test_the_headline_quotes_the_released_models_recorded_numbers_beside_the_rerun():
    r = _quick_like()
    h = report.headline_table(r)
    first = h[h["paper's claim"] != ""].iloc[0]["paper's claim"]
    assert first == "The released models, recorded at release and re-measured by this run (this study)"
    rows = h[h.quantity.str.startswith("released ")]
    t = _released(TEACHER)["kodak"]
    row = rows[rows.quantity.str.contains(TEACHER)].iloc[0]
    assert row.quantity == f"released teacher {TEACHER}: mean bpp, PSNR on Kodak-24, re-measured by this run"
    assert row["our measured"].startswith(f"{tables.fmt(t['bpp'])} bpp, {t['psnr']:.2f} dB (1 image coded, 23 rows")
    assert row.anchor == f"{tables.fmt(t['bpp'])} bpp, {t['psnr']:.2f} dB (recorded at release, Kodak-24, weights/manifest.json)"
    srow = rows[rows.quantity.str.contains(STUDENT)].iloc[0]
    assert "on Kodak-8, re-measured" in srow.quantity and "recorded at release, Kodak-24" in srow.anchor
    from lic.eval.measured import recorded

    if len(recorded(STUDENT)) >= 8:  # the record's rows of the same 8 images, beside the Kodak-24 mean
        assert "; on the same 8 images " in srow.anchor and "(weights/kodak_measured.json)" in srow.anchor
    bullets = report.summary_bullets(r)
    assert any(b.startswith("This run re-measured the released models") and "2 on Kodak-24 within 0 bpp and "
               "0.000 dB" in b and "2 on Kodak-8 within " in b for b in bullets)
    released = h.quantity.str.startswith("released ").sum()
    r["r02"]["rd"].append({**r["r02"]["rd"][0], "codec": "abl-rd-only"})  # the ablation trains on: not as released
    r["r02"]["coding"] = {"kd-pruned/n64/l0.0067": {"coded": 8, "reused": 0, "why": "not a released model"}}
    assert report.headline_table(r).quantity.str.startswith("released ").sum() == released - 1  # trained on here


def test_the_published_anchors_are_on_the_rd_figures_with_our_bd_against_them():
    from lic.eval.anchors import anchor_curves, bd_vs_anchors
    from lic.eval.metrics import bd_psnr, bd_rate
    from lic.study import plots
    from lic.study.stages import quant, teacher

    r = _quick_like()
    names = set(anchor_curves())
    assert names == {"CompressAI bmshj2018-hyperprior (published, Kodak-24)", "CompressAI mbt2018-mean (published, Kodak-24)"}
    legend = lambda fig: {re.sub(" – outside this range$", "", t) for ax in fig.axes  # noqa: E731
                          for t in ax.get_legend_handles_labels()[1]} | {
        t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()}
    figs = {"stage 01": teacher.figure(r["r01"]), "stage 02": plots.figure_rd(r["r02"]),
            "report rd_all": plots.rd_figure(report.rd_curves(r), anchors=plots.published_anchors()),
            "report rd_quant": quant.figure(r["r03"])}
    for where, fig in figs.items():
        assert names <= {re.sub(" – outside this range$", "", x) for x in legend(fig)}, where
    assert figs["stage 01"]._suptitle.get_text().startswith("Kodak-24: ")
    assert figs["stage 02"]._suptitle.get_text().startswith("Kodak-8: ")
    rows = {a["anchor"]: a for a in bd_vs_anchors(r["r01"]["rd"], 24)}
    ref = anchor_curves()["CompressAI bmshj2018-hyperprior (published, Kodak-24)"]
    ours = pd.DataFrame(r["r01"]["rd"])
    a = rows["CompressAI bmshj2018-hyperprior (published, Kodak-24)"]
    assert a["bd_rate_vs_anchor"] == pytest.approx(bd_rate(ref.bpp, ref.psnr, ours.bpp, ours.psnr))
    assert a["bd_psnr_vs_anchor_db"] == pytest.approx(bd_psnr(ref.bpp, ref.psnr, ours.bpp, ours.psnr))
    assert math.isfinite(a["bd_rate_vs_anchor"]) and a["ours_set"] == "Kodak-24" and "@ 3d3c9bb" in a["source"]
    cell = _cells(report.headline_table(r))
    key = ("teacher N=128 on Kodak-24 vs CompressAI bmshj2018-hyperprior (published, Kodak-24): BD-rate (PSNR) / "
           "BD-PSNR")
    assert cell[key] == f"{a['bd_rate_vs_anchor']:+.2f} % / {a['bd_psnr_vs_anchor_db']:+.2f} dB"
    assert any("against CompressAI bmshj2018-hyperprior (published, Kodak-24)" in b for b in report.summary_bullets(r))


def test_stage_04_main_section_has_the_curated_tables_and_the_rest_in_the_appendix(monkeypatch):
    monkeypatch.setattr(hwreport, "encoder_records", lambda index=None: [])  # this run's tables alone
    r04 = _r04()
    page = hwreport.section_html(r04, "cap")
    main, appendix = page.split("<details", 1)
    for t in ("pipeline g_a at 1280x720, 200 MHz", "pipeline g_s at 1280x720", "every bit-exactness check of stage 04",
              "published numbers as their sources give them"):
        assert t in main, t
    assert main.count('<table class="lic">') == 4 and "stage 04: " not in main
    assert "Appendix: every other table of stage 04" in appendix and "stage 04: other values" in appendix
    assert "stage 04: comparison" in appendix and "stage 04: beats vs model" in appendix
    ga = dict(hwreport.pipeline_tables(r04))
    g = next(df for t, df in ga.items() if t.startswith("pipeline g_a"))
    whole = g.iloc[-1]
    assert whole["layer"] == "whole g_a, 1 core(s)" and whole["fps (model)"] == 187.8 and whole["fps (measured)"] == 185.0
    assert list(g["PE × SIMD"][:2]) == ["2 × 4", "2 × 5"] and g["cycles model / RTL"].iloc[0] == 1.01
    b = hwreport.bitexact_table(r04)
    assert list(b.block) == ["g_a", "g_s", "h_a (integer entropy model)", "h_s (integer entropy model, CDF indexes)",
                             "RTL conv unit", "whole g_a in RTL"]
    assert list(b.compared) == [200, 500, 10, 30, 500, 768] and (b.mismatches == 0).all()
    comp, notes = hwreport.comparison(r04)
    assert comp.source.str.fullmatch(r"\[\d+\]").all() and len(notes) == comp.source.nunique()
    assert "this work, g_a (RTL simulation of the plan)" in set(comp.design)
    assert all(f"<li>{n}" in main.replace("&#x27;", "'") for n in notes[:1])
    for title, df in [*ga.items(), ("bit-exactness", b), ("comparison", comp)]:  # the rule of the main body
        f, _ = tables.drop_empty(tables.format_frame(df))
        assert tables.na_share(f) <= tables.MAX_NA_SHARE, title


def test_the_summary_is_6_to_10_bullets_each_with_a_number_and_a_label():
    from lic.study.stages.summary import MAX_BULLETS, MIN_BULLETS

    r = _quick_like()
    bullets = report.summary_bullets(r, {"zcu102": {"N": 64, "fits": True}})
    assert MIN_BULLETS <= len(bullets) <= MAX_BULLETS
    for b in bullets:
        assert re.search(r"\d", b), b
        assert re.search(r"Kodak-\d+|recorded benchmark|analytical model|Verilator|fixed-point|published", b), b
    md = report.summary_markdown(r)
    assert md.count("\n- ") == len(bullets)


def test_main_body_tables_mostly_na_are_collapsed_and_empty_columns_dropped():
    df = pd.DataFrame({"N": [8, 12, 16, 32], "bd_rate_kd_vs_teacher": [math.nan] * 4, "psnr": [30.1, None, None, None],
                       "bpp": [None, None, 0.3, None], "ms_ssim": [None, 0.9, None, None]})  # 9 of 16 n/a
    html = tables.to_html(df, "students", main=True)
    assert html.startswith('<details class="lic">') and "shown collapsed" in html
    assert "no value in: BD-rate KD vs teacher [%]" in html
    ok = tables.to_html(df.fillna(1.0), "students", main=True)
    assert not ok.startswith("<details") and "BD-rate KD vs teacher" in ok
    assert tables.to_html(df, "students").startswith("<table")  # not the main body: as it is


def test_chromium_flags_a_main_body_table_more_than_half_na(tmp_path):
    import nbformat

    from lic.study.htmlcheck import chromium, measure
    from lic.study.runner import render_html

    if chromium() is None:
        pytest.skip("headless Chromium not installed")
    df = pd.DataFrame({"N": [8, 12], "a": [None, None], "b": [None, 1.0], "c": [None, None]})
    raw = tables.to_html(df, "raw")
    nb = nbformat.v4.new_notebook()
    for html in (tables.CSS, raw, tables.details("appendix", raw), tables.to_html(df, "main", main=True)):
        c = nbformat.v4.new_code_cell("x")
        c.outputs = [nbformat.v4.new_output("display_data", {"text/html": html, "text/plain": "x"})]
        nb.cells.append(c)
    nbformat.write(nb, str(tmp_path / "nb.ipynb"))
    m = measure(render_html(tmp_path / "nb.ipynb", tmp_path / "page.html"), width=1024)
    assert m["tables"] == 3
    assert [b["why"] for b in m["bad"]] == ["more than half n/a (5 of 8 cells)"]  # the raw one; not the appendix's


def test_stage_04_cites_the_recorded_encoder_runs_and_says_when_they_are_stale(monkeypatch):
    """The whole encoder's recorded Verilator runs add a bit-exactness row each (with whether its file is the CPU
    codec's) and, for the video sizes, a comparison row; a stale record says so."""
    rec = {"model": "m-fpga", "image": "x.png", "width": 1280, "height": 720, "frames": 2, "board": "zcu102",
           "n_values": {"y_hat": 10, "q": 2, "indexes": 10}, "mismatches_total": 0, "stream_identical": True,
           "fps": 40.7, "clock_mhz": 200.0}
    kodak = dict(rec, image="kodim01.png", width=768, height=512, frames=1, stream_identical=False)
    monkeypatch.setattr(hwreport, "encoder_records",
                        lambda index=None: [("rtl_encoder_720p", rec, False), ("rtl_encoder_kodim01", kodak, True)])
    b = hwreport.bitexact_table(_r04())
    rows = b[b.block.str.startswith("whole encoder in RTL")]
    assert list(rows.compared) == [22, 22] and (rows.mismatches == 0).all()
    assert "byte for byte" in rows.reference.iloc[0] and "differs" in rows.reference.iloc[1]
    assert not rows.tool.iloc[0].endswith("stale") and rows.tool.iloc[1].endswith(", stale")
    comp, _ = hwreport.comparison(_r04())
    enc = comp[comp.design.str.startswith("this work, whole encoder")]
    assert len(enc) == 1 and enc.resolution.iloc[0] == "1280×720" and "40.7 fps" in enc["throughput (as reported)"].iloc[0]


def test_encoder_comparison_takes_resources_only_from_a_synthesis_of_the_same_plan(monkeypatch):
    """The whole encoder's comparison row shows yosys resources where the synthesis record is of the Verilator
    record's plan (same folds, same frame), and says "not synthesised" otherwise or where that record is stale."""
    from lic import provenance
    from lic.hw.rtl import encsynth

    plan = {"ga": {"layers": [{"name": "g_a.0", "pe": 4, "simd": 15}]}, "ha": {"layers": []}, "hs": {"layers": []}}
    rec = {"model": "m-fpga", "image": "x.png", "width": 1280, "height": 720, "frames": 2, "board": "zcu102",
           "n_values": {"y_hat": 10}, "mismatches_total": 0, "stream_identical": True, "fps": 32.5,
           "clock_mhz": 200.0, "plan": plan, "padded_hw": [768, 1280]}
    syn = {"plan": plan, "total": {"dsp": 1800, "lut_sites": 200000, "bram36": 600.5}, "width": 1280, "height": 768}
    monkeypatch.setattr(hwreport, "encoder_records", lambda index=None: [("rtl_encoder_720p", rec, False)])
    monkeypatch.setattr(encsynth, "record_checks", lambda d, *a, **k: [])

    def row(stale=(), data=syn):
        monkeypatch.setattr(provenance, "find_record", lambda name, index=None: provenance.Record(
            name=name, path=provenance.ROOT / "benchmarks/results/rtl_encoder_synth.json", entry={},
            why_stale=tuple(stale), _cache={"data": data}))
        comp, _ = hwreport.comparison(_r04())
        return comp[comp.design.str.startswith("this work, whole encoder")].iloc[0]

    r = row()
    assert r["resources (as reported)"] == "DSP 1,800 / LUT 200,000 / BRAM36 600", r
    assert "yosys synth_xilinx of the same plan" in r["label"]
    other = {**syn, "plan": {"ga": {"layers": [{"name": "g_a.0", "pe": 2, "simd": 15}]}}}
    wider = {**syn, "width": 1920, "height": 1088}  # the same folds on another frame: other line buffers
    for r in (row(data=other), row(data=wider), row(stale=("an input changed",))):
        assert r["resources (as reported)"] == hwreport.NA and "not synthesised" in r["label"]


def test_a_grown_students_budget_says_from_which_width(monkeypatch):
    """A student widened from a narrower one (its phases name that width) says so in its budget; others do not."""
    from lic.codec import zoo
    from lic.study.stages.labels import released_budget

    ph = lambda name, steps: {"name": name, "steps": steps, "batch_size": 8, "crop": 128, "device": "cpu"}  # noqa: E731
    man = {"a": {"config": {"N": 96}, "phases": [ph("student-kd-pruned-n64-m192-l0.0250-gpu", 100),
                                                   ph("student-kd-pruned-n96-m192-l0.0250-g64", 50)]},
           "b": {"config": {"N": 96}, "phases": [ph("student-kd-pruned-n96-m192-l0.0250-kd", 70)]}}
    monkeypatch.setattr(zoo, "available", lambda *a, **k: man)
    assert released_budget(["a"]) == "released: 150 steps (8×128² on cpu), grown from N=64"
    assert released_budget(["b"]) == "released: 70 steps (8×128² on cpu)"
