"""Data-parallel plumbing of :func:`lic.train.loop.train`: the process group torchrun asks for, and one
flattened ``all_reduce`` that averages the gradients of all ranks (the auxiliary quantiles too, which
DDP's hooks would not see: their loss runs outside the forward pass)."""

from __future__ import annotations

import os

import torch

__all__ = ["rank_world", "average_gradients"]


def rank_world() -> tuple[int, int]:
    """(rank, world size); joins a process group when launched by torchrun (NCCL on CUDA, else gloo)."""
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        cuda = torch.cuda.is_available()
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if cuda else "gloo")
    return (dist.get_rank(), dist.get_world_size()) if world > 1 else (0, 1)


def average_gradients(params, world: int) -> None:
    """Mean of every rank's gradients, in one all_reduce of the flattened gradients."""
    import torch.distributed as dist
    from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    flat = _flatten_dense_tensors(grads)
    dist.all_reduce(flat)
    flat.div_(world)
    for g, v in zip(grads, _unflatten_dense_tensors(flat, grads)):
        g.copy_(v)
