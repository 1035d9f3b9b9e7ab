"""lic.train.widen: a widened codec computes what the narrow one computes, bit for bit in its streams."""

import pytest
import torch

from lic.codec.models import build_model
from lic.errors import ParameterError
from lic.train.widen import widen_to_width


def _model(N: int, M: int) -> torch.nn.Module:
    torch.manual_seed(0)
    m = build_model(N=N, M=M)
    with torch.no_grad():  # scales above their lower bound (h_a matters) and z densities of different medians
        m.h_s[4].bias += 1.0
        m.entropy_bottleneck.quantiles[:, 0, :] += torch.linspace(-1.5, 1.5, N)[:, None]
    return m.eval()


@pytest.mark.parametrize("N, M, N2", [(8, 12, 12), (12, 8, 20)])
def test_widened_model_computes_the_same(N, M, N2):
    m = _model(N, M)
    w = widen_to_width(m, N2, seed=1)
    assert (int(w.N), int(w.M)) == (N2, M)
    x = torch.rand(1, 3, 64, 128)
    a, b = m(x), w(x)
    close = lambda u, v: torch.allclose(u, v, rtol=1e-5, atol=1e-6)  # noqa: E731 (float rounding: wider sums)
    assert close(a["x_hat"], b["x_hat"])
    assert close(a["likelihoods"]["y"], b["likelihoods"]["y"])
    assert close(a["likelihoods"]["z"], b["likelihoods"]["z"][:, :N])
    m.update(force=True)
    s1, s2 = m.compress(x), w.compress(x)
    assert s1["strings"][0] == s2["strings"][0]  # y: the same bytes
    d1 = m.decompress(s1["strings"], s1["shape"])["x_hat"]
    d2 = w.decompress(s2["strings"], s2["shape"])["x_hat"]
    assert close(d1, d2)


def test_new_z_channels_cost_what_the_most_concentrated_old_one_does_at_its_median():
    m = _model(8, 12)
    w = widen_to_width(m, 12)
    q = m.entropy_bottleneck.quantiles.detach()
    c = int(torch.argmin(q[:, 0, 2] - q[:, 0, 0]))
    p_old = m.entropy_bottleneck._likelihood(q[:, :, 1:2])[0]  # [C, 1, 1]: every old channel at its median
    p_new = w.entropy_bottleneck._likelihood(torch.cat([q[:, :, 1:2], torch.zeros(4, 1, 1)]))[0]
    assert torch.equal(p_new[:8], p_old)
    assert torch.allclose(p_new[8:].flatten(), p_old[c].flatten().expand(4), rtol=1e-5)
    assert torch.all(w.h_a[4].weight[8:] == 0) and torch.all(w.h_a[4].bias[8:] == 0)


def test_widen_refuses_a_narrower_width_and_other_gdn_flavours():
    with pytest.raises(ParameterError, match="not wider"):
        widen_to_width(_model(8, 12), 8)
    with pytest.raises(ParameterError, match="GDN flavour"):
        widen_to_width(build_model(N=8, M=12, gdn="simplified"), 12)
