"""scripts/device_run.sh, the GPU job, dry-run on the CPU with one tiny step per model."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from lic.zoo import PRESET_GPU, REFERENCE, available

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_gpu_recipes_continue_released_models_at_the_paper_batch():
    assert PRESET_GPU == ["teacher-n128-m192-l0.0250-gpu", "student-kd-pruned-n64-m192-l0.0250-gpu"]
    for name in PRESET_GPU:
        r = REFERENCE[name]
        assert (r["batch_size"], r["crop"], r["precision"]) == (16, 256, "amp") and r["workers"] > 0
        assert r["init"] in REFERENCE and r.get("teacher", PRESET_GPU[0]) == PRESET_GPU[0]


@pytest.mark.skipif(not {"teacher-n128-m192-l0.0250", "student-kd-pruned-n64-m192-l0.0250"} <= set(available()),
                    reason="released weights missing")
def test_device_run_dry_on_cpu(tmp_path, kodak_dir):
    out = tmp_path / "out"
    env = {**os.environ, "LIC_RUN_STEPS": "2", "LIC_RUN_BATCH": "1", "LIC_RUN_CROP": "64", "LIC_RUN_WORKERS": "1",
           "LIC_RUN_KODAK_LIMIT": "1", "LIC_KODAK_DIR": str(kodak_dir), "OMP_NUM_THREADS": "1"}
    r = subprocess.run(["bash", str(ROOT / "scripts" / "device_run.sh"), str(out)], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert (out / "zoo" / "teacher-n128-m192-l0.0250-gpu" / "train.pt").is_file()
    manifest = json.loads((out / "weights" / "manifest.json").read_text())["models"]
    assert sorted(manifest) == sorted(PRESET_GPU)
    teacher = manifest["teacher-n128-m192-l0.0250-gpu"]
    assert teacher["hardware"]["device"] == "cpu" and teacher["steps"] == 2
    # provenance: the released teacher's own phases, then this run's
    assert [p["name"] for p in teacher["phases"]][-2:] == ["teacher-n128-m192-l0.0250", "teacher-n128-m192-l0.0250-gpu"]
    assert teacher["total_steps"] == sum(p["steps"] for p in teacher["phases"])
    assert manifest["student-kd-pruned-n64-m192-l0.0250-gpu"]["inherit"] == "teacher-n128-m192-l0.0250"
    tput = json.loads((out / "throughput.json").read_text())
    assert all(t["steps"] == 2 and t["steps_per_s"] > 0 and t["batch_size"] == 1 for t in tput.values())
    summary = json.loads((out / "summary.json").read_text())
    # one Kodak image here, 24 in the released manifest: not comparable, so no verdict
    assert [row["beats_released"] for row in summary["comparison"]] == [None, None]
    assert (out / "training_curves.png").stat().st_size > 0 and (out / "hardware.txt").is_file()
    assert "steps/s" in (out / "summary.txt").read_text()
