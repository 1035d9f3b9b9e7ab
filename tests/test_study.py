import json

import pytest

from lic.errors import ParameterError
from lic.study import Stage, main, resolve_params, stage_key


def test_resolve_params_overrides_and_errors():
    p = resolve_params("01", "smoke", steps=7, lambdas=None)
    assert p["steps"] == 7 and p["lambdas"] == resolve_params("01", "smoke")["lambdas"]
    with pytest.raises(ParameterError, match="unknown preset"):
        resolve_params("01", "nope")
    with pytest.raises(ParameterError, match="no parameter"):
        resolve_params("01", "smoke", stepz=3)


def test_key_ignores_locations_but_not_results():
    a = resolve_params("01", "smoke")
    assert stage_key("01", a) == stage_key("01", {**a, "train_dir": "/elsewhere", "threads": 1})
    assert stage_key("01", a) != stage_key("01", {**a, "steps": a["steps"] + 1})
    assert stage_key("01", a) != stage_key("01", a, inputs={"00": "abc"})


def test_key_changes_with_the_released_weights_when_starting_from_the_zoo(monkeypatch):
    import lic.zoo

    q = resolve_params("01", "quick")
    assert q["init"] == "zoo"
    smoke, before = resolve_params("01", "smoke"), stage_key("01", q)
    smoke_before = stage_key("01", smoke)
    monkeypatch.setattr(lic.zoo, "available", lambda: {"teacher-x": {"sha256": "0" * 64}})
    assert stage_key("01", q) != before  # a new release: the quick stage reruns
    assert stage_key("01", smoke) == smoke_before  # init="scratch" does not depend on weights/


def test_stage_finish_and_skip(monkeypatch, tmp_path):
    monkeypatch.setenv("LIC_ARTIFACTS", str(tmp_path))
    st = Stage("01", resolve_params("01", "smoke"), {})
    assert not st.done
    st.finish({"x": 1})
    assert st.done and st.results()["x"] == 1
    assert json.loads((st.dir / "params.json").read_text())["key"] == st.key


def test_cli_rejects_bad_override(capsys):
    assert main(["--preset", "smoke", "-p", "01.nope", "1"]) == 2
    assert "no parameter" in capsys.readouterr().err
    assert main(["--preset", "smoke", "-p", "steps", "1"]) == 2


@pytest.mark.slow
def test_runner_manifest_cache_and_failure(tmp_path, monkeypatch):
    from lic.study import run_study, stage_module

    monkeypatch.setenv("LIC_ARTIFACTS", str(tmp_path / "art"))
    m = run_study("smoke", ["01"], {"01": {"threads": 1}}, tmp_path / "run1", progress=False)
    info = m["stages"]["01"]
    assert info["status"] == "ok" and info["seed"] == 0 and len(info["key"]) == 10
    assert m["data"]["kodak"]["files"] == 24 and len(m["data"]["kodak"]["md5"]["kodim01.png"]) == 32
    assert "torch" in m["versions"] and (tmp_path / "run1" / "01_teacher_baseline.ipynb").exists()
    res = stage_module("01").stage_handle("smoke").dir / "results.json"
    mtime = res.stat().st_mtime_ns
    run_study("smoke", ["01"], {"01": {"threads": 1}}, tmp_path / "run2", progress=False)
    assert res.stat().st_mtime_ns == mtime  # skipped: the artifact was reused, not rewritten

    with pytest.raises(RuntimeError, match=r"stage 01 .* failed in cell \d+: DataError"):
        run_study("smoke", ["01"], {"01": {"kodak_dir": str(tmp_path / "missing"), "steps": 5}}, tmp_path / "run3",
                  progress=False)
    assert json.loads((tmp_path / "run3" / "manifest.json").read_text())["stages"]["01"]["status"] == "failed"
    assert res.stat().st_mtime_ns == mtime  # earlier artifacts intact


def test_report_seed_spread_is_nan_when_a_seed_has_no_bd_rate():
    import math

    from lic.stages.report import seed_spread

    assert seed_spread([4.6, 4.3]) == pytest.approx(0.3)
    assert math.isnan(seed_spread([32.8, float("nan")]))  # not 0.0 (Python's max/min with NaN)
