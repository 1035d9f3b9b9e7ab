"""scripts/device_run.sh, the GPU job, dry-run on the CPU with two tiny steps per model."""

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from lic.codec.zoo import available
from lic.release.recipes import GPU_LAMBDAS, PRESET_GPU, PRESET_GPU_KDRD, REFERENCE
from lic.train.specs import StudentSpec, lambda_tag

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_gpu_recipes_continue_the_teachers_and_rederive_the_students_at_the_paper_batch():
    assert len(PRESET_GPU) == 2 * len(GPU_LAMBDAS) == 8
    for lm in GPU_LAMBDAS:
        teacher, student = f"teacher-n128-m192-l{lambda_tag(lm)}", f"student-kd-pruned-n64-m192-l{lambda_tag(lm)}"
        t, s = REFERENCE[f"{teacher}-gpu"], REFERENCE[f"{student}-gpu"]
        assert PRESET_GPU.index(f"{teacher}-gpu") < PRESET_GPU.index(f"{student}-gpu")
        assert t["init"] == t["replaces"] == teacher and s["replaces"] == student
        assert s["teacher"] == s["inherit"] == f"{teacher}-gpu" and "init" not in s  # pruned from the new teacher
        for r in (t, s):
            assert (r["batch_size"], r["crop"], r["precision"], r["lr_schedule"]) == (16, 256, "amp", "time")
            assert r["lmbda"] == lm and "workers" not in r  # 49 photos: crops from memory


def test_kd_vs_rd_recipes_differ_only_in_the_loss():
    """gpu-kdrd: each KD student has an RD-only twin: same pruned teacher, λ, seed (crops), steps and schedule."""
    specs = [StudentSpec.from_recipe(REFERENCE[n]) for n in PRESET_GPU_KDRD]
    assert len(specs) == 12 and {s.seed for s in specs} == {1, 2, 3} and len({s.name for s in specs}) == 12
    kd = {(s.lmbda, s.seed): REFERENCE[s.name] for s in specs if s.loss == "kd"}
    rd = {(s.lmbda, s.seed): REFERENCE[s.name] for s in specs if s.loss == "rd"}
    assert kd.keys() == rd.keys() and len(kd) == 6
    for key, r in kd.items():
        twin = rd[key]
        assert r["inherit"] == twin["inherit"] == f"teacher-n128-m192-l{lambda_tag(key[0])}"  # the released teacher
        assert "init" not in r and "replaces" not in r  # pruned from the teacher; a measurement, adopted nowhere
        drop = {"kind", "loss"}
        assert {k: v for k, v in r.items() if k not in drop} == {k: v for k, v in twin.items() if k not in drop}


@pytest.mark.skipif(not {"teacher-n128-m192-l0.0250"} <= set(available()), reason="released weights missing")
def test_device_run_preset_mode_trains_each_recipe_and_packs_by_seed(tmp_path):
    out, work = tmp_path / "out", tmp_path / "work"
    names = [n for n in PRESET_GPU_KDRD if "-l0.0250-s1-" in n]
    env = {**os.environ, "LIC_RUN_STEPS": "2", "LIC_RUN_BATCH": "1", "LIC_RUN_CROP": "64", "OMP_NUM_THREADS": "1",
           "LIC_RUN_WORK": str(work), "LIC_RUN_PRESET": " ".join(names), "LIC_RUN_NO_RELEASE": "1"}
    r = subprocess.run(["bash", str(ROOT / "scripts" / "device_run.sh"), str(out)], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["gpu-l0.0250-s1.tar", "logs.tar"]
    with tarfile.open(out / "gpu-l0.0250-s1.tar") as t:
        assert sorted(t.getnames()) == sorted(f"zoo/{n}/train.pt" for n in names)
    with tarfile.open(out / "logs.tar") as t:
        assert {f"log/train_{n}.log" for n in names} <= set(t.getnames())


@pytest.mark.skipif(not {"teacher-n128-m192-l0.0250"} <= set(available()), reason="released weights missing")
def test_device_run_dry_on_cpu(tmp_path, kodak_dir):
    out, work = tmp_path / "out", tmp_path / "work"
    env = {**os.environ, "LIC_RUN_STEPS": "2", "LIC_RUN_BATCH": "1", "LIC_RUN_CROP": "64", "LIC_RUN_LAMBDAS": "0.0250",
           "LIC_RUN_KODAK_LIMIT": "1", "LIC_KODAK_DIR": str(kodak_dir), "OMP_NUM_THREADS": "1",
           "LIC_RUN_WORK": str(work)}
    r = subprocess.run(["bash", str(ROOT / "scripts" / "device_run.sh"), str(out)], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    names = ["teacher-n128-m192-l0.0250-gpu", "student-kd-pruned-n64-m192-l0.0250-gpu"]
    # what comes back from a device machine: one tar per λ (the slimmed states) and the logs
    with tarfile.open(out / "gpu-l0.0250.tar") as t:
        assert sorted(t.getnames()) == sorted(f"zoo/{n}/train.pt" for n in names)
    with tarfile.open(out / "logs.tar") as t:
        assert {"log/hardware.txt", "log/throughput.json", "log/train_l0.0250.log"} <= set(t.getnames())
    manifest = json.loads((out / "weights" / "manifest.json").read_text())["models"]
    assert sorted(manifest) == sorted(names)
    teacher = manifest[names[0]]
    assert teacher["hardware"]["device"] == "cpu" and teacher["steps"] == 2
    # provenance: the released teacher's own phases, then this run's
    released = available()["teacher-n128-m192-l0.0250"]["phases"]
    assert [p["name"] for p in teacher["phases"]] == [p["name"] for p in released] + [names[0]]
    assert teacher["total_steps"] == sum(p["steps"] for p in teacher["phases"])
    assert manifest[names[1]]["inherit"] == names[0]
    # the curves beside the manifest, none in it; the teacher's continues the released one's (steps from scratch)
    curves = json.loads((out / "weights" / "curves.json").read_text())["models"]
    assert sorted(curves) == sorted(names) and all("curve" not in e for e in manifest.values())
    assert curves[names[0]][-1]["step"] == teacher["total_steps"]
    tput = json.loads((work / "log" / "throughput.json").read_text())
    assert all(t["steps"] == 2 and t["steps_per_s"] > 0 and t["batch_size"] == 1 for t in tput.values())
    summary = json.loads((out / "summary.json").read_text())
    # one Kodak image here, 24 in the released manifest: not comparable, so no verdict
    assert [row["beats_released"] for row in summary["comparison"]] == [None, None]
    assert [row["baseline"] for row in summary["comparison"]] == ["teacher-n128-m192-l0.0250",
                                                                  "student-kd-pruned-n64-m192-l0.0250"]
    assert (work / "log" / "training_curves.png").stat().st_size > 0
    assert "steps/s" in (work / "log" / "summary.txt").read_text()
