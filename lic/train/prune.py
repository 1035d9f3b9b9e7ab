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

**Data-driven** (``calib`` images given): a channel's importance is its contribution to the next conv,
``E|a_c| · ||W_next[:, c]||_1`` with ``a`` the activation the next conv reads (after the GDN / ReLU), measured on
``calib``; and what the removed channels contributed on average is folded into what stays: a GDN's denominator
keeps ``Σ_removed γ_ij E[x_j²]`` in its β, the next conv's bias takes ``Σ_removed W_j E[a_j]`` (a stride-s deconv:
``/ s²``, its average tap count). The L1 criterion prunes the released teacher (λ 0.025) to N=96 at 11.1 dB on
Kodak (4 images, forward pass); this one at 26.7 dB (``benchmarks/results/prune_init.json``).
"""

from __future__ import annotations

import torch
from compressai.layers import GDN
from torch import nn

from lic.codec.models import CDF_BUFFERS
from lic.errors import ParameterError

__all__ = ["filter_l1", "pruned_width", "activation_stats", "layer_keep_sets", "prune_channels", "prune_to_width"]


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


def _convs(seq: nn.Sequential) -> list[int]:
    return [i for i, m in enumerate(seq) if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]


def _keep_sets(seq: nn.Sequential, N: int, n_keep: int, stats: dict | None = None) -> dict[int, torch.Tensor]:
    """Index of each conv with N outputs followed by another conv -> kept channels (sorted): by filter L1, or with
    ``stats`` (:func:`activation_stats` of ``seq``) by the contribution to the next conv."""
    convs = _convs(seq)
    out = {}
    for a, i in enumerate(convs[:-1]):
        m = seq[i]
        if m.out_channels != N:
            continue
        score = filter_l1(m)
        if stats is not None:
            nxt = seq[convs[a + 1]]
            score = stats[convs[a + 1]]["abs"] * nxt.weight.detach().abs().sum(
                dim=(1, 2, 3) if isinstance(nxt, nn.ConvTranspose2d) else (0, 2, 3))
        out[i] = torch.sort(torch.topk(score, n_keep).indices).values
    return out


@torch.no_grad()
def activation_stats(model: nn.Module, calib: torch.Tensor) -> dict[str, dict[int, dict[str, torch.Tensor]]]:
    """Per transform and module index, the per-channel ``abs`` (E|x|), ``mean`` (E x) and ``sq`` (E x²) of the
    module's *input* on the calibration images ``calib`` ``[B,3,H,W]`` (one forward pass of ``model``)."""
    stats: dict[str, dict[int, dict[str, torch.Tensor]]] = {p: {} for p in ("g_a", "g_s", "h_a", "h_s")}
    hooks = []
    for part, d in stats.items():
        for i, m in enumerate(getattr(model, part)):
            def hook(mod, inp, out, d=d, i=i):
                x = inp[0].detach().float()
                d[i] = {"abs": x.abs().mean(dim=(0, 2, 3)), "mean": x.mean(dim=(0, 2, 3)),
                        "sq": (x * x).mean(dim=(0, 2, 3))}
            hooks.append(m.register_forward_hook(hook))
    try:
        model.eval()(calib.float())
    finally:
        for h in hooks:
            h.remove()
    return stats


def _compensate(state: dict, seq: nn.Sequential, part: str, i: int, keep: torch.Tensor, stats: dict) -> None:
    """Fold the average contribution of conv ``i``'s removed channels into what stays: the GDN's β between conv ``i``
    and the next conv, and the next conv's bias (full-width tensors, sliced afterwards)."""
    n = seq[i].out_channels
    rem = torch.tensor(sorted(set(range(n)) - set(keep.tolist())), dtype=torch.long)
    convs = _convs(seq)
    j = convs[convs.index(i) + 1]
    for g in range(i + 1, j):
        if isinstance(seq[g], GDN):
            m = seq[g]
            gamma, beta = m.gamma_reparam(m.gamma), m.beta_reparam(m.beta).clone()
            beta[keep] += (gamma[keep][:, rem] * stats[g]["sq"][rem][None]).sum(1)
            state[f"{part}.{g}.beta"] = m.beta_reparam.init(beta).to(state[f"{part}.{g}.beta"].dtype)
    nxt, mu = seq[j], stats[j]["mean"][rem]
    if nxt.bias is None:
        return
    if isinstance(nxt, nn.ConvTranspose2d):
        shift = torch.einsum("iokl,i->o", nxt.weight.detach()[rem].float(), mu) / nxt.stride[0] ** 2
    else:
        shift = torch.einsum("oikl,i->o", nxt.weight.detach()[:, rem].float(), mu)
    state[f"{part}.{j}.bias"] = state[f"{part}.{j}.bias"] + shift.to(state[f"{part}.{j}.bias"].dtype)


def layer_keep_sets(model: nn.Module, ratio: float, calib: torch.Tensor | None = None,
                    parts=("g_a", "g_s")) -> dict[str, torch.Tensor]:
    """``{"g_a.0": kept channels, ...}``: what :func:`prune_channels` keeps of each N-wide layer of ``parts`` (the
    same choice: L1, or data-driven with ``calib``), e.g. to prune one layer alone and measure what it costs."""
    N = int(model.N)
    n_keep = pruned_width(N, ratio)
    stats = activation_stats(model, calib) if calib is not None else None
    return {f"{part}.{i}": keep for part in parts
            for i, keep in _keep_sets(getattr(model, part), N, n_keep, stats[part] if stats else None).items()}


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
def prune_channels(model: nn.Module, ratio: float = 0.3, calib: torch.Tensor | None = None) -> nn.Module:
    """A new, narrower hyperprior codec with ``ratio`` of the N channels removed (L1 criterion, or data-driven
    with ``calib``: see the module docstring).

    Args:
        model: a float :class:`~lic.codec.models.HyperpriorLIC` (any GDN flavour).
        ratio: fraction of the N channels to remove in every N-wide layer.
        calib: calibration images ``[B,3,H,W]`` in [0, 1] (data-driven selection and compensation).

    Returns:
        The pruned model (eval mode, CDFs updated); ``model`` is untouched.
    """
    from lic.codec.models import build_model, load_state_dict_into

    N, M = int(model.N), int(model.M)
    n_keep = pruned_width(N, ratio)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    stats = activation_stats(model, calib) if calib is not None else None
    for part in ("g_a", "g_s", "h_a", "h_s"):
        seq = getattr(model, part)
        sets = _keep_sets(seq, N, n_keep, stats[part] if stats else None)
        if stats:  # before slicing: the compensation reads the full tensors
            for i, keep in sets.items():
                _compensate(state, seq, part, i, keep, stats[part])
        for i, keep in sets.items():
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


def prune_to_width(model: nn.Module, N: int, calib: torch.Tensor | None = None) -> nn.Module:
    """:func:`prune_channels` down to exactly ``N`` channels (weight inheritance: a narrow student that
    starts from a wide teacher's strongest filters).

    Raises:
        ParameterError: ``N`` is not narrower than the model's width.
    """
    if not 1 <= N < int(model.N):
        raise ParameterError(f"width N={N} is not narrower than the model's N={int(model.N)}")
    return prune_channels(model, 1 - N / int(model.N), calib)
