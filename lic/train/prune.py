r"""Structured channel pruning of the transform width N (L1 norm of output filters).

Every layer whose output has N channels is pruned to ``N' = round(N (1 - ratio))`` channels,
keeping the filters with the largest L1 norm :math:`\|W_o\|_1 = \sum_{i,k_y,k_x} |W_{o,i,k_y,k_x}|`
(Li et al., "Pruning filters for efficient ConvNets", ICLR 2017). The same channel indices
are removed wherever that tensor is consumed, so shapes stay consistent:

* conv/deconv output: weight rows (``Conv2d [O,I,k,k]`` dim 0, ``ConvTranspose2d [I,O,k,k]``
  dim 1) and bias;
* the GDN/IGDN that follows: ``beta[keep]`` and ``gamma[keep][:, keep]`` (rows and columns);
* the next conv's input: ``Conv2d`` dim 1, ``ConvTranspose2d`` dim 0;
* ``h_a``'s last output (the hyper-latent z, N channels) also slices the entropy bottleneck's
  per-channel parameters (``quantiles``, ``matrices``, ``biases``, ``factors``).

The result is an ordinary, smaller :class:`lic.codec.models.HyperpriorLIC` with ``N = N'`` (M is
unchanged), ready for fine-tuning with :func:`lic.train.loop.train`.
"""

from __future__ import annotations

import torch
from compressai.layers import GDN
from torch import nn

from lic.codec.models import CDF_BUFFERS
from lic.errors import ParameterError

__all__ = ["filter_l1", "pruned_width", "prune_channels", "prune_to_width"]


def filter_l1(m: nn.Module) -> torch.Tensor:
    """L1 norm of every output filter of a Conv2d / ConvTranspose2d (``[out_channels]``)."""
    w = m.weight.detach().abs()
    dim = (0, 2, 3) if isinstance(m, nn.ConvTranspose2d) else (1, 2, 3)
    return w.sum(dim=dim)


def pruned_width(N: int, ratio: float) -> int:
    """Channels left after pruning ``ratio`` of ``N`` (at least 1)."""
    if not 0 <= ratio < 1:
        raise ParameterError(f"prune ratio must be in [0, 1), got {ratio}")
    return max(1, int(round(N * (1 - ratio))))


def _out_dim(m: nn.Module) -> int:
    return 1 if isinstance(m, nn.ConvTranspose2d) else 0


def _in_dim(m: nn.Module) -> int:
    return 0 if isinstance(m, nn.ConvTranspose2d) else 1


def _keep_sets(seq: nn.Sequential, N: int, n_keep: int) -> dict[int, torch.Tensor]:
    """Index of each conv with N outputs followed by another conv -> kept channels (sorted)."""
    convs = [i for i, m in enumerate(seq) if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    out = {}
    for i in convs[:-1]:
        m = seq[i]
        if m.out_channels != N:
            continue
        out[i] = torch.sort(torch.topk(filter_l1(m), n_keep).indices).values
    return out


def _slice_entropy_bottleneck(state: dict, prefix: str, keep: torch.Tensor) -> None:
    for k in list(state):
        if not k.startswith(prefix):
            continue
        name = k[len(prefix):]
        if name == "quantiles" or name.startswith(("matrices.", "biases.", "factors.", "_matrix", "_bias", "_factor")):
            state[k] = state[k][keep].clone()
        elif name in CDF_BUFFERS:
            del state[k]  # rebuilt by update()


@torch.no_grad()
def prune_channels(model: nn.Module, ratio: float = 0.3) -> nn.Module:
    """A new, narrower hyperprior codec with ``ratio`` of the N channels removed (L1 criterion).

    Args:
        model: a float :class:`~lic.codec.models.HyperpriorLIC` (any GDN flavour).
        ratio: fraction of the N channels to remove in every N-wide layer.

    Returns:
        The pruned model (eval mode, CDFs updated); ``model`` is untouched.
    """
    from lic.codec.models import build_model, load_state_dict_into

    N, M = int(model.N), int(model.M)
    n_keep = pruned_width(N, ratio)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    for part in ("g_a", "g_s", "h_a", "h_s"):
        seq = getattr(model, part)
        for i, keep in _keep_sets(seq, N, n_keep).items():
            m = seq[i]
            p = f"{part}.{i}."
            state[p + "weight"] = state[p + "weight"].index_select(_out_dim(m), keep)
            if m.bias is not None:
                state[p + "bias"] = state[p + "bias"][keep]
            j = i + 1
            while not isinstance(seq[j], (nn.Conv2d, nn.ConvTranspose2d)):
                if isinstance(seq[j], GDN):  # beta entries and gamma rows + columns
                    q = f"{part}.{j}."
                    state[q + "beta"] = state[q + "beta"][keep]
                    state[q + "gamma"] = state[q + "gamma"][keep][:, keep]
                j += 1
            q = f"{part}.{j}.weight"
            state[q] = state[q].index_select(_in_dim(seq[j]), keep)
    # z = h_a(|y|) has N channels: prune them too (h_a's last conv, h_s's first, the bottleneck)
    last_ha = max(i for i, m in enumerate(model.h_a) if isinstance(m, nn.Conv2d))
    keep_z = torch.sort(torch.topk(filter_l1(model.h_a[last_ha]), n_keep).indices).values
    state[f"h_a.{last_ha}.weight"] = state[f"h_a.{last_ha}.weight"][keep_z]
    state[f"h_a.{last_ha}.bias"] = state[f"h_a.{last_ha}.bias"][keep_z]
    state["h_s.0.weight"] = state["h_s.0.weight"][keep_z]  # ConvTranspose2d: input is dim 0
    _slice_entropy_bottleneck(state, "entropy_bottleneck.", keep_z)
    cfg = dict(getattr(model, "config", {"arch": "hyperprior"}))
    cfg.update(N=n_keep, M=M)
    new = build_model(cfg.pop("arch", "hyperprior"), **cfg)
    missing = set(new.state_dict()) - set(state)
    for k in missing:  # CDF buffers: take the new model's empty ones, update() fills them
        state[k] = new.state_dict()[k]
    return load_state_dict_into(new, state).eval()


def prune_to_width(model: nn.Module, N: int) -> nn.Module:
    """:func:`prune_channels` down to exactly ``N`` channels (weight inheritance: a narrow student that
    starts from a wide teacher's strongest filters).

    Raises:
        ParameterError: ``N`` is not narrower than the model's width.
    """
    if not 1 <= N < int(model.N):
        raise ParameterError(f"width N={N} is not narrower than the model's N={int(model.N)}")
    return prune_channels(model, 1 - N / int(model.N))
