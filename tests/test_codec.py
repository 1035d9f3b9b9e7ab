"""``python -m lic.codec`` and the Python API: any image >= 1x1 in any PIL mode, exit codes 0/1/2."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from lic.codec import api as codec
from lic.codec.models import save_checkpoint
from lic.data.images import crop_to, pad_to_multiple
from lic.eval.metrics import psnr

ROOT = codec.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory, tiny_model):
    """The tiny test model as a checkpoint file (what ``--model PATH`` loads)."""
    return save_checkpoint(tmp_path_factory.mktemp("model") / "tiny.pt", tiny_model)


def _rgb(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _write(kind, folder):
    """One test image of each kind the issue names; returns (path, (H, W))."""
    if kind == "1x1":
        img, ext = Image.fromarray(_rgb(1, 1)), "png"
    elif kind == "37x101":
        img, ext = Image.fromarray(_rgb(37, 101)), "png"
    elif kind == "gray16":
        a = np.random.default_rng(1).integers(0, 65536, (40, 50), dtype=np.uint16)
        img, ext = Image.fromarray(a), "png"
    elif kind == "palette":
        img, ext = Image.fromarray(_rgb(30, 70)).convert("P", palette=Image.ADAPTIVE, colors=16), "png"
    elif kind == "cmyk":
        img, ext = Image.fromarray(_rgb(33, 65)).convert("CMYK"), "tif"
    elif kind == "rgba":
        img, ext = Image.fromarray(np.dstack([_rgb(20, 9), np.full((20, 9), 128, np.uint8)]), "RGBA"), "png"
    path = folder / f"{kind}.{ext}"
    img.save(path)
    return path, img.size[::-1]


@pytest.mark.parametrize("kind", ["1x1", "37x101", "gray16", "palette", "cmyk", "rgba"])
def test_cli_round_trip_any_size_and_mode(kind, tmp_path, ckpt, tiny_model, capsys):
    src, hw = _write(kind, tmp_path)
    with Image.open(src) as im:  # the file really has the mode under test
        assert im.mode in {"gray16": {"I;16", "I"}, "palette": {"P"}, "cmyk": {"CMYK"}, "rgba": {"RGBA"}}.get(kind, {"RGB"})
    lic, png = tmp_path / "x.lic", tmp_path / "back.png"
    assert codec.main(["compress", str(src), str(lic), "--model", str(ckpt)]) == 0
    assert codec.main(["decompress", str(lic), str(png)]) == 0  # the model is found from the file's name
    out = Image.open(png)
    assert out.mode == "RGB" and out.size[::-1] == hw
    # what the CLI wrote is the model's own reconstruction of the converted input, cropped back
    x = codec.to_tensor(src)
    xp, _ = pad_to_multiple(x.unsqueeze(0), codec.PAD)
    with torch.no_grad():
        ref = crop_to(tiny_model(xp)["x_hat"].clamp(0, 1)[0], hw)
    got = torch.from_numpy(np.array(out)).permute(2, 0, 1).float() / 255
    assert (got - ref).abs().max() <= 1 / 255 + 2e-3
    info = codec.info(lic.read_bytes())
    assert (info["height"], info["width"]) == hw and info["model"] == str(ckpt.resolve())
    assert info["bpp"] == pytest.approx(8 * lic.stat().st_size / (hw[0] * hw[1]), rel=1e-4)
    capsys.readouterr()


def test_cli_info_prints_the_header(tmp_path, ckpt, capsys):
    src, _ = _write("37x101", tmp_path)
    lic = tmp_path / "x.lic"
    assert codec.main(["compress", str(src), str(lic), "--model", str(ckpt)]) == 0
    capsys.readouterr()
    assert codec.main(["info", str(lic)]) == 0
    out = capsys.readouterr().out
    assert "width: 101" in out and "height: 37" in out and f"bytes: {lic.stat().st_size}" in out


def _one_line_error(capsys, needle):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and needle in err, err


def test_bad_inputs_exit_1_with_one_line(tmp_path, ckpt, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("a plain text file, long enough to hold a whole container header\n" * 3)
    assert codec.main(["compress", str(text), str(tmp_path / "a.lic"), "--model", str(ckpt)]) == 1
    _one_line_error(capsys, "not an image")

    good, _ = _write("37x101", tmp_path)
    cut = tmp_path / "cut.png"
    raw = good.read_bytes()
    cut.write_bytes(raw[: len(raw) // 2])
    assert codec.main(["compress", str(cut), str(tmp_path / "b.lic"), "--model", str(ckpt)]) == 1
    _one_line_error(capsys, "cut.png")
    assert not (tmp_path / "b.lic").exists()

    assert codec.main(["compress", str(tmp_path / "missing.png"), str(tmp_path / "c.lic"), "--model", str(ckpt)]) == 1
    _one_line_error(capsys, "no such")
    assert codec.main(["compress", str(good), str(tmp_path / "d.lic"), "--model", "no-such-model"]) == 1
    _one_line_error(capsys, "no released model")

    lic = tmp_path / "e.lic"
    assert codec.main(["compress", str(good), str(lic), "--model", str(ckpt)]) == 0
    capsys.readouterr()
    data = lic.read_bytes()
    (tmp_path / "short.lic").write_bytes(data[:-5])
    assert codec.main(["decompress", str(tmp_path / "short.lic"), str(tmp_path / "o.png")]) == 1
    _one_line_error(capsys, "truncated")
    assert codec.main(["info", str(text)]) == 1
    _one_line_error(capsys, "bad magic")


def test_usage_errors_exit_2(capsys):
    assert codec.main([]) == 2
    assert codec.main(["squash", "a", "b"]) == 2
    assert codec.main(["compress", "only-one-arg"]) == 2
    capsys.readouterr()


def test_module_entry_point_exit_codes(tmp_path):
    """The real ``python -m lic.codec`` process: usage 2, bad input 1 with a single stderr line."""
    bad = tmp_path / "t.txt"
    bad.write_text("hello")
    good, _ = _write("37x101", tmp_path)
    run = lambda *a: subprocess.run([sys.executable, "-m", "lic.codec", *a], capture_output=True, text=True,  # noqa: E731
                                    cwd=ROOT, timeout=120)
    r = run("info", str(bad))
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "not a LIC bitstream" in r.stderr
    r = run("compress", str(good), str(tmp_path / "x.lic"), "--model", "no-such-model")  # loads the zoo (compressai)
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "no released model" in r.stderr, r.stderr
    assert run("frobnicate").returncode == 2


def test_python_api_with_a_model_object(tiny_model):
    x = torch.rand(3, 5, 3)
    data = codec.compress(x, tiny_model)
    assert codec.info(data)["model"] == "(not named)"  # a model object gives the study's version-1 file
    assert codec.decompress(data, tiny_model).shape == (3, 5, 3)
    with pytest.raises(codec.BitstreamError, match="names no model"):
        codec.decompress(data)
    named = codec.compress(Image.fromarray(_rgb(4, 6)).convert("L"), tiny_model, name="tiny")
    assert codec.info(named)["model"] == "tiny" and codec.decompress(named, tiny_model).shape == (3, 4, 6)


def test_models_lists_the_manifest_with_kodak_numbers(capsys):
    from lic.codec.zoo import available

    released = available()
    if not released:
        pytest.skip("no released weights in weights/")
    assert codec.main(["models"]) == 0
    out = capsys.readouterr().out
    t = codec.models_table()
    assert set(t.model) == set(released)
    for name, e in released.items():
        row = t[t.model == name].iloc[0]
        assert name in out and row.psnr_db == e["kodak"]["psnr"] and row.bpp == e["kodak"]["bpp"]


def test_released_student_codes_a_small_kodak_crop(kodak_dir):
    from lic.codec.zoo import available

    name = "student-kd-n32-m192-l0.0067"
    if name not in available():
        pytest.skip(f"{name} is not released here")
    x = codec.to_tensor(kodak_dir / "kodim23.png")[:, 200:237, 300:401]  # 37 x 101
    data = codec.compress(x, name)
    y = codec.decompress(data)  # the released model named in the file
    assert y.shape == x.shape and psnr(x, y) > 22  # a trained codec, not noise
    assert codec.info(data)["model"] == name
