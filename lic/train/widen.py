r"""Function-preserving widening of the transform width N (Net2WiderNet's idea, the inverse of :mod:`.prune`).

Chen, Goodfellow and Shlens, "Net2Net: accelerating learning via knowledge transfer" (ICLR 2016): a wider
network that computes exactly what a trained narrower one computes, so training it starts where the narrow one
ended and the added channels only add capacity. Here an N-wide :class:`lic.codec.models.HyperpriorLIC` becomes
an N'-wide one (M unchanged):

* every conv/deconv with N outputs gets N' − N new output filters (the seeded default init of an N'-wide model),
  and the conv that reads them gets zero weights on the new input channels, so they change nothing downstream;
* a GDN/IGDN keeps its β and γ on the old channels with γ = 0 between old and new ones (an old channel's
  normalisation never reads a new one); the new channels get the default β and γ;
* the hyper-latent z (``h_a``'s last output, N channels) gets new channels that are 0 (zero filters and bias),
  each coded by a copy of the most concentrated old channel's factorized density moved to median 0, so they cost
  next to no bits before training starts to use them.

Forward pass, bitstream and reconstruction are those of the narrow model up to float rounding
(``tests/test_widen.py``). The widened model is an ordinary codec of width N': it trains, prunes, quantizes and
deploys like any other.
"""

from __future__ import annotations

import torch
from compressai.layers import GDN
from torch import nn

from lic.codec.models import CDF_BUFFERS, build_model, load_state_dict_into
from lic.errors import ParameterError
from lic.train.prune import _in_dim

__all__ = ["widen_to_width"]


def _put(dst: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
    """``dst`` with ``src`` written into its leading corner (every dimension from 0)."""
    out = dst.clone()
    out[tuple(slice(0, s) for s in src.shape)] = src.to(out.dtype)
    return out


def _widen_seq(old: nn.Sequential, new: nn.Sequential, state: dict, part: str, N: int) -> None:
    """Old weights into the leading corner of every tensor of ``part``; new input channels of a conv zeroed;
    GDN γ zero between old and new channels."""
    old_sd = old.state_dict()
    for k, v in new.state_dict().items():
        key = f"{part}.{k}"
        if k.endswith(("pedestal", "bound")):
            continue
        state[key] = _put(v, old_sd[k])
    for i, m in enumerate(new):
        p = f"{part}.{i}."
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            if m.weight.shape[_in_dim(m)] == old[i].weight.shape[_in_dim(m)]:  # reads the image or y: nothing new
                continue
            w = state[p + "weight"]
            idx = [slice(None)] * w.dim()
            idx[_in_dim(m)] = slice(N, None)
            w[tuple(idx)] = 0
        elif isinstance(m, GDN):
            g = m.gamma_reparam(state[p + "gamma"])  # effective γ
            g[:N, N:] = 0
            g[N:, :N] = 0
            state[p + "gamma"] = m.gamma_reparam.init(g).to(state[p + "gamma"].dtype)
        elif not isinstance(m, nn.ReLU):
            raise ParameterError(f"cannot widen {part}.{i} ({type(m).__name__}): only the standard GDN flavour")


def _widen_bottleneck(model: nn.Module, state: dict, N: int, N2: int) -> None:
    """The new z channels' factorized densities: the most concentrated old channel's (smallest quantile range),
    its input moved so that its median is 0."""
    eb = model.entropy_bottleneck
    q = eb.quantiles.detach()
    c = int(torch.argmin(q[:, 0, 2] - q[:, 0, 0]))
    med = float(q[c, 0, 1])
    for k in list(state):
        if not k.startswith("entropy_bottleneck."):
            continue
        name = k[len("entropy_bottleneck."):]
        if name in CDF_BUFFERS:
            del state[k]
        elif name == "quantiles":
            state[k] = torch.cat([q, (q[c:c + 1] - med).expand(N2 - N, -1, -1)])
        elif name.startswith(("matrices.", "biases.", "factors.")):
            old = getattr(eb, name.split(".")[0])[int(name.split(".")[1])].detach()
            row = old[c:c + 1].clone()
            if name == "biases.0":  # softplus(H0)·(v + med) + b0: the density of v is the old one's at v + med
                row += nn.functional.softplus(eb.matrices[0].detach()[c:c + 1]) * med
            state[k] = torch.cat([old, row.expand(N2 - N, *old.shape[1:])])


@torch.no_grad()
def widen_to_width(model: nn.Module, N: int, seed: int = 0) -> nn.Module:
    """A new, wider hyperprior codec of width ``N`` that computes what ``model`` computes (module docstring).

    Args:
        model: a float :class:`~lic.codec.models.HyperpriorLIC` with the standard GDN.
        N: the new width, wider than ``model.N``.
        seed: seeds the new channels' filters (the default init of an N-wide model).

    Returns:
        The widened model (eval mode, CDFs updated); ``model`` is untouched.

    Raises:
        ParameterError: ``N`` is not wider, or the model has a GDN flavour other than the standard one.
    """
    N0, M = int(model.N), int(model.M)
    if int(N) <= N0:
        raise ParameterError(f"width N={N} is not wider than the model's N={N0}")
    cfg = dict(getattr(model, "config", {"arch": "hyperprior"}))
    if cfg.get("gdn", "standard") != "standard":
        raise ParameterError(f"cannot widen a model with the {cfg['gdn']!r} GDN flavour, only the standard one")
    cfg.update(N=int(N), M=M)
    with torch.random.fork_rng(devices=[]):  # the caller's RNG stream is left as it was
        torch.manual_seed(seed)
        new = build_model(cfg.pop("arch", "hyperprior"), **cfg)
    state = {k: v.clone() for k, v in new.state_dict().items() if not k.startswith("entropy_bottleneck.")}
    for part in ("g_a", "g_s", "h_a", "h_s"):
        _widen_seq(getattr(model, part), getattr(new, part), state, part, N0)
    last_ha = max(i for i, m in enumerate(new.h_a) if isinstance(m, nn.Conv2d))
    state[f"h_a.{last_ha}.weight"][N0:] = 0  # z's new channels are 0
    state[f"h_a.{last_ha}.bias"][N0:] = 0
    state.update({f"entropy_bottleneck.{k}": v.clone() for k, v in model.entropy_bottleneck.state_dict().items()})
    _widen_bottleneck(model, state, N0, int(N))
    for k, v in new.state_dict().items():  # CDF buffers and constants: the new model's, update() fills the CDFs
        state.setdefault(k, v)
    return load_state_dict_into(new, state).eval()
