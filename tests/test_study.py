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
