import json
import re

import pytest

from lic.errors import ParameterError
from lic.errors import ArtifactError
from lic.study.runner import STAGES, StageArtifact, main, plan, resolve_params, stage_key


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
    import lic.codec.zoo

    q = resolve_params("01", "quick")
    assert q["init"] == "zoo"
    smoke, before = resolve_params("01", "smoke"), stage_key("01", q)
    smoke_before = stage_key("01", smoke)
    monkeypatch.setattr(lic.codec.zoo, "available", lambda: {"teacher-x": {"sha256": "0" * 64}})
    assert stage_key("01", q) != before  # a new release: the quick stage reruns
    assert stage_key("01", smoke) == smoke_before  # init="scratch" does not depend on weights/


def test_stage_finish_and_skip(monkeypatch, tmp_path):
    monkeypatch.setenv("LIC_ARTIFACTS", str(tmp_path))
    st = StageArtifact("01", resolve_params("01", "smoke"), {})
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
    from lic.study.runner import run_study

    monkeypatch.setenv("LIC_ARTIFACTS", str(tmp_path / "art"))
    m = run_study("smoke", ["01"], {"01": {"threads": 1}}, tmp_path / "run1", progress=False)
    info = m["stages"]["01"]
    assert info["status"] == "ok" and info["seed"] == 0 and len(info["key"]) == 10
    assert m["data"]["kodak"]["files"] == 24 and len(m["data"]["kodak"]["md5"]["kodim01.png"]) == 32
    assert "torch" in m["versions"] and (tmp_path / "run1" / "01_teacher_baseline.ipynb").exists()
    res = plan("smoke", ["01"])["01"].dir / "results.json"
    assert res.exists() and res.parent.name == info["key"]  # the runner's key is the plan's folder
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

    from lic.study.stages.report import seed_spread

    assert seed_spread([4.6, 4.3]) == pytest.approx(0.3)
    assert math.isnan(seed_spread([32.8, float("nan")]))  # not 0.0 (Python's max/min with NaN)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_parameter_cells_are_typed_and_parse_without_warnings(stage, caplog):
    """papermill reads every line of each parameters cell (a typed literal, help without '=')."""
    import logging

    import papermill as pm

    from lic.study.params import NOTEBOOK_ONLY, annotation, notebook_params, params_of
    from lic.study.runner import NOTEBOOKS

    with caplog.at_level(logging.WARNING, logger="papermill"):
        params = pm.inspect_notebook(str(NOTEBOOKS / STAGES[stage][1]))
    assert not [r.getMessage() for r in caplog.records if "Unable to parse" in r.getMessage()]
    assert all(v["inferred_type_name"] not in (None, "None") for v in params.values()), params
    assert all(v["help"] for v in params.values())
    known = set(params_of(stage)) | NOTEBOOK_ONLY | {"preset"}
    assert set(params) <= known, set(params) - known
    rows = notebook_params(stage)  # every parameter of the table, in its order, with its type and help
    assert list(params) == [p.name for p in rows] and set(params_of(stage)) <= set(params)
    for p in rows:
        assert params[p.name]["help"] == p.doc and annotation(p.type) in params[p.name]["inferred_type_name"]


def test_parameters_cells_and_docs_are_generated_from_the_tables():
    """``python -m lic.study.params --check``: each notebook's parameters cell and docs/PARAMETERS.md are current,
    and the cell after it takes the values back by name from the table (nothing listed twice)."""
    from lic.study.params import check
    from lic.study.params import main as params_main
    from lic.study.runner import NOTEBOOKS

    assert check() == [] and params_main(["--check"]) == 0
    for stage, (_, nb, _) in STAGES.items():
        cells = [c for c in json.loads((NOTEBOOKS / nb).read_text())["cells"] if c["cell_type"] == "code"]
        assert "parameters" in cells[0]["metadata"]["tags"]
        body = "".join(cells[1]["source"])  # the plan made once, the stage's parameters taken back by name
        assert f'pl = plan(preset, ["{stage}"], {{' in body and f'"{stage}": overrides("{stage}", globals())}})' in body
        assert f'pl.cfg("{stage}"), pl.inputs("{stage}")' in body


def test_presets_come_from_the_typed_tables():
    """Every preset value is of its row's type (None: derived), every stage key is a row, and the stage
    modules' PRESETS are the table's."""
    from lic.study.params import UNSET, check_value, params_of, stage_presets
    from lic.study.runner import COMMON, presets, stage_module
    from lic.train.kd import DEFAULT_WEIGHTS

    for stage in STAGES:
        rows = params_of(stage)
        assert stage_module(stage).PRESETS == stage_presets(stage)
        for preset, p in presets(stage).items():
            assert set(p) <= set(rows) and {k: p[k] for k in COMMON} == COMMON
            for name, value in p.items():
                check_value(stage, name, value)
                assert value is not UNSET
    assert presets("02")["quick"]["weights"] == DEFAULT_WEIGHTS  # the table's default KD loss weights


def test_overrides_are_checked_against_the_table_types():
    p = resolve_params("02", "smoke", lr=1, scratch_baseline=True, weights={"rd": 1.0}, eval_sets=[{"path": "x"}])
    assert p["lr"] == 1 and p["scratch_baseline"] is True  # an int is a float; Union[bool, List[int]]
    for name, bad, kind in (("steps", "7", "int"), ("steps", True, "int"), ("lambdas", [0.1, "a"], "List[float]"),
                            ("weights", {"rd": "1"}, "Dict[str, float]"), ("scratch_baseline", 3, "Union")):
        with pytest.raises(ParameterError, match=re.escape(f"stage 02 parameter '{name}' must be {kind}")) as err:
            resolve_params("02", "smoke", **{name: bad})
        assert "\n" not in str(err.value)
    q = resolve_params("01", "quick", precision="bf16")  # a parameter the preset leaves unset may be given
    assert q["precision"] == "bf16" and "precision" not in resolve_params("01", "quick")
    assert stage_key("01", resolve_params("01", "quick", precision=None)) == stage_key("01", resolve_params("01", "quick"))


def test_cli_values_are_read_as_the_parameter_type(capsys):
    from lic.study.params import overrides, parse_value

    assert parse_value("01", "init", "scratch") == "scratch" and parse_value("01", "init", '"zoo"') == "zoo"
    assert parse_value("01", "init", "123") == "123"  # a string parameter keeps its text
    assert parse_value("01", "steps", "5") == 5 and parse_value("02", "widths", "[32, 64]") == [32, 64]
    assert parse_value("01", "force", "true") is True and parse_value("01", "nope", "x") == "x"
    with pytest.raises(ParameterError, match=r"-p 01.steps: 'five' is no int"):
        parse_value("01", "steps", "five")
    assert main(["--preset", "smoke", "--stages", "01", "-p", "01.steps", "five"]) == 2
    assert main(["--preset", "smoke", "--stages", "01", "-p", "01.steps", "2.5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: -p 01.steps: 'five' is no int (give a JSON value)",
                   "error: stage 01 parameter 'steps' must be int, got float 2.5"]
    ns = {"preset": "smoke", "steps": 3, "force": True, "display": print, "N": None}
    assert overrides("01", ns) == {"steps": 3, "N": None}  # only the stage's parameters, by name


def test_runner_streams_progress_to_the_console(tmp_path, monkeypatch, capfd):
    """Per-stage lines, and the kernel's loops drawn as text bars that papermill streams (not widgets)."""
    import lic.study.runner as study

    calls = []

    def fake_execute(src, dst, parameters, stdout_file=None, stderr_file=None, progress_bar=True, **kw):
        import os

        calls.append((os.environ.get("LIC_PROGRESS"), stdout_file, stderr_file, progress_bar))
        from lic.progress import tqdm

        for _ in tqdm(range(3), desc="images coded"):  # what a kernel's loop does under the runner
            pass

    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    monkeypatch.setattr(study, "data_manifest", lambda: {})
    monkeypatch.setenv("LIC_ARTIFACTS", str(tmp_path / "art"))
    study.run_study("smoke", ["01"], {}, tmp_path / "run")
    err = capfd.readouterr().err
    assert calls[0][0] == "console" and calls[0][2] is not None and calls[0][3] is False
    assert "[1/1] stage 01 · notebooks/01_teacher_baseline.ipynb" in err and "[1/1] stage 01 ok in" in err
    assert "images coded: 100%" in err  # a text bar, kept when done
    import os

    assert os.environ.get("LIC_PROGRESS") is None  # only the kernels see console mode
    study.run_study("smoke", ["01"], {}, tmp_path / "run2", progress=False)
    assert calls[1][:3] == (None, None, None) and "stage 01" not in capfd.readouterr().err


def test_bad_evaluation_set_fails_before_any_stage_with_one_line(tmp_path, capsys):
    """A missing set folder, or a set whose MD5SUMS does not match, stops the runner up front (exit 2)."""
    assert main(["--preset", "smoke", "--stages", "01", "02", "-p", "02.eval_sets",
                 json.dumps([str(tmp_path / "missing")]), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: eval set 'missing': folder") and "does not exist" in err[0]
    assert not (tmp_path / "run").exists()  # nothing ran, not even stage 01
    s = tmp_path / "mine"
    s.mkdir()
    from PIL import Image

    Image.new("RGB", (3, 2)).save(s / "a.png")
    (s / "MD5SUMS").write_text("0" * 32 + "  a.png\n")
    assert main(["--preset", "smoke", "--stages", "01", "-p", "01.eval_sets", json.dumps([str(s)])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "eval set 'mine'" in err[0] and "a.png: MD5 mismatch" in err[0]


def test_stage_run_rejects_a_bad_evaluation_set(tmp_path):
    from lic.errors import DataError
    from lic.study.stages import teacher

    p = resolve_params("01", "smoke", eval_sets=[{"path": str(tmp_path / "nope"), "name": "x"}])
    with pytest.raises(DataError, match=r"eval set 'x': folder .*nope does not exist"):
        teacher.run(p, progress=False)
    with pytest.raises(ParameterError, match="unknown key"):
        teacher.run({**p, "eval_sets": [{"path": str(tmp_path), "size": 3}]}, progress=False)


# --- typed stage configs and the one plan ---------------------------------------------------------------


def test_stage_configs_are_frozen_typed_dataclasses_generated_from_the_tables():
    import dataclasses
    from typing import Optional

    from lic.study.config import CONFIGS, DistillConfig, config
    from lic.study.params import params_of

    for stage, cls in CONFIGS.items():
        fields = {f.name: f.type for f in dataclasses.fields(cls)}
        assert set(fields) == set(params_of(stage)) | {"preset"} and cls.stage == stage
        assert all(fields[n] == Optional[p.type] for n, p in params_of(stage).items())
    cfg = config("02", "smoke", widths=[8])
    assert isinstance(cfg, DistillConfig) and cfg.widths == [8] == cfg["widths"] and cfg.preset == "smoke"
    assert cfg.as_dict() == resolve_params("02", "smoke", widths=[8]) == dict(cfg)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.widths = [12]
    assert "precision" not in cfg.as_dict() and cfg.precision is None  # unset by the preset: out of the key
    assert config("02", "paper").precision == "amp" and cfg.replace(precision="bf16")["precision"] == "bf16"
    with pytest.raises(ParameterError, match="stage 02 parameter 'steps' must be int"):
        cfg.replace(steps="2")
    assert json.loads(json.dumps(cfg.as_dict())) == cfg.as_dict()


def test_plan_resolves_each_stage_once_in_dependency_order(monkeypatch):
    """Every stage a requested one reads is planned; each key is computed once and is what stage_key
    gives for the stage's parameters and its inputs' keys (the keys of the artifacts made before the plan)."""
    import lic.study.artifacts as artifacts
    from lic.quant.hybrid import SCHEMES

    calls = []
    real = artifacts.stage_key
    monkeypatch.setattr(artifacts, "stage_key", lambda s, *a, **k: calls.append(s) or real(s, *a, **k))
    pl = plan("smoke", ["05"], {"02": {"widths": [8]}, "05": {"force": True}})
    assert list(pl) == ["01", "02", "03", "04", "05"] and sorted(calls) == list(pl)  # once a stage
    schemes = {k: v.bits() for k, v in SCHEMES.items() if v is not None}
    from lic.eval.portability import INT_ENTROPY_RECORD, PORTABLE_RECORD
    from lic.eval.stats import KD_VS_RD_RECORD, SEED_CONTROLS_RECORD
    from lic.hw.rtl.synth import RECORDED
    from lic.provenance import records_key

    from lic.codec.zoo import WEIGHTS_DIR
    from lic.eval.measured import RECORD
    from lic.hw.rtl.encsynth import RECORDED as ENCODER_RECORDED
    from lic.provenance import ROOT, sha256_file
    from lic.eval.anchors import WIDTH_ANCHORS
    from lic.study.stages.hwreport import ENCODER_RECORDS

    headline = {str(f.relative_to(ROOT)): sha256_file(f) for f in (WEIGHTS_DIR / "manifest.json", RECORD, WIDTH_ANCHORS)}
    cited = [KD_VS_RD_RECORD, SEED_CONTROLS_RECORD, INT_ENTROPY_RECORD, PORTABLE_RECORD, *ENCODER_RECORDS]
    assert set(cited) <= set(pl["05"].inputs["records"])  # the report also cites the width-for-board records
    assert set(pl["03"].inputs["rows"]) == {"hybrid_simplified", "pruned"}  # how stage 03 builds its two fixed rows
    expect = {"01": {}, "02": {"01": pl["01"].key, "headline": headline},
              "03": {"02": pl["02"].key, "schemes": schemes, "rows": pl["03"].inputs["rows"]},
              "04": {"03": pl["03"].key, "records": records_key([RECORDED, ENCODER_RECORDED])},
              "05": {**{s: pl[s].key for s in ("01", "02", "03", "04")},
                     "records": records_key(sorted(pl["05"].inputs["records"]))}}
    for s, inputs in expect.items():
        assert pl[s].inputs == inputs and pl[s].key == real(s, pl.cfg(s).as_dict(), inputs)
        assert pl.reads[s] == tuple(u for u in inputs if u in STAGES)
    assert pl.cfg("02").widths == [8] and pl.cfg("01") == plan("smoke", ["01"]).cfg("01")
    teacher_source = plan("smoke", ["04"], {"04": {"source": "teacher"}})
    assert list(teacher_source) == ["01", "04"]
    assert teacher_source["04"].inputs == {"01": pl["01"].key, "records": expect["04"]["records"]}


def test_plan_gives_a_stage_its_finished_inputs_and_its_artifact(monkeypatch, tmp_path):
    """``inputs`` maps the stage ids a stage reads to their finished handles; the loader of a later stage
    reads a model from an earlier stage's handle; the stage's own artifact is the plan's, key unchanged."""
    import torch

    from lic.codec.models import build_model, save_checkpoint
    from lic.study.artifacts import load_model, prepare

    monkeypatch.setenv("LIC_ARTIFACTS", str(tmp_path))
    pl = plan("smoke", ["02"])
    t01 = pl["01"]
    t01.dir.mkdir(parents=True)
    torch.manual_seed(0)
    save_checkpoint(t01.dir / "teacher_l0.0067.pt", build_model(N=8, M=12), lmbda=0.0067)
    t01.finish({"models": {"0.0067": "teacher_l0.0067.pt"}})
    inputs = pl.inputs("02")
    assert list(inputs) == ["01"] and inputs["01"] is t01 and inputs["01"].done
    cfg, ins, out = prepare("02", pl.cfg("02"), inputs, pl["02"])
    assert cfg is pl.cfg("02") and ins == inputs and out is pl["02"]
    assert prepare("02", resolve_params("02", "smoke"), inputs)[2].key == pl["02"].key  # a dict, no out: same key
    assert load_model(inputs["01"], 0.0067).N == 8
    with pytest.raises(ArtifactError, match=r"no teacher at λ=0.025"):
        load_model(inputs["01"], 0.025)
    for none in (None, {}):  # a stage that reads others is given them: nothing is planned behind the caller
        with pytest.raises(ParameterError, match=r"reads \['01'\] with these parameters, was given none"):
            prepare("02", cfg, none)
    with pytest.raises(ParameterError, match=r"reads \['01'\] with these parameters, was given \['02'\]"):
        prepare("02", cfg, {"02": pl["02"]})
    assert prepare("01", resolve_params("01", "smoke"))[2].key == pl["01"].key  # a stage that reads nothing


def test_a_bad_override_is_one_clear_parameter_error():
    for overrides, msg in (({"02": {"widths": "8"}}, "stage 02 parameter 'widths' must be List[int], got str '8'"),
                           ({"01": {"stepz": 1}}, "stage 01 has no parameter 'stepz'"),
                           ({"03": {"source": "float"}}, "source must be 'student' or 'teacher', got 'float'"),
                           ({"06": {"steps": 1}}, "unknown stage '06'")):
        with pytest.raises(ParameterError, match=re.escape(msg)) as err:
            plan("smoke", ["04"], overrides)
        assert "\n" not in str(err.value)
    with pytest.raises(ParameterError, match="unknown preset"):
        plan("tiny", ["01"])


def test_a_missing_input_artifact_is_one_clear_error_naming_the_notebook(monkeypatch, tmp_path):
    from lic.study.stages import hls, quant

    monkeypatch.setenv("LIC_ARTIFACTS", str(tmp_path))
    pl = plan("smoke", ["04"])
    assert pl.inputs("01") == {}
    with pytest.raises(ArtifactError, match=r"stage 03 \(smoke\) has no artifact at .*: run notebooks/"
                                            r"03_gdn_quant_ablation.ipynb first") as err:
        pl.inputs("04")
    assert "\n" not in str(err.value) and "--stages 03" in str(err.value)
    with pytest.raises(ArtifactError, match="run notebooks/02_distillation.ipynb"):
        quant.run(pl.cfg("03"), {"02": pl["02"]}, progress=False)  # given, but not run
    with pytest.raises(ArtifactError, match="run notebooks/01_teacher_baseline.ipynb"):
        hls.run(resolve_params("04", "smoke", source="teacher"), {"01": pl["01"]}, progress=False)
    with pytest.raises(ParameterError, match=r"stage 03 reads \['02'\] .*given none"):
        quant.run(pl.cfg("03"), progress=False)  # none given: nothing is planned behind the caller
