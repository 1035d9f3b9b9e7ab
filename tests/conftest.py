"""Shared fixtures. Data dirs default to ../shared/data (CI layout); tests run single-threaded."""

import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
os.environ.setdefault("LIC_TRAIN_DIR", str(SHARED / "photos"))
os.environ.setdefault("LIC_KODAK_DIR", str(SHARED / "kodak"))
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _artifacts(tmp_path_factory, monkeypatch):
    """Every test writes artifacts to a fresh temp folder, never into the repo."""
    monkeypatch.setenv("LIC_ARTIFACTS", str(tmp_path_factory.mktemp("artifacts")))


@pytest.fixture(scope="session")
def kodak_dir():
    d = Path(os.environ["LIC_KODAK_DIR"])
    if not d.is_dir():
        pytest.skip(f"Kodak not found at {d} (set LIC_KODAK_DIR)")
    return d


@pytest.fixture(scope="session")
def tiny_model():
    from lic.codec.models import build_model

    torch.manual_seed(0)
    m = build_model(N=8, M=12).eval()
    m.update(force=True)
    return m
