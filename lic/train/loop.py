"""Rate-distortion training: loss, optimizers, a resumable seeded loop with progress.

The loss is CompressAI's :class:`~compressai.losses.RateDistortionLoss`,

.. math::
    L = \\lambda \\cdot 255^2 \\cdot \\mathrm{MSE}(x, \\hat x) + \\mathrm{bpp}(\\hat y, \\hat z),

plus the entropy bottleneck's auxiliary quantile loss, minimised by its own optimizer
(as in CompressAI's ``examples/train.py``).

Distributed data parallel: started under ``torchrun`` (``WORLD_SIZE`` > 1), :func:`train` joins a
process group (NCCL on CUDA, each rank on GPU ``LOCAL_RANK``; gloo on CPU), each rank draws its own
crops (batch ``step * world + rank``), and gradients of all parameters, the entropy bottleneck's
auxiliary quantiles included, are averaged with one flattened ``all_reduce`` after every backward
pass: the ranks stay identical, as under DDP (whose hooks do not see the auxiliary loss, which runs
outside the forward pass). Rank 0 alone writes checkpoints; across nodes torchrun's
``--nnodes/--rdzv-endpoint`` apply unchanged::

    torchrun --nproc_per_node 2 -m lic.train --N 64 --M 192 --steps 1000 --out runs/ddp/ckpt.pt

GPU path: ``TrainConfig.precision="amp"`` is CUDA autocast in bfloat16 where the GPU supports it,
else float16 with a :class:`torch.amp.GradScaler` (``"fp16"`` forces the latter, on any device);
the entropy models, likelihoods and losses stay float32 (:meth:`lic.codec.models.HyperpriorLIC.forward`).
TF32 matmuls/convolutions and cuDNN autotuning are enabled on CUDA, NHWC (channels_last) is the
default, ``compile=True`` compiles the four transforms with ``torch.compile``. Evaluation stays
exact: :func:`train` returns the model on the CPU in float32 for entropy coding.

Resumption: a checkpoint (model, both optimizers, grad scaler, step, history, the data stream's
position) is written atomically every ``ckpt_every`` steps and at the end; batch ``k`` depends only
on ``(seed, k)`` (:class:`lic.data.images.CropSampler` in memory, :class:`lic.data.streaming.StreamingCrops`
from disk in DataLoader workers), so an interrupted run continues exactly where it stopped.
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
from typing import Callable, Mapping

import torch
from compressai.losses import RateDistortionLoss

from lic.codec.models import CDF_BUFFERS
from lic.data.images import CropSampler
from lic.data.streaming import StreamingCrops
from lic.errors import ParameterError
from lic.fileio import atomic_write_bytes
from lic.progress import tqdm
from lic.train.ddp import average_gradients, rank_world

__all__ = ["TrainConfig", "PRECISIONS", "train_config", "rd_loss_fn", "configure_optimizers", "train",
           "seed_everything", "default_device", "resolve_precision", "bf16_is_fast", "main"]


#: training precisions: float32; bfloat16 or float16 (+ GradScaler) autocast of the forward pass;
#: ``amp``: the device's best (CUDA: bf16 where supported, else fp16; CPU: bf16 with AMX, else fp32)
PRECISIONS = ("fp32", "bf16", "fp16", "amp")


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
        lr_schedule: ``"steps"``: the drop at ``lr_drop`` of ``steps``; ``"time"``: also once ``lr_drop`` of
            the run's ``max_seconds`` have passed (a time-boxed run, e.g. the GPU job, gets its drop whatever
            its speed; counted from this run's start, and only a run with ``max_seconds`` may use it).
        clip_max_norm: gradient clipping (0 disables).
        seed: seeds the model init (by the caller) and the crop sampler.
        ckpt_every: checkpoint interval in steps.
        precision: ``"fp32"``, ``"bf16"``: the forward pass under bfloat16 autocast
            (convolutions, GDN channel mixing; the entropy models, likelihoods, losses and the
            optimizer stay float32, see :meth:`lic.codec.models.HyperpriorLIC.forward`). Steps/s against NHWC
            fp32, 2 threads: 2.88x (N=128) and 2.19x (N=64) on a CPU with AMX-BF16 (benchmarks/results/
            throughput_2026-11-25b.txt), 0.88x and 0.70x on an AVX512-BF16 CPU without AMX (..._25c-noamx.txt);
            :func:`bf16_is_fast` checks, ``train`` warns. Parameters remain fp32. ``"fp16"``: float16
            autocast with a GradScaler; ``"amp"``: :func:`resolve_precision` picks per device (the GPU path).
    """

    lmbda: float = 0.0130
    steps: int = 1000
    batch_size: int = 8
    crop: int = 128
    lr: float = 1e-4
    aux_lr: float = 1e-3
    lr_drop: float = 0.85
    lr_schedule: str = "steps"
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
        if self.lr_schedule not in ("steps", "time"):
            raise ParameterError(f"lr_schedule must be 'steps' or 'time', got {self.lr_schedule!r}")
        if self.precision not in PRECISIONS:
            raise ParameterError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")


#: the fields :func:`train_config` reads from a stage's parameters, a recipe or a command line
_RUN_FIELDS = ("lmbda", "steps", "batch_size", "crop", "lr", "seed", "precision", "lr_schedule")


def train_config(params: Mapping, **fields) -> TrainConfig:
    """The one way a run's :class:`TrainConfig` is assembled: the fields of :data:`_RUN_FIELDS` that
    ``params`` (stage parameters, a zoo recipe, parsed arguments) has, ``fields`` replacing or adding
    any; ``ckpt_every`` unless given every 200 steps, at most once a run.

    Raises:
        ParameterError: a field is missing or invalid (:class:`TrainConfig`).
    """
    f = {k: params[k] for k in _RUN_FIELDS if k in params and params[k] is not None}
    f.update(fields)
    if "steps" not in f:
        raise ParameterError("a training run needs its number of steps")
    f.setdefault("ckpt_every", max(1, min(200, f["steps"])))
    return TrainConfig(**f)


def bf16_is_fast(device: torch.device | str = "cpu") -> bool:
    """Whether bfloat16 autocast speeds training up here: CUDA, or a CPU with AMX tiles (``amx_bf16``).
    Without AMX, bf16 autocast trained at 0.70-0.88x the fp32 steps/s (oneDNN's bf16 convolutions,
    benchmarks/results/throughput_2026-11-25c-noamx.txt)."""
    if torch.device(device).type == "cuda":
        return True
    try:
        flags = next((ln for ln in open("/proc/cpuinfo") if ln.startswith("flags")), "").split()
    except OSError:
        return False
    return "amx_bf16" in flags


def resolve_precision(precision: str, device: torch.device | str) -> tuple[torch.dtype | None, bool]:
    """``(autocast dtype or None for float32, use a GradScaler)`` of ``precision`` on ``device``."""
    device = torch.device(device)
    if precision == "amp":
        if device.type == "cuda":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        else:
            precision = "bf16" if bf16_is_fast(device) else "fp32"
    return {"fp32": (None, False), "bf16": (torch.bfloat16, False), "fp16": (torch.float16, True)}[precision]


def default_device() -> torch.device:
    """CUDA when available (paper preset on a GPU; GPU ``LOCAL_RANK`` under torchrun), else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def _to_input(x: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    """A batch on ``device`` as float32 in [0, 1] (uint8 batches travel 4x smaller, converted there)."""
    x = x.to(device, non_blocking=True)
    if x.dtype == torch.uint8:
        x = x.float().div_(255.0)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


#: the transforms ``compile=True`` compiles in place (the entropy models stay eager)
_COMPILED = ("g_a", "g_s", "h_a", "h_s")


def _compile(model: torch.nn.Module, on: bool) -> None:
    """``torch.compile`` the transforms in place (``on``), or take it off again (eager evaluation)."""
    for name in _COMPILED:
        m = getattr(model, name, None)
        if m is None:
            continue
        if on:
            m.compile()
        else:
            m._compiled_call_impl = None  # what nn.Module.compile() sets; None is eager again


def seed_everything(seed: int) -> None:
    """Seed torch's global RNG (model init, noise quantisation)."""
    torch.manual_seed(seed)


def rd_loss_fn(lmbda: float) -> Callable[[torch.nn.Module, torch.Tensor], dict]:
    """Default training objective: CompressAI's RD loss at ``lmbda``."""
    criterion = RateDistortionLoss(lmbda=lmbda)

    def fn(model, x):
        terms = criterion(model(x), x)
        return {"loss": terms["loss"], "bpp": terms["bpp_loss"], "mse": terms["mse_loss"]}

    return fn


def configure_optimizers(model: torch.nn.Module, cfg: TrainConfig, extra_params=()):
    """Adam for the network (+ ``extra_params``), Adam for the ``.quantiles`` (aux)."""
    main = [p for n, p in model.named_parameters() if not n.endswith(".quantiles") and p.requires_grad]
    aux = [p for n, p in model.named_parameters() if n.endswith(".quantiles") and p.requires_grad]
    opt = torch.optim.Adam(main + list(extra_params), lr=cfg.lr)
    aux_opt = torch.optim.Adam(aux, lr=cfg.aux_lr)
    return opt, aux_opt


def _lr_at(cfg: TrainConfig, step: int, elapsed: float = 0.0, max_seconds: float | None = None) -> float:
    """The learning rate of ``step`` (``elapsed`` seconds into a run of at most ``max_seconds``)."""
    timed = cfg.lr_schedule == "time" and elapsed >= cfg.lr_drop * max_seconds
    return cfg.lr * (0.1 if step >= int(cfg.lr_drop * cfg.steps) or timed else 1.0)


def _accumulate(running: dict, terms: dict, aux: torch.Tensor) -> None:
    """Add one step's logged terms and auxiliary loss to the sums since the last log row (``n`` counts)."""
    for k, v in terms.items():
        running[k] = running.get(k, 0.0) + float(v.detach() if torch.is_tensor(v) else v)
    running["aux"] = running.get("aux", 0.0) + float(aux.detach())
    running["n"] = running.get("n", 0) + 1


def _log_row(step: int, running: dict, seconds: float) -> dict:
    n = running.pop("n")
    return {"step": step, **{k: v / n for k, v in running.items()}, "wall_s": round(seconds, 3)}


@dataclass
class _Run:
    """One training run: the model, its optimizers, precision and rank; its steps and checkpoints."""

    model: torch.nn.Module
    cfg: TrainConfig
    sampler: object
    ckpt_path: Path
    extra_modules: dict
    loss_fn: Callable
    desc: str

    def __post_init__(self):
        extra_params = [p for m in self.extra_modules.values() for p in m.parameters()]
        self.opt, self.aux_opt = configure_optimizers(self.model, self.cfg, extra_params)
        self.rank, self.world = rank_world()
        self.device = next(self.model.parameters()).device  # the caller places the model (CPU or GPU)
        self.amp_dtype, self.use_scaler = resolve_precision(self.cfg.precision, self.device)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.use_scaler)
        self.main_params = [p for g in self.opt.param_groups for p in g["params"]]
        self.aux_params = [p for g in self.aux_opt.param_groups for p in g["params"]]

    def restore(self) -> tuple[int, list, float]:
        """Load the checkpoint, if there is one, into everything; returns ``(step, history, seconds)``.

        Raises:
            ParameterError: the checkpoint was made with another training config.
        """
        if not self.ckpt_path.exists():
            return 0, [], 0.0
        state = torch.load(self.ckpt_path, map_location=self.device, weights_only=False)
        if state.get("slim"):
            raise ParameterError(f"{self.ckpt_path} is a slimmed copy (lic.release.gpujob.pack: no optimizer), not resumable")
        same = {k: v for k, v in dataclasses.asdict(self.cfg).items() if k != "ckpt_every"}
        prev = {"precision": "fp32", "lr_schedule": "steps", **state.get("train_config", {})}  # older states
        if {k: v for k, v in prev.items() if k != "ckpt_every"} != same:
            raise ParameterError(f"{self.ckpt_path} was made with another training config; delete it or use "
                                 "another key")
        # the entropy coders' CDF tables are derived from the parameters and sized by them (CompressAI only
        # resizes empty ones): a run started from a released model (``init``) already has tables of another
        # size, so it keeps its own (training never reads them; ``update()`` rebuilds them for coding)
        own = {k: v for k, v in self.model.state_dict().items() if k.endswith(CDF_BUFFERS)}
        self.model.load_state_dict({**state["model"], **own}, strict=False)
        for name, m in self.extra_modules.items():
            m.load_state_dict(state["extra"][name])
        self.opt.load_state_dict(state["optimizer"])
        self.aux_opt.load_state_dict(state["aux_optimizer"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        if state.get("data") and hasattr(self.sampler, "load_state"):
            self.sampler.load_state(state["data"], state["step"])
        torch.set_rng_state(state["rng"].cpu())
        return state["step"], state["history"], state.get("seconds", 0.0)

    def optimize(self, x: torch.Tensor, step: int) -> tuple[dict, torch.Tensor]:
        """One step on batch ``x`` (loss under autocast, scaled backward, gradients averaged over the ranks
        and clipped, optimizer step; the auxiliary loss and its step); returns ``(terms, aux)``.

        Raises:
            FloatingPointError: the loss is not finite.
        """
        self.opt.zero_grad(set_to_none=True)
        self.aux_opt.zero_grad(set_to_none=True)
        dtype = self.amp_dtype or torch.bfloat16
        with torch.autocast(self.device.type, dtype=dtype, enabled=self.amp_dtype is not None):
            terms = self.loss_fn(self.model, x)
        loss = terms["loss"].float()
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{self.desc}: loss became {loss.item()} at step {step}")
        self.scaler.scale(loss).backward()
        if self.world > 1:
            average_gradients(self.main_params, self.world)
        self.scaler.unscale_(self.opt)
        if self.cfg.clip_max_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.main_params, self.cfg.clip_max_norm)
        self.scaler.step(self.opt)  # skipped (and the scale lowered) when fp16 gradients overflowed
        self.scaler.update()
        aux = self.model.aux_loss()
        aux.backward()
        if self.world > 1:
            average_gradients(self.aux_params, self.world)
        self.aux_opt.step()
        return terms, aux

    def out_of_time(self, max_seconds: float | None, run_start: float) -> bool:
        """Whether ``max_seconds`` have passed since ``run_start``; every rank agrees (stops at the same step)."""
        out = max_seconds is not None and time.monotonic() - run_start >= max_seconds
        if self.world > 1:
            flag = torch.tensor([float(out)], device=self.device)
            torch.distributed.all_reduce(flag)
            out = bool(flag.item())
        return out

    def save(self, step: int, history: list, seconds: float) -> None:
        """Write the resumable checkpoint atomically (rank 0 only)."""
        if self.rank:
            return
        buf, m, dev, cfg = io.BytesIO(), self.model, self.device, self.cfg
        torch.save({"model": m.state_dict(), "extra": {k: e.state_dict() for k, e in self.extra_modules.items()},
                    "optimizer": self.opt.state_dict(), "aux_optimizer": self.aux_opt.state_dict(),
                    "scaler": self.scaler.state_dict() if self.use_scaler else None, "step": step, "history": history,
                    "seconds": seconds, "rng": torch.get_rng_state(), "train_config": dataclasses.asdict(cfg),
                    "config": getattr(m, "config", {}), "data": self.sampler.state(step, cfg.batch_size, self.world),
                    "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu", "world": self.world,
                    "autocast": str(self.amp_dtype or torch.float32).removeprefix("torch.")}, buf)
        atomic_write_bytes(self.ckpt_path, buf.getvalue())

    def prepare(self, channels_last: bool, compile: bool) -> None:
        """Training mode, fast CUDA paths, NHWC and ``torch.compile`` as asked; warns of slow bf16."""
        self.model.train()
        if self.device.type == "cuda":  # TF32 matmuls/convolutions, cuDNN autotuning (the crops keep one size)
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
            torch.backends.cudnn.benchmark = True
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
        _compile(self.model, compile)
        if self.cfg.precision == "bf16" and not bf16_is_fast(self.device) and self.rank == 0:
            warnings.warn(f"{self.desc}: bf16 autocast on a CPU without AMX runs slower than fp32 (kept: the "
                          "recipe's numerics are part of its config; benchmarks/train_throughput.py measures both)",
                          stacklevel=3)

    def finish(self) -> dict:
        """Wait for the ranks, report skipped files, the model to CPU float32 eval mode with CDFs updated."""
        if self.world > 1:
            torch.distributed.barrier()
        skipped = self.sampler.skipped_counts()
        if any(skipped.values()) and self.rank == 0:
            print(f"{self.desc}: skipped training files: {skipped['too_small']} smaller than the {self.cfg.crop}px "
                  f"crop, {skipped['unreadable']} unreadable", flush=True)
        self.model.to("cpu", memory_format=torch.contiguous_format)  # entropy coding runs on the CPU, float32
        self.model.eval()
        self.model.update(force=True)
        return {"skipped": skipped, "precision": str(self.amp_dtype or torch.float32).removeprefix("torch.")}


def train(
    model: torch.nn.Module,
    cfg: TrainConfig,
    sampler,
    ckpt_path: str | os.PathLike,
    loss_fn: Callable[[torch.nn.Module, torch.Tensor], dict] | None = None,
    extra_modules: dict[str, torch.nn.Module] | None = None,
    progress: bool = True,
    max_seconds: float | None = None,
    desc: str = "train",
    channels_last: bool = True,
    compile: bool = False,
) -> dict:
    """Train ``model`` in place, resuming from ``ckpt_path`` if it exists.

    Args:
        model: a CompressAI-style codec (``aux_loss()``, ``update()``), placed on its device by the caller.
        cfg: hyper-parameters; a checkpoint made with another ``cfg`` is refused.
        sampler: crop source with ``crop`` and ``batches(start, batch_size, world, rank, stop)``:
            :class:`lic.data.images.CropSampler` (in memory) or :class:`lic.data.streaming.StreamingCrops` (DataLoader
            workers); its crop size must equal ``cfg.crop``. Its ``state()`` goes into the checkpoint.
        ckpt_path: resumable checkpoint (written atomically).
        loss_fn: ``fn(model, x) -> {"loss": tensor, ...logged scalars}``; default RD loss.
        extra_modules: trainable modules outside ``model`` (e.g. KD projections), saved too.
        progress: show a tqdm bar.
        max_seconds: stop early (checkpointed) after this wall time; the next call resumes.
        desc: progress-bar label.
        channels_last: NHWC memory format; steps/s vs NCHW (fp32, 2 threads) 0.87x at N=128, 1.14x at N=64
            without AMX (benchmarks/results/throughput_2026-11-25c-noamx.txt), 0.97x / 1.10x with (..._25b.txt).
        compile: ``torch.compile`` the transforms for the run (undone before returning).

    Returns:
        ``{"step", "done", "history": [{step, loss, ..., wall_s}], "seconds", "skipped", "precision"}``
        (``skipped``: training files skipped by reason).
    """
    if sampler.crop != cfg.crop:
        raise ParameterError(f"sampler crop {sampler.crop} != cfg.crop {cfg.crop}")
    if cfg.lr_schedule == "time" and max_seconds is None:
        raise ParameterError("lr_schedule='time' needs max_seconds (the run's time box)")
    run = _Run(model, cfg, sampler, Path(ckpt_path), extra_modules or {}, loss_fn or rd_loss_fn(cfg.lmbda), desc)
    step, history, seconds = run.restore()
    rank, world, device = run.rank, run.world, run.device
    if rank:  # distinct quantisation noise per rank
        torch.manual_seed(cfg.seed * 7919 + rank + step)
    run.prepare(channels_last, compile)
    t0 = run_start = time.monotonic()  # t0: since the last checkpoint (time accounting); run_start: max_seconds
    bar = tqdm(total=cfg.steps, initial=step, desc=desc, disable=not progress or rank > 0, leave=False)
    running: dict[str, float] = {}
    batches = sampler.batches(step, cfg.batch_size, world, rank, stop=cfg.steps)
    try:
        while step < cfg.steps:
            lr = _lr_at(cfg, step, time.monotonic() - run_start, max_seconds)
            for g in run.opt.param_groups:
                g["lr"] = lr
            terms, aux = run.optimize(_to_input(next(batches), device, channels_last), step)
            step += 1
            _accumulate(running, terms, aux)
            if step % max(1, min(cfg.ckpt_every, 25)) == 0 or step == cfg.steps:
                history.append({**_log_row(step, running, seconds + time.monotonic() - t0), "lr": lr})
                bar.set_postfix(loss=f"{history[-1]['loss']:.3f}", bpp=f"{history[-1].get('bpp', 0):.3f}")
                running.clear()
            bar.update(1)
            out_of_time = run.out_of_time(max_seconds, run_start)
            if step % cfg.ckpt_every == 0 or step == cfg.steps or out_of_time:
                seconds, t0 = seconds + time.monotonic() - t0, time.monotonic()
                run.save(step, history, seconds)
            if out_of_time:
                break
    finally:
        batches.close()  # stops the DataLoader workers
        bar.close()
        _compile(model, False)
    if step == cfg.steps and not run.ckpt_path.exists():  # steps == 0
        run.save(step, history, seconds)
    return {"step": step, "done": step >= cfg.steps, "history": history, "seconds": seconds, **run.finish()}


def main(argv=None) -> int:
    """Train one hyperprior model from the command line (works under ``torchrun``, on CPU or GPU)."""
    import argparse

    from lic.codec.bitstream import model_fingerprint
    from lic.codec.models import build_model

    ap = argparse.ArgumentParser(prog="python -m lic.train", description="RD-train one hyperprior codec (resumable).")
    ap.add_argument("--N", type=int, default=128)
    ap.add_argument("--M", type=int, default=192)
    ap.add_argument("--lmbda", type=float, default=0.013)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=8, help="per rank")
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--precision", choices=PRECISIONS, default="fp32", help="amp: bf16 or fp16+GradScaler on CUDA")
    ap.add_argument("--workers", type=int, default=None,
                    help="stream crops from disk with this many DataLoader workers (default: in-memory sampler)")
    ap.add_argument("--compile", action="store_true", help="torch.compile the transforms")
    ap.add_argument("--train-dir", default=None)
    ap.add_argument("--out", required=True, help="checkpoint path (resumed if it exists)")
    a = ap.parse_args(argv)
    cfg = train_config(vars(a))
    seed_everything(cfg.seed)
    rank, world = rank_world()
    model = build_model(N=a.N, M=a.M).to(default_device())
    sampler = (CropSampler(a.train_dir, crop=cfg.crop, seed=cfg.seed) if a.workers is None
               else StreamingCrops(a.train_dir, crop=cfg.crop, seed=cfg.seed, workers=a.workers))
    out = train(model, cfg, sampler, a.out, compile=a.compile)
    print(f"rank {rank}/{world}: step {out['step']} weights {model_fingerprint(model).hex()}", flush=True)
    if world > 1:
        torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
