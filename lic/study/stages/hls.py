"""Stage 04: the accelerator — integer model, bit-exact C-simulation, RTL co-simulation and the
analytical throughput / resource model on the target board.

Input: the stage-03 artifact (the hybrid-quantized student and its integer parameters), or, with
``source="teacher"``, the stage-01 teacher quantized here with :func:`lic.hw.fixedpoint.quantize_codec`.

Artifacts in ``artifacts/04_hls/<key>/``: ``int_g_a.npz`` / ``int_g_s.npz`` (integer parameters),
``hls/generated/parameters.h`` + ``hls/build/`` (C-sim), ``rtl/`` (co-simulation vectors, VCD),
``fps_vs_parallelism.png/.svg``, ``layers.csv``, ``results.json``.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from lic.data.images import CropSampler, load_kodak
from lic.errors import ArtifactError, ParameterError
from lic.fileio import atomic_write_text, write_json
from lic.hw.rtl.synth import recorded_resources
from lic.study.params import stage_presets
from lic.study.plots import finish_layout, save_figure
from lic.study.runner import Stage, git_commit, input_stage, resolve_params
from lic.train.specs import lambda_tag

__all__ = ["PRESETS", "stage_handle", "run", "cosim_report", "fps_sweep", "fps_figure", "plan_layer_table",
           "comparison_table", "beats_table", "codec_fps_table", "rtl_ga_table", "rtl_ga_summary",
           "MODELLED", "MEASURED", "MEASURED_RTL"]

MODELLED = "modelled (lic.hw.fpga_model)"
MEASURED = "measured (C-sim beats)"
MEASURED_RTL = "measured (Verilator, cycle-accurate RTL of g_a)"

#: preset -> parameters (plus :data:`lic.study.runner.COMMON`), from the typed table :data:`lic.study.params.STAGE_PARAMS`
PRESETS = stage_presets("04")


def _input(p: dict, upstream: dict | None, check: bool = True) -> Stage:
    stage = "03" if p["source"] == "quant" else "01"
    if p["source"] not in ("quant", "teacher"):
        raise ParameterError(f"source must be 'quant' (stage 03) or 'teacher' (stage 01), got {p['source']!r}")
    if check:
        return input_stage(stage, p["preset"], upstream)
    from lic.study.runner import stage_module

    return stage_module(stage).stage_handle(p["preset"], upstream)


def stage_handle(preset: str = "quick", upstream: dict | None = None) -> Stage:
    """The stage-04 artifact for a preset (+ ``upstream`` overrides of this and earlier stages)."""
    upstream = upstream or {}
    p = resolve_params("04", preset, **upstream.get("04", {}))
    src = _input(p, upstream, check=False)
    return Stage("04", p, {src.stage: src.key})


def _load_models(p: dict, src: Stage, upstream: dict | None):
    """(float model, int g_a, int g_s) from the input stage.

    Raises:
        ArtifactError: stage 03 recorded no integer parameters at ``p["lmbda"]``.
    """
    from lic.hw.fixedpoint import quantize_codec

    if p["source"] == "quant":  # the hybrid model of stage 03 and the integer parameters it exported
        from lic.hw.fixedpoint import IntTransform
        from lic.study.stages.quant import load_quantized_model

        model = load_quantized_model(p["preset"], p["lmbda"], "hybrid", upstream).eval()
        files = src.results().get("int_params", {}).get(lambda_tag(p["lmbda"]))
        if files is None:
            raise ArtifactError(f"stage 03 ({p['preset']}) recorded no integer parameters at λ={p['lmbda']}")
        return model, IntTransform.load(src.dir / files["g_a"]), IntTransform.load(src.dir / files["g_s"])
    from lic.study.stages.teacher import load_teacher

    model = load_teacher(p["preset"], p["lmbda"], **(upstream or {}).get("01", {}))
    calib = CropSampler(p["train_dir"], crop=p["calib_crop"], seed=p["seed"] + 17).batch(0, p["calib_crops"])
    ga, gs = quantize_codec(model, calib)
    return model, ga, gs


def _centre_crop(img: torch.Tensor, c: int) -> torch.Tensor:
    """The ``c`` x ``c`` centre of a ``[3, H, W]`` image (the C-sim's and the RTL's Kodak inputs)."""
    y0, x0 = (img.shape[1] - c) // 2, (img.shape[2] - c) // 2
    return img[:, y0 : y0 + c, x0 : x0 + c]


def _mismatches(a: np.ndarray, b: np.ndarray) -> int:
    if a.shape != b.shape:
        return int(max(a.size, b.size))
    return int(np.count_nonzero(a != b))


def run(p: dict, force: bool = False, progress: bool = True, upstream: dict | None = None) -> dict:
    """Run stage 04 with resolved parameters ``p``.

    Steps, in order: the integer model (:func:`_load_models`), the board's folding plans, the C-sim
    (:func:`_csim`), the analytical model's tables (:func:`_model_tables`), the RTL units
    (:func:`_rtl_units`), the RTL g_a (:func:`_rtl_ga`), the Vitis tcl dry run, the figures
    (:func:`_figures`); ``results.json`` last.

    Returns:
        the stage's results (reused when the artifact exists and not ``force``).

    Raises:
        ArtifactError: the input stage is missing or recorded no integer parameters.
        ParameterError: parameters the stage cannot run with.
    """
    from lic.hw.boards import load_board
    from lic.hw.csim import tcl_dry_run
    from lic.hw.fpga_model import folding_plan

    src = _input(p, upstream)
    st = Stage("04", p, {src.stage: src.key})
    if st.done and not force:
        return st.results()
    if p.get("threads"):
        torch.set_num_threads(int(p["threads"]))
    t0 = time.monotonic()
    st.dir.mkdir(parents=True, exist_ok=True)
    model, ga, gs = _load_models(p, src, upstream)
    ga.save(st.dir / "int_g_a.npz")
    gs.save(st.dir / "int_g_s.npz")
    N, M = int(model.N), int(model.M)
    # the folding plans the model chooses for the board (one a transform)
    board = load_board(p["board"])
    clock = float(p["clock_mhz"] or board.clock_mhz)
    res0 = tuple(p["resolutions"][0])
    plans = {t: folding_plan(N, M, board, res0, clock, t, p["utilisation"]) for t in ("g_a", "g_s", "h_a", "h_s")}
    csim_plans = [plans["g_a"], plans["g_s"]] if p.get("csim_folding", "plan") == "plan" and not p["parallel"] else None
    csim = _csim(p, model, ga, gs, csim_plans, st)
    a, tables = _model_tables(p, N, M, board, clock, plans, csim_plans, csim["cycles"], st)
    rtl = _rtl_units(p, st)
    rtl_ga = _rtl_ga(p, ga, plans["g_a"], csim["kodak"], st, N, M, a) if p.get("rtl_ga") else {"status": "disabled"}
    tcl = tcl_dry_run()
    results = {
        "source": {"stage": src.stage, "key": src.key, "N": N, "M": M},
        "csim": csim["summary"],
        "codec_vs_float": csim["codec_vs_float"],
        "saturations": {"g_a": {k: int(v) for k, v in ga.saturations.items()},
                        "g_s": {k: int(v) for k, v in gs.saturations.items()}},
        **tables,
        "folding_plan": {t: pl.to_dict() for t, pl in plans.items()},
        "csim_folding": "plan" if csim_plans else "parallel",
        "plan_layers": _plan_rows(plans),
        "rtl": rtl,
        "rtl_ga": rtl_ga, "rtl_ga_resources": recorded_resources(),  # yosys, recorded by the benchmark
        "tcl_dry_run": {"commands": [c[0] for c in tcl]},
        "commit": git_commit(),
        "figures": {},
    }
    _figures(results, p, st)
    results["wall_s"] = time.monotonic() - t0
    return st.finish(results)


def _csim(p: dict, model, ga, gs, csim_plans, st: Stage) -> dict:
    """Bit-exact C-simulation: random tensors and Kodak centre crops through the dataflow tops, each
    held against :mod:`lic.hw.fixedpoint`; the Kodak crops' latents then decoded by the float model.

    Returns:
        ``{"summary": results["csim"], "codec_vs_float": rows, "cycles": the first case's shape, per-layer
        beats and :class:`lic.hw.csim.CSimResult` objects, "kodak": [(name, image)]}``; ``csim.csv`` written.
    """
    from lic.hw.csim import CSim
    from lic.hw.fixedpoint import evaluate_int_codec, image_to_int

    t_build = time.monotonic()
    csim = CSim(ga, gs, work_dir=st.dir / "hls", max_width=max(p["csim_crop"], p["csim_shape"][1]),
                parallel=p["parallel"] or None, plans=csim_plans)
    build_s = time.monotonic() - t_build
    rng = np.random.default_rng(p["seed"])
    h, w = p["csim_shape"]
    cases = [("random", rng.integers(0, 256, (3, h, w))) for _ in range(p["csim_random"])]
    kodak = load_kodak(p["kodak_dir"], limit=p["csim_kodak"])
    for name, img in kodak:
        cases.append((name, image_to_int(_centre_crop(img, p["csim_crop"]))))
    rows, cycles, kodak_cmp = [], None, []
    for name, x in cases:
        ref_y = ga.run(x)
        sim = csim.run(x, "g_a")
        ref_x = gs.run(ref_y)
        sim_s = csim.run(ref_y, "g_s")
        rows.append({"input": name, "shape": "x".join(map(str, x.shape)), "g_a_values": int(ref_y.size),
                     "g_a_mismatches": _mismatches(sim.output, ref_y), "g_s_values": int(ref_x.size),
                     "g_s_mismatches": _mismatches(sim_s.output, ref_x)})
        if cycles is None:
            cycles = {"shape": x.shape, "g_a": sim.cycles, "g_s": sim_s.cycles, "sims": {"g_a": sim, "g_s": sim_s}}
        if name != "random":
            xf = torch.from_numpy(np.asarray(x, dtype=np.float32) / 255.0).unsqueeze(0)
            r = evaluate_int_codec(model, xf, ga, gs, y_int=sim.output[None])
            kodak_cmp.append({"image": name, **{k: float(v) for k, v in r.items()}})
    df = pd.DataFrame(rows)
    atomic_write_text(st.dir / "csim.csv", df.to_csv(index=False))
    summary = {"rows": rows, "mismatches": int(df.g_a_mismatches.sum() + df.g_s_mismatches.sum()),
               "values": int(df.g_a_values.sum() + df.g_s_values.sum()), "build_s": build_s}
    return {"summary": summary, "codec_vs_float": kodak_cmp, "cycles": cycles, "kodak": kodak}


def _model_tables(p: dict, N: int, M: int, board, clock: float, plans: dict, csim_plans, cycles: dict,
                  st: Stage) -> tuple:
    """The analytical throughput model on the board (best design a resolution, FPS sweep, codec FPS,
    published designs), cross-checked with the C-sim's cycle counters at the C-sim's folding.

    Returns:
        ``(assumptions, {results.json entry: value})``; ``layers.csv`` written.

    Raises:
        ParameterError: N does not fit the board even with one MAC unit a layer.
    """
    from lic.hw.fpga_model import (
        assumptions,
        best_designs,
        codec_fps,
        codec_layers,
        compare_measured,
        design_from_parallelism,
    )
    from lic.hw.published import comparison_table as published_table
    from lic.hw.published import our_rows

    a = assumptions(clock_mhz=clock)
    budget = board.budget(p["utilisation"])
    designs = {f"{r[0]}x{r[1]}": d for _, r, d in best_designs([N], budget, a, M, p["resolutions"], p["transforms"])}
    if any(d is None for d in designs.values()):
        raise ParameterError(f"N={N} does not fit {p['board']} even with one MAC unit a layer")
    res0 = tuple(p["resolutions"][0])
    layer_df = designs[f"{res0[0]}x{res0[1]}"].table()
    atomic_write_text(st.dir / "layers.csv", layer_df.to_csv(index=False))
    sweep = fps_sweep(N, M, res0, board, a, p["transforms"])
    _, ch, cw = cycles["shape"]
    par = {l.name: (l.pe, l.simd) for t in ("g_a", "g_s") for l in plans[t].layers} if csim_plans \
        else {k: tuple(v) for k, v in (p["parallel"] or {}).items()}
    csim_design = design_from_parallelism(codec_layers(N, M, (cw, ch), transforms="g_a", a=a),
                                          {k: v for k, v in par.items() if k.startswith("g_a")}, a)
    cross = compare_measured(csim_design, cycles["g_a"], column="compute_cycles")
    return a, {
        "throughput": {r: {**d.summary(), "label": MODELLED} for r, d in designs.items()},
        "realtime": {r: bool(d.fps >= p["fps_target"]) for r, d in designs.items()}, "fps_target": p["fps_target"],
        "board": {"name": board.name, "part": board.part, "budget": budget.as_dict(), "clock_mhz": a.clock_mhz},
        "assumptions": a.as_dict(),
        "layers": layer_df.to_dict("records"),
        "fps_sweep": sweep.to_dict("records"),
        "model_vs_csim_cycles": cross.to_dict("records"),
        "codec_fps": codec_fps(N, M, board, res0, clock, p["utilisation"], a).to_dict("records"),
        "beats_vs_model": _beats_rows(N, M, (cw, ch), a, par, cycles["sims"]),
        "comparison": published_table(our_rows(N, M, board.name, res0, clock, p["utilisation"], a)
                                      ).to_dict("records"),
    }


def _rtl_units(p: dict, st: Stage) -> dict:
    """The RTL units under iverilog and yosys (:func:`cosim_report`), or why not: a missing tool is
    reported, not fatal."""
    from lic.hw.csim import ToolError

    if not p["rtl"]:
        return {"status": "disabled"}
    try:
        return {"status": "ok", **cosim_report(st.dir / "rtl", n_vectors=p["rtl_vectors"], seed=p["seed"])}
    except ToolError as exc:
        return {"status": f"skipped: {exc}"}


def _figures(results: dict, p: dict, st: Stage) -> None:
    """Save the stage's figures and record them in ``results["figures"]``."""
    fig = fps_figure(results, caption=f"preset={p['preset']} N={results['source']['N']} "
                                      f"board={results['board']['name']} {results['board']['clock_mhz']:g} MHz "
                                      f"commit={results['commit']}")
    results["figures"]["fps"] = save_figure(fig, st.dir, "fps_vs_parallelism")


def _rtl_ga(p: dict, ga, plan, kodak: list, st: Stage, N: int, M: int, a) -> dict:
    """The whole g_a in RTL (:mod:`lic.hw.rtl.ga`) at the board plan's folding, simulated cycle by cycle with
    Verilator on a centre crop of the first Kodak image, two frames streamed back to back: mismatches vs
    :mod:`lic.hw.fixedpoint`, measured cycles a frame and a pixel, FPS at the headline resolution, and the
    model's cycles a layer beside the measured ones. A missing Verilator is reported, not fatal."""
    from lic.hw.csim import ToolError
    from lic.hw.fixedpoint import image_to_int
    from lic.hw.fpga_model import codec_layers, design_from_parallelism
    from lic.hw.rtl import measure, regrid, verilator_bin

    c = int(p["rtl_ga_crop"])
    if c < 16 or c % 16:
        raise ParameterError(f"rtl_ga_crop must be a multiple of 16 (g_a downsamples by 16), got {c}")
    name, img = kodak[0]
    if min(img.shape[1:]) < c:
        raise ParameterError(f"rtl_ga_crop={c} is larger than {name} ({img.shape[1]}x{img.shape[2]})")
    x = image_to_int(_centre_crop(img, c))
    res = tuple(p["resolutions"][0])
    try:
        verilator_bin()
    except ToolError as exc:  # the tool is missing: say so; a failing build or simulation raises
        return {"status": f"skipped: {exc}"}
    m = measure(ga, regrid(ga, plan, (c, c)), x, st.dir / "rtl_ga", clock_mhz=plan.clock_mhz,
                fps_resolution=res, frames=2)
    cores = int(plan.notes.get("cores", 1))  # the RTL is one core; the plan may replicate it
    model_cpp = float(plan.notes["cycles"]) / (res[0] * res[1])  # one core's cycles a pixel at `res`
    fm = design_from_parallelism(codec_layers(N, M, (c, c), transforms="g_a", a=a),
                                 {l.name: (l.pe, l.simd) for l in plan.layers}, a)
    fm_cycles = {s_.layer.name: s_.compute_cycles for s_ in fm.stages}
    layers = [{"layer": k, "pe": v["pe"], "simd": v["simd"], "measured_busy_plus_fill": v["work"],
               "fpga_model_cycles": fm_cycles[k], "fpga_model_over_measured": fm_cycles[k] / max(v["work"], 1),
               "rtl_model_cycles": v["model"], "rtl_model_over_measured": v["model_over_work"],
               "stall": v["stall"], "starve": v["starve"], "label": MEASURED_RTL}
              for k, v in m["layers"].items()]
    return {"status": "ok", "label": MEASURED_RTL, "image": f"{name} centre {c}x{c}", "N": N,
            "mismatches": int(m["mismatches"]), "latents": int(m["n_latents"]),
            "cycles_first_frame": int(m["cycles"]), "interval_cycles": int(m["interval"]),
            "cycles_per_pixel": float(m["cycles_per_pixel"]), "cycles_per_pixel_modelled": model_cpp,
            "model_over_measured": model_cpp / float(m["cycles_per_pixel"]), "clock_mhz": float(m["clock_mhz"]),
            "resolution": f"{res[0]}x{res[1]}", "fps_measured_one_core": float(m["fps"]),
            "fps_latency_measured": float(m["fps_latency"]), "cores": cores,
            "fps_measured": float(m["fps"]) * cores, "fps_modelled": float(plan.notes["fps"]), "layers": layers,
            "build_s": float(m["build_s"]), "sim_wall_s": float(m["sim_wall_s"]), "verilator": m["verilator"]}


def cosim_report(out_dir: str | os.PathLike, n_vectors: int = 10000, seed: int = 0,
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


def rtl_ga_summary(results: dict) -> pd.DataFrame:
    """The RTL g_a's measured cycles a pixel and frame rate next to the model's (one row), or its status.

    The RTL is one core: ``fps_measured`` is its measured rate times the cores the plan replicates."""
    r = results.get("rtl_ga", {})
    if r.get("status") != "ok":
        return pd.DataFrame([{"rtl_ga": r.get("status", "not run")}])
    keys = ["image", "mismatches", "latents", "interval_cycles", "cycles_per_pixel", "cycles_per_pixel_modelled",
            "model_over_measured", "clock_mhz", "resolution", "fps_measured_one_core", "cores", "fps_measured",
            "fps_modelled", "sim_wall_s"]
    return pd.DataFrame([{k: r.get(k) for k in keys} | {"label": r["label"]}])


def rtl_ga_table(results: dict) -> pd.DataFrame:
    """Per layer of the RTL g_a: the model's cycles next to the measured busy + fill cycles a frame."""
    return pd.DataFrame(results.get("rtl_ga", {}).get("layers", []))


def _plan_rows(plans: dict) -> list[dict]:
    rows = []
    for t, pl in plans.items():
        for r in pl.table().to_dict("records"):
            rows.append({"transform": t, **r, "fps": pl.notes["fps"], "label": MODELLED})
    return rows


def _beats_rows(N, M, res, a, par, sims) -> list[dict]:
    """C-sim beats, words and bank conflicts a layer next to the model's cycles (same folding)."""
    from lic.hw.fpga_model import codec_layers, design_from_parallelism

    rows = []
    for t in ("g_a", "g_s"):
        d = design_from_parallelism(codec_layers(N, M, res, t, a=a),
                                    {k: v for k, v in par.items() if k.startswith(t)}, a)
        sim = sims[t]
        for s in d.stages:
            n = s.layer.name
            rows.append({"layer": n, "pe": s.pe, "simd": s.simd, "model_cycles": s.compute_cycles,
                         "csim_beats": sim.cycles[n], "equal": sim.cycles[n] == s.compute_cycles,
                         "words_in": sim.words_in[n], "words_out": sim.words_out[n],
                         "weight_reads": sim.mem_reads[n], "bank_conflicts": sim.conflicts[n],
                         "label": MEASURED})
    return rows


def plan_layer_table(results: dict) -> pd.DataFrame:
    """Per-layer folding plan (g_a, g_s, h_a, h_s): lanes, FIFO, line buffer, cycles, DSP,
    BRAM36, LUT, FF — labelled modelled."""
    return pd.DataFrame(results.get("plan_layers", []))


def comparison_table(results: dict) -> pd.DataFrame:
    """Published FPGA LIC designs next to ours (:mod:`lic.hw.published`), every number sourced."""
    return pd.DataFrame(results.get("comparison", []))


def beats_table(results: dict) -> pd.DataFrame:
    """C-sim beats a layer vs the model's cycles at the C-sim's frame size and folding."""
    return pd.DataFrame(results.get("beats_vs_model", []))


def codec_fps_table(results: dict) -> pd.DataFrame:
    """Modelled FPS of g_a, g_s, h_a, h_s, encoder and decoder, each alone on the board."""
    return pd.DataFrame(results.get("codec_fps", []))


def fps_sweep(N: int, M: int, resolution, board, a, transforms="g_a", steps: int = 8) -> pd.DataFrame:
    """FPS of the best design as the DSP budget grows (1/steps .. all of the board's budget)."""
    from lic.hw.fpga_model import best_design, codec_layers

    layers = codec_layers(N, M, resolution, transforms=transforms, a=a)
    full = board.budget(1.0)
    rows = []
    for k in range(1, steps + 1):
        b = board.budget(k / steps)
        d = best_design(layers, b, a)
        rows.append({"budget_fraction": k / steps, "dsp_budget": b.dsp, "fps": d.fps if d else 0.0,
                     "cores": d.cores if d else 0, "dsp_used": d.resources.dsp if d else 0,
                     "bram_used": d.resources.bram if d else 0, "lut_used": d.resources.lut if d else 0,
                     "device_dsp": full.dsp})
    return pd.DataFrame(rows)


def fps_figure(results: dict, caption: str = ""):
    """FPS at the first resolution vs DSP units used, with the real-time target."""
    import matplotlib.pyplot as plt

    df = pd.DataFrame(results["fps_sweep"])
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(df.dsp_used, df.fps, marker="o")
    for _, r in df.iterrows():
        ax.annotate(f"{int(r.cores)} core{'s' if r.cores > 1 else ''}", (r.dsp_used, r.fps), fontsize=7,
                    textcoords="offset points", xytext=(3, 3))
    res = next(iter(results["throughput"]))
    if results.get("fps_target"):  # the stage's real-time target (absent from results made before it was kept)
        ax.axhline(results["fps_target"], color="r", ls="--", lw=1, label=f"{results['fps_target']:g} fps target")
    ax.set_xlabel("DSP slices used (model)")
    ax.set_ylabel(f"frames/s at {res}")
    ax.set_title(f"N={results['source']['N']} on {results['board']['name']}: FPS vs parallelism")
    ax.grid(alpha=0.3)
    ax.legend()
    return finish_layout(fig, caption)
