"""Stage 04: the accelerator — integer model, bit-exact C-simulation, RTL co-simulation and the
analytical throughput / resource model on the target board.

Input: the stage-03 artifact (the hybrid-quantized student and its integer parameters), or, with
``source="teacher"``, the stage-01 teacher quantized here with :func:`lic.hw.fixedpoint.quantize_codec`.

Artifacts in ``artifacts/04_hls/<key>/``: ``int_g_a.npz`` / ``int_g_s.npz`` (integer parameters),
``hls/generated/parameters.h`` + ``hls/build/`` (C-sim), ``rtl/`` (co-simulation vectors, VCD),
``fps_vs_parallelism.png/.svg``, ``layers.csv``, ``results.json``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from lic.data.images import CropSampler, load_kodak
from lic.errors import ArtifactError, ParameterError
from lic.fileio import atomic_write_text
from lic.hw.rtl.encsynth import RECORDED as ENCODER_RECORDED
from lic.hw.rtl.encsynth import recorded_encoder_resources
from lic.hw.rtl.synth import RECORDED, recorded_resources
from lic.provenance import git_commit, records_key
from lic.study.artifacts import StageArtifact, input_keys, load_model, prepare
from lic.study.config import HlsConfig
from lic.study.params import stage_presets
from lic.study.plots import finish_layout, save_figure
from lic.study.stages.cosim import cosim_report, hyper_csim
from lic.train.specs import lambda_tag

__all__ = ["PRESETS", "reads", "key_inputs", "run", "cosim_report", "fps_sweep", "fps_figure", "plan_layer_table",
           "comparison_table", "beats_table", "codec_fps_table", "rtl_ga_table", "rtl_ga_summary",
           "MODELLED", "MEASURED", "MEASURED_RTL"]

MODELLED = "modelled (lic.hw.fpga_model)"
MEASURED = "measured (C-sim beats)"
MEASURED_RTL = "measured (Verilator, cycle-accurate RTL of g_a)"

#: preset -> parameters (plus :data:`lic.study.runner.COMMON`), from the typed table :data:`lic.study.params.STAGE_PARAMS`
PRESETS = stage_presets("04")


def reads(cfg: HlsConfig) -> tuple[str, ...]:
    """The stage 04 reads: 03 (``source="quant"``) or 01 (``"teacher"``).

    Raises:
        ParameterError: a bad ``source``.
    """
    if cfg["source"] not in ("quant", "teacher"):
        raise ParameterError(f"source must be 'quant' (stage 03) or 'teacher' (stage 01), got {cfg['source']!r}")
    return ("03",) if cfg["source"] == "quant" else ("01",)


def key_inputs(cfg: HlsConfig, inputs: dict[str, StageArtifact]) -> dict:
    """What the key covers besides the parameters: the input stage's key and the benchmark records it cites
    (the whole g_a's and the whole encoder's synthesis, :func:`lic.provenance.records_key`)."""
    return {**input_keys(inputs), "records": records_key([RECORDED, ENCODER_RECORDED])}


def _load_models(p: HlsConfig, src: StageArtifact):
    """(float model, int g_a, int g_s) from the input artifact ``src``.

    Raises:
        ArtifactError: stage 03 recorded no integer parameters at ``p.lmbda``.
    """
    from lic.hw.fixedpoint import quantize_codec

    if src.stage == "03":  # the hybrid model of stage 03 and the integer parameters it exported
        from lic.hw.fixedpoint import IntTransform

        model = load_model(src, p.lmbda, row="hybrid").eval()
        files = src.results().get("int_params", {}).get(lambda_tag(p.lmbda))
        if files is None:
            raise ArtifactError(f"stage 03 ({p.preset}) recorded no integer parameters at λ={p.lmbda}")
        return model, IntTransform.load(src.dir / files["g_a"]), IntTransform.load(src.dir / files["g_s"])
    model = load_model(src, p.lmbda)
    calib = CropSampler(p.train_dir, crop=p.calib_crop, seed=p.seed + 17).batch(0, p.calib_crops)
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


@dataclass
class _Hw:
    """What the steps of stage 04 share: its config and artifact, the model's widths, the board, its clock,
    the analytical model's assumptions, the board's folding plans (one a transform) and the C-sim's
    (None: the C-sim is built with ``parallel``)."""

    p: HlsConfig
    st: StageArtifact
    N: int
    M: int
    board: Any
    clock: float
    a: Any
    plans: dict
    csim_plans: list | None


def _hardware(p: HlsConfig, st: StageArtifact, N: int, M: int) -> _Hw:
    """The board, its clock, the model's assumptions and the folding plans the model chooses for it."""
    from lic.hw.boards import load_board
    from lic.hw.fpga_model import assumptions, folding_plan

    board = load_board(p.board)
    clock = float(p.clock_mhz or board.clock_mhz)
    res0 = tuple(p.resolutions[0])
    plans = {t: folding_plan(N, M, board, res0, clock, t, p.utilisation) for t in ("g_a", "g_s", "h_a", "h_s")}
    csim_plans = [plans["g_a"], plans["g_s"]] if p.get("csim_folding", "plan") == "plan" and not p.parallel else None
    return _Hw(p, st, N, M, board, clock, assumptions(clock_mhz=clock), plans, csim_plans)


def run(cfg: HlsConfig, inputs: dict[str, StageArtifact] | None = None, *, out: StageArtifact | None = None,
        force: bool = False, progress: bool = True) -> dict:
    """Run stage 04 with its config on the finished artifact it reads (``inputs["03"]``, or ``["01"]`` with
    ``source="teacher"``), as a plan gives it (``pl.inputs("04")``).

    Steps, in order: the integer model (:func:`_load_models`), the board's folding plans (:func:`_hardware`),
    the C-sim (:func:`_csim`), the analytical model's tables (:func:`_model_tables`), the RTL units
    (:func:`_rtl_units`), the RTL g_a (:func:`_rtl_ga`), the Vitis tcl dry run, the figures
    (:func:`_figures`); ``results.json`` last.

    Returns:
        the stage's results (reused when the artifact exists and not ``force``).

    Raises:
        ArtifactError: the input stage is missing or recorded no integer parameters.
        ParameterError: parameters the stage cannot run with, or no ``inputs``.
    """
    from lic.hw.csim import tcl_dry_run

    p, inputs, st = prepare("04", cfg, inputs, out)
    (src,) = inputs.values()
    if st.done and not force:
        return st.results()
    if p.threads:
        torch.set_num_threads(int(p.threads))
    t0 = time.monotonic()
    st.dir.mkdir(parents=True, exist_ok=True)
    model, ga, gs = _load_models(p, src)
    ga.save(st.dir / "int_g_a.npz")
    gs.save(st.dir / "int_g_s.npz")
    hw = _hardware(p, st, int(model.N), int(model.M))
    csim = _csim(hw, model, ga, gs)
    csim_hyper = hyper_csim(model, csim["kodak"], p.csim_crop, st.dir / "hls")
    tables = _model_tables(hw, csim["cycles"])
    rtl = _rtl_units(p, st)
    rtl_ga = _rtl_ga(hw, ga, csim["kodak"]) if p.rtl_ga else {"status": "disabled"}
    tcl = tcl_dry_run()
    results = {
        "source": {"stage": src.stage, "key": src.key, "N": hw.N, "M": hw.M},
        "csim": csim["summary"],
        "csim_hyper": csim_hyper,  # the integer entropy model's h_a, h_s (lic.codec.intprior) in the HLS C-sim
        "codec_vs_float": csim["codec_vs_float"],
        "saturations": {"g_a": {k: int(v) for k, v in ga.saturations.items()},
                        "g_s": {k: int(v) for k, v in gs.saturations.items()}},
        **tables,
        "folding_plan": {t: pl.to_dict() for t, pl in hw.plans.items()},
        "csim_folding": "plan" if hw.csim_plans else "parallel",
        "plan_layers": _plan_rows(hw.plans),
        "rtl": rtl,
        "rtl_ga": rtl_ga, "rtl_ga_resources": recorded_resources(),  # yosys, recorded by the benchmark
        # the whole encoder's yosys record, stale unless of this board and resolution, the released model, its frame
        "rtl_encoder_resources": recorded_encoder_resources(resolution=p.resolutions[0], board=hw.board.name),
        "tcl_dry_run": {"commands": [c[0] for c in tcl]},
        "commit": git_commit(),
        "figures": {},
    }
    _figures(results, p, st)
    results["wall_s"] = time.monotonic() - t0
    return st.finish(results)


def _csim(hw: _Hw, model, ga, gs) -> dict:
    """Bit-exact C-simulation: random tensors and Kodak centre crops through the dataflow tops, each
    held against :mod:`lic.hw.fixedpoint`; the Kodak crops' latents then decoded by the float model.

    Returns:
        ``{"summary": results["csim"], "codec_vs_float": rows, "cycles": the first case's shape, per-layer
        beats and :class:`lic.hw.csim.CSimResult` objects, "kodak": [(name, image)]}``; ``csim.csv`` written.
    """
    from lic.hw.csim import CSim
    from lic.hw.fixedpoint import evaluate_int_codec, image_to_int

    p, st = hw.p, hw.st
    t_build = time.monotonic()
    csim = CSim(ga, gs, work_dir=st.dir / "hls", max_width=max(p.csim_crop, p.csim_shape[1]),
                parallel=p.parallel or None, plans=hw.csim_plans)
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


def _model_tables(hw: _Hw, cycles: dict) -> dict:
    """The analytical throughput model on the board (best design a resolution, FPS sweep, codec FPS,
    published designs), cross-checked with the C-sim's cycle counters at the C-sim's folding.

    Returns:
        ``{results.json entry: value}``; ``layers.csv`` written.

    Raises:
        ParameterError: N does not fit the board even with one MAC unit a layer.
    """
    from lic.hw.fpga_model import best_designs, codec_fps, codec_layers, compare_measured, design_from_parallelism
    from lic.hw.published import comparison_table as published_table
    from lic.hw.published import our_rows

    p, st, N, M, board, clock, a = hw.p, hw.st, hw.N, hw.M, hw.board, hw.clock, hw.a
    plans, csim_plans = hw.plans, hw.csim_plans
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
    return {
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


def _rtl_units(p: HlsConfig, st: StageArtifact) -> dict:
    """The RTL units under iverilog and yosys (:func:`cosim_report`), or why not: a missing tool is
    reported, not fatal."""
    from lic.hw.csim import ToolError

    if not p["rtl"]:
        return {"status": "disabled"}
    try:
        return {"status": "ok", **cosim_report(st.dir / "rtl", n_vectors=p["rtl_vectors"], seed=p["seed"])}
    except ToolError as exc:
        return {"status": f"skipped: {exc}"}


def _figures(results: dict, p: HlsConfig, st: StageArtifact) -> None:
    """Save the stage's figures and record them in ``results["figures"]``."""
    fig = fps_figure(results, caption=f"preset={p['preset']} N={results['source']['N']} "
                                      f"board={results['board']['name']} {results['board']['clock_mhz']:g} MHz "
                                      f"commit={results['commit']}")
    results["figures"]["fps"] = save_figure(fig, st.dir, "fps_vs_parallelism")


def _rtl_ga(hw: _Hw, ga, kodak: list) -> dict:
    """The whole g_a in RTL (:mod:`lic.hw.rtl.ga`) at the board plan's folding, simulated cycle by cycle with
    Verilator on a centre crop of the first Kodak image, two frames streamed back to back: mismatches vs
    :mod:`lic.hw.fixedpoint`, measured cycles a frame and a pixel, FPS at the headline resolution, and the
    model's cycles a layer beside the measured ones. A missing Verilator is reported, not fatal."""
    from lic.hw.csim import ToolError
    from lic.hw.fixedpoint import image_to_int
    from lic.hw.fpga_model import codec_layers, design_from_parallelism
    from lic.hw.rtl import measure, regrid, verilator_bin

    p, st, N, M, a, plan = hw.p, hw.st, hw.N, hw.M, hw.a, hw.plans["g_a"]
    c = int(p.rtl_ga_crop)
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


def fps_sweep(N: int, M: int, resolution, board, a, transforms="g_a", *, steps: int = 8) -> pd.DataFrame:
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
