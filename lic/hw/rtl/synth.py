"""yosys synthesis of the RTL: one unit (:func:`synthesize`, set against the per-unit
constants of :class:`lic.hw.fpga_model.Assumptions` by :func:`model_vs_yosys`) or the g_a
pipeline of ``hls/rtl/ga`` one stage at a time (:func:`synth_stage`, :func:`synth_plan`,
scaled to a whole plan by :func:`scale_to_plan`).

Everything is synthesised with ``synth_xilinx -family xcup`` (UltraScale+: LUT, FF, CARRY8,
DSP48E2, RAMB36E2/RAMB18E2); for a unit the ``$mul`` cells of the coarse netlist are the
DSP-mappable multipliers. A g_a stage is synthesised at its folding with its ROMs initialised
from the integer transform (``$readmemh`` at synthesis), and the stages are added up: the
inter-stage glue is the stages' own FIFOs, so the sum is the design less the top's cycle
counter. A stage that takes longer than ``timeout`` is reported as not synthesised rather
than estimated.

:func:`recorded_resources` reads the benchmark's record of the whole g_a (``rtl_ga_synth``) through the
index of benchmark records (:func:`lic.provenance.record`).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pandas as pd

from lic.errors import ParameterError
from lic.fileio import atomic_write_text
from lic.hw.csim import ToolError
from lic.hw.fixedpoint import IntTransform
from lic.hw.folding import FoldingPlan
from lic.hw.rtl import ga
from lic.hw.rtl.tools import RTL_DIR, require_tools
from lic.hw.rtl.units import ConvConfig, GdnConfig
from lic.provenance import find_record

__all__ = ["parse_stat", "lut_sites", "cell_counts", "synthesize", "model_vs_yosys", "synth_top", "synth_stage", "synth_plan",
           "scale_to_plan"]


_LUT_RE = re.compile(r"^LUT\d$")


def parse_stat(text: str) -> dict[str, int]:
    """Cell counts of the last module block of a yosys ``stat`` report."""
    cells: dict[str, int] = {}
    in_cells = False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("==="):
            cells, in_cells = {}, False
        elif s.startswith("Number of cells:"):
            in_cells = True
        elif in_cells:
            m = re.match(r"^(\S+)\s+(\d+)$", s)
            if m:
                cells[m.group(1)] = int(m.group(2))
            elif s:
                in_cells = False
    return cells


def _run_yosys(yosys: str, script: Path, what: str, timeout: float, cwd: Path | None = None) -> float:
    """Run a yosys script (log beside it); returns the seconds it took.

    Raises:
        ToolError: yosys failed (its output's tail included) or ran longer than ``timeout``.
    """
    t0 = time.perf_counter()
    try:
        res = subprocess.run([yosys, "-q", "-l", str(script.with_suffix(".log")), "-s", str(script)],
                             capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise ToolError(f"yosys took more than {timeout:.0f} s on {what}") from e
    if res.returncode != 0:
        raise ToolError(f"yosys failed on {what}:\n{res.stderr[-3000:]}{res.stdout[-2000:]}")
    return time.perf_counter() - t0


def synthesize(cfg: GdnConfig | ConvConfig, work_dir: str | os.PathLike, target: str = "xilinx",
               timeout: float = 600) -> dict:
    """yosys synthesis of one unit; LUT/FF/DSP/CARRY counts and the coarse ``$mul`` cells.

    Args:
        cfg: the unit configuration (its parameters are set on the top module).
        work_dir: where the script and log go.
        target: "xilinx" (``synth_xilinx -family xcup``, UltraScale+) or "generic" (``synth``).
        timeout: seconds before yosys is stopped (:class:`ToolError`).

    Returns:
        ``{"unit", "lut", "ff", "dsp", "carry", "srl", "mul_cells", "cells": {...}, "synth_s"}``.

    Raises:
        ToolError: yosys missing, failing or slower than ``timeout``.
    """
    yosys = require_tools("yosys")["yosys"]
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    top = cfg.top
    rtl = RTL_DIR / f"{top}.v"
    chp = " ".join(f"-chparam {k} {v}" for k, v in cfg.verilog_params().items())
    coarse, final = work / f"{cfg.unit}_coarse.stat", work / f"{cfg.unit}_{target}.stat"
    synth = (f"synth_xilinx -family xcup -flatten -noiopad -noclkbuf -top {top}" if target == "xilinx"
             else f"synth -flatten -top {top}")
    script = "\n".join([
        f"read_verilog {rtl}",
        f"hierarchy -top {top} {chp}",
        "proc; flatten; opt -fast; wreduce; opt_clean",
        f"tee -q -o {coarse} stat",
        synth,
        f"tee -q -o {final} stat",
    ]) + "\n"
    ys = work / f"{cfg.unit}_{target}.ys"
    atomic_write_text(ys, script)
    dt = _run_yosys(yosys, ys, top, timeout)
    cells = parse_stat(final.read_text())
    mul = parse_stat(coarse.read_text()).get("$mul", 0)
    logic = sum(v for k, v in cells.items() if _LUT_RE.match(k))
    srl = sum(v for k, v in cells.items() if k.startswith("SRL"))
    ff = sum(v for k, v in cells.items() if re.match(r"^(FD[A-Z]*|\$_S?DFF\w*|\$_DFFE\w*)$", k))
    return {"unit": cfg.unit, "target": target,
            "lut": logic + srl if target == "xilinx" else None, "lut_logic": logic, "srl": srl,
            "ff": ff, "dsp": cells.get("DSP48E2", 0),
            "carry": cells.get("CARRY4", 0) + cells.get("CARRY8", 0),
            "mul_cells": int(mul), "cells": cells, "synth_s": dt,
            "params": cfg.verilog_params()}


def model_vs_yosys(resources: dict[str, dict], cfgs: dict[str, GdnConfig | ConvConfig],
                   wide: dict[str, tuple[GdnConfig | ConvConfig, dict]] | None = None,
                   a=None) -> pd.DataFrame:
    """Per-unit estimate of :mod:`lic.hw.fpga_model` next to the yosys counts.

    The model's datapath share of a stage (no line buffer, weight memory or the per-stage
    ``lut_per_stage`` control): conv PE ``simd`` int8 MACs (``lut_per_mac8`` LUTs,
    ``1/int8_macs_per_dsp`` DSP each); GDN unit ``simd`` 32-bit MACs (``lut_per_mac32``,
    ``dsp_per_mul32``) plus its non-linear units and elementwise products from
    :func:`lic.hw.fpga_model.gdn_ops`. ``implied`` is the value of the assumption that the
    yosys count gives. With ``wide`` (the same unit synthesised with more lanes), rows
    ``LUT/lane`` and ``DSP/lane`` give the marginal cost of one more MAC lane.

    Args:
        resources: unit -> :func:`synthesize` result.
        cfgs: unit -> its configuration.
        wide: unit -> (wider configuration, its :func:`synthesize` result).
        a: :class:`lic.hw.fpga_model.Assumptions` (defaults).
    """
    from lic.hw.fpga_model import Assumptions, gdn_ops

    a = a or Assumptions()
    rows = []

    def row(unit, res, model, yosys, name, assumed, implied):
        rows.append({"unit": unit, "resource": res, "model": model, "yosys": yosys,
                     "assumption": name, "assumed": assumed, "implied": implied})

    for unit, r in resources.items():
        cfg = cfgs[unit]
        P = cfg.simd
        if isinstance(cfg, ConvConfig):
            row(unit, "LUT", P * a.lut_per_mac8, r["lut"], "lut_per_mac8", a.lut_per_mac8,
                r["lut"] / P)
            # one PE: no two lanes share an activation, so no int8 packing (fpga_model.conv_dsp)
            row(unit, "DSP", P, r["dsp"], "int8_macs_per_dsp (PE=1: unpacked)", 1,
                P / r["dsp"] if r["dsp"] else float("inf"))
        else:
            nl, ew = gdn_ops(cfg.variant, cfg.inverse)
            mac_lut = (P + ew) * a.lut_per_mac32
            row(unit, "LUT", mac_lut + nl * a.lut_per_nonlinear, r["lut"],
                "lut_per_nonlinear" if nl else "lut_per_mac32",
                a.lut_per_nonlinear if nl else a.lut_per_mac32,
                (r["lut"] - mac_lut) / nl if nl else r["lut"] / (P + ew))
            row(unit, "DSP", (P + ew) * a.dsp_per_mul32 + nl * a.dsp_per_nonlinear, r["dsp"],
                "dsp_per_mul32", a.dsp_per_mul32, r["dsp"] / (P + ew))
        row(unit, "FF", float("nan"), r["ff"], "-", float("nan"), float("nan"))
        if wide and unit in wide:
            wcfg, wr = wide[unit]
            dP = wcfg.simd - P
            conv = isinstance(cfg, ConvConfig)
            row(unit, f"LUT/lane ({P}->{wcfg.simd})", a.lut_per_mac8 if conv else a.lut_per_mac32,
                (wr["lut"] - r["lut"]) / dP, "lut_per_mac8" if conv else "lut_per_mac32",
                a.lut_per_mac8 if conv else a.lut_per_mac32, (wr["lut"] - r["lut"]) / dP)
            row(unit, f"DSP/lane ({P}->{wcfg.simd})",
                1 if conv else a.dsp_per_mul32, (wr["dsp"] - r["dsp"]) / dP,
                "DSP per unpacked int8 MAC" if conv else "dsp_per_mul32",
                1 if conv else a.dsp_per_mul32, (wr["dsp"] - r["dsp"]) / dP)
            row(unit, f"FF/lane ({P}->{wcfg.simd})", float("nan"), (wr["ff"] - r["ff"]) / dP,
                "-", float("nan"), float("nan"))
    df = pd.DataFrame(rows)
    df["ratio"] = df["yosys"] / df["model"]
    return df



# --------------------------------------------------------------------------- g_a stages


_LUT = re.compile(r"^(LUT\d|SRL\w*|RAM\d+[MX]\w*|RAM\d+S\w*)$")
_FF = re.compile(r"^FD[A-Z]*$")
# LUT6 sites of a LUTRAM cell (UltraScale+ CLB: a RAM64M8 / RAM32M16 takes a whole SLICEM)
_LUTRAM_SITES = {"RAM32M16": 8, "RAM64M8": 8, "RAM32M": 4, "RAM64M": 4, "RAM512X1S": 8,
                 "RAM256X1D": 8, "RAM256X1S": 4, "RAM128X1D": 4, "RAM128X1S": 2,
                 "RAM64X1D": 2, "RAM32X1D": 2, "RAM64X1S": 1, "RAM32X1S": 1}


def lut_sites(cells: dict[str, int]) -> int:
    """LUT6 sites of a netlist's cells, as Vivado's "CLB LUTs" counts them: LUT1-6 and SRLs
    one each, a LUTRAM cell the LUTs it occupies (:data:`_LUTRAM_SITES`; the ``lut`` of
    :func:`synth_stage` counts a LUTRAM cell as one) and an ``INV`` one (a LUT1 unless the
    placer folds it into a neighbouring LUT: an upper bound; ``lut`` leaves INV out)."""
    n = cells.get("INV", 0)
    for c, v in cells.items():
        if c in _LUTRAM_SITES:
            n += _LUTRAM_SITES[c] * v
        elif _LUT.match(c):
            n += v
    return n


def _wrapper(t: IntTransform, plan: FoldingPlan, k: int, rom_dir: Path) -> str:
    layer, lf = t.layers[k], plan.layers[k]
    win = (lf.cin * 8 if k == 0 else lf.cin * t.layers[k - 1].attrs["out_bits"])
    wout = lf.cout * layer.attrs["out_bits"]
    inst = (ga.conv_inst if layer.kind == "conv" else ga.gdn_inst)(
        k, layer, lf, t.cfg, str(rom_dir))
    return ("`default_nettype none\nmodule stage_top (\n    input wire clk, input wire rst, "
            "input wire [31:0] cycle,\n"
            f"    input wire v{k}, output wire r{k}, input wire [{win - 1}:0] d{k},\n"
            f"    output wire v{k + 1}, input wire r{k + 1}, output wire [{wout - 1}:0] d{k + 1},\n"
            f"    output wire [{(k + 1) * ga.STATS_WIDTH - 1}:0] stats);\n{inst}endmodule\n")


def synth_stage(t: IntTransform, plan: FoldingPlan, name: str, work_dir: str | os.PathLike,
                timeout: float = 900, flatten: bool = True) -> dict:
    """Synthesise stage ``name`` of ``plan`` (yosys ``synth_xilinx -family xcup``).

    ``flatten=False`` keeps the hierarchy (no ``-flatten``): identical units (same module
    and parameters) are synthesised once, so a large stage takes minutes instead of tens of
    minutes; nothing is optimised across module boundaries (higher counts than flat, and the
    GDN units' shared x^2 squares are not merged: more DSPs). The counts are the design
    hierarchy's totals.

    Returns:
        ``{"layer", "kind", "pe", "simd", "lanes", "lut", "lut_sites", "ff", "dsp", "bram36",
        "carry", "flatten", "cells", "synth_s"}`` (``bram36`` = RAMB36E2 + RAMB18E2 / 2;
        ``lut`` counts cells, ``lut_sites`` LUT6 sites: :func:`lut_sites`).

    Raises:
        ToolError: yosys missing, failing or slower than ``timeout``.
    """
    names = [l.name for l in plan.layers]
    if name not in names:
        raise ParameterError(f"plan has no layer {name!r}")
    k = names.index(name)
    work = Path(work_dir).resolve()
    gen = ga.generate(t, plan, work)  # the ROM files
    top = work / f"stage_{k}.v"
    atomic_write_text(top, _wrapper(t, plan, k, gen["dir"] / "roms"))
    cells, dt = synth_top(top, ga.SOURCES, work / f"stage_{k}", name, timeout, flatten, cwd=work)
    lf = plan.layers[k]
    return {"layer": name, "kind": lf.kind, "pe": lf.pe, "simd": lf.simd, "lanes": lf.lanes,
            **cell_counts(cells), "flatten": flatten, "cells": cells, "synth_s": dt}


def synth_top(top: Path, sources, stem: Path, what: str, timeout: float = 900, flatten: bool = True,
              cwd: Path | None = None, top_module: str = "stage_top") -> tuple[dict[str, int], float]:
    """``synth_xilinx -family xcup`` of the module ``top_module`` in ``top`` over the Verilog ``sources``;
    ``stem``.ys / .log / .stat are the script, the log and the ``stat`` report (hierarchy totals).

    Returns:
        ``(cells, seconds)``.

    Raises:
        ToolError: yosys missing, failing or slower than ``timeout``.
    """
    yosys = require_tools("yosys")["yosys"]
    stat, ys = stem.with_suffix(".stat"), stem.with_suffix(".ys")
    srcs = " ".join(str(s) for s in sources)
    script = (f"read_verilog -defer {srcs} {top}\nhierarchy -top {top_module}\n"
              f"synth_xilinx -family xcup {'-flatten ' if flatten else ''}-noiopad -noclkbuf "
              f"-top {top_module}\n"
              f"tee -q -o {stat} stat\n")
    atomic_write_text(ys, script)
    dt = _run_yosys(yosys, ys, what, timeout, cwd=cwd)
    return parse_stat(stat.read_text()), dt


def cell_counts(cells: dict[str, int]) -> dict:
    """``lut`` (LUT1-6, SRL, LUT-RAM cells), ``lut_sites`` (:func:`lut_sites`), ``ff``, ``dsp`` (DSP48E2),
    ``bram36`` (RAMB36E2 + RAMB18E2 / 2) and ``carry`` (CARRY8 + CARRY4) of a netlist's cells."""
    return {"lut": sum(v for c, v in cells.items() if _LUT.match(c)), "lut_sites": lut_sites(cells),
            "ff": sum(v for c, v in cells.items() if _FF.match(c)), "dsp": cells.get("DSP48E2", 0),
            "bram36": cells.get("RAMB36E2", 0) + cells.get("RAMB18E2", 0) / 2,
            "carry": cells.get("CARRY8", 0) + cells.get("CARRY4", 0)}


def synth_plan(t: IntTransform, plan: FoldingPlan, work_dir: str | os.PathLike,
               layers: list[str] | None = None, timeout: float = 900, flatten: bool = True) -> dict:
    """:func:`synth_stage` for ``layers`` (default all) and their sum.

    Returns:
        ``{"stages": [row, ...], "total": {lut, ff, dsp, bram36}, "failed": {name: reason}}``;
        the total covers the synthesised stages only.
    """
    rows, failed = [], {}
    for name in layers or [l.name for l in plan.layers]:
        try:
            rows.append(synth_stage(t, plan, name, Path(work_dir) / name, timeout, flatten))
        except ToolError as e:
            failed[name] = str(e).splitlines()[0]
    total = {k: sum(r[k] for r in rows) for k in ("lut", "ff", "dsp", "bram36")}
    return {"stages": rows, "total": total, "failed": failed}


def _gdn_dsp_model(rows: list[dict]) -> tuple[float, float]:
    """DSP48E2 of a GDN stage as ``a * simd + b * pe * simd``: ``a`` the x^2 squares (one a
    SIMD lane: the PE units square the same x_j and yosys merges them), ``b`` the gamma
    products (one a MAC lane). Solved from two synthesised GDN stages of different PE;
    from one, every DSP is charged to the lanes (``a = 0``: an overestimate when PE > 1)."""
    for r1 in rows:
        for r2 in rows:
            det = r1["simd"] * r2["lanes"] - r2["simd"] * r1["lanes"]
            if det:
                a = (r1["dsp"] * r2["lanes"] - r2["dsp"] * r1["lanes"]) / det
                b = (r1["simd"] * r2["dsp"] - r2["simd"] * r1["dsp"]) / det
                return a, b
    return 0.0, rows[0]["dsp"] / rows[0]["lanes"]


def scale_to_plan(plan: FoldingPlan, measured: list[dict], packs: dict[str, int] | None = None) -> dict:
    """Whole-design estimate from synthesised stages. DSPs per multiplier: a conv stage takes
    the DSPs a multiply of the synthesised conv stage(s) (``dsp / (lanes / pack)``) times its
    own multiplies (``lanes / pack``, ``packs[name]``: :func:`lic.hw.rtl.ga.conv_pack`, default 1);
    a GDN stage ``a * simd + b * lanes`` (:func:`_gdn_dsp_model`). LUT/FF: the largest
    synthesised stage of its kind scaled by MAC lanes (``pe * simd``; per-PE and per-stage parts make it a
    rough figure); block RAM is not scaled. A synthesised stage of the same name keeps its
    own counts. An extrapolation, labelled as such per row.

    Args:
        plan: the design's folding.
        measured: rows of :func:`synth_stage` (at least one a kind in ``plan``); a row may
            carry ``pack`` (its conv multiplies = lanes / pack) and ``lut_only`` (used for
            LUT/FF only, e.g. a larger stage of an earlier revision).
        packs: per conv layer of ``plan``, MACs a multiply.

    Returns:
        ``{"stages": [{layer, kind, lanes, lut, ff, dsp, bram36, source}], "total": {...}}``;
        ``total`` has ``lut_sites`` (LUTRAM cells at their LUT sites) and ``bram36`` when every
        stage is a synthesised one that carries ``lut_sites``.

    Raises:
        ParameterError: a kind of ``plan`` has no synthesised stage.
    """
    packs = packs or {}
    by_name = {r["layer"]: r for r in measured}
    kinds: dict[str, list[dict]] = {}
    for r in measured:
        kinds.setdefault(r["kind"], []).append(r)
    rows = []
    for lf in plan.layers:
        if lf.name in by_name:
            r = by_name[lf.name]
            rows.append({"layer": lf.name, "kind": lf.kind, "pe": lf.pe, "simd": lf.simd,
                         "lanes": lf.lanes, "source": "yosys",
                         **{k: r[k] for k in ("lut", "ff", "dsp", "bram36")},
                         "lut_sites": r.get("lut_sites")})
            continue
        if lf.kind not in kinds:
            raise ParameterError(f"{lf.name}: no synthesised {lf.kind} stage to scale from")
        r = max(kinds[lf.kind], key=lambda x: x["lanes"])  # LUT/FF: the largest stage
        rs = [x for x in kinds[lf.kind] if not x.get("lut_only")] or kinds[lf.kind]
        f = lf.lanes / r["lanes"]
        if lf.kind == "conv":
            per_mult = sum(x["dsp"] for x in rs) / sum(x["lanes"] / x.get("pack", 1) for x in rs)
            dsp = per_mult * lf.lanes / packs.get(lf.name, 1)
        else:
            a, b = _gdn_dsp_model(rs)
            dsp = a * lf.simd + b * lf.lanes
        rows.append({"layer": lf.name, "kind": lf.kind, "pe": lf.pe, "simd": lf.simd,
                     "lanes": lf.lanes, "pack": packs.get(lf.name, 1) if lf.kind == "conv" else None,
                     "source": f"DSP from {', '.join(x['layer'] for x in rs)}; LUT/FF "
                               f"scaled by lanes from {r['layer']}",
                     "lut": round(r["lut"] * f, 1), "ff": round(r["ff"] * f, 1),
                     "dsp": round(dsp, 1),
                     # block RAM follows weights and line buffers, not lanes: not scaled
                     "bram36": None})
    total = {k: round(sum(r[k] for r in rows), 1) for k in ("lut", "ff", "dsp")}
    total["bram36_synthesised_stages"] = sum(r["bram36"] for r in rows if r["bram36"] is not None)
    if all(r.get("lut_sites") is not None for r in rows):  # every stage synthesised, sites known
        total["lut_sites"] = sum(r["lut_sites"] for r in rows)
        total["bram36"] = total["bram36_synthesised_stages"]
    return {"stages": rows, "total": total}


#: the name, in the index of benchmark records, of the whole g_a's synthesis at the ZCU102 plan
#: (``benchmarks/rtl_ga_kodak.py --synth --combine``)
RECORDED = "rtl_ga_synth"


def recorded_resources(index: str | os.PathLike | None = None) -> list[dict]:
    """The recorded yosys resources of the whole g_a per stage and in total, next to ``lic.hw.fpga_model``'s
    figures and the board's 80 % budget ([] without the record): record :data:`RECORDED` of the index of
    benchmark records (:func:`lic.provenance.record`; ``index`` another index). Measured by the benchmark on the
    released N=64 student, not synthesised by the caller: every row's ``label`` says so."""
    rec = find_record(RECORDED, index)
    if rec is None:
        return []
    d, path = rec.data, rec.path
    label = f"measured: yosys synth_xilinx, recorded in {path.name} (released N=64 student), not by this run"
    if rec.stale:  # e.g. the student was released again after the synthesis
        label += f"; stale: {'; '.join(rec.why_stale)}"
    keys = ("lut", "lut_sites", "ff", "dsp", "bram36")
    rows = [{"layer": s["layer"], "kind": s["kind"], "pe": s["pe"], "simd": s["simd"], **{k: s.get(k) for k in keys},
             **{f"model_{k}": s["model"].get(k) for k in ("lut", "dsp", "bram36")}, "label": label}
            for s in d["whole_design_scaled"]["stages"]]
    u, m = d["utilisation"], d["model_total"]
    rows.append({"layer": "whole g_a", **{k: u[k]["used"] for k in keys if k in u}, "model_lut": m["lut"],
                 "model_dsp": m["dsp"], "model_bram36": m["bram"], "label": label})
    rows.append({"layer": f"{d['board']} at 80 %", **{k: 0.8 * u[k]["budget"] for k in keys if k in u},
                 "label": "board budget"})
    return rows
