"""The RTL units of stage 04 (:mod:`lic.hw.rtl`): co-simulated with iverilog against the reference,
synthesised with yosys and held against the resource model (:func:`cosim_report`)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pandas as pd

from lic.fileio import write_json

__all__ = ["cosim_report", "hyper_csim"]


def cosim_report(out_dir: str | os.PathLike, n_vectors: int = 10000, seed: int = 0, *,
                 real: bool | tuple = True, csim: bool = True, synth: bool = True,
                 vcd_jobs: int = 4, stall_jobs: int = 1000, simd_gdn: int = 1,
                 simd_conv: int = 4, wide_synth: bool = True) -> dict:
    """Co-simulate every RTL unit (:mod:`lic.hw.rtl`), synthesise it and compare with the model.

    Args:
        out_dir: folder for the VCD waveform, the yosys reports and ``rtl_report.json``.
        n_vectors: random vectors per unit (plus up to 2048 real-layer ones).
        seed: seed of the random vectors.
        real: add real layers (g_a.1 GDN, g_s.1 IGDN, g_a.2 conv): True for
            :func:`lic.hw.rtl.demo_transforms`, or ``(int g_a, int g_s, pixels [3,H,W])`` e.g. from stage
            03 (the C-sim comparison handles up to 16 channels and 64-pixel-wide conv inputs).
        csim: compare with the C++ kernels too (needs g++ and hls4ml).
        synth: run yosys (``synth_xilinx -family xcup``).
        vcd_jobs: jobs in the GDN waveform run.
        stall_jobs: jobs re-run with 30 % random bubbles / back-pressure a set.
        simd_gdn, simd_conv: MAC lanes of the units.
        wide_synth: also synthesise each unit with up to 4x the lanes (marginal cost a lane).

    Returns:
        ``{"units": {unit: check_unit dict}, "summary": DataFrame, "vcd": path,
        "resources": {unit: synthesize dict}, "model_vs_yosys": DataFrame, "tools": {...},
        "wall_s": float}``; the JSON-able part is also written to ``out_dir/rtl_report.json``.

    Raises:
        ToolError: iverilog, vvp or (with ``synth``) yosys missing, or a tool failed.
    """
    from lic.hw import rtl

    t0 = time.perf_counter()
    tools = rtl.require_tools("iverilog", "vvp", *(("yosys",) if synth else ()))
    out = Path(out_dir)
    work = out / "rtl_work"
    work.mkdir(parents=True, exist_ok=True)
    if real is True:
        real = rtl.demo_transforms()
    sets = rtl.default_sets(n_vectors, seed, real or None, simd_gdn, simd_conv)
    cv = rtl.CVectors() if csim else None
    units = {u: rtl.check_unit(s, work, cv, stall_jobs=stall_jobs) for u, s in sets.items()}
    vcd = out / "gdn_unit.vcd"
    rtl.simulate(sets["gdn"][0], work, vcd=vcd, max_jobs=vcd_jobs)
    summary = pd.DataFrame([{k: v for k, v in u.items() if k != "runs"} for u in units.values()])
    rep = {"units": units, "summary": summary, "vcd": str(vcd), "tools": {}}
    for n in ("iverilog", "yosys"):
        if n in tools:
            v = subprocess.run([tools[n], "-V"], capture_output=True, text=True).stdout.strip()
            rep["tools"][n] = v.splitlines()[0] if v else "?"
    if synth:
        rep.update(_unit_resources({u: s[0].cfg for u, s in sets.items()}, out / "yosys", wide_synth))
    rep["wall_s"] = time.perf_counter() - t0
    js = {k: v for k, v in rep.items() if not isinstance(v, pd.DataFrame)}
    js["summary"] = summary.to_dict("records")
    if synth:
        js["model_vs_yosys"] = rep["model_vs_yosys"].to_dict("records")
    write_json(out / "rtl_report.json", js)
    return rep


def _unit_resources(cfgs: dict, out: Path, wide_synth: bool) -> dict:
    """yosys of each unit configuration (and, with ``wide_synth``, of the same unit with up to 4x the
    lanes: the marginal cost of a MAC lane) and the model-vs-yosys table."""
    from dataclasses import replace

    from lic.hw.rtl import GdnConfig, model_vs_yosys, synthesize

    rep = {"resources": {u: synthesize(c, out) for u, c in cfgs.items()}}
    wide = {}
    if wide_synth:
        for u, c in cfgs.items():
            n_in = c.channels if isinstance(c, GdnConfig) else 25 * c.in_ch
            lanes = max(d for d in range(1, n_in + 1) if n_in % d == 0 and d <= 4 * c.simd)
            if lanes > c.simd:
                wc = replace(c, simd=lanes)
                wide[u] = (wc, synthesize(wc, out / "wide"))
        rep["resources_wide"] = {u: r for u, (_, r) in wide.items()}
    rep["model_vs_yosys"] = model_vs_yosys(rep["resources"], cfgs, wide)
    return rep


def hyper_csim(model, kodak: list, crop: int, work_dir: str | os.PathLike) -> dict:
    """The integer entropy model's h_a and h_s in the HLS C-sim (:class:`lic.hw.hyper_csim.HyperCSim`), each held
    against :mod:`lic.fixedpoint` on the latents of the Kodak centre crops (the indexes included).

    Returns:
        ``{"status": "ok", "rows": [...], "mismatches", "values"}``, or ``{"status": "no integer prior"}``.
    """
    import numpy as np
    import torch

    from lic.hw.hyper_csim import HyperCSim

    prior = getattr(model, "int_prior", None)
    if prior is None:
        return {"status": "no integer prior"}
    sim = HyperCSim.from_prior(prior, work_dir=work_dir, max_width=max(crop // 16, 1))
    rows = []
    for name, img in kodak:
        h, w = img.shape[-2:]
        c = min(crop, h, w) // 64 * 64
        x = img[:, (h - c) // 2:(h - c) // 2 + c, (w - c) // 2:(w - c) // 2 + c]
        with torch.no_grad():
            y_abs = prior.y_abs(model.g_a(x[None]))
        z = prior.h_a.run(y_abs)
        z_hat = prior.z_hat(prior.symbols(z))
        idx = prior.h_s.run(z_hat)
        sz, si = sim.run(y_abs[0], "h_a").output, sim.run(z_hat[0], "h_s").output
        rows.append({"image": name, "h_a_values": int(z.size), "h_a_mismatches": int(np.count_nonzero(sz != z[0])),
                     "h_s_values": int(idx.size), "h_s_mismatches": int(np.count_nonzero(si != idx[0]))})
    return {"status": "ok", "rows": rows, "values": sum(r["h_a_values"] + r["h_s_values"] for r in rows),
            "mismatches": sum(r["h_a_mismatches"] + r["h_s_mismatches"] for r in rows)}
