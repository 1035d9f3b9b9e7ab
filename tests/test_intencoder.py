"""The integer encoder (integer g_a + integer prior, lic.codec.intprior.set_int_ga): the CPU codec's file of the
FPGA encoder. Bytes fixed by the integer spec: the same under every thread count and memory layout; ŷ within one
step of the float g_a's; refused where its parts do not fit."""

import copy

import numpy as np
import pytest
import torch

from lic.codec import api, zoo
from lic.codec.intprior import LATENT_BITS, set_entropy, set_int_ga
from lic.errors import ArtifactError, ParameterError
from lic.fixedpoint.arith import image_to_int, rshift_round
from lic.hw import encoder as ref_enc
from lic.hw import rtl


@pytest.fixture(scope="module")
def codec():
    return rtl.demo_encoder(N=8, M=12, seed=3, hw=(64, 128), codec=True)


def test_with_output_frac_keeps_the_rounding(codec):
    """The refined g_a's latents, rounded, are the rounded g_a's up to the rare double-rounding tie."""
    model, ga, prior, pix = codec
    f = prior.y_frac
    assert f > 0 and ga.layers[-1].attrs["out_frac"] == f
    coarse = copy.deepcopy(ga)
    last = coarse.layers[-1]
    last.attrs.update(out_frac=0, out_bits=last.attrs["out_bits"] - f)
    last.params["out_shift"] = last.params["out_shift"] + f
    y, y0 = ga.run(pix), coarse.run(pix)
    assert np.mean(rshift_round(y, f) != y0) < 1e-3 and np.abs(rshift_round(y, f) - y0).max() <= 1
    assert ga.with_output_frac(0).layers[-1].attrs == ga.layers[-1].attrs
    with pytest.raises(ParameterError):
        ga.with_output_frac(17)


def test_latents_round_and_clamp(codec):
    _, _, prior, _ = codec
    f = prior.y_frac
    y = np.array([3 << (f - 1), -(3 << (f - 1)), 1 << 40, -(1 << 40), 5])
    y_hat, y_abs = prior.latents(y)
    lim = 1 << (LATENT_BITS - 1)
    assert y_hat.tolist() == [2, -1, lim - 1, -lim, 0]  # round half up, saturate to 16 bits
    assert y_abs.tolist() == [3 << (f - 1), 3 << (f - 1), 65535, 65535, 5]


def test_integer_encoder_roundtrip_and_portability(codec):
    """compress → decompress through the container; the bytes are equal under 1 and 2 threads and channels_last
    input; the decoded image is g_s of the encoder's ŷ; ŷ is the float g_a's within one step almost everywhere."""
    model, ga, prior, pix = codec
    x = torch.from_numpy(pix / 255.0).float()
    old = torch.get_num_threads()
    try:
        files = []
        for threads, cl in ((1, False), (2, False), (2, True)):
            torch.set_num_threads(threads)
            xi = x.unsqueeze(0).contiguous(memory_format=torch.channels_last)[0] if cl else x
            files.append(api.compress(xi, model))
    finally:
        torch.set_num_threads(old)
    assert files[0] == files[1] == files[2]
    x_hat = api.decompress(files[0], model)
    y_hat, _ = model.integer_latents(x[None])
    assert torch.allclose(x_hat, model.g_s(torch.from_numpy(y_hat).float()).clamp(0, 1)[0], atol=1e-6)
    with torch.no_grad():
        y_float = torch.round(model.g_a(x[None])).numpy()
    assert np.mean(np.abs(y_float - y_hat) <= 1) > 0.99
    assert image_to_int(x).max() <= 255 and np.array_equal(image_to_int(x), pix)


def test_stream_from_encoder_outputs_is_the_codecs_file(codec):
    """lic.hw.encoder.stream of the reference's outputs = api.compress (what the RTL test checks for the RTL's)."""
    model, ga, prior, pix = codec
    r = ref_enc.reference(ga, prior, pix)
    x = torch.from_numpy(pix / 255.0).float()
    assert ref_enc.stream(model, r, pix.shape[-2:]) == api.compress(x, model)
    bad = dict(r, q=r["q"][:-1])
    with pytest.raises(ParameterError):
        ref_enc.stream(model, bad, pix.shape[-2:])


def test_set_int_ga_refuses_what_does_not_fit(codec):
    model, ga, prior, _ = codec
    m = copy.deepcopy(model)
    with pytest.raises(ParameterError, match="y_frac"):
        set_int_ga(m, ga.with_output_frac(1))
    m.int_prior = None
    with pytest.raises(ParameterError, match="integer prior"):
        set_int_ga(m, ga)
    m = copy.deepcopy(model)
    set_entropy(m, "float")
    assert m.int_ga is None and m.int_prior is None


def test_release_digest_binds_the_integer_ga():
    e = {"sha256": "a", "int_prior": {"sha256": "b"}, "int_ga": {"sha256": "c"}}
    assert zoo.release_digest(e) == "a+b+c" and zoo.release_digest({"sha256": "a"}) == "a"


def test_released_fpga_variant_loads_and_checks_its_file(tmp_path, monkeypatch):
    """A released -fpga variant has its integer g_a; a corrupt g_a file is refused with one clear error."""
    name = "student-kd-pruned-n64-m192-l0.0067-fpga"
    if name not in zoo.available():
        pytest.skip(f"{name} not released in this checkout")
    m = zoo.load_pretrained(name)
    assert m.int_ga is not None and m.int_ga.layers[-1].attrs["out_frac"] == m.int_prior.y_frac
    entry = zoo.available()[name]
    for f in ("file", "int_prior", "int_ga"):
        src = zoo.WEIGHTS_DIR / (entry[f] if f == "file" else entry[f]["file"])
        (tmp_path / src.name).write_bytes(src.read_bytes())
    (tmp_path / "manifest.json").write_text((zoo.WEIGHTS_DIR / "manifest.json").read_text())
    ga_file = tmp_path / entry["int_ga"]["file"]
    ga_file.write_bytes(ga_file.read_bytes()[:-7] + b"garbage")
    monkeypatch.setattr(zoo, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(ArtifactError):
        zoo.load_pretrained(name)
    with pytest.raises(ArtifactError):
        zoo.load_pretrained(name, verify=False)
