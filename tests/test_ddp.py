"""Distributed data-parallel training on CPU: 2 processes under torchrun (smoke size)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow


def _torchrun(out: Path, steps: int, *extra: str) -> list[tuple[int, str]]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
           "-m", "lic.train", "--N", "8", "--M", "12", "--steps", str(steps), "--batch-size", "1", "--crop", "64",
           "--out", str(out), *extra]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-2000:]
    return sorted((int(m.group(1)), m.group(3)) for m in re.finditer(r"rank (\d)/2: step (\d+) weights ([0-9a-f]{16})", r.stdout)
                  if int(m.group(2)) == steps)


def test_two_ranks_stay_identical_and_resume(tmp_path):
    ckpt = tmp_path / "ddp.pt"
    ranks = _torchrun(ckpt, 3)
    assert [r for r, _ in ranks] == [0, 1]
    assert ranks[0][1] == ranks[1][1]  # gradients averaged: same weights on both ranks
    state = torch.load(ckpt, weights_only=False)
    assert state["step"] == 3
    again = _torchrun(ckpt, 3)  # resumes from the finished checkpoint: nothing changes
    assert again[0][1] == ranks[0][1]


def test_two_ranks_with_streaming_workers_stay_identical(tmp_path):
    ranks = _torchrun(tmp_path / "ddp.pt", 2, "--workers", "1")
    assert [r for r, _ in ranks] == [0, 1] and ranks[0][1] == ranks[1][1]
    data = torch.load(tmp_path / "ddp.pt", weights_only=False)["data"]
    assert data["kind"] == "stream" and data["samples_drawn"] == 2 * 2 * 1  # steps x ranks x batch
