"""Streaming training crops (lic.data.streaming) and the training loop's GPU-path options, run on the CPU."""

import numpy as np
import pytest
import torch
from PIL import Image

from lic.codec.models import build_model
from lic.data.streaming import StreamingCrops, find_images
from lic.errors import DataError
from lic.train.loop import TrainConfig, resolve_precision, train


def _png(path, h, w, channels=3, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    shape = (h, w, channels) if channels > 1 else (h, w)
    Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8)).save(path)
    return path


@pytest.fixture()
def messy(tmp_path):
    """Good RGB images in nested folders, a grayscale one, a tiny one, a corrupt and a truncated file."""
    root = tmp_path / "photos"
    for i in range(3):
        _png(root / f"set{i % 2}" / f"rgb{i}.png", 80, 96, seed=i)
    _png(root / "gray.png", 70, 70, channels=1, seed=9)
    _png(root / "tiny.png", 40, 200, seed=10)
    (root / "corrupt.jpg").write_bytes(b"\xff\xd8 this is no jpeg")
    (root / "trunc.png").write_bytes(_png(tmp_path / "t.png", 80, 80, seed=11).read_bytes()[:150])
    return root


def test_finds_nested_files_and_compressai_layouts(messy, tmp_path):
    assert len(find_images(messy)) == 7 and any(p.parent.name == "set1" for p in find_images(messy))
    split = tmp_path / "split"  # CompressAI ImageFolder layout: root/train, root/test
    _png(split / "train" / "a.png", 64, 64)
    _png(split / "test" / "b.png", 64, 64)
    assert [p.name for p in find_images(split)] == ["a.png"]
    vimeo = tmp_path / "vimeo"  # CompressAI Vimeo90kDataset layout
    for k in (1, 2, 3):
        _png(vimeo / "sequences" / "00001" / "0001" / f"im{k}.png", 64, 64)
    (vimeo / "tri_trainlist.txt").write_text("00001/0001\n")
    assert [p.name for p in find_images(vimeo)] == ["im1.png", "im2.png", "im3.png"]
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(DataError, match="holds no images"):
        find_images(tmp_path / "empty")


def test_skips_tiny_and_corrupt_files_and_counts_them(messy):
    s = StreamingCrops(messy, crop=64, seed=1, workers=2)
    xs = list(s.batches(0, 4, stop=6))  # 24 samples: every file of the 7 is visited
    assert all(x.shape == (4, 3, 64, 64) and x.dtype == torch.uint8 for x in xs)
    assert s.skipped_counts() == {"too_small": 1, "unreadable": 2}
    assert {k.rsplit("/", 1)[-1] for k in s.skipped} == {"tiny.png", "corrupt.jpg", "trunc.png"}
    gray = [x for b in xs for x in b if torch.equal(x[0], x[1]) and torch.equal(x[1], x[2])]
    assert gray, "the grayscale image is used (expanded to RGB), not skipped"


def test_nothing_usable_is_one_clear_error(tmp_path):
    _png(tmp_path / "small.png", 32, 32)
    (tmp_path / "bad.png").write_bytes(b"junk")
    with pytest.raises(DataError, match="no usable training image among 2 files.*1 smaller.*1 unreadable"):
        StreamingCrops(tmp_path, crop=64, workers=0).batch(0, 1)


def test_batches_do_not_depend_on_workers_start_or_rank(messy):
    one = StreamingCrops(messy, crop=64, seed=3, workers=0)
    two = StreamingCrops(messy, crop=64, seed=3, workers=2)
    ref = list(one.batches(0, 3, stop=8))
    assert all(torch.equal(a, b) for a, b in zip(ref, two.batches(0, 3, stop=8)))
    uncached = StreamingCrops(messy, crop=64, seed=3, workers=0, cache_mb=0)  # crop-then-convert path
    assert all(torch.equal(a, b) for a, b in zip(ref, uncached.batches(0, 3, stop=8)))
    assert one._cached > 0 and uncached._cached == 0
    assert all(torch.equal(a, b) for a, b in zip(ref[5:], two.batches(5, 3, stop=8)))  # resumed at step 5
    r0, r1 = list(two.batches(0, 3, world=2, rank=0, stop=4)), list(two.batches(0, 3, world=2, rank=1, stop=4))
    assert all(torch.equal(ref[2 * i], r0[i]) and torch.equal(ref[2 * i + 1], r1[i]) for i in range(4))
    assert not torch.equal(ref[0], ref[1])
    other = StreamingCrops(messy, crop=64, seed=4, workers=0)
    assert not torch.equal(ref[0], next(other.batches(0, 3)))
    assert torch.equal(one.batch(2, 3), ref[2].float() / 255)


def test_resumed_streaming_run_equals_uninterrupted(messy, tmp_path):
    cfg = TrainConfig(lmbda=0.01, steps=4, batch_size=2, crop=64, ckpt_every=2)
    torch.manual_seed(0)
    a = build_model(N=8, M=12)
    info = train(a, cfg, StreamingCrops(messy, crop=64, workers=2), tmp_path / "a.pt", progress=False)
    assert info["skipped"]["too_small"] + info["skipped"]["unreadable"] >= 1
    torch.manual_seed(0)
    b = build_model(N=8, M=12)
    out = train(b, cfg, StreamingCrops(messy, crop=64, workers=2), tmp_path / "b.pt", progress=False, max_seconds=0)
    assert out["step"] == 1
    state = torch.load(tmp_path / "b.pt", weights_only=False)["data"]
    assert state["kind"] == "stream" and state["next_step"] == 1 and state["samples_drawn"] == 2
    torch.manual_seed(123)  # a new process: another RNG state, fresh workers
    c = build_model(N=8, M=12)
    resumed = StreamingCrops(messy, crop=64, workers=2)
    out = train(c, cfg, resumed, tmp_path / "b.pt", progress=False)
    assert out["done"] and set(state["skipped"]) <= set(resumed.skipped)  # counts carried over the restart
    for (k, va), vc in zip(a.state_dict().items(), c.state_dict().values()):
        assert torch.equal(va, vc), k


def test_fp16_with_grad_scaler_and_amp_on_cpu(tmp_path):
    assert resolve_precision("amp", "cpu")[1] is False and resolve_precision("fp16", "cpu") == (torch.float16, True)
    cfg = TrainConfig(lmbda=0.01, steps=3, batch_size=2, crop=64, ckpt_every=1, precision="fp16")
    torch.manual_seed(0)
    m = build_model(N=8, M=12)
    before = m.g_s[0].weight.detach().clone()
    out = train(m, cfg, StreamingCrops(crop=64, workers=0, max_images=2), tmp_path / "a.pt", progress=False)
    state = torch.load(tmp_path / "a.pt", weights_only=False)
    assert out["precision"] == "float16" and state["scaler"]["scale"] > 0
    assert all(np.isfinite(h["loss"]) for h in out["history"])
    assert m.g_s[0].weight.dtype == torch.float32 and next(m.parameters()).device.type == "cpu"
    # the scaler skips a step whose fp16 gradients overflowed; some step must have updated the weights
    assert not torch.equal(before, m.g_s[0].weight) or state["scaler"]["scale"] < 65536.0


@pytest.mark.slow
def test_compiled_training_matches_eager(tmp_path):
    pytest.importorskip("torch._inductor")
    cfg = TrainConfig(lmbda=0.01, steps=2, batch_size=1, crop=64, ckpt_every=2)
    sampler = StreamingCrops(crop=64, workers=0, max_images=1)
    models = []
    for i, compiled in enumerate((False, True)):
        torch.manual_seed(0)
        m = build_model(N=8, M=12)
        train(m, cfg, sampler, tmp_path / f"{i}.pt", progress=False, compile=compiled)
        assert m.g_a._compiled_call_impl is None  # eager again for evaluation
        models.append(m)
    for (k, va), vb in zip(models[0].state_dict().items(), models[1].state_dict().values()):
        assert torch.allclose(va, vb, atol=1e-4), k


def test_smoke_preset_stage01_through_the_streaming_path(kodak_dir, tmp_path):
    from lic.study.runner import StageArtifact, resolve_params
    from lic.study.stages import teacher as stage01

    p = {**resolve_params("01", "smoke", kodak_dir=str(kodak_dir), artifacts=str(tmp_path)), "workers": 2}
    res = stage01.run(p, progress=False)
    st = StageArtifact("01", p, {})
    for lmbda in p["lambdas"]:
        state = torch.load(st.dir / f"train_l{lmbda:.4f}.pt", weights_only=False)
        assert state["step"] == p["steps"] and state["data"]["kind"] == "stream"
        assert state["data"]["samples_drawn"] == p["steps"] * p["batch_size"]
    assert [r["lmbda"] for r in res["rd"]] == p["lambdas"] and all(r["bpp"] > 0 for r in res["rd"])
