"""The integer entropy model: exact integer indexes, portable streams, refusal of what a decoder cannot reproduce."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from lic.codec import api
from lic.codec.intprior import IntPrior, PriorConfig, entropy_check
from lic.errors import ArtifactError, BitstreamError


@pytest.fixture(scope="module")
def int_model(tiny_model):
    m = copy.deepcopy(tiny_model)
    torch.manual_seed(1)
    m.int_prior = IntPrior.from_model(m, torch.rand(2, 3, 128, 128))
    return m


def _image(seed: int = 0, hw=(96, 80)) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(3, *hw, generator=g)


def test_index_layer_equals_compressai_build_indexes_of_the_real_scale(tiny_model):
    from lic.fixedpoint.layers import index_layer
    from lic.fixedpoint.transform import IntTransform
    from lic.fixedpoint.arith import FixedPointConfig

    gc = tiny_model.gaussian_conditional
    frac = 10
    t = IntTransform([index_layer("idx", gc.scale_table.numpy(), (16, False, frac))], FixedPointConfig(), "idx")
    x = np.random.default_rng(0).integers(0, 1 << 16, size=(1, 4, 64, 64))
    # every threshold and its neighbours: the comparisons at the table entries themselves
    edge = np.floor(gc.scale_table.double().numpy() * 2**frac).astype(np.int64)
    x[0, 0].flat[: 3 * edge.size] = np.concatenate([edge - 1, edge, edge + 1]).clip(0, (1 << 16) - 1)
    want = gc.build_indexes(torch.from_numpy(x).double() * 2.0**-frac)
    assert np.array_equal(t.run(x), want.numpy())


def test_integer_prior_round_trip_decodes_the_encoders_latents(int_model):
    x = _image()
    data = api.compress(x, int_model)
    with torch.no_grad():
        y_hat = torch.round(int_model.g_a(api.pad_to_multiple(x[None], api.PAD)[0]))
    out = api.decompress(data, int_model)
    with torch.no_grad():
        want = int_model.g_s(y_hat).clamp(0, 1)[0, :, :96, :80]
    assert torch.equal(out, want)  # the decoder found exactly the encoder's ŷ
    assert api.info(data)["entropy_check"] != "(none)"


def test_integer_prior_rate_close_to_the_float_entropy_model(tiny_model, int_model):
    x = _image(1, (128, 128))
    f, i = len(api.compress(x, tiny_model)), len(api.compress(x, int_model))
    assert abs(i / f - 1) < 0.05, (f, i)  # random weights: only a sanity bound; the released models are measured


def test_the_fingerprint_tells_integer_and_float_models_apart(tiny_model, int_model):
    from lic.codec.bitstream import model_fingerprint

    assert model_fingerprint(tiny_model) != model_fingerprint(int_model)
    data = api.compress(_image(), int_model)
    with pytest.raises(BitstreamError, match="another model"):
        api.decompress(data, tiny_model)


def test_save_load_same_digest_and_bytes(int_model, tmp_path):
    p = int_model.int_prior.save(tmp_path / "p.npz")
    back = IntPrior.load(p)
    assert back.digest() == int_model.int_prior.digest()
    m2 = copy.deepcopy(int_model)
    m2.int_prior = back
    assert api.compress(_image(), m2) == api.compress(_image(), int_model)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ArtifactError, match="not a readable integer prior"):
        IntPrior.load(tmp_path / "bad.npz")


def test_stream_identical_and_decoded_under_every_backend_setting(int_model):
    from lic.eval.portability import cross_decode, summarize

    df = cross_decode(copy.deepcopy(int_model), [("rand", _image(2, (64, 64)))], "int", jitter=0)
    s = summarize(df).iloc[0]
    assert (s.pairs, s.decoded, s.refused, s.wrong_images, s.streams_with_other_bytes) == (64, 64, 0, 0, 0)


def test_float_model_whose_indexes_are_not_reproduced_is_refused(tiny_model, monkeypatch):
    m = copy.deepcopy(tiny_model)
    data = api.compress(_image(3), m)
    real = type(m.gaussian_conditional).build_indexes

    def flipped(self, scales):  # another backend: one scale lands on the other side of a table entry
        idx = real(self, scales)
        idx.view(-1)[0] = (idx.view(-1)[0] + 1) % len(self.scale_table)
        return idx

    monkeypatch.setattr(type(m.gaussian_conditional), "build_indexes", flipped)
    with pytest.raises(BitstreamError, match="entropy parameters are not reproduced here"):
        api.decompress(data, m)


def test_cli_refuses_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, tiny_model):
    from lic.codec.models import save_checkpoint

    ckpt = save_checkpoint(tmp_path / "m.pt", tiny_model)
    img = tmp_path / "x.png"
    api.save_png(_image(4), img)
    assert api.main(["compress", str(img), str(tmp_path / "x.lic"), "--model", str(ckpt)]) == 0
    import lic.codec.intprior as ip

    monkeypatch.setattr(ip, "entropy_check", lambda i, s: 12345)
    capsys.readouterr()
    rc = api.main(["decompress", str(tmp_path / "x.lic"), str(tmp_path / "x.png.out"), "--model", str(ckpt)])
    err = capsys.readouterr().err
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "not reproduced here" in err
    assert not (tmp_path / "x.png.out").exists()


def test_compress_into_a_missing_folder_exits_1_and_creates_nothing(tmp_path, capsys, tiny_model):
    from lic.codec.models import save_checkpoint

    ckpt = save_checkpoint(tmp_path / "m.pt", tiny_model)
    img = tmp_path / "x.png"
    api.save_png(_image(5), img)
    rc = api.main(["compress", str(img), str(tmp_path / "no" / "such" / "x.lic"), "--model", str(ckpt)])
    err = capsys.readouterr().err
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "does not exist" in err
    assert not (tmp_path / "no").exists()


def test_entropy_check_covers_indexes_and_symbols():
    i, s = np.array([[1, 2, 3]]), np.array([[0, -1, 5]])
    assert entropy_check(i, s) == entropy_check(i.copy(), s.copy())
    assert entropy_check(i, s) != entropy_check(i + [[0, 0, 1]], s)
    assert entropy_check(i, s) != entropy_check(i, s + [[0, 1, 0]])


def test_prior_config_rejects_bad_widths():
    from lic.errors import ParameterError

    with pytest.raises(ParameterError):
        PriorConfig(act_bits=1)
    with pytest.raises(ParameterError):
        PriorConfig(z_bits=40)


def test_checkpoint_keeps_the_integer_prior(int_model, tmp_path):
    from lic.codec.models import load_checkpoint, save_checkpoint

    back = load_checkpoint(save_checkpoint(tmp_path / "m.pt", int_model))
    assert back.int_prior is not None and back.int_prior.digest() == int_model.int_prior.digest()
    assert api.compress(_image(), back) == api.compress(_image(), int_model)
