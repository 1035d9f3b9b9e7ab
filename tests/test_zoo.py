"""Golden regression tests of the released reference weights (weights/manifest.json)."""

import pytest

from lic.codec.zoo import available, load_pretrained
from lic.data.images import load_kodak
from lic.errors import ArtifactError, ParameterError
from lic.eval.rd import evaluate_codec
from lic.provenance import sha256_file

RELEASED = sorted(available())


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ArtifactError, match="no released model"):
        load_pretrained("nope")


@pytest.mark.skipif(not RELEASED, reason="no released weights in weights/")
@pytest.mark.parametrize("name", [n for n in RELEASED if n.endswith("l0.0250")])
def test_released_model_reproduces_its_recorded_kodak_numbers(name, kodak_dir):
    entry = available()[name]
    golden = entry["kodak_golden"]
    model = load_pretrained(name)  # also verifies the SHA-256
    res = evaluate_codec(model, load_kodak(kodak_dir, limit=len(golden)), progress=False)
    for want, got in zip(golden, res["per_image"].to_dict("records")):
        assert got["image"] == want["image"]
        assert got["bpp"] == pytest.approx(want["bpp"], rel=5e-3)  # entropy coding of the same latents
        assert got["psnr"] == pytest.approx(want["psnr"], abs=0.02)


def test_reference_preset_lists_every_recipe_after_what_it_starts_from():
    from lic.release.recipes import (
        PRESET_CPU_P3,
        PRESET_CPU_P4,
        PRESET_GPU,
        PRESET_GPU_KDRD,
        PRESET_GPU_P2,
        PRESET_REFERENCE,
        PRESET_WIDTHS,
        PRESET_WIDTHS_N32_P2,
        PRESET_WIDTHS_P2,
        PRESET_WIDTHS_P3,
        PRESET_WIDTHS_N32_P3,
        PRESET_WIDTHS_N32_P4,
        PRESET_WIDTHS_N32_P5,
        PRESET_WIDTHS_G64,
        PRESET_WIDTHS_G64_RD,
        PRESET_WIDTHS_P4,
        REFERENCE,
        WIDTH_LAMBDAS,
        expand,
    )
    from lic.train.specs import StudentSpec

    later = PRESET_GPU + PRESET_GPU_P2 + PRESET_CPU_P3 + PRESET_CPU_P4 + PRESET_GPU_KDRD + PRESET_WIDTHS + PRESET_WIDTHS_P2 \
        + PRESET_WIDTHS_P3 + PRESET_WIDTHS_N32_P2 + PRESET_WIDTHS_P4 \
        + PRESET_WIDTHS_N32_P3 + PRESET_WIDTHS_N32_P4 + PRESET_WIDTHS_N32_P5 + PRESET_WIDTHS_G64 \
        + PRESET_WIDTHS_G64_RD
    assert sorted(PRESET_REFERENCE + later) == sorted(REFERENCE) and not set(PRESET_REFERENCE) & set(later)
    # the width sweep: per width and λ, KD from the pruned teacher of that λ, then the RD anneal under the student's name
    assert len(PRESET_WIDTHS) == 2 * sum(len(v) for v in WIDTH_LAMBDAS.values())
    for kd, rd in zip(PRESET_WIDTHS[::2], PRESET_WIDTHS[1::2]):
        k, r = REFERENCE[kd], REFERENCE[rd]
        assert kd == f"{rd}-kd" and r["init"] == kd and r["loss"] == "rd" and k["loss"] == "kd"
        assert k["inherit"] == k["teacher"] == f"teacher-n128-m192-l{rd.split('-l')[-1]}" in PRESET_REFERENCE
        assert k["lmbda"] == r["lmbda"] and k["N"] == r["N"] and k.get("release") is False
        assert StudentSpec.from_recipe(k).inherits and not StudentSpec.from_recipe(r).uses_teacher
    assert expand(["widths"], release=True) == PRESET_WIDTHS[1::2]
    for name in PRESET_WIDTHS_P2:  # the N=96 RD anneal continues the released student, adopted in its place
        r = REFERENCE[name]
        assert r["init"] == r["replaces"] == name.removesuffix("-p2") in PRESET_WIDTHS and r["loss"] == "rd"
    for name in PRESET_WIDTHS_P3:  # the N=96 KD continuation: the released student distilled from its λ's teacher
        r = REFERENCE[name]
        assert r["init"] == r["replaces"] == name.removesuffix("-p3") in PRESET_WIDTHS and r["loss"] == "kd"
        assert r["teacher"] == f"teacher-n128-m192-l{r['init'].split('-l')[-1]}" and r["lr"] < REFERENCE[r["init"]]["lr"] * 10
    for name in PRESET_WIDTHS_P4:  # the longer N=96 KD continuation at the teacher's lr, in bf16, on all 4 λ
        r = REFERENCE[name]
        assert r["init"] == r["replaces"] == name.removesuffix("-p4") in PRESET_WIDTHS and r["loss"] == "kd"
        assert r["N"] == 96 and r["precision"] == "bf16"
        assert r["seed"] not in {REFERENCE[p]["seed"] for p in PRESET_WIDTHS_P3}
    assert len(PRESET_WIDTHS_P4) == len(WIDTH_LAMBDAS[96])
    for name in PRESET_WIDTHS_G64:  # N=96 grown from the N=64 student of the same λ, distilled from its teacher
        r = REFERENCE[name]
        assert r["replaces"] == name.removesuffix("-g64") in PRESET_WIDTHS and r["loss"] == "kd" and r["N"] == 96
        assert r["init"] == r["replaces"].replace("-n96-", "-n64-") and REFERENCE[r["init"]]["N"] == 64
        assert r["teacher"] == f"teacher-n128-m192-l{r['init'].split('-l')[-1]}"
    assert len(PRESET_WIDTHS_G64) == len(WIDTH_LAMBDAS[96])
    for name in PRESET_WIDTHS_G64_RD:  # the same growth, annealed by the RD loss alone as the N=64 students' last phase
        r = REFERENCE[name]
        assert r["replaces"] == name.removesuffix("-g64rd") and r["init"] == r["replaces"].replace("-n96-", "-n64-")
        assert r["loss"] == "rd" and r["N"] == 96 and r["lr"] == 1e-5 and not StudentSpec.from_recipe(r).uses_teacher
    assert len(PRESET_WIDTHS_G64_RD) == len(WIDTH_LAMBDAS[96])
    for preset, suffix in ((PRESET_WIDTHS_N32_P2, "-p2"), (PRESET_WIDTHS_N32_P3, "-p3"),
                           (PRESET_WIDTHS_N32_P4, "-p4"), (PRESET_WIDTHS_N32_P5, "-p5")):  # N=32 KD continuations
        for name in preset:
            r = REFERENCE[name]
            assert r["init"] == r["replaces"] == name.removesuffix(suffix) in PRESET_WIDTHS and r["loss"] == "kd"
            assert r["N"] == 32 and r["teacher"] == f"teacher-n128-m192-l{r['init'].split('-l')[-1]}"
        assert len(preset) == len(WIDTH_LAMBDAS[32])
    for name in PRESET_CPU_P4:  # the RD anneal continues the released student with the RD loss alone, no teacher
        r = REFERENCE[name]
        spec = StudentSpec.from_recipe(r)
        assert r["init"] == r["replaces"] == name.removesuffix("-cpu-p4") and r["loss"] == "rd"
        assert not spec.uses_teacher and not spec.inherits and REFERENCE[r["init"]]["lmbda"] == r["lmbda"]
    assert expand(["cpu-p4"]) == PRESET_CPU_P4 and len(PRESET_CPU_P4) == 4
    for name in PRESET_CPU_P3:  # the CPU phase continues the released student, distilled from its λ's teacher
        r = REFERENCE[name]
        assert r["init"] == r["replaces"] and r["teacher"] in PRESET_REFERENCE and r["loss"] == "kd"
        assert REFERENCE[r["init"]]["lmbda"] == REFERENCE[r["teacher"]]["lmbda"] == r["lmbda"]
    assert expand(["cpu-p3"]) == PRESET_CPU_P3 and len(PRESET_CPU_P3) == 4
    for name in PRESET_GPU_P2:  # the second GPU phase continues the first, distilled from the same teacher
        first = REFERENCE[name]["init"]
        assert first in PRESET_GPU and REFERENCE[name]["teacher"] == REFERENCE[first]["teacher"]
    seen = set()
    for name in PRESET_REFERENCE:
        deps = [REFERENCE[name].get(k) for k in ("init", "teacher", "inherit")]
        assert all(d is None or d in seen for d in deps), name
        seen.add(name)
    assert expand(["reference"]) == PRESET_REFERENCE
    assert expand(["teacher-n128-m192-l0.0250"]) == ["teacher-n128-m192-l0.0250"]
    # the KD and the from-scratch students share budget and seed; seed 1 exists for the noise estimate
    kd, sc = REFERENCE["student-kd-n64-m192-l0.0250"], REFERENCE["student-scratch-n64-m192-l0.0250"]
    assert (kd["loss"], sc["loss"]) == ("kd", "rd")
    same = ("kind", "loss")
    assert {k: v for k, v in kd.items() if k not in same} == {k: v for k, v in sc.items() if k not in same}
    assert REFERENCE["student-kd-n64-m192-l0.0250-s1"]["seed"] == 1
    # intermediates are trained by the preset but never released, and refused by name
    assert "teacher-n128-m192-base" in PRESET_REFERENCE
    assert "teacher-n128-m192-base" not in expand(["reference"], release=True)
    assert expand(["reference"], release=True) == [n for n in PRESET_REFERENCE if REFERENCE[n].get("release", True)]
    assert "teacher-n128-m192-l0.0250" in expand(["reference"], release=True)
    with pytest.raises(ParameterError, match="intermediate"):
        expand(["teacher-n128-m192-base"], release=True)


def test_student_recipes_are_their_specs():
    from lic.release.recipes import PRESET_GPU_KDRD, PRESET_WIDTHS, REFERENCE, STUDENTS

    # the released students' own recipes; continuations (GPU job, cpu-p3, cpu-p4) name the released model they replace,
    # and GPU job 2's KD vs RD-only twins (gpu-kdrd) are measurements, released nowhere
    assert [s.name for s in STUDENTS] == [n for n in REFERENCE if n.startswith("student-") and "replaces" not in REFERENCE[n]
                                          and n not in PRESET_GPU_KDRD + PRESET_WIDTHS]
    assert all(REFERENCE[s.name] == s.recipe() for s in STUDENTS)
    # the students that start from the pruned teacher record it (the release manifest's "inherit")
    assert [s.name for s in STUDENTS if s.inherits] == ["student-kd-pruned-n64-m192-l0.0250",
                                                         "student-rd-pruned-n64-m192-l0.0250"]
    assert all(REFERENCE[s.name]["inherit"] == "teacher-n128-m192-l0.0250" for s in STUDENTS if s.inherits)


def test_released_log_is_the_models_own_phase(tmp_path, monkeypatch):
    from lic.codec import zoo
    from lic.release import campaign

    curve = [{"step": s, "mse": 0.01, "bpp": 1.0} for s in (100, 200, 300, 400)]
    monkeypatch.setattr(zoo, "WEIGHTS_DIR", tmp_path)
    # written as an older manifest held it (the curve inline): the curve moves to curves.json
    campaign.write_manifest(tmp_path, {"m": {"curve": curve, "total_steps": 400,
                                             "phases": [{"steps": 300}, {"steps": 100}]}})
    assert "curve" not in zoo.available()["m"] and zoo.released_curve("m") == curve
    assert [r["step"] for r in campaign.released_log("m")] == [100]  # the fine-tune: steps 301-400 of the chain
    assert campaign.released_log("scratch") == [] and campaign.released_log("other") == []
    campaign.write_manifest(tmp_path, {})  # a model left out of the manifest takes its curve with it
    assert zoo.available() == {} and zoo.curves() == {}


def test_the_manifest_holds_no_curves_and_they_are_read_from_curves_json():
    from lic.codec import zoo
    from lic.release import campaign

    models, curves = zoo.available(), zoo.curves()
    if not models:
        pytest.skip("no released weights in weights/")
    assert all("curve" not in e for e in models.values())
    floats = sorted(n for n, e in models.items() if "int_prior" not in e)  # an -int variant shares its model's
    assert sorted(curves) == floats and all(curves.values())
    assert all(zoo.released_curve(n) == curves[e["base"]] for n, e in models.items() if "int_prior" in e)
    name = "student-kd-pruned-n64-m192-l0.0250"  # four phases: its log is the last one's rows of the curve
    start = models[name]["total_steps"] - models[name]["phases"][-1]["steps"]
    log = campaign.released_log(name)
    assert log and [r["step"] + start for r in log] == [r["step"] for r in curves[name] if r["step"] > start]
    # a chain that ends in a released model (trained elsewhere) takes that model's recorded curve
    c = campaign.curve(name, chain=[(name, None)])
    assert [(r["step"], r["bpp"], r["loss"]) for r in c] == [(r["step"], r["bpp"], r["loss"]) for r in curves[name]]


def test_fine_tune_continues_its_init_and_records_the_phase_chain(tmp_path, monkeypatch):
    from lic.release import campaign
    from lic.release import recipes as rcp

    t = {"N": 8, "M": 12, "crop": 64, "batch_size": 1, "lmbda": 0.025, "lr": 1e-4}
    recipes = {"a": {**t, "steps": 2, "precision": "fp32", "release": False},
               "b": {**t, "steps": 1, "precision": "bf16", "init": "a", "lmbda": 0.0067}}
    monkeypatch.setattr(rcp, "REFERENCE", recipes)
    monkeypatch.setattr(rcp, "PRESETS", {"reference": list(recipes)})
    monkeypatch.setattr(campaign, "WORK_DIR", tmp_path)
    for name in rcp.expand(["reference"]):
        assert campaign.train_reference(name, threads=1)["done"]
    chain = campaign.phases("b")
    assert [(p["name"], p["steps"], p["precision"], p["lmbda"]) for p in chain] == [
        ("a", 2, "fp32", 0.025), ("b", 1, "bf16", 0.0067)]
    assert rcp.expand(["reference"], release=True) == ["b"]
    c = campaign.curve("b")
    assert [r["step"] for r in c] == [1, 2, 3]  # logged every half run (a: 2 steps, b: 1); b counts on from a
    assert all(r["psnr_train"] > 0 and r["bpp"] > 0 for r in c)


def test_training_curve_figure_marks_phases_and_clips_a_spike():
    from lic.study.stages import teacher

    curve = [{"step": s, "bpp": 0.9, "psnr_train": p} for s, p in ((25, 20.0), (50, 24.0), (75, -9.0), (100, 26.0))]
    res = {"zoo_training": {"t": {"curve": curve, "phases": [{"steps": 60}, {"steps": 40}]}}}
    fig = teacher.figure_training(res)
    ax = fig.axes[0]
    assert ax.get_ylim()[0] > -9.0  # the spike window is clipped ...
    assert any("clipped" in t.get_text() for t in ax.texts)  # ... and labelled
    assert [line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == ":"] == [60]  # phase boundary
    assert teacher._zoo_training({"0.0250": "scratch"}) == {}


def test_release_of_an_untrained_model_is_one_clear_error_and_writes_nothing(tmp_path, monkeypatch):
    from lic.codec import zoo
    from lic.release import campaign
    from lic.release import recipes as rcp

    monkeypatch.setattr(rcp, "REFERENCE", {"a": {"N": 8, "M": 12, "lmbda": 0.025}})
    monkeypatch.setattr(campaign, "WORK_DIR", tmp_path / "work")
    monkeypatch.setattr(zoo, "WEIGHTS_DIR", tmp_path / "weights")
    with pytest.raises(ArtifactError, match="has not been trained yet"):
        campaign.release("a")
    assert not (tmp_path / "weights").exists()


def test_release_writes_weights_and_manifest_from_a_staged_copy(tmp_path, monkeypatch, kodak_dir):
    from lic.codec import zoo
    from lic.release import campaign
    from lic.release import recipes as rcp

    recipes = {"a": {"N": 8, "M": 12, "crop": 64, "batch_size": 1, "lmbda": 0.025, "lr": 1e-4, "steps": 1,
                     "precision": "fp32"}}
    monkeypatch.setattr(rcp, "REFERENCE", recipes)
    monkeypatch.setattr(campaign, "WORK_DIR", tmp_path / "work")
    monkeypatch.setattr(zoo, "WEIGHTS_DIR", tmp_path / "weights")
    campaign.train_reference("a", threads=1)
    entry = campaign.release("a", eval_limit=1)
    # no staged leftovers; the per-image Kodak rows recorded beside the manifest (lic.eval.measured)
    assert sorted(p.name for p in (tmp_path / "weights").iterdir() if p.name != ".release.lock") == [
        "a.pt", "curves.json", "kodak_measured.json", "manifest.json"]
    assert "curve" not in entry and zoo.released_curve("a") == campaign.curve("a")
    assert entry["sha256"] == sha256_file(tmp_path / "weights" / "a.pt") and entry["total_steps"] == 1
    assert zoo.load_pretrained("a") is not None
    from lic.eval import measured

    rows = list(measured.recorded("a", tmp_path / "weights" / "kodak_measured.json").values())
    assert [(r["image"], r["bytes"]) for r in rows] == [(g["image"], g["bytes"]) for g in entry["kodak_golden"]]


def test_a_fresh_checkout_continues_from_the_released_weights(tmp_path, monkeypatch):
    # training state of "a" is gone (a new clone), its release is there: a fine-tune "b" starts from it,
    # and the run's max_seconds reaches the student trainers too
    import torch

    from lic.codec import zoo
    from lic.release import campaign
    from lic.release import recipes as rcp

    t = {"N": 8, "M": 12, "crop": 64, "batch_size": 1, "lmbda": 0.025, "lr": 1e-4, "precision": "fp32"}
    monkeypatch.setattr(rcp, "REFERENCE", {"a": {**t, "steps": 1},
                                           "b": {**t, "steps": 1, "init": "a", "kind": "scratch"}})
    monkeypatch.setattr(campaign, "WORK_DIR", tmp_path / "work")
    monkeypatch.setattr(zoo, "WEIGHTS_DIR", tmp_path / "weights")
    campaign.train_reference("a", threads=1)
    campaign.release("a", eval_limit=1)
    campaign.ckpt_path("a").unlink()
    with pytest.raises(ArtifactError, match="has not been trained yet"):
        campaign.trained_model("a")
    released = campaign.source_model("a")
    assert next(released.parameters()).dtype == torch.float32  # fp16 file, trained on in fp32
    ref = zoo.load_pretrained("a").float().state_dict()
    assert all(torch.equal(v, ref[k]) for k, v in released.state_dict().items())
    out = campaign.train_reference("b", threads=1)
    assert out["done"] and campaign.ckpt_path("b").exists()
    monkeypatch.setattr(zoo, "available", lambda: {})  # neither trained here nor released: one clear error
    with pytest.raises(ArtifactError, match="has not been trained yet"):
        campaign.source_model("a")


def test_a_recipe_wider_than_its_init_starts_from_the_init_widened(tmp_path, monkeypatch, capsys):
    # "b" (N=12) names "a" (N=8) as its init: it trains from "a" widened, and its phases list "a"'s before its own
    from lic.release import campaign
    from lic.release import recipes as rcp

    t = {"M": 12, "crop": 64, "batch_size": 1, "lmbda": 0.025, "lr": 1e-4, "precision": "fp32", "steps": 1}
    monkeypatch.setattr(rcp, "REFERENCE", {"a": {**t, "N": 8},
                                           "b": {**t, "N": 12, "init": "a", "kind": "rd-pruned", "loss": "rd"}})
    monkeypatch.setattr(campaign, "WORK_DIR", tmp_path / "work")
    campaign.train_reference("a", threads=1)
    assert campaign.train_reference("b", threads=1)["done"]
    assert "a (N=8) widened to N=12" in capsys.readouterr().out
    assert int(campaign.trained_model("b").N) == 12
    assert [p["name"] for p in campaign.phases("b")] == ["a", "b"]


def test_bf16_on_a_cpu_without_amx_warns(tmp_path, monkeypatch):
    import lic.train.loop as tr
    from lic.codec.models import build_model
    from lic.data.images import CropSampler

    assert tr.bf16_is_fast("cuda") and isinstance(tr.bf16_is_fast("cpu"), bool)
    monkeypatch.setattr(tr, "bf16_is_fast", lambda device="cpu": False)
    cfg = tr.TrainConfig(lmbda=0.01, steps=1, batch_size=1, crop=64, precision="bf16")
    with pytest.warns(UserWarning, match="without AMX"):
        tr.train(build_model(N=4, M=6), cfg, CropSampler(crop=64, max_images=1), tmp_path / "t.pt", progress=False)


def test_release_help_names_the_variant_subcommands(capsys):
    from lic.release.campaign import main

    with pytest.raises(SystemExit):
        main(["-h"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the epilog to the terminal
    assert "lic.release intprior NAME" in out and "lic.release fpga NAME" in out
