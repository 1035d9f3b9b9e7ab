"""Rate-distortion training: loss, optimizers, a resumable seeded loop with progress.

The loss is CompressAI's :class:`~compressai.losses.RateDistortionLoss`,

.. math::
    L = \\lambda \\cdot 255^2 \\cdot \\mathrm{MSE}(x, \\hat x) + \\mathrm{bpp}(\\hat y, \\hat z),

plus the entropy bottleneck's auxiliary quantile loss, minimised by its own optimizer
(as in CompressAI's ``examples/train.py``).

Distributed data parallel: started under ``torchrun`` (``WORLD_SIZE`` > 1), :func:`train` joins a
gloo process group, each rank draws its own crops (batch ``step * world + rank``), and gradients of
all parameters, the entropy bottleneck's auxiliary quantiles included, are averaged with
``all_reduce`` after every backward pass: the ranks stay identical, as under DDP (whose hooks do not
see the auxiliary loss, which runs outside the forward pass). Rank 0 alone writes checkpoints::

    torchrun --nproc_per_node 2 -m lic.train --N 64 --M 192 --steps 1000 --out runs/ddp/ckpt.pt

Resumption: a checkpoint (model, both optimizers, step, history) is written atomically every
``ckpt_every`` steps and at the end; batch ``k`` depends only on ``(seed, k)``
(:class:`lic.data.CropSampler`), so an interrupted run continues exactly where it stopped.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from compressai.losses import RateDistortionLoss
from tqdm.auto import tqdm

from .data import CropSampler
from .errors import ParameterError
from .fileio import atomic_write_bytes

__all__ = ["TrainConfig", "rd_loss_fn", "configure_optimizers", "train", "seed_everything", "default_device", "main"]


def _dist() -> tuple[int, int]:
    """(rank, world size); joins a gloo process group when launched by torchrun."""
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")
    return (dist.get_rank(), dist.get_world_size()) if world > 1 else (0, 1)


def _average_gradients(params, world: int) -> None:
    import torch.distributed as dist

    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad.div_(world)


#: training precisions: float32, or bfloat16 autocast of the forward pass
PRECISIONS = ("fp32", "bf16")


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run.

    Args:
        lmbda: rate-distortion trade-off λ (CompressAI's quality 1..8: 0.0018..0.0483).
        steps: total optimizer steps.
        batch_size: crops per step.
        crop: crop size in pixels.
        lr: Adam learning rate of the main parameters.
        aux_lr: Adam learning rate of the entropy-bottleneck quantiles.
        lr_drop: fraction of ``steps`` after which ``lr`` is divided by 10.
        clip_max_norm: gradient clipping (0 disables).
        seed: seeds the model init (by the caller) and the crop sampler.
        ckpt_every: checkpoint interval in steps.
        precision: ``"fp32"`` or ``"bf16"``: the forward pass under bfloat16 autocast
            (convolutions, GDN channel mixing; the entropy models, likelihoods, losses and the
            optimizer stay float32, see :meth:`lic.models.HyperpriorLIC.forward`). Measured 2.9x
            faster than fp32 on a CPU with AMX-BF16 but 0.7-0.9x on an AVX512-BF16 CPU without AMX
            (benchmarks/results/throughput_*.txt; :func:`bf16_is_fast` checks, ``train`` warns);
            parameters remain fp32.
    """

    lmbda: float = 0.0130
    steps: int = 1000
    batch_size: int = 8
    crop: int = 128
    lr: float = 1e-4
    aux_lr: float = 1e-3
    lr_drop: float = 0.85
    clip_max_norm: float = 1.0
    seed: int = 0
    ckpt_every: int = 100
    precision: str = "fp32"

    def __post_init__(self):
        if not (self.lmbda > 0 and math.isfinite(self.lmbda)):
            raise ParameterError(f"lmbda must be a positive number, got {self.lmbda}")
        for name in ("steps", "batch_size", "crop", "ckpt_every"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < (0 if name == "steps" else 1):
                raise ParameterError(f"{name} must be a positive integer, got {v!r}")
        if self.crop % 64:
            raise ParameterError(f"crop must be a multiple of 64 (the codec downsamples by 64), got {self.crop}")
        if not 0 < self.lr < 1:
            raise ParameterError(f"lr must be in (0, 1), got {self.lr}")
        if self.precision not in PRECISIONS:
            raise ParameterError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")


def bf16_is_fast(device: torch.device | str = "cpu") -> bool:
    """Whether bfloat16 autocast speeds training up here: CUDA, or a CPU with AMX tiles (``amx_bf16``).
    Without AMX, oneDNN's bf16 convolutions ran slower than fp32 on this project's CPUs."""
    if torch.device(device).type == "cuda":
        return True
    try:
        flags = next((ln for ln in open("/proc/cpuinfo") if ln.startswith("flags")), "").split()
    except OSError:
        return False
    return "amx_bf16" in flags


def default_device() -> torch.device:
    """CUDA when available (paper preset on a GPU), else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed torch's global RNG (model init, noise quantisation)."""
    torch.manual_seed(seed)


def rd_loss_fn(lmbda: float) -> Callable[[torch.nn.Module, torch.Tensor], dict]:
    """Default training objective: CompressAI's RD loss at ``lmbda``."""
    criterion = RateDistortionLoss(lmbda=lmbda)

    def fn(model, x):
        out = model(x)
        terms = criterion(out, x)
        return {"loss": terms["loss"], "bpp": terms["bpp_loss"], "mse": terms["mse_loss"]}

    return fn


def configure_optimizers(model: torch.nn.Module, cfg: TrainConfig, extra_params=()):
    """Adam for the network (+ ``extra_params``), Adam for the ``.quantiles`` (aux)."""
    main = [p for n, p in model.named_parameters() if not n.endswith(".quantiles") and p.requires_grad]
    aux = [p for n, p in model.named_parameters() if n.endswith(".quantiles") and p.requires_grad]
    opt = torch.optim.Adam(main + list(extra_params), lr=cfg.lr)
    aux_opt = torch.optim.Adam(aux, lr=cfg.aux_lr)
    return opt, aux_opt


def _lr_at(cfg: TrainConfig, step: int) -> float:
    return cfg.lr * (0.1 if step >= int(cfg.lr_drop * cfg.steps) else 1.0)


def train(
    model: torch.nn.Module,
    cfg: TrainConfig,
    sampler: CropSampler,
    ckpt_path: str | os.PathLike,
    loss_fn: Callable[[torch.nn.Module, torch.Tensor], dict] | None = None,
    extra_modules: dict[str, torch.nn.Module] | None = None,
    progress: bool = True,
    max_seconds: float | None = None,
    desc: str = "train",
    channels_last: bool = True,
) -> dict:
    """Train ``model`` in place, resuming from ``ckpt_path`` if it exists.

    Args:
        model: a CompressAI-style codec (``aux_loss()``, ``update()``).
        cfg: hyper-parameters; a checkpoint made with another ``cfg`` is refused.
        sampler: crop source (its crop size must equal ``cfg.crop``).
        ckpt_path: resumable checkpoint (written atomically).
        loss_fn: ``fn(model, x) -> {"loss": tensor, ...logged scalars}``; default RD loss.
        extra_modules: trainable modules outside ``model`` (e.g. KD projections), saved too.
        progress: show a tqdm bar.
        max_seconds: stop early (checkpointed) after this wall time; the next call resumes.
        desc: progress-bar label.
        channels_last: NHWC memory format (measured ≈1.2x faster on this CPU, see benchmarks/).

    Returns:
        ``{"step", "done", "history": [{step, loss, ...}], "seconds"}``.
    """
    if sampler.crop != cfg.crop:
        raise ParameterError(f"sampler crop {sampler.crop} != cfg.crop {cfg.crop}")
    ckpt_path = Path(ckpt_path)
    extra_modules = extra_modules or {}
    loss_fn = loss_fn or rd_loss_fn(cfg.lmbda)
    extra_params = [p for m in extra_modules.values() for p in m.parameters()]
    opt, aux_opt = configure_optimizers(model, cfg, extra_params)
    rank, world = _dist()
    device = next(model.parameters()).device  # the caller places the model (CPU or GPU)
    step, history, seconds = 0, [], 0.0
    if ckpt_path.exists():
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        same = {k: v for k, v in dataclasses.asdict(cfg).items() if k != "ckpt_every"}
        prev = {"precision": "fp32", **state.get("train_config", {})}  # made before precision existed
        if {k: v for k, v in prev.items() if k != "ckpt_every"} != same:
            raise ParameterError(
                f"{ckpt_path} was made with another training config; delete it or use another key"
            )
        model.load_state_dict(state["model"], strict=False)
        for name, m in extra_modules.items():
            m.load_state_dict(state["extra"][name])
        opt.load_state_dict(state["optimizer"])
        aux_opt.load_state_dict(state["aux_optimizer"])
        step, history, seconds = state["step"], state["history"], state.get("seconds", 0.0)
        torch.set_rng_state(state["rng"].cpu())
    if rank:  # distinct quantisation noise per rank
        torch.manual_seed(cfg.seed * 7919 + rank + step)

    def save():
        if rank:
            return
        buf = io.BytesIO()
        torch.save(
            {
                "model": model.state_dict(),
                "extra": {k: m.state_dict() for k, m in extra_modules.items()},
                "optimizer": opt.state_dict(),
                "aux_optimizer": aux_opt.state_dict(),
                "step": step,
                "history": history,
                "seconds": seconds,
                "rng": torch.get_rng_state(),
                "train_config": dataclasses.asdict(cfg),
                "config": getattr(model, "config", {}),
            },
            buf,
        )
        atomic_write_bytes(ckpt_path, buf.getvalue())

    model.train()
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if cfg.precision == "bf16" and not bf16_is_fast(device) and rank == 0:
        warnings.warn(f"{desc}: bf16 autocast on a CPU without AMX runs slower than fp32 (kept: the recipe's "
                      "numerics are part of its config; benchmarks/train_throughput.py measures both)", stacklevel=2)
    t0 = run_start = time.monotonic()  # t0: since the last checkpoint (time accounting); run_start: max_seconds
    bar = tqdm(total=cfg.steps, initial=step, desc=desc, disable=not progress or rank > 0, leave=False)
    main_params = [p for g in opt.param_groups for p in g["params"]]
    aux_params = [p for g in aux_opt.param_groups for p in g["params"]]
    running: dict[str, float] = {}
    while step < cfg.steps:
        for g in opt.param_groups:
            g["lr"] = _lr_at(cfg, step)
        x = sampler.batch(step * world + rank, cfg.batch_size).to(device, non_blocking=True)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        opt.zero_grad(set_to_none=True)
        aux_opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.precision == "bf16"):
            terms = loss_fn(model, x)
        loss = terms["loss"].float()
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{desc}: loss became {loss.item()} at step {step}")
        loss.backward()
        if world > 1:
            _average_gradients(main_params, world)
        if cfg.clip_max_norm > 0:
            torch.nn.utils.clip_grad_norm_(main_params, cfg.clip_max_norm)
        opt.step()
        aux = model.aux_loss()
        aux.backward()
        if world > 1:
            _average_gradients(aux_params, world)
        aux_opt.step()
        step += 1
        for k, v in terms.items():
            running[k] = running.get(k, 0.0) + float(v.detach() if torch.is_tensor(v) else v)
        running["aux"] = running.get("aux", 0.0) + float(aux.detach())
        running["n"] = running.get("n", 0) + 1
        log_every = max(1, min(cfg.ckpt_every, 25))
        if step % log_every == 0 or step == cfg.steps:
            n = running.pop("n")
            history.append({"step": step, **{k: v / n for k, v in running.items()}})
            bar.set_postfix(loss=f"{history[-1]['loss']:.3f}", bpp=f"{history[-1].get('bpp', 0):.3f}")
            running = {}
        bar.update(1)
        elapsed = time.monotonic() - t0
        out_of_time = max_seconds is not None and time.monotonic() - run_start >= max_seconds
        if world > 1:  # every rank stops at the same step
            flag = torch.tensor([float(out_of_time)])
            torch.distributed.all_reduce(flag)
            out_of_time = bool(flag.item())
        if step % cfg.ckpt_every == 0 or step == cfg.steps or out_of_time:
            seconds_now = seconds + elapsed
            seconds, t0 = seconds_now, time.monotonic()
            save()
        if out_of_time:
            break
    bar.close()
    if step == cfg.steps and not ckpt_path.exists():  # steps == 0
        save()
    if world > 1:
        torch.distributed.barrier()
    model.to("cpu", memory_format=torch.contiguous_format)  # entropy coding runs on the CPU
    model.eval()
    model.update(force=True)
    return {"step": step, "done": step >= cfg.steps, "history": history, "seconds": seconds}


def main(argv=None) -> int:
    """Train one hyperprior model from the command line (works under ``torchrun``)."""
    import argparse

    from .models import build_model

    ap = argparse.ArgumentParser(prog="python -m lic.train", description="RD-train one hyperprior codec (resumable).")
    ap.add_argument("--N", type=int, default=128)
    ap.add_argument("--M", type=int, default=192)
    ap.add_argument("--lmbda", type=float, default=0.013)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=8, help="per rank")
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-dir", default=None)
    ap.add_argument("--out", required=True, help="checkpoint path (resumed if it exists)")
    a = ap.parse_args(argv)
    cfg = TrainConfig(lmbda=a.lmbda, steps=a.steps, batch_size=a.batch_size, crop=a.crop, lr=a.lr, seed=a.seed,
                      ckpt_every=max(1, min(200, a.steps)))
    seed_everything(cfg.seed)
    model = build_model(N=a.N, M=a.M)
    out = train(model, cfg, CropSampler(a.train_dir, crop=cfg.crop, seed=cfg.seed), a.out)
    rank, world = _dist()
    from .bitstream import model_fingerprint

    print(f"rank {rank}/{world}: step {out['step']} weights {model_fingerprint(model).hex()}", flush=True)
    if world > 1:
        torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
