"""Bit-level reference of the accelerator: primitives, GDN vs float, saturation, file I/O."""

import math

import numpy as np
import pytest
import torch
from compressai.layers import GDN, GDN1
from torch import nn

from lic.codec.models import build_model
from lic.errors import ParameterError
from lic.hw import fixedpoint as fp

torch.set_num_threads(1)


def to_simplified(model):
    """Swap CompressAI GDN for GDN1 (same beta/gamma): the hardware's simplified flavour."""
    for seq in (model.g_a, model.g_s):
        for k, m in enumerate(seq):
            if type(m) is GDN:
                n = GDN1(m.beta.numel(), inverse=m.inverse)
                n.load_state_dict(m.state_dict())
                seq[k] = n
    return model


def trained_like_gdn(cls, c, inverse, seed):
    """A GDN with positive, non-diagonal beta/gamma like a trained one."""
    g = torch.Generator().manual_seed(seed)
    m = cls(c, inverse=inverse)
    with torch.no_grad():
        m.beta.copy_(m.beta_reparam.init(0.5 + 1.5 * torch.rand(c, generator=g)))
        m.gamma.copy_(m.gamma_reparam.init(0.2 * torch.rand(c, c, generator=g)))
    return m


def test_rshift_round_half_up():
    v = np.array([5, 6, 7, -5, -6, -7, 0, 12])
    assert fp.rshift_round(v, 1).tolist() == [3, 3, 4, -2, -3, -3, 0, 6]  # ties towards +inf
    assert fp.rshift_round(v, 0).tolist() == v.tolist()
    assert fp.rshift_round(v, -2).tolist() == (v * 4).tolist()
    assert fp.rshift_round(np.array([10, 10]), np.array([2, -1])).tolist() == [3, 20]


def test_restoring_divider_and_isqrt():
    rng = np.random.default_rng(0)
    num = rng.integers(0, 1 << 40, 2000)
    den = rng.integers(1, 1 << 34, 2000)
    q, ovf = fp.restoring_divide(num, den, 9)
    exact = num // den
    assert np.array_equal(ovf, exact >= 512)
    assert np.array_equal(q, np.minimum(exact, 511))
    v = rng.integers(0, 1 << 56, 2000)
    assert fp.isqrt(v, 56).tolist() == [math.isqrt(int(a)) for a in v]


def test_divider_and_root_equal_their_hardware_iterations():
    """The closed forms the spec computes by (floor division, corrected float root) equal the iterations the RTL
    runs, bit for bit, on random words, exact squares and their neighbours, and the saturating corner."""
    from lic.fixedpoint.arith import _isqrt_digits, _restoring_divide_steps

    rng = np.random.default_rng(5)
    num = np.concatenate([rng.integers(0, 1 << 46, 5000), [0, 1, (1 << 46) - 1]])
    den = np.concatenate([rng.integers(1, 1 << 30, 5000), [1, 1, 1]])
    for k in (1, 9, 24):
        fast, slow = fp.restoring_divide(num, den, k), _restoring_divide_steps(num, den, k)
        assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])
    r = rng.integers(0, 1 << 31, 3000)
    v = np.concatenate([rng.integers(0, 1 << 62, 5000), r * r, r * r - 1, r * r + 1, [0, 1, (1 << 62) - 1]])
    v = v[(v >= 0) & (v < 1 << 62)]
    assert np.array_equal(fp.isqrt(v, 62), _isqrt_digits(v, 62))
    with pytest.raises(ParameterError):
        fp.isqrt(np.array([1 << 56]), 56)


@pytest.mark.parametrize("cls", [GDN1, GDN])
@pytest.mark.parametrize("inverse", [False, True])
def test_gdn_matches_float_formula(cls, inverse):
    """Within 0.5 LSB + 0.02: the final rounding is the only coarse step; gamma/beta keep
    >= 20 fractional bits, the divider is exact and isqrt has 4 extra bits, together far
    below 0.02 output LSB."""
    c = 8
    torch.manual_seed(1)
    if inverse:  # synthesis stack: latents in, deconvs around an IGDN
        seq = nn.Sequential(nn.ConvTranspose2d(c, c, 5, 2, 2, 1), trained_like_gdn(cls, c, True, 2),
                            nn.ConvTranspose2d(c, c, 5, 2, 2, 1))
        t = fp.quantize_transform(seq, torch.randn(2, c, 8, 8) * 20, role="synthesis")
    else:  # analysis stack on c-channel "images" in [0, 1]
        seq = nn.Sequential(nn.Conv2d(c, c, 5, 2, 2), trained_like_gdn(cls, c, False, 2),
                            nn.Conv2d(c, c, 5, 2, 2))
        t = fp.quantize_transform(seq, torch.rand(2, c, 16, 16), role="analysis")
    layer = t.layers[1]
    a = layer.attrs
    rng = np.random.default_rng(3)
    x = rng.integers(-(1 << 13), 1 << 13, size=(c, 6, 7))
    y = t.run_layer(1, x)
    with torch.no_grad():
        xf = torch.from_numpy(fp.dequantize(x, a["in_frac"])).float()[None]
        yf = seq[1].double()(xf.double())[0].numpy() * 2.0 ** a["out_frac"]
    lo, hi = layer.out_range
    ok = (yf > lo) & (yf < hi)
    assert ok.mean() > 0.5
    err = np.abs(y - yf)[ok]
    assert err.max() <= 0.52, err.max()
    assert np.array_equal(y[~ok], np.clip(np.round(yf[~ok]), lo, hi))


def test_conv_requantisation_matches_float():
    torch.manual_seed(0)
    m = build_model(N=8, M=12).eval()
    x = torch.rand(1, 3, 32, 32)
    ga = fp.quantize_transform(m.g_a, x)
    pix = fp.image_to_int(x[0])
    layer = ga.layers[0]
    y = ga.run_layer(0, pix)
    # float conv of the dequantised operands, rescaled to the output format
    w = fp.dequantize(layer.params["weight"], layer.params["w_frac"])
    b = fp.dequantize(layer.params["bias"], layer.params["w_frac"] + layer.attrs["in_frac"]).reshape(-1)
    xf = torch.from_numpy(fp.dequantize(pix, layer.attrs["in_frac"]))[None]
    yf = torch.nn.functional.conv2d(xf, torch.from_numpy(w),
                                    torch.from_numpy(b), stride=2, padding=2)[0].numpy()
    yf = yf * 2.0 ** layer.attrs["out_frac"]
    assert np.abs(y - yf).max() <= 0.5 + 1e-9
    # and the whole analysis tracks the float g_a (random init: latents round to ~0)
    with torch.no_grad():
        y_float = torch.round(m.g_a(torch.from_numpy(pix / 255.0).float()[None]))[0].numpy()
    assert np.abs(ga.run(pix) - y_float).max() <= 1


def test_intermediate_activations_track_float():
    torch.manual_seed(0)
    m = to_simplified(build_model(N=8, M=12)).eval()
    x = torch.rand(1, 3, 32, 32)
    ga = fp.quantize_transform(m.g_a, x)
    a = fp.image_to_int(x[0])
    xf = torch.from_numpy(a / 255.0).float()[None]
    for k, layer in enumerate(ga.layers[:-1]):
        a = ga.run_layer(k, a)
        with torch.no_grad():
            xf = m.g_a[k](xf)
        deq = fp.dequantize(a, layer.attrs["out_frac"])
        rel = np.abs(deq - xf[0].numpy()).max() / float(xf.abs().max())
        assert rel < 0.05, (layer.name, rel)


def test_saturation_is_counted_not_wrapped():
    torch.manual_seed(0)
    m = build_model(N=8, M=12).eval()
    x = torch.rand(1, 3, 32, 32)
    ga = fp.quantize_transform(m.g_a, x, fp.FixedPointConfig(acc_bits=12))
    pix = np.full((3, 32, 32), 255)
    y = ga.run_layer(0, pix)
    assert ga.saturations["g_a.0"] > 0
    lo, hi = ga.layers[0].out_range
    assert y.min() >= lo and y.max() <= hi
    strict = fp.quantize_transform(m.g_a, x, fp.FixedPointConfig(acc_bits=12, saturate=False))
    with pytest.raises(fp.FixedPointOverflow):
        strict.run_layer(0, pix)
    with pytest.raises(ParameterError):
        ga.run_layer(0, pix + 1)  # 256 does not fit the 8-bit pixel input


def test_save_load_round_trip(tmp_path):
    torch.manual_seed(0)
    m = build_model(N=8, M=12).eval()
    x = torch.rand(2, 3, 32, 32)
    ga, gs = fp.quantize_codec(m, x)
    for t in (ga, gs):
        path = tmp_path / f"{t.name}.npz"
        t.save(path)
        u = fp.IntTransform.load(path)
        assert u.name == t.name and u.cfg == t.cfg and len(u) == len(t)
        for a, b in zip(t.layers, u.layers):
            assert (a.kind, a.name, a.attrs) == (b.kind, b.name, b.attrs)
            assert a.params.keys() == b.params.keys()
            for k in a.params:
                assert np.array_equal(a.params[k], b.params[k])
    pix = fp.image_to_int(x[0])
    assert np.array_equal(fp.IntTransform.load(tmp_path / "g_a.npz").run(pix), ga.run(pix))
    bad = tmp_path / "bad.npz"
    np.savez(bad, __meta__=np.frombuffer(b'{"format": "x", "version": 1}', dtype=np.uint8))
    with pytest.raises(ParameterError):
        fp.IntTransform.load(bad)


def test_evaluate_int_codec_compares_integer_latents_with_float():
    torch.manual_seed(0)
    m = to_simplified(build_model(N=8, M=12)).eval()
    x = torch.rand(1, 3, 64, 64)
    ga, gs = fp.quantize_codec(m, x)
    r = fp.evaluate_int_codec(m, x, ga, gs)
    for k in ("psnr_float", "psnr_int", "bpp_float", "bpp_int", "psnr_delta", "bpp_delta", "psnr_int_gs"):
        assert math.isfinite(r[k])
    assert r["psnr_delta"] == r["psnr_int"] - r["psnr_float"] and r["bpp_delta"] == r["bpp_int"] - r["bpp_float"]
    assert r["latent_mismatch_frac"] <= 0.05
    pix = fp.image_to_int(x)
    with torch.no_grad():
        y_float = torch.round(m.g_a(torch.from_numpy(pix.astype(np.float32) / 255.0))).numpy()
    y_int = ga.run(pix)
    assert r["latent_mismatch_frac"] == pytest.approx(np.mean(y_int != y_float))
    assert r["latent_max_abs_diff"] == np.abs(y_int - y_float).max()
    mse = np.mean((gs.run(y_int).astype(np.float64) - pix) ** 2)  # g_s in integers: uint8 pixels out
    assert r["psnr_int_gs"] == pytest.approx(10 * math.log10(255.0**2 / mse))
    # the float latents given as "integer" ones: the same codec, nothing differs
    same = fp.evaluate_int_codec(m, x, ga, y_int=y_float.astype(np.int64))
    assert same["psnr_int"] == same["psnr_float"] and same["bpp_int"] == same["bpp_float"]
    assert same["latent_mismatch_frac"] == 0 and same["latent_max_abs_diff"] == 0 and "psnr_int_gs" not in same
    off = y_float.astype(np.int64)
    off[0, 0, 0, 0] += 3  # one latent off by 3
    one = fp.evaluate_int_codec(m, x, ga, y_int=off)
    assert one["latent_mismatch_frac"] == pytest.approx(1 / off.size) and one["latent_max_abs_diff"] == 3
    assert one["bpp_float"] == same["bpp_float"] and one["bpp_int"] != same["bpp_int"]
