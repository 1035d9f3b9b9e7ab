"""The report: formatted tables (lic.study.tables), the headline and summary, width for board from measured
students, and the rendered HTML laid out in headless Chromium with no table wider than the page."""

import json
import math

import nbformat
import numpy as np
import pandas as pd
import pytest

from lic.study import tables
from lic.study.runner import resolve_params
from lic.study.stages import report


def test_fmt_rounds_signs_and_says_na():
    assert tables.fmt(46.623732) == "46.6" and tables.fmt(0.000123) == "1.23e-04" and tables.fmt(1234.5) == "1,234"
    assert tables.fmt(8.8512, signed=True) == "+8.85" and tables.fmt(-14.4, signed=True) == "-14.4"
    assert tables.fmt(math.nan) == "n/a" and tables.fmt(None) == "n/a" and tables.fmt(np.float64("nan")) == "n/a"
    assert tables.fmt(True) == "yes" and tables.fmt(np.bool_(False)) == "no" and tables.fmt(8.0) == "8"
    assert tables.fmt(0.0067, digits=None) == "0.0067"  # a parameter, as given


def test_format_frame_no_index_no_dict_cells_units():
    df = pd.DataFrame({"N": [32, 64], "lmbda": [0.0067, 0.025], "bd_rate_kd_vs_teacher": [122.12, math.nan],
                       "psnr": [27.7123, 30.1], "res": [{"dsp": 12, "lut": 3.5}, {"dsp": 7}]}).set_index("N")
    f = tables.format_frame(df)
    assert list(f.columns) == ["N", "λ", "BD-rate KD vs teacher [%]", "PSNR [dB]", "res DSP", "res LUT"]
    assert f.iloc[0].tolist() == ["32", "0.0067", "+122", "27.7", "12", "3.50"]
    assert f.iloc[1, 2] == "n/a" and f.iloc[1, 5] == "n/a"
    html = tables.to_html(df, "cap")
    assert "<th></th>" not in html and "{" not in html and "nan" not in html.lower().replace("n/a", "")


def test_split_wide_repeats_the_key_and_fits_the_budget():
    wide = pd.DataFrame({"unit": ["conv", "gdn"], **{f"cells_LUT{i}": [123456, 7] for i in range(30)}})
    f = tables.format_frame(wide)
    blocks = tables.split_wide(f, max_cols=12, max_chars=100)
    assert len(blocks) > 1 and all(b.columns[0] == "unit" for b in blocks)
    assert sum(len(b.columns) - 1 for b in blocks) == 30
    assert all(sum(tables._width(b[c], c) for c in b.columns) <= 100 or len(b.columns) == 2 for b in blocks)
    narrow = tables.format_frame(wide.iloc[:, :4])
    assert len(tables.split_wide(narrow)) == 1
    assert tables.to_html(wide, "RTL").count("<table") == len(blocks)


def test_tables_of_splits_nested_records_out():
    r04 = {"commit": "abc", "csim": {"mismatches": 0, "values": 10, "rows": [{"input": "random", "g_a_values": 4}]},
           "rtl": {"status": "ok", "units": {"conv": {"mismatches": 0, "vectors": 5, "runs": [{"set": "a", "SIMD": 4}]},
                                             "gdn": {"mismatches": 1, "vectors": 6, "runs": [{"set": "b", "SIMD": 1}]}}},
           "published_designs": [{"design": "X", "fps": 30.0}]}
    got = dict(report.hardware_tables(r04))
    assert set(got) == {"C-sim rows", "RTL units", "RTL units runs", "published designs", "other values"}
    runs = got["RTL units runs"]
    assert runs[""].tolist() == ["conv", "gdn"] and runs["SIMD"].tolist() == [4, 1]
    assert "runs" not in got["RTL units"].columns
    facts = got["other values"].set_index("quantity")["value"]
    assert facts["C-sim mismatches"] == "0" and facts["RTL status"] == "ok" and "commit" not in facts


def _results(bd_kd_pruned=8.85):
    """Stage results shaped like the artifacts (a quick-like run), numbers made up for the test."""
    teacher = pd.DataFrame({"codec": "teacher", "lmbda": [0.0067, 0.025], "bpp": [0.6, 0.95], "psnr": [30.7, 32.5],
                            "ms_ssim": [0.96, 0.98]})
    summ = lambda N, g, kd, sc, kp: {"N": N, "gflops_720p": 100 * g, "gflops_vs_teacher": g,  # noqa: E731
                                     "bd_rate_kd_vs_teacher": kd, "bd_rate_scratch_vs_teacher": sc,
                                     "bd_rate_kd_pruned_vs_teacher": kp, "bd_rate_rd_pruned_vs_teacher": kp and kp + 3}
    r02 = {"teacher_N": 128, "teacher_complexity": {"720p": {"gflops": 100.0, "params": 7e6}},
           "summary": [summ(32, 0.087, math.nan, None, None), summ(64, 0.283, 122.1, 131.5, bd_kd_pruned)],
           "noise": [], "objective": [], "rd": []}
    r03 = {"summary": [{"row": "float", "variant": "float32", "bd_rate_psnr_vs_float": 0.0},
                       {"row": "hybrid", "variant": "hybrid 8 + 32-bit GDN", "bd_rate_psnr_vs_float": 3.72},
                       {"row": "int8", "variant": "int8 everywhere", "bd_rate_psnr_vs_float": math.nan}],
           "noise": [{"row": "hybrid", "bd_rate_psnr_vs_float": v} for v in (3.72, 3.85)], "source": {}, "rd": []}
    r04 = {"csim": {"mismatches": 0, "values": 38016}, "board": {"name": "zcu102"},
           "throughput": {"1280x720": {"fps": 20.31, "cores": 1}}, "codec_vs_float": [{"image": "kodim01", "psnr_delta": -0.019, "psnr_float": 30.0, "psnr_int_gs": 30.012}],
           "rtl": {"units": {"conv": {"mismatches": 0, "vectors": 10592}}}, "source": {"stage": "03"}}
    return {"r01": {"bd_rate_vs_jpeg": -14.4, "bd_rate_vs_webp": 46.6, "rd": teacher.to_dict("records")},
            "r02": r02, "r03": r03, "r04": r04, "preset": "quick", "kodak_md5": "x",
            "stages": {s: {"key": "k", "commit": "c", "kodak_images": 24, "params": {"fps_target": 30}}
                       for s in ("01", "02", "03", "04")}}


def test_headline_table_claims_units_and_na():
    h = report.headline_table(_results())
    assert list(h.columns) == ["paper's claim", "quantity", "our measured", "anchor"]
    cell = dict(zip(h.quantity, h["our measured"]))
    assert cell["teacher N=128 (not trained in this run (init ?)): BD-rate (PSNR) vs JPEG, Kodak-24"] == "-14.40 %"
    trained = "this run: 0 steps of ?×?² on a device not recorded"
    assert cell[f"student N=64, KD from the pruned teacher: BD-rate vs teacher at 0.283× its GFLOPs, Kodak-24 "
                f"(not trained in this run)"] == "+8.85 %"
    assert cell["student N=32, KD from random init: BD-rate vs teacher at 0.087× its GFLOPs, Kodak-24 (not trained in "
                "this run)"] == tables.NO_OVERLAP
    qat = "this run: ? QAT steps of ?×?² on a device not recorded"
    assert cell[f"hybrid 8 + 32-bit GDN: BD-rate vs float, Kodak-24 ({qat})"] == "+3.72 % (max − min over 2 seeds: 0.130 pp)"
    assert cell[f"int8 everywhere: BD-rate vs float, Kodak-24 ({qat})"] == tables.NO_OVERLAP
    assert trained not in cell
    assert cell["C-sim g_a, g_s vs Python fixed point: mismatching values (inputs not recorded)"] == "0 of 38,016"
    assert cell["1280x720 on zcu102: frames per second (1 core(s), analytical model)"] == "20.3 fps"
    int_row = "kodim01 (Kodak centre crop): PSNR of the integer codec (C-sim g_a, integer g_s) − the model's"
    assert cell[int_row] == "+0.012 dB" and dict(zip(h.quantity, h.anchor))[int_row] == "hybrid 8/32 model (stage 03)"
    assert not h.isna().any().any() and "nan" not in h.to_string().lower().replace("n/a", "")
    assert (h["paper's claim"] != "").sum() == 6  # each claim once, on its first row (5 of the paper's, then ours)
    anchors = h[h.quantity.str.contains("CompressAI bmshj2018-hyperprior (published, Kodak-24)", regex=False)]
    assert len(anchors) == 1 and anchors.quantity.iloc[0].startswith("teacher N=128 on Kodak-24 vs ")
    assert "published points on Kodak-24, not measured here (InterDigitalInc/CompressAI" in anchors.anchor.iloc[0]


def test_headline_cites_the_integer_entropy_records():
    from lic.eval.portability import INT_ENTROPY_RECORD
    from lic.provenance import find_record

    rec = find_record(INT_ENTROPY_RECORD)
    if rec is None:
        pytest.skip("no int_entropy_rd record in this checkout")
    h = report.headline_table(_results())
    fam = rec.data["families"]["teacher N=128"]
    row = h[h.quantity.str.startswith("teacher N=128: BD-rate of the integer entropy model vs float (Kodak-24, 4 λ")]
    assert len(row) == 1 and row["our measured"].iloc[0] == f"{fam['bd_rate_int_vs_float']:+.3f} %"
    assert "recorded benchmark" in row.quantity.iloc[0]


def test_headline_and_paragraph_show_the_deployed_student_on_more_lambdas():
    r = _results()
    r["r02"]["lambdas"] = [0.0067, 0.025]
    r["r02"]["deployed"] = [{"kind": "kd-pruned", "N": 64, "lambdas": [0.0018, 0.0035, 0.0067, 0.025], "points": 4,
                             "bd_rate_vs_teacher": 11.55, "bd_rate_vs_teacher_main": 8.47, "gflops_vs_teacher": 0.283}]
    cell = dict(zip(*report.headline_table(r)[["quantity", "our measured"]].T.values))
    assert cell["student N=64, KD from the pruned teacher: BD-rate vs teacher on 4 λ (0.0018, 0.0035, 0.0067, "
                "0.025) at 0.283× its GFLOPs, Kodak-24 (not trained in this run)"] == "+11.55 %"
    assert ("on 4 λ instead of 2, the deployed N=64 student (KD from the pruned teacher) costs +11.6 %"
            in report.summary_paragraph(r))


def test_summary_paragraph_and_width_for_board_use_the_deployable_student():
    r = _results()
    assert report.deployable(r["r02"]) == {64: ("kd-pruned", 8.85)}  # N=32 has no finite BD-rate
    text = report.summary_paragraph(r)
    assert "14.4 % fewer bits than JPEG" in text and "46.6 % more bits than WebP" in text
    assert "N=64 (KD from the pruned teacher; not trained in this run), costs +8.8 %" in text and "0.283×" in text
    p = resolve_params("05", "quick")
    wt = report.width_tables(r, p)
    assert set(wt["measured"].N) == {32, 64, 128}  # trained students and the teacher only
    assert wt["measured"][wt["measured"].N == 32].bd_rate_vs_teacher.isna().all()  # no overlap: n/a, not interpolated
    assert (wt["measured"][wt["measured"].N == 64].bd_rate_vs_teacher == 8.85).all()  # not the random-init +122
    inter = wt["interpolated"]
    assert set(inter.N) == {16, 96, 112} and inter[inter.N == 16].bd_rate_interpolated_not_measured.isna().all()
    assert inter[inter.N == 96].bd_rate_interpolated_not_measured.iloc[0] == pytest.approx(8.85 * (1 - 32 / 64))
    assert report.deployable(_results(bd_kd_pruned=None)["r02"]) == {64: ("kd", 122.1)}


def test_complexity_figure_shows_every_student_kind():
    import matplotlib

    matplotlib.use("Agg")
    fig = report.complexity_figure(_results()["r02"])
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert {"KD from the pruned teacher", "RD-only from the pruned teacher", "KD from random init",
            "RD-only from random init"} <= set(labels)
    assert any("n/a (curves do not overlap)" in t.get_text() and "N=32" in t.get_text() for t in fig.axes[0].texts)


def _page(tmp_path, cells) -> str:
    """A notebook of HTML outputs rendered by the study's own nbconvert path (report.html's)."""
    from lic.study.runner import render_html

    nb = nbformat.v4.new_notebook()
    for html in cells:
        c = nbformat.v4.new_code_cell("x")
        c.outputs = [nbformat.v4.new_output("display_data", {"text/html": html, "text/plain": "x"})]
        nb.cells.append(c)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    return str(render_html(path, tmp_path / "page.html"))


@pytest.fixture(scope="module")
def chromium():
    from lic.study.htmlcheck import chromium as find

    exe = find()
    if exe is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium; scripts/setup.sh does it)")
    return exe


def test_chromium_no_table_wider_than_the_page(tmp_path, chromium):
    """The report's table rendering at 1024 px: wide tables split, long text wraps; a raw DataFrame
    dump of the same table overflows (so the check can fail)."""
    from lic.study.htmlcheck import measure

    r = _results()
    rtl_runs = pd.DataFrame({"unit": ["conv", "gdn", "igdn"] * 3,
                             **{f"params.{k}_BITS": np.arange(9) * 7 for k in "ABCDEFGHIJKLMNOP"},
                             **{f"cells.LUT{i}": np.arange(9) * 1234.5 for i in range(14)}})
    good = _page(tmp_path, [tables.CSS, tables.to_html(report.headline_table(r), "headline", max_chars=10**6),
                            tables.to_html(rtl_runs, "RTL runs")])
    m = measure(good, width=1024)
    assert m["tables"] >= 3 and m["bad"] == [] and m["page_scroll_width"] <= m["page"]
    bad = _page(tmp_path, [rtl_runs.to_html()])
    m = measure(bad, width=1024)
    assert m["bad"], "a raw 31-column DataFrame dump must be caught as wider than the page"



def test_a_report_artifact_from_before_the_summary_is_rebuilt():
    """A cached stage-05 result without the new fields is not served to the new notebook."""
    assert not report._current({"headline": [], "chosen_width": {}})  # the old format
    assert not report._current({"headline": [], "summary": "x", "rd_by_width_kind": {}})  # before the bullets
    assert report._current({"headline": [], "summary": "x", "summary_bullets": [], "rd_by_width_kind": {},
                            "bd_vs_anchors": [], "figures": {"pipeline": {}}})


def test_headline_shows_the_recorded_rtl_resources_against_the_budget(tmp_path):
    import json

    from lic.hw.rtl.synth import recorded_resources

    rec = {"board": "zcu102", "board_budget": {"lut": 1000, "dsp": 100, "bram36": 10, "ff": 2000},
           "model_total": {"lut": 700, "dsp": 60, "bram": 5},
           "utilisation": {k: {"used": v, "budget": b} for k, v, b in
                           (("lut", 650, 1000), ("dsp", 70, 100), ("bram36", 4.5, 10), ("ff", 900, 2000))},
           "whole_design_scaled": {"stages": [{"layer": "g_a.0", "kind": "conv", "pe": 2, "simd": 3, "lut": 650,
                                               "ff": 900, "dsp": 70, "bram36": 4.5,
                                               "model": {"lut": 700, "dsp": 60, "bram36": 5}}]}}
    from lic.hw.rtl.synth import RECORDED
    from lic.provenance import index_record

    (tmp_path / "synth.json").write_text(json.dumps(rec))
    (tmp_path / "input.bin").write_bytes(b"model")
    index = tmp_path / "records.json"
    index_record(RECORDED, tmp_path / "synth.json", {"script": "s.py"}, [tmp_path / "input.bin"], "m", index=index)
    rows = recorded_resources(index)
    assert [x["layer"] for x in rows] == ["g_a.0", "whole g_a", "zcu102 at 80 %"]
    assert rows[-1]["lut"] == 800 and rows[1]["model_lut"] == 700 and "not by this run" in rows[0]["label"]
    assert "stale" not in rows[0]["label"]
    (tmp_path / "input.bin").write_bytes(b"another model")  # the record no longer describes its input
    assert "stale: input" in recorded_resources(index)[0]["label"]
    assert recorded_resources(tmp_path / "absent.json") == []
    r = _results()
    r["r04"]["rtl_ga_resources"] = rows
    cell = dict(zip(*report.headline_table(r)[["quantity", "our measured"]].T.values))
    key = ("whole g_a in RTL at the plan of the released N=64 student: LUT / DSP / BRAM36 (yosys synth_xilinx, "
           "recorded benchmark)")
    assert cell[key] == "650 / 70 / 4.50"


def test_summary_says_each_budget_and_when_pruned_students_are_not_comparable():
    """The teacher's and the deployed student's training budgets (the released models' recorded phases: steps,
    batch × crop², device) label their claims; a note where the pruned-teacher students inherited different teachers."""
    from lic.codec.zoo import available
    from lic.study.stages.labels import released_budget

    r = _results()
    text = report.summary_paragraph(r)
    assert "released:" not in text and "does not compare" not in text
    if not {"teacher-n128-m192-l0.0250", "student-kd-pruned-n64-m192-l0.0250"} <= set(available()):
        pytest.skip("released weights not in this checkout")
    r["r01"]["init"] = {"0.0250": "zoo:teacher-n128-m192-l0.0250"}
    r["r02"]["summary"][1]["pruned_same_teacher"] = False
    text = report.summary_paragraph(r)
    budget = released_budget(["teacher-n128-m192-l0.0250"])
    assert budget.startswith("released: ") and "steps (8×128² on cpu" in budget and "16×256² on NVIDIA H200" in budget
    assert f"At equal PSNR the teacher (N=128; {budget}) needs 14.4 % fewer bits than JPEG" in text
    assert "This run does not compare KD with RD-only from the pruned teacher" in text
    r["r02"]["rd"] = [{"codec": "kd-pruned", "N": 64, "lmbda": lm, "seed": 0, "bpp": 0.5, "psnr": 30.0,
                       "init": f"zoo:student-kd-pruned-n64-m192-l{lm:.4f}"} for lm in (0.0067, 0.025)]
    student = released_budget(["student-kd-pruned-n64-m192-l0.0067", "student-kd-pruned-n64-m192-l0.0250"])
    assert f"N=64 (KD from the pruned teacher; {student}), costs +8.8 %" in report.summary_paragraph(r)


def test_the_recorded_kd_vs_rd_benchmark_is_cited_from_its_record(tmp_path, monkeypatch):
    """KD vs RD-only from the pruned teacher over seeds (benchmarks/kdrd_seeds.py): a headline row and a summary
    sentence from the record's own numbers and setup; none without a record."""
    from lic.eval import stats

    from lic import provenance

    monkeypatch.setattr(provenance, "RECORDS_INDEX", tmp_path / "absent.json")
    r = _results()
    assert not any("twin" in a for a in report.headline_table(r)["anchor"])
    assert "In a recorded benchmark" not in report.summary_paragraph(r)
    rec = {"setup": {"N": [64], "lambdas": [0.0067, 0.025], "seeds": [1, 2, 3], "steps": [4000], "batch_size": [16],
                     "crop": [256], "device": ["NVIDIA H200"], "kodak_images": [24]},
           "seeds": [{"seed": 1}, {"seed": 2}, {"seed": 3}],
           "summary": {"kd_vs_rd_bd_pct": {"mean_pct": -3.5262, "sd": 1.16, "ci95": 2.878, "p": 0.034, "resolved": True},
                       "cost_change_pct_l0.0067": {"mean_pct": 2.506}, "cost_change_pct_l0.0250": {"mean_pct": -4.883}}}
    (tmp_path / "kdrd.json").write_text(json.dumps(rec))
    provenance.index_record(stats.KD_VS_RD_RECORD, tmp_path / "kdrd.json", {"script": "s.py"}, [], "m",
                            index=tmp_path / "absent.json")
    cell = dict(zip(*report.headline_table(r)[["quantity", "our measured"]].T.values))
    key = ("KD vs RD-only from the pruned teacher, N=64, mean of 3 seeds ± 95% CI of the mean, Student t (recorded "
           "benchmark: 4,000 steps of 16×256² on NVIDIA H200, λ 0.0067 / 0.025, Kodak-24)")
    assert cell[key] == "-3.53 % ± 2.88 (resolved)"
    assert ("KD from the pruned teacher costs -3.5 ± 2.9 % BD-rate (95% CI of the mean, Student t) against its RD-only "
            "twin over 3 seeds, larger than the seed-to-seed noise; its Kodak RD cost (λ·255²·MSE + bpp) changes +2.5 % "
            "at λ 0.0067, -4.9 % at λ 0.025.") in report.summary_paragraph(r)


def test_the_repositorys_kd_vs_rd_record_agrees_with_its_own_rows():
    """The committed record: its summary is the Student-t summary of its per-seed rows, each row's BD-rate is the
    one its Kodak points give, and the twins share λ, seeds and steps."""
    from lic.eval.metrics import bd_rate
    from lic.eval.stats import recorded_kd_vs_rd, t_summary

    rec = recorded_kd_vs_rd()
    assert rec is not None, "benchmarks/results/kd_vs_rd_pruned_seeds.json is missing"
    seeds = pd.DataFrame(rec["seeds"])
    assert rec["summary"]["kd_vs_rd_bd_pct"] == pytest.approx(t_summary(seeds.kd_vs_rd_bd_pct))
    pts = pd.DataFrame(rec["points"])
    assert len(rec["setup"]["steps"]) == 1 and set(pts.seed) == set(seeds.seed) == set(rec["setup"]["seeds"])
    for _, row in seeds.iterrows():
        kd, rd = (pts[(pts.seed == row.seed) & (pts.loss == x)].sort_values("lmbda") for x in ("kd", "rd"))
        assert list(kd.lmbda) == list(rd.lmbda) == rec["setup"]["lambdas"]
        assert bd_rate(rd.bpp, rd.psnr, kd.bpp, kd.psnr) == pytest.approx(row.kd_vs_rd_bd_pct)


def test_a_run_without_extra_seeds_cites_the_recorded_seeds(tmp_path, monkeypatch):
    """No noise seeds in the run (quick): the KD-vs-scratch noise row comes from the seed_controls record, labelled
    as a recorded benchmark with its budget and image set; without the record, no such row."""
    from lic import provenance
    from lic.eval import stats

    rec = {"lambdas": [0.0067, 0.025],
           "students": {"student-kd-n64-m192-l0.0250-s1": {"kind": "kd", "seed": 1, "lmbda": 0.025,
                                                          "train_config": {"steps": 6000, "batch_size": 8, "crop": 128}}},
           "kodak24": {"noise_summary": [{"N": 64, "seeds": 3, "kd_vs_scratch_mean": -8.5, "ci95": 32.1,
                                          "resolved": False}]},
           "objective": {"summary": [{"N": 64, "lmbda": 0.0067, "seeds": 3, "mean_pct": -2.839, "ci95": 1.239,
                                      "p": 0.0101, "resolved": True}]}}
    (tmp_path / "seeds.json").write_text(json.dumps(rec))
    index = tmp_path / "records.json"
    monkeypatch.setattr(provenance, "RECORDS_INDEX", index)
    key = ("KD vs RD-only student N=64, mean of 3 seeds ± 95% CI of the mean, Student t (recorded benchmark: 6,000 "
           "steps of 8×128² on cpu, λ 0.0067 / 0.025, Kodak-24)")
    assert key not in set(report.headline_table(_results()).quantity)
    provenance.index_record(stats.SEED_CONTROLS_RECORD, tmp_path / "seeds.json", {"script": "s.py"}, [], "m")
    cell = dict(zip(*report.headline_table(_results())[["quantity", "our measured"]].T.values))
    assert cell[key] == "-8.50 % ± 32.1 (not resolved above seed noise)"
    objective = ("KD vs RD-only N=64 λ=0.0067: training RD cost, final phase (in-sample, mean of 3 seeds ± 95% CI of "
                 "the mean, Student t) (recorded benchmark: 6,000 steps of 8×128² on cpu, λ 0.0067 / 0.025)")
    assert cell[objective] == "-2.84 ± 1.24 % (p=0.010, resolved)"


def test_no_rd_only_control_in_the_run_is_not_called_a_different_teacher():
    """KD from the pruned teacher without its RD-only twin in the run: nothing to compare, no claim of why."""
    from lic.eval.stats import width_summary

    teacher = pd.DataFrame({"codec": "teacher", "lmbda": [0.0067, 0.025], "bpp": [0.6, 0.95], "psnr": [30.7, 32.5]})
    rd = pd.DataFrame({"codec": "kd-pruned", "N": 64, "lmbda": [0.0067, 0.025], "seed": 0, "bpp": [0.5, 0.9],
                       "psnr": [30.3, 33.2], "init": "zoo:student-kd-pruned-n64-m192-l0.0067"})
    cplx = {"64": {"720p": {"params": 1e6, "gflops": 10.0}, "kodak": {"gflops": 5.0}}}
    row = width_summary(rd, teacher, [64], 192, 0, cplx, {"720p": {"params": 7e6, "gflops": 100.0}})[0]
    assert row["pruned_same_teacher"] is None and row["bd_rate_kd_pruned_vs_rd_pruned"] is None
    assert row["bd_rate_rd_pruned_vs_teacher"] is None and row["bd_rate_kd_vs_teacher"] is None  # not run: no row
    assert not any("RD-only from the pruned teacher: BD-rate" in q for q in report.headline_table(
        {**_results(), "r02": {**_results()["r02"], "summary": [{**_results()["r02"]["summary"][1], **row}]}}).quantity)


def test_summary_names_every_integer_entropy_family_it_quotes(monkeypatch):
    from types import SimpleNamespace

    import lic.provenance
    from lic.study.stages import summary

    fams = {"teacher N=128": {"bd_rate_int_vs_float": 0.068, "images": 24},
            "student N=96 (KD from the pruned teacher)": {"bd_rate_int_vs_float": 0.41, "images": 24},
            "student N=64 (KD from the pruned teacher)": {"bd_rate_int_vs_float": 0.029, "images": 24},
            "student N=32 (KD from the pruned teacher)": None}
    monkeypatch.setattr(lic.provenance, "find_record", lambda name: SimpleNamespace(data={"families": fams}))
    text = summary._portable({"r01": {"entropy": "integer"}})
    assert "+0.03 to +0.41 % BD-rate" in text and "released models: teacher N=128, student N=96, student N=64;" in text
    assert summary._portable({"r01": {"entropy": "float"}}) is None
    fams = {"teacher N=128": fams["teacher N=128"]}
    assert "costs +0.07 % BD-rate" in summary._portable({"r01": {"entropy": "integer"}})
