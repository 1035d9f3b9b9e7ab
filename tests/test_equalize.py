"""Cross-layer equalization through the GDNs (lic.quant.equalize): same float function, evened ranges."""

import pytest
import torch

from lic.codec.gdn import effective_params, replace_gdn
from lic.codec.models import build_model
from lic.data.images import CropSampler
from lic.quant.equalize import channel_ranges, equalize_gdn, gdn_conv_pairs
from lic.quant.hybrid import CALIB_BATCH, SCHEMES, quantize_calibrated


def _model(gdn: str):
    torch.manual_seed(0)
    m = build_model(N=8, M=12).eval()
    with torch.no_grad():  # channels of very different ranges, as trained GDNs have
        for _, g, _ in gdn_conv_pairs(m):
            g.beta.copy_(g.beta_reparam.init(torch.linspace(0.05, 4.0, g.beta.numel())))
    return replace_gdn(m, gdn) if gdn != "standard" else m


@pytest.mark.parametrize("gdn", ["standard", "simplified"])
def test_equalize_keeps_the_float_function_and_evens_the_ranges(gdn):
    m = _model(gdn)
    sampler = CropSampler(None, crop=64, seed=0, max_images=3)
    calib = [sampler.batch(k, 2) for k in range(2)]
    eq = equalize_gdn(m, calib, alpha=0.5)
    x = sampler.batch(9, 2)
    with torch.no_grad():
        a, b = m.g_s(m.g_a(x)), eq.g_s(eq.g_a(x))
        y_a, y_b = m.g_a(x), eq.g_a(x)
    assert torch.allclose(y_a, y_b, atol=1e-4, rtol=1e-4) and torch.allclose(a, b, atol=1e-4, rtol=1e-4)
    pairs, eq_pairs = gdn_conv_pairs(m), gdn_conv_pairs(eq)
    assert [n for n, *_ in pairs] == ["g_a.1", "g_a.3", "g_a.5", "g_s.1", "g_s.3", "g_s.5"]
    before, after = channel_ranges(m, pairs, calib), channel_ranges(eq, eq_pairs, calib)
    spread = lambda r: float(r.max() / r.min())  # noqa: E731
    for name in before:  # alpha 0.5: the max/min range ratio becomes about its square root
        assert spread(after[name]) < spread(before[name]) ** 0.5 * 1.05 or spread(before[name]) < 1.01
    assert any(spread(before[n]) > 2 for n in before)  # the test has something to even out
    for (_, g0, c0), (_, g1, c1) in zip(pairs, eq_pairs):
        assert not torch.equal(c0.weight, c1.weight)
        assert (effective_params(g1)[0] > 0).all()


def test_alpha_zero_is_the_identity_and_the_input_is_untouched():
    m = _model("standard")
    calib = [CropSampler(None, crop=64, seed=0, max_images=3).batch(0, 2)]
    state = {k: v.clone() for k, v in m.state_dict().items()}
    eq = equalize_gdn(m, calib, alpha=0.0)
    assert all(torch.equal(state[k], v) for k, v in m.state_dict().items())
    assert all(torch.allclose(state[k], v) for k, v in eq.state_dict().items())


def test_hybrid_scheme_equalizes_before_calibrating():
    m = _model("standard")
    sampler = CropSampler(None, crop=64, seed=0, max_images=3)
    assert SCHEMES["hybrid"].equalize > 0
    q = quantize_calibrated(m, "hybrid", sampler, batches=1, batch_size=2)
    assert q.quant_scheme["equalize"] == SCHEMES["hybrid"].equalize
    w_eq = equalize_gdn(m, [sampler.batch(CALIB_BATCH, 2)], alpha=SCHEMES["hybrid"].equalize).g_a[2].weight
    assert torch.allclose(q.g_a[2].weight, w_eq)  # the float weights the quantizer sees are the equalized ones
    plain = quantize_calibrated(m, "int8", sampler, batches=1, batch_size=2)
    assert torch.equal(plain.g_a[2].weight, m.g_a[2].weight)
