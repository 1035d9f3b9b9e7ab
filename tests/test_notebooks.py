"""Papermill smoke runs of every stage notebook on the ``smoke`` preset (FINN-style)."""

from pathlib import Path

import papermill as pm
import pytest

from lic.study import NOTEBOOKS, STAGES

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


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_notebook_smoke(stage, tmp_path, study_artifacts, monkeypatch):
    monkeypatch.setenv("LIC_ARTIFACTS", str(study_artifacts["dir"]))  # the kernel inherits it
    for earlier in sorted(s for s in STAGES if s < stage and s not in study_artifacts["ran"]):  # run alone (-k)
        _execute(earlier, tmp_path)
        study_artifacts["ran"].add(earlier)
    _execute(stage, tmp_path)
    study_artifacts["ran"].add(stage)
    if stage == "02":  # the smoke run also covers the weight-inherited (pruned-teacher) students
        from lic.stages import distill

        res = distill.stage_handle("smoke").results()
        rd = [r for r in res["rd"] if r["codec"] in distill.PRUNED_KINDS]
        assert {(r["codec"], r["N"]) for r in rd} == {("kd-pruned", 8), ("rd-pruned", 8)}
        assert all(r["init"].startswith("pruned teacher") for r in rd)
        row = next(s for s in res["summary"] if s["N"] == 8)
        assert "bd_rate_kd_pruned_vs_rd_pruned" in row
