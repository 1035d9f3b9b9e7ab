"""lic.eval.measured: released models' Kodak rows are reused only where a live spot check reproduces them."""

import copy
import json

import pytest
import torch

from lic.codec.zoo import load_pretrained
from lic.eval import measured
from lic.eval.rd import evaluate_codec

NAME = "student-kd-n32-m192-l0.0067"
_EXACT = ["bytes", "bpp", "psnr", "ms_ssim"]


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(0)
    return [(f"img{i}", torch.rand(3, 64, 64, generator=g)) for i in range(3)]


@pytest.fixture(scope="module")
def model():
    return load_pretrained(NAME)


@pytest.fixture(scope="module")
def record(tmp_path_factory, images):
    """The record of NAME on the three images (made once; tests change copies of it)."""
    path = tmp_path_factory.mktemp("rec") / "rec.json"
    return measured.record([NAME], images, path=path, progress=False)


def _write(tmp_path, rec):
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(rec))
    return path


def test_reused_rows_equal_live_coding_and_say_so(tmp_path, images, model, record):
    path = _write(tmp_path, record)
    got = measured.evaluate(model, images, f"zoo:{NAME}", progress=False, path=path)
    live = evaluate_codec(model, images, progress=False)["per_image"]
    assert got["coding"] == {"coded": 1, "reused": 2, "spot": "img0", "why": None, "match": "exact"}
    assert got["per_image"]["image"].tolist() == ["img0", "img1", "img2"]
    assert got["per_image"][_EXACT].equals(live[_EXACT])
    assert list(got["per_image"].columns) == list(live.columns)
    assert got["per_image"].enc_s.notna().tolist() == [True, False, False]  # timings only of what this run coded


def test_a_record_the_spot_check_does_not_reproduce_is_not_used(tmp_path, images, model, record):
    rec = copy.deepcopy(record)
    rec["models"][NAME]["images"][measured.image_digest(images[0][1])]["bytes"] += 1
    path = _write(tmp_path, rec)
    got = measured.evaluate(model, images, f"zoo:{NAME}", progress=False, path=path)
    assert got["coding"]["reused"] == 0 and got["coding"]["coded"] == 3
    assert "not reproduced" in got["coding"]["why"]


def test_other_weights_other_images_or_other_origins_are_coded_live(tmp_path, images, model, record):
    rec = copy.deepcopy(record)
    del rec["models"][NAME]["images"][measured.image_digest(images[2][1])]
    path = _write(tmp_path, rec)
    assert measured.evaluate(model, images, f"zoo:{NAME}", progress=False, path=path)["coding"]["why"] == \
        "not recorded for these images"
    assert measured.evaluate(model, images[:1], "scratch", progress=False, path=path)["coding"]["reused"] == 0
    rec["models"][NAME]["sha256"] = "0" * 64  # a record of another file under the same name
    path = _write(tmp_path, rec)
    assert measured.recorded(NAME, path) == {}
    assert measured.evaluate(model, images[:2], f"zoo:{NAME}", progress=False, path=path)["coding"]["reused"] == 0


def test_unknown_names_and_old_formats_are_clear_errors(tmp_path, images):
    with pytest.raises(measured.ArtifactError, match="not released"):
        measured.record(["no-such-model"], images, path=tmp_path / "r.json", progress=False)
    (tmp_path / "old.json").write_text(json.dumps({"format": 0, "models": {}}))
    with pytest.raises(measured.ArtifactError, match="format"):
        measured.recorded(NAME, tmp_path / "old.json")


def test_image_digest_sees_values_and_shape():
    x = torch.zeros(3, 4, 6)
    assert measured.image_digest(x) == measured.image_digest(x.clone())
    assert measured.image_digest(x) != measured.image_digest(x.reshape(3, 6, 4))
    y = x.clone()
    y[0, 0, 0] = 1e-7
    assert measured.image_digest(x) != measured.image_digest(y)


@pytest.mark.parametrize("field, delta, reused", [("psnr", 0.002, True), ("psnr", 0.05, False), ("bytes", 1, False),
                                                  ("bytes", 1000, False)])
def test_an_integer_entropy_model_reuses_rows_within_the_quality_tolerance_only(tmp_path, images, monkeypatch, field,
                                                                                  delta, reused):
    from lic.codec.intprior import IntPrior

    model = load_pretrained(NAME)
    model.int_prior = IntPrior.from_model(model, torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(3)))
    rows = evaluate_codec(model, images, progress=False)["per_image"]
    path = tmp_path / "rec.json"
    # the record of a released "-int" variant (bound to the release's digest): recorded() checks it, so store it
    # under NAME + "-int" with the digest the zoo would give and point available() at a matching entry
    entry = {**measured.available()[NAME], "int_prior": {"file": "x.int.npz", "sha256": "0" * 64}}
    released = {**measured.available(), f"{NAME}-int": entry}
    monkeypatch.setattr(measured, "available", lambda: released)
    measured.store(f"{NAME}-int", measured.release_digest(entry), images, rows, path)
    rec = json.loads(path.read_text())
    rec["models"][f"{NAME}-int"]["images"][measured.image_digest(images[0][1])][field] += delta
    path.write_text(json.dumps(rec))
    got = measured.evaluate(model, images, f"zoo:{NAME}", progress=False, path=path)
    assert (got["coding"]["reused"] == 2) is reused, got["coding"]
    if reused:
        assert got["coding"]["match"].startswith("within PORTABLE_TOL")
