"""Papermill smoke runs of every stage notebook on the ``smoke`` preset (FINN-style)."""

from pathlib import Path

import papermill as pm
import pytest

from lic.study.runner import NOTEBOOKS, STAGES, plan
from lic.train.specs import PRUNED_KINDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def study_artifacts(tmp_path_factory):
    """One artifacts folder for the module: a stage reads the artifacts of the stages before it."""
    return {"dir": tmp_path_factory.mktemp("study_artifacts"), "ran": set()}


def _execute(stage, out_dir):
    nb = STAGES[stage][1]
    out = pm.execute_notebook(
        str(NOTEBOOKS / nb), str(out_dir / nb), parameters={"preset": "smoke", "threads": 1},
        cwd=str(NOTEBOOKS), progress_bar=False, kernel_name="python3",
    )
    errors = [o for c in out.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert Path(out_dir / nb).exists()
    return out_dir / nb


def _check_report(executed, tmp_path):
    from lic.study.htmlcheck import chromium, measure
    from lic.study.runner import render_html

    res = plan("smoke", ["05"])["05"].results()
    assert {"rd_all", "complexity_students", "frontier_boards", "fps", "pipeline"} <= set(res["figures"])
    assert 6 <= len(res["summary_bullets"]) <= 10 and res["summary"].count("\n- ") == len(res["summary_bullets"])
    assert [a["anchor"] for a in res["bd_vs_anchors"]] == ["CompressAI bmshj2018-hyperprior (published, Kodak-24)",
                                                          "CompressAI mbt2018-mean (published, Kodak-24)"]
    assert any("CompressAI bmshj2018-hyperprior (published, Kodak-24)" in h["quantity"] for h in res["headline"])
    assert all(Path(f[ext]).stat().st_size > 0 for f in res["figures"].values() for ext in ("png", "svg"))
    html = render_html(executed, tmp_path / "report.html")
    import re

    text = html.read_text()
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", text)
    assert cells and not {"nan", "NaN", "None"} & set(cells)  # missing values read n/a
    main, appendix = text.split("Appendix: every other table of stage 04", 1)  # stage 04: curated, the rest collapsed
    assert "pipeline g_a at " in main and "every bit-exactness check of stage 04" in main and "stage 04: " in appendix
    assert "Kodak-2" in main and "Kodak n=" not in text  # the smoke preset codes 2 Kodak images: labelled so
    if chromium() is None:
        pytest.skip("headless Chromium not installed: report layout not checked")
    m = measure(html, width=1024)
    assert m["tables"] > 10 and m["bad"] == [] and m["page_scroll_width"] <= m["page"], m["bad"][:3]


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_notebook_smoke(stage, tmp_path, study_artifacts, monkeypatch):
    monkeypatch.setenv("LIC_ARTIFACTS", str(study_artifacts["dir"]))  # the kernel inherits it
    for earlier in sorted(s for s in STAGES if s < stage and s not in study_artifacts["ran"]):  # run alone (-k)
        _execute(earlier, tmp_path)
        study_artifacts["ran"].add(earlier)
    executed = _execute(stage, tmp_path)
    study_artifacts["ran"].add(stage)
    if stage == "05":  # the report as the runner renders it: every figure PNG + SVG, nothing wider than the page
        _check_report(executed, tmp_path)
    if stage == "01":  # our teacher against CompressAI's published Kodak-24 points, labelled
        rows = plan("smoke", ["01"])["01"].results()["bd_vs_anchors"]
        assert [(a["anchor_set"], a["ours_set"]) for a in rows] == [("Kodak-24", "Kodak-2")] * 2
    if stage == "02":  # the smoke run also covers the weight-inherited (pruned-teacher) students
        res = plan("smoke", ["02"])["02"].results()
        rd = [r for r in res["rd"] if r["codec"] in PRUNED_KINDS]
        assert {(r["codec"], r["N"]) for r in rd} == {("kd-pruned", 8), ("rd-pruned", 8)}
        assert all(r["init"].startswith("pruned teacher") for r in rd)
        row = next(s for s in res["summary"] if s["N"] == 8)
        assert "bd_rate_kd_pruned_vs_rd_pruned" in row
    if stage == "04":  # the whole g_a in RTL (Verilator): bit-exact, and the model predicts its cycles
        r = plan("smoke", ["04"])["04"].results()["rtl_ga"]
        if r["status"].startswith("skipped"):
            pytest.skip(r["status"])
        assert r["status"] == "ok" and r["mismatches"] == 0 and r["latents"] > 0
        assert 0.9 <= r["model_over_measured"] <= 1.1, r  # one core's cycles a pixel, model vs Verilator
        slowest = max(r["layers"], key=lambda l: l["measured_busy_plus_fill"])  # the stage that sets the rate
        assert abs(slowest["fpga_model_over_measured"] - 1) <= 0.1, slowest
        assert all(l["rtl_model_over_measured"] == 1 for l in r["layers"])  # the RTL's own cycle model: exact
