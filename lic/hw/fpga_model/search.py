"""Pipelines: the cheapest design for a cycle target, the fastest on a budget, tables."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

import pandas as pd

from lic.errors import ParameterError
from lic.hw.fpga_model.core import Assumptions, Layer, Resources, codec_layers
from lic.hw.fpga_model.stage import Stage, _options, _overhead, stage_for_units

__all__ = ["PipelineDesign", "design_for_cycles", "design_from_parallelism", "allocate", "best_design",
           "best_designs", "design_row", "throughput_table", "compare_measured"]


def _min_stage(layer: Layer, target: int, a: Assumptions, in_words: int = 1) -> Stage | None:
    """Cheapest stage of ``layer`` taking <= ``target`` cycles (fewest DSPs, then LUTs, BRAM,
    lanes: :func:`_cost`); None if none. The feasible set only grows with ``target``, so the
    DSPs of the chosen stage never grow as the target relaxes."""
    kernel = a.schedule == "kernel" and a.folding != "ideal"
    budget = target - (a.stage_overhead_cycles if kernel else _overhead(layer, a))
    if budget <= 0:
        return None
    if a.folding == "ideal":  # any P (recorded as pe=1, simd=P); cycles fall with P
        def split(P):
            return 1, P

        lo, hi = 1, layer.in_dim * layer.out_dim
        if stage_for_units(layer, *split(hi), a).cycles > target:
            return None
        while lo < hi:
            mid = (lo + hi) // 2
            if stage_for_units(layer, *split(mid), a).cycles <= target:
                hi = mid
            else:
                lo = mid + 1
        return stage_for_units(layer, *split(lo), a)
    cycles, best = _stage_table(layer, a, in_words)
    i = bisect.bisect_right(cycles, target) - 1
    return best[i] if i >= 0 else None


@lru_cache(maxsize=4096)
def _stage_table(layer: Layer, a: Assumptions, in_words: int) -> tuple[list[int], list[Stage]]:
    """Every folding of ``layer`` sorted by cycles, with the cheapest (:func:`_cost`) stage
    among those at most that slow: ``_min_stage`` is then one bisection."""
    stages = sorted((_stage(layer, pe, simd, a, in_words)
                     for _, pe, simd in _combos(layer.in_dim, layer.out_dim, a.folding)),
                    key=lambda x: (x.cycles, _cost(x)))
    cycles, best = [], []
    for x in stages:
        if best and _cost(best[-1]) <= _cost(x):
            x = best[-1]
        cycles.append(stages[len(cycles)].cycles)
        best.append(x)
    return cycles, best


def _cost(s: Stage) -> tuple:
    """Order of preference among stages that meet a target: DSPs, then LUTs, BRAM, lanes."""
    r = s.resources
    return (r.dsp, r.lut, r.bram, s.units)


@lru_cache(maxsize=1 << 16)
def _stage(layer: Layer, pe: int, simd: int, a: Assumptions, in_words: int) -> Stage:
    return stage_for_units(layer, pe, simd, a, in_words)


@lru_cache(maxsize=4096)
def _combos(in_dim: int, out_dim: int, folding: str) -> tuple[tuple[int, int, int], ...]:
    """Every legal ``(iterations, pe, simd)`` of a layer: all divisor pairs under exact folding
    (several foldings with the same lanes differ in DSPs: packing needs PE >= 2), the Pareto
    options of :func:`_options` otherwise."""
    if folding == "exact":
        sv = [d for d in range(1, in_dim + 1) if in_dim % d == 0]
        pv = [d for d in range(1, out_dim + 1) if out_dim % d == 0]
        return tuple(sorted(((in_dim // sm) * (out_dim // pe), pe, sm) for sm in sv for pe in pv))
    _, its, ps = _options(in_dim, out_dim, folding)
    return tuple((-it, pe, sm) for it, (pe, sm) in zip(its, ps))


def _in_words(prev: Stage | None, layer: Layer) -> int:
    """Stream words an input pixel of ``layer``: ``cin / prev.pe`` when chained, else 1."""
    if prev is None or prev.layer.cout != layer.cin or prev.layer.transform != layer.transform:
        return 1
    return layer.cin // prev.pe


@dataclass(frozen=True)
class PipelineDesign:
    """A dataflow pipeline (one stage a layer), possibly replicated ``cores`` times.

    Args:
        stages: the stages, in dataflow order.
        assumptions: the constants used.
        cores: replicated pipelines, each processing whole frames.
    """

    stages: tuple[Stage, ...]
    assumptions: Assumptions
    cores: int = 1

    @property
    def cycles(self) -> int:
        """Cycles a frame of the slowest stage (initiation interval of a frame)."""
        return max(s.cycles for s in self.stages)

    @property
    def bottleneck(self) -> str:
        """Name of the slowest stage."""
        return max(self.stages, key=lambda s: s.cycles).layer.name

    @property
    def latency_cycles(self) -> int:
        """Approximate frame latency: sum of the stages' fill cycles plus the slowest stage."""
        return sum(s.fill_cycles for s in self.stages) + self.cycles

    @property
    def fps(self) -> float:
        """Frames per second of all cores together."""
        per = self.cycles if self.assumptions.frame_overlap else self.latency_cycles
        return self.cores * self.assumptions.clock_mhz * 1e6 / per

    @property
    def latency_ms(self) -> float:
        return self.latency_cycles / (self.assumptions.clock_mhz * 1e3)

    @property
    def core_resources(self) -> Resources:
        """Resources of one pipeline."""
        tot = Resources()
        for s in self.stages:
            tot = tot + s.resources
        return tot

    @property
    def resources(self) -> Resources:
        """All cores plus the platform shell."""
        a = self.assumptions
        return self.core_resources.times(self.cores) + Resources(a.shell_dsp, a.shell_bram, a.shell_lut)

    def table(self) -> pd.DataFrame:
        """One row a stage: parallelism, cycles, share of the bottleneck, resources."""
        T = self.cycles
        rows = []
        for s in self.stages:
            l = s.layer
            rows.append({"name": l.name, "kind": l.kind, "macs": l.macs, "pe": s.pe,
                         "simd": s.simd, "units": s.units, "lanes": s.units, "nonlinear_units": s.nonlinear_units,
                         "mult_units": s.mult_units, "cycles": s.cycles,
                         "utilisation": s.cycles / T, **s.resources.as_dict()})
        return pd.DataFrame(rows)

    def summary(self) -> dict:
        """Headline numbers: FPS, cycles, bottleneck, cores, resources."""
        return {"fps": self.fps, "cycles": self.cycles, "latency_ms": self.latency_ms,
                "bottleneck": self.bottleneck, "cores": self.cores,
                "clock_mhz": self.assumptions.clock_mhz, **self.resources.as_dict()}


def design_for_cycles(layers: Sequence[Layer], target_cycles: int, a: Assumptions | None = None,
                      cores: int = 1) -> PipelineDesign | None:
    """Cheapest pipeline whose every stage takes at most ``target_cycles`` a frame.

    Args:
        layers: the pipeline's layers.
        target_cycles: cycle budget a frame of every stage.
        a: assumptions.
        cores: replicated pipelines.

    Returns:
        The design, or None when some stage cannot go that fast even fully unrolled.
    """
    a = a or Assumptions()
    stages: list[Stage] = []
    for l in layers:
        s = _min_stage(l, int(target_cycles), a, _in_words(stages[-1] if stages else None, l))
        if s is None:
            return None
        stages.append(s)
    return PipelineDesign(tuple(stages), a, cores)


def design_from_parallelism(layers: Sequence[Layer], parallelism: Mapping[str, tuple[int, int]],
                            a: Assumptions | None = None, cores: int = 1) -> PipelineDesign:
    """A pipeline with the given (PE, SIMD) per layer name (e.g. the C-sim configuration).

    Args:
        layers: the pipeline's layers.
        parallelism: layer name -> (pe, simd); missing layers get (1, 1).
        a: assumptions.
        cores: replicated pipelines.
    """
    a = a or Assumptions()
    unknown = sorted(set(parallelism) - {l.name for l in layers})
    if unknown:
        raise ParameterError(f"parallelism for unknown layer(s) {unknown}")
    stages: list[Stage] = []
    for l in layers:
        iw = _in_words(stages[-1] if stages else None, l)
        stages.append(stage_for_units(l, *parallelism.get(l.name, (1, 1)), a=a, in_words=iw))
    return PipelineDesign(tuple(stages), a, cores)


def _cycle_bounds(layers: Sequence[Layer], a: Assumptions) -> tuple[int, int]:
    """Cycles of the slowest stage when fully unrolled / when folded to one MAC lane."""
    lo = max(stage_for_units(l, l.out_dim, l.in_dim, a).cycles for l in layers)
    hi = max(stage_for_units(l, 1, 1, a).cycles for l in layers)
    return lo, hi


@lru_cache(maxsize=256)
def _candidates(layers: tuple[Layer, ...], a: Assumptions) -> tuple[int, ...]:
    """Every cycle count a stage can take (each layer's Pareto foldings, each input word
    width its producer's foldings allow): the only targets at which a design changes."""
    if a.folding == "ideal":
        lo, hi = _cycle_bounds(layers, a)
        return tuple(range(lo, hi + 1, max(1, (hi - lo) // 4096)))
    out: set[int] = set()
    prev_pes = {1}
    for l in layers:
        combos = _combos(l.in_dim, l.out_dim, a.folding)
        words = {1} | {l.cin // p for p in prev_pes if l.cin % p == 0}
        for _, pe, simd in combos:
            for iw in words:
                out.add(_stage(l, pe, simd, a, iw).cycles)
        prev_pes = {pe for _, pe, _ in combos}
    return tuple(sorted(out))


def _scan_fastest(layers, a, cores, ok, ok_dsp) -> PipelineDesign | None:
    """Design at the smallest candidate target satisfying ``ok``.

    DSPs only grow as the target shrinks (each stage takes the fewest lanes that meet it),
    so the first target whose DSPs fit is bisected; BRAM (bank shapes, LUTRAM thresholds)
    and LUTs are not monotone, so from there every candidate is tried in ascending order.
    """
    cands = _candidates(tuple(layers), a)
    lo, hi = 0, len(cands)
    while lo < hi:  # first candidate with a design whose DSPs fit
        mid = (lo + hi) // 2
        d = design_for_cycles(layers, cands[mid], a, cores)
        if d is not None and ok_dsp(d):
            hi = mid
        else:
            lo = mid + 1
    for T in cands[lo:]:
        d = design_for_cycles(layers, T, a, cores)
        if d is not None and ok(d):
            return d
    return None


def allocate(layers: Sequence[Layer], budget: Resources | int, a: Assumptions | None = None,
             cores: int = 1) -> PipelineDesign | None:
    """Fastest single pipeline whose resources fit ``budget`` (stages balanced by MACs).

    Every candidate target is tried from the fastest whose DSPs fit upwards (BRAM is not
    monotone in the target), so no fitting design at a smaller target is missed.

    Args:
        layers: the pipeline's layers.
        budget: resources for this pipeline, or an int meaning a DSP-only budget.
        a: assumptions.
        cores: recorded on the design (the budget is per core).

    Returns:
        The design, or None if even one MAC unit a stage does not fit.
    """
    a = a or Assumptions()
    if isinstance(budget, int):
        ok = lambda d: d.core_resources.dsp <= budget  # noqa: E731
        return _scan_fastest(layers, a, cores, ok, ok)
    return _scan_fastest(layers, a, cores, lambda d: d.core_resources.fits(budget),
                         lambda d: d.core_resources.dsp <= budget.dsp)


def _shell(a: Assumptions) -> Resources:
    return Resources(a.shell_dsp, a.shell_bram, a.shell_lut)


def best_design(layers: Sequence[Layer], budget: Resources, a: Assumptions | None = None,
                fps: float | None = None) -> PipelineDesign | None:
    """Best design on a device budget, over 1..``a.max_cores`` replicated pipelines.

    With ``fps`` None: the highest-FPS design. With ``fps``: the cheapest design reaching
    ``fps`` (fewest cores first, each core as slow as allowed), or None if none fits.

    Args:
        layers: the pipeline's layers.
        budget: device resources available (the shell is taken off first).
        a: assumptions.
        fps: required frames per second, or None.
    """
    a = a or Assumptions()
    avail = budget - _shell(a)
    if min(avail.dsp, avail.bram, avail.lut, avail.uram) < 0:
        return None
    lo, hi = _cycle_bounds(layers, a)
    cheapest = design_for_cycles(layers, hi, a)
    best: PipelineDesign | None = None
    for c in range(1, a.max_cores + 1):
        if cheapest is None or not cheapest.core_resources.times(c).fits(avail):
            break
        if fps is None:
            d = allocate(layers, avail.split(c), a, cores=c)
            if d is not None and (best is None or d.fps > best.fps):
                best = d
        else:  # the slowest (cheapest) fitting core design that still reaches fps
            tmax = int(c * a.clock_mhz * 1e6 / float(fps))
            for T in reversed([t for t in _candidates(tuple(layers), a) if t <= tmax]):
                x = design_for_cycles(layers, T, a, c)
                if x is not None and x.fps >= fps and x.core_resources.times(c).fits(avail):
                    return x
    return best


def best_designs(widths: Iterable[int], budget: Resources, a: Assumptions | None = None, M: int = 192,
                 resolutions: Iterable[tuple[int, int]] = ((1280, 720),), transforms: str | Iterable[str] = "g_a",
                 hyper: bool = False) -> list[tuple[int, tuple[int, int], PipelineDesign | None]]:
    """The highest-FPS design on ``budget`` (:func:`best_design`) of each width at each resolution.

    The one "for each width, the best design" loop: :func:`throughput_table`, :func:`lic.hw.design.frontier`
    and stage 04 each make their rows from it.

    Args:
        widths: transform widths N.
        budget: device resources (e.g. ``load_board("zcu102").budget(0.8)``).
        a: assumptions.
        M: latent width.
        resolutions: ``(width, height)`` pairs.
        transforms: see :func:`codec_layers`.
        hyper: see :func:`codec_layers`.

    Returns:
        ``(N, resolution, design)`` width by width, each width's resolutions in order; ``design`` is None
        where nothing fits.
    """
    a = a or Assumptions()
    res = [tuple(r) for r in resolutions]
    return [(N, r, best_design(codec_layers(N, M, r, transforms, hyper, a), budget, a)) for N in widths for r in res]


def design_row(d: PipelineDesign | None) -> dict:
    """``fps, cores, cycles, bottleneck`` and the resources of a design (0 fps, no resources if None)."""
    r = d.resources if d else Resources()
    return {"fps": d.fps if d else 0.0, "cores": d.cores if d else 0, "cycles": d.cycles if d else None,
            "bottleneck": d.bottleneck if d else None, **r.as_dict()}


def throughput_table(widths: Iterable[int], budget: Resources, M: int = 192,
                     resolutions: Iterable[tuple[int, int]] = ((1280, 720), (1920, 1080)),
                     transforms: str | Iterable[str] = "g_a", hyper: bool = False,
                     a: Assumptions | None = None) -> pd.DataFrame:
    """Highest FPS on ``budget`` for each width and resolution.

    Args:
        widths: student widths N.
        budget: device resources (e.g. ``load_board("zcu102").budget(0.8)``).
        M: latent width.
        resolutions: ``(width, height)`` pairs.
        transforms: see :func:`codec_layers`.
        hyper: see :func:`codec_layers`.
        a: assumptions.

    Returns:
        Columns ``N, resolution, fps, cores`` and, where a design fits, ``cycles, bottleneck`` and its
        resources.
    """
    rows = []
    for N, res, d in best_designs(widths, budget, a, M, resolutions, transforms, hyper):
        row = {"N": N, "resolution": f"{res[0]}x{res[1]}", **design_row(d)}
        rows.append(row if d is not None else {k: row[k] for k in ("N", "resolution", "fps", "cores")})
    return pd.DataFrame(rows)


def compare_measured(design: PipelineDesign, measured: Mapping[str, float],
                     column: str = "cycles") -> pd.DataFrame:
    """Model cycles next to measured cycles (C-sim or RTL) a layer.

    Build ``design`` with the measured run's parallelism and frame size
    (:func:`design_from_parallelism`) for a like-for-like comparison. A last row
    ``"max stage"`` compares the slowest measured stage with the model's over the same layers.

    Args:
        design: the modelled pipeline.
        measured: layer name -> measured cycles a frame. Names the model does not know are
            kept with ``in_model=False``.
        column: model quantity to compare: ``"cycles"`` (with overheads; RTL) or
            ``"compute_cycles"`` (MAC-loop iterations only, what hls/src's
            ``LIC_COUNT_CYCLE`` counters count in C-sim).

    Returns:
        Columns ``layer, model_cycles, measured_cycles, ratio`` (measured / model),
        ``error_pct`` and ``in_model``.
    """
    if column not in ("cycles", "compute_cycles"):
        raise ParameterError(f"column must be 'cycles' or 'compute_cycles', got {column!r}")
    model = {s.layer.name: getattr(s, column) for s in design.stages}
    rows = []
    for name, m in measured.items():
        mc = model.get(name)
        m = float(m)
        rows.append({"layer": name, "model_cycles": mc, "measured_cycles": m,
                     "ratio": m / mc if mc else float("nan"),
                     "error_pct": 100.0 * (mc - m) / m if mc and m else float("nan"),
                     "in_model": mc is not None})
    known = [r for r in rows if r["in_model"]]
    if known:
        mc = max(r["model_cycles"] for r in known)
        m = max(r["measured_cycles"] for r in known)
        rows.append({"layer": "max stage", "model_cycles": mc, "measured_cycles": m,
                     "ratio": m / mc, "error_pct": 100.0 * (mc - m) / m if m else float("nan"),
                     "in_model": True})
    return pd.DataFrame(rows, columns=["layer", "model_cycles", "measured_cycles", "ratio",
                                       "error_pct", "in_model"])


