import numpy as np
import pytest
import torch
from PIL import Image

from lic.data.images import CropSampler, crop_to, list_images, load_image, load_kodak, pad_to_multiple, resolve_dir
from lic.errors import DataError


def _save(path, arr, mode=None):
    Image.fromarray(arr, mode=mode).save(path)
    return path


def test_missing_and_empty_dirs(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        list_images(tmp_path / "nope")
    with pytest.raises(DataError, match="holds no images"):
        list_images(tmp_path)
    with pytest.raises(DataError, match="LIC_X"):
        resolve_dir(None, "LIC_X", "test")


def test_non_image_and_truncated_files(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("hello, not a png")
    with pytest.raises(DataError, match="not an image"):
        load_image(bad)
    good = _save(tmp_path / "g.png", np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    trunc = tmp_path / "t.png"
    trunc.write_bytes(good.read_bytes()[:200])
    with pytest.raises(DataError, match="unreadable"):
        load_image(trunc)
    with pytest.raises(DataError, match="no such"):
        load_image(tmp_path / "missing.png")


def test_mode_conversions(tmp_path):
    g = np.arange(64 * 48, dtype=np.uint8).reshape(48, 64)
    x = load_image(_save(tmp_path / "gray.png", g))
    assert x.shape == (3, 48, 64) and torch.equal(x[0], x[2])
    rgba = np.dstack([np.full((8, 8, 3), 200, np.uint8), np.zeros((8, 8), np.uint8)])
    assert load_image(_save(tmp_path / "a.png", rgba)).shape == (3, 8, 8)
    g16 = (np.arange(16 * 16, dtype=np.uint16).reshape(16, 16) * 256)
    Image.fromarray(g16).save(tmp_path / "g16.png")
    x16 = load_image(tmp_path / "g16.png")
    assert x16.max() <= 1 and abs(x16[0, 15, 15].item() - 255 / 255) < 1e-6


def test_pad_and_crop_back():
    x = torch.rand(3, 100, 70)
    xp, hw = pad_to_multiple(x, 64)
    assert xp.shape == (3, 128, 128) and hw == (100, 70)
    assert torch.equal(crop_to(xp, hw), x)
    assert torch.equal(xp[:, 127, 0], x[:, 99, 0])  # replicate padding


def test_kodak_checksums(kodak_dir, tmp_path):
    imgs = load_kodak(kodak_dir, limit=1)
    assert imgs[0][0] == "kodim01" and imgs[0][1].shape == (3, 512, 768)
    fake = tmp_path / "kodak"
    fake.mkdir()
    (fake / "kodim01.png").write_bytes((kodak_dir / "kodim01.png").read_bytes()[:-1] + b"\0")
    with pytest.raises(DataError, match="MD5 mismatch"):
        load_kodak(fake, limit=1)


def test_crop_sampler_deterministic(tmp_path):
    rng = np.random.default_rng(1)
    for i in range(3):
        _save(tmp_path / f"{i}.png", rng.integers(0, 255, (40, 50, 3), dtype=np.uint8))
    s = CropSampler(tmp_path, crop=32, seed=3)
    a, b = s.batch(7, 4), s.batch(7, 4)
    assert a.shape == (4, 3, 32, 32) and torch.equal(a, b)
    assert not torch.equal(a, s.batch(8, 4))
    with pytest.raises(DataError, match="smaller than"):
        CropSampler(tmp_path, crop=48)
