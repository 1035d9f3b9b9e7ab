#!/usr/bin/env python3
"""Cost of the training-data path: streamed crops vs a fixed tensor vs the in-memory sampler.

Each run is :func:`lic.train.loop.train` itself (N=128, M=192, channels_last, fp32, 8x128² crops unless told)
fed by one of three sources, and the time of each batch handed to the loop is recorded, so the rate is
the training loop's own steady state (the first ``--warmup`` steps left out; the rate with them is
reported too). Sources:

- ``fixed``: the same preloaded batch every step (no data cost at all: the ceiling);
- ``stream``: :class:`lic.data.streaming.StreamingCrops` with ``--workers`` DataLoader worker processes;
- ``memory``: :class:`lic.data.images.CropSampler` (decoded into memory up front, crops cut in the loop).

The sources run interleaved, ``--rounds`` times in turn, so a machine shared with other jobs slows
all of them alike; every round's ratio to ``fixed`` is written, with the median and the spread::

    .venv/bin/python benchmarks/loader_throughput.py --rounds 3 --steps 40 --out benchmarks/results/loader_throughput.json
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from lic.codec.models import build_model
from lic.data.images import CropSampler
from lic.data.streaming import StreamingCrops
from lic.fileio import write_json
from lic.train.loop import TrainConfig, train


class Timed:
    """Wraps a sampler: records when each batch reaches the training loop."""

    def __init__(self, inner):
        self.inner, self.crop, self.stamps = inner, inner.crop, []

    def batches(self, *args, **kw):
        for x in self.inner.batches(*args, **kw):
            self.stamps.append(time.monotonic())
            yield x

    def __getattr__(self, name):  # skipped_counts, state, load_state
        return getattr(self.inner, name)


class Fixed:
    """One preloaded batch, every step (the loop without any data cost)."""

    def __init__(self, batch: torch.Tensor):
        self.x, self.crop = batch, batch.shape[-1]

    def batches(self, start, batch_size, world=1, rank=0, stop=None):
        while True:
            yield self.x

    def skipped_counts(self):
        return {"too_small": 0, "unreadable": 0}

    def state(self, *a):
        return {"kind": "fixed"}


def run_once(source, a, tmp: Path) -> dict:
    torch.manual_seed(0)
    model = build_model(N=a.N, M=a.M)
    cfg = TrainConfig(lmbda=0.013, steps=a.steps, batch_size=a.batch, crop=a.crop, ckpt_every=10**6)
    timed = Timed(source)
    t0 = time.monotonic()
    train(model, cfg, timed, tmp / f"{time.monotonic_ns()}.pt", progress=False)
    s = timed.stamps  # batch k handed over at s[k]; step k ends before s[k+1]
    steady = (len(s) - 1 - a.warmup) / (s[-1] - s[a.warmup])
    return {"steps_per_s": steady, "steps_per_s_with_start": len(s) / (s[-1] - t0)}


def data_cost(a, batches: int = 20) -> dict:
    """Milliseconds of one process's CPU time per batch of each data source on its own (no training):
    the work the DataLoader workers (or the training process, for ``memory``) do per step."""
    def per_batch(src, start):
        for k in range(start):  # warm: decode (and cache) what the timed batches will use
            src.batch(k, a.batch)
        t = time.process_time()
        for k in range(start, start + batches):
            src.batch(k, a.batch)
        return round(1000 * (time.process_time() - t) / batches, 3)

    n = len(CropSampler(a.train_dir, crop=a.crop).images)
    warm = -(-2 * n // a.batch)  # two epochs: every file decoded once before timing
    return {"memory_ms": per_batch(CropSampler(a.train_dir, crop=a.crop, seed=0), 0),
            "stream_cached_ms": per_batch(StreamingCrops(a.train_dir, crop=a.crop, workers=0), warm),
            "stream_uncached_ms": per_batch(StreamingCrops(a.train_dir, crop=a.crop, workers=0, cache_mb=0), 0)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, default=128)
    ap.add_argument("--M", type=int, default=192)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None, help="torch threads of the trainer (default: torch's)")
    ap.add_argument("--sources", nargs="+", default=["fixed", "stream", "memory"])
    ap.add_argument("--train-dir", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--data-cost-only", action="store_true", help="only the per-batch CPU cost of each source")
    a = ap.parse_args(argv)
    cost = data_cost(a)
    print(f"CPU ms per batch of {a.batch}x{a.crop}²: {cost}", flush=True)
    if a.data_cost_only:
        return 0
    if a.threads:
        torch.set_num_threads(a.threads)
    make = {
        "fixed": lambda: Fixed(CropSampler(a.train_dir, crop=a.crop, seed=0).batch(0, a.batch)),
        "stream": lambda: StreamingCrops(a.train_dir, crop=a.crop, seed=0, workers=a.workers),
        "memory": lambda: CropSampler(a.train_dir, crop=a.crop, seed=0),
    }
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for r in range(a.rounds):
            for name in a.sources:  # interleaved: each round measures every source once
                res = run_once(make[name](), a, Path(d))
                rows.append({"round": r, "source": name, **res})
                print(f"round {r} {name:7s} {res['steps_per_s']:.3f} steps/s "
                      f"({res['steps_per_s_with_start']:.3f} with start-up)", flush=True)
    summary = {}
    for name in a.sources:
        if name == "fixed":
            continue
        ratios = [x["steps_per_s"] / f["steps_per_s"] for x, f in zip(
            [x for x in rows if x["source"] == name], [x for x in rows if x["source"] == "fixed"])]
        summary[name] = {"ratio_to_fixed_per_round": [round(v, 4) for v in ratios],
                         "median_ratio": round(statistics.median(ratios), 4),
                         "cost_pct_median": round(100 * (1 - statistics.median(ratios)), 2),
                         "ratio_min": round(min(ratios), 4), "ratio_max": round(max(ratios), 4)}
        print(f"{name}: steady-state rate / fixed = {summary[name]['median_ratio']:.3f} (median of {len(ratios)}, "
              f"range {summary[name]['ratio_min']:.3f}-{summary[name]['ratio_max']:.3f})", flush=True)
    out = {"args": vars(a), "rows": rows, "summary": summary, "data_cpu_ms_per_batch": cost, "torch_threads": torch.get_num_threads(),
           "cpu_count": os.cpu_count(), "machine": platform.processor() or platform.machine(),
           "loadavg_end": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M")}
    if a.out:
        write_json(a.out, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
