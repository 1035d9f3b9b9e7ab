#!/usr/bin/env python3
"""Training throughput per model width, crop size and CPU setting (issue: reference models on a CPU budget).

Reports steps/s, Mpx/s and the fraction of the CPU's FP32 peak reached (FLOPs of a training step
taken as 3x the forward FLOPs counted by torch's FlopCounterMode). Each row is measured in this
same run, so the ratios between settings are comparable.

    .venv/bin/python benchmarks/train_throughput.py [--seconds 8] [--out benchmarks/results/throughput.json]
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from lic.codec.models import build_model
from lic.data.images import CropSampler
from lic.train.loop import rd_loss_fn


def cpu_peak_gflops(threads: int) -> tuple[float, str]:
    """FP32 peak = threads x GHz x FLOPs/cycle (AVX-512: 64, AVX2+FMA: 32, else 16: 2 FMA ports)."""
    info = Path("/proc/cpuinfo").read_text()
    flags = re.search(r"^flags\s*:\s*(.*)$", info, re.M).group(1).split()
    mhz = float(re.search(r"^cpu MHz\s*:\s*([\d.]+)", info, re.M).group(1))
    per_cycle = 64 if "avx512f" in flags else 32 if ("avx2" in flags and "fma" in flags) else 16
    name = re.search(r"^model name\s*:\s*(.*)$", info, re.M).group(1)
    return threads * mhz / 1000 * per_cycle, f"{name}, {mhz:.0f} MHz, {per_cycle} FP32 FLOP/cycle/core"


def step_flops(model, batch, crop) -> float:
    x = torch.rand(batch, 3, crop, crop)
    with FlopCounterMode(display=False) as fc:
        model(x)
    return 3.0 * fc.get_total_flops()


def measure(N, M, batch, crop, threads, channels_last, seconds, sampler=None, precision="fp32",
            compile_=False) -> dict:
    """One setting: ``precision`` "bf16" = the forward under bfloat16 autocast (TrainConfig.precision),
    ``compile_`` = ``torch.compile`` (inductor) of the transforms; its compile time is reported apart."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build_model(N=N, M=M).train()
    flops = step_flops(model, batch, crop)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = rd_loss_fn(0.013)
    fixed = torch.rand(batch, 3, crop, crop)
    if compile_:
        for name in ("g_a", "h_a", "h_s", "g_s"):  # the entropy models stay eager (Python-side bookkeeping)
            setattr(model, name, torch.compile(getattr(model, name)))

    def batch_at(i):
        x = sampler.batch(i, batch) if sampler is not None else fixed
        return x.contiguous(memory_format=torch.channels_last) if channels_last else x

    def step(i):
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = loss_fn(model, batch_at(i))["loss"]
        loss.float().backward()
        opt.step()

    t_warm = time.perf_counter()
    for i in range(8):  # warm-up (oneDNN primitive creation, allocator, compilation)
        step(i)
    t_warm = time.perf_counter() - t_warm
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step(n)
        n += 1
    dt = (time.perf_counter() - t0) / n
    peak, _ = cpu_peak_gflops(threads)
    return {"N": N, "M": M, "batch": batch, "crop": crop, "threads": threads, "channels_last": channels_last,
            "data": "sampler" if sampler is not None else "fixed tensor", "precision": precision,
            "compile": compile_, "warmup_s": t_warm, "steps_per_s": 1 / dt,
            "mpx_per_s": batch * crop * crop / dt / 1e6, "gflops_per_s": flops / dt / 1e9,
            "peak_fraction": flops / dt / 1e9 / peak}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--out", default=str(Path(__file__).with_name("results") / "throughput.json"))
    a = ap.parse_args(argv)
    threads = os.cpu_count() or 1
    sampler = CropSampler(crop=128, seed=0)
    rows = []
    # baseline = CompressAI defaults (NCHW); then one change at a time
    for N, M in ((128, 192), (64, 192), (32, 192)):
        rows.append(measure(N, M, 8, 128, threads, False, a.seconds, sampler))
        rows.append(measure(N, M, 8, 128, threads, True, a.seconds, sampler))
    rows.append(measure(128, 192, 8, 128, 1, True, a.seconds, sampler))
    rows.append(measure(128, 192, 32, 64, threads, True, a.seconds))
    rows.append(measure(128, 192, 2, 256, threads, True, a.seconds))
    rows.append(measure(128, 192, 8, 128, threads, True, a.seconds))  # fixed tensor: data-loading cost
    # lower precision (bf16 autocast, AMX where the CPU has it) and torch.compile, against NHWC fp32 above
    for N in (128, 64):
        rows.append(measure(N, 192, 8, 128, threads, True, a.seconds, sampler, precision="bf16"))
    try:
        rows.append(measure(128, 192, 8, 128, threads, True, a.seconds, sampler, compile_=True))
    except Exception as e:  # noqa: BLE001 - a failed compile is a result to report, not a crash
        print(f"torch.compile failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
    _, cpu = cpu_peak_gflops(threads)
    print(cpu)
    print(f"{'N':>4} {'M':>4} {'B':>3} {'crop':>4} {'thr':>3} {'NHWC':>5} {'data':>12} {'prec':>4} {'comp':>5} "
          f"{'steps/s':>8} {'Mpx/s':>7} {'GFLOP/s':>8} {'peak':>6} {'warm-up s':>9}")
    for r in rows:
        print(f"{r['N']:>4} {r['M']:>4} {r['batch']:>3} {r['crop']:>4} {r['threads']:>3} {str(r['channels_last']):>5} "
              f"{r['data']:>12} {r['precision']:>4} {str(r['compile']):>5} {r['steps_per_s']:8.2f} {r['mpx_per_s']:7.3f} "
              f"{r['gflops_per_s']:8.1f} {r['peak_fraction']:6.1%} {r['warmup_s']:9.1f}")

    def find(**kv):
        return next(r for r in rows if all(r[k] == v for k, v in kv.items()))

    for N in (128, 64, 32):
        base = find(N=N, channels_last=False, threads=threads)
        best = find(N=N, channels_last=True, threads=threads, precision="fp32")
        print(f"channels_last speed-up (N={N}): {best['steps_per_s'] / base['steps_per_s']:.2f}x")
    for N in (128, 64):
        ref = find(N=N, channels_last=True, threads=threads, precision="fp32", data="sampler", compile=False)
        bf = find(N=N, precision="bf16")
        print(f"bf16 autocast speed-up over NHWC fp32 (N={N}): {bf['steps_per_s'] / ref['steps_per_s']:.2f}x")
    comp = [r for r in rows if r["compile"]]
    if comp:
        ref = find(N=128, channels_last=True, threads=threads, precision="fp32", data="sampler", compile=False)
        print(f"torch.compile speed-up over NHWC fp32 (N=128): {comp[0]['steps_per_s'] / ref['steps_per_s']:.2f}x "
              f"(compile + warm-up {comp[0]['warmup_s']:.0f} s)")
    from lic.fileio import write_json

    write_json(a.out, {"cpu": cpu, "rows": rows, "load": os.getloadavg()})


if __name__ == "__main__":
    main()
