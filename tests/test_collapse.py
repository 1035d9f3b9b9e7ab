"""Issue #32, the two collapses of stage 03: the simplified GDN fitted to the standard one instead of swapped with its
parameters copied, the pruned row's own integer prior, and the step-by-step diagnosis with its sentence."""

import copy
from types import SimpleNamespace as NS

import matplotlib
import pytest
import torch
from compressai.layers import GDN1

from lic.codec.gdn import gdn_modules, replace_gdn
from lic.codec.models import build_model
from lic.data.images import CropSampler
from lic.quant.gdnfit import to_simplified
from lic.study.stages import quant, quantdiag

matplotlib.use("Agg")


@pytest.fixture
def trained_like():
    """A tiny codec whose GDNs look trained (cross-channel γ, β away from 1): there copying β, γ into the simplified
    formula is another function."""
    torch.manual_seed(0)
    m = build_model(N=8, M=12).eval()
    with torch.no_grad():
        for _, g in gdn_modules(m):
            C = g.beta.numel()
            g.beta.copy_(g.beta_reparam.init(0.05 + torch.rand(C)))
            g.gamma.copy_(g.gamma_reparam.init((2.0 * torch.rand(C, C) + 3 * torch.eye(C)).reshape(g.gamma.shape)))
    m.update(force=True)
    return m


@pytest.fixture
def sampler():
    return CropSampler(None, crop=64, seed=0)


def test_the_fitted_simplified_gdn_keeps_the_function_the_copy_breaks(trained_like, sampler):
    x = sampler.batch(5, 2)
    calib = [sampler.batch(10**6 + k, 2) for k in range(2)]
    fitted = to_simplified(trained_like, calib)
    copied = replace_gdn(copy.deepcopy(trained_like), "simplified")
    assert all(isinstance(g, GDN1) for _, g in gdn_modules(fitted))
    assert not any(isinstance(g, GDN1) for _, g in gdn_modules(trained_like))  # the input is untouched
    with torch.no_grad():
        ref = trained_like.g_a(x)
        err = lambda m: float(((m.g_a(x) - ref) ** 2).mean() / (ref ** 2).mean())  # noqa: E731
        assert err(fitted) < 0.25 * err(copied), (err(fitted), err(copied))
        for _, g in gdn_modules(fitted):
            assert (g.gamma_reparam(g.gamma) >= 0).all() and (g.beta_reparam(g.beta) > 0).all()


def test_the_pruned_row_gets_its_own_integer_prior(tiny_model, sampler, tmp_path):
    from lic.codec.intprior import set_entropy

    base = set_entropy(copy.deepcopy(tiny_model), "integer", sampler.batch(0, 2))
    p = {"seed": 0, "qat_steps": 0, "simplified_steps": 0, "prune_steps": 0, "prune_ratio": 0.5, "lr": 1e-5,
         "calib_batches": 1, "calib_batch_size": 2, "batch_size": 2, "crop": 64, "train_dir": None}
    q = quant._build("pruned", base, p, 0.0067, sampler, NS(dir=tmp_path), progress=False)
    assert int(q.N) == 4 and q.int_prior is not None and q.int_prior is not base.int_prior
    assert q.int_prior.h_a.layers[-1].params["weight"].shape[0] == 4  # z at the pruned width
    plain = quant._build("pruned", copy.deepcopy(tiny_model), p, 0.0067, sampler, NS(dir=tmp_path), progress=False)
    assert getattr(plain, "int_prior", None) is None  # a float-entropy input stays float


def test_the_diagnosis_takes_each_step_apart_and_says_why(trained_like, sampler):
    p = {"prune_ratio": 0.5, "calib_batches": 1, "calib_batch_size": 2, "qat_steps": 1, "simplified_steps": 1,
         "prune_steps": 1, "lr": 1e-5}
    ims = [("a", sampler.batch(7, 1)[0]), ("b", sampler.batch(8, 1)[0])]
    d = {**quantdiag.diagnose(trained_like, {"float": trained_like}, p, sampler, ims), "lmbda": 0.0067}
    whats = [r["what"] for r in d["rows"]]
    assert whats[0] == "the input float model" and any(w.startswith("GDN formula swapped") for w in whats)
    assert any("fitted to the standard one" in w for w in whats) and any("by L1, no fine-tuning" in w for w in whats)
    assert any(w.startswith("50% pruned data-driven + compensated") for w in whats)
    assert sum(w.startswith("only g_") for w in whats) == 6  # every N-wide layer of g_a and g_s pruned alone
    assert d["crops"] == "2 Kodak centre crops of 64x64" and all(r["psnr"] > 0 and r["bpp"] > 0 for r in d["rows"])
    text = quantdiag.explain(d)
    assert "the collapse was that swap, not quantization" in text and "before fine-tuning" in text
    fig = quantdiag.figure({"collapse": d}, "cap")
    assert len(fig.axes[0].patches) == len(d["rows"])
