"""yosys resources of the whole RTL encoder (:mod:`lic.hw.rtl.encoder`), one stage at a time.

Every stage of ``enc_top`` -- g_a's seven, h_a's three, h_s's three and the index stage -- is synthesised on its
own (``synth_xilinx -family xcup``, as :func:`lic.hw.rtl.synth.synth_stage` does for g_a), inside a top that is
the stage's instance line of the generated encoder, verbatim (the same parameters, the same ROM files). The glue
between them -- ``ga_latq`` (ŷ and h_a's input), ``ga_zq`` (z symbols and ẑ), the two forks and the top's cycle
counter -- is one more synthesis (``glue``). The stages' own FIFOs are the inter-stage buffers, so the sum of the
rows is the whole ``enc_top``, synthesised in pieces (nothing optimised across a stage boundary).

With ``flatten=False`` (the default here) yosys keeps the hierarchy: identical units of a stage (same module,
same parameters) are synthesised once, minutes instead of tens of minutes a large stage on two cores.

:func:`stage_key` digests what determines a stage's netlist (its top, the Verilog sources, its ROM files), so that
a benchmark can reuse a row synthesised before from the same inputs (``resume``).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from lic.errors import ParameterError
from lic.fileio import atomic_write_text
from lic.hw.csim import ToolError
from lic.hw.rtl import encoder as enc
from lic.hw.rtl import ga as rtl_ga
from lic.hw.rtl.synth import cell_counts, synth_top

__all__ = ["GLUE", "INDEX", "RECORDED", "stage_names", "stage_tops", "stage_key", "synth_encoder_stage", "synth_encoder",
           "record_checks", "verdict", "recorded_encoder_resources"]

#: the row of the glue (ga_latq, ga_zq, the forks, the cycle counter) and of the index stage
GLUE = "glue"
INDEX = "h_s.index"
_PORTS = re.compile(r"\.(in|out)_valid\((\w+)\), \.\1_ready\((\w+)\), \.\1_data\((\w+)\)")


def stage_names(plan: enc.EncoderPlan) -> list[str]:
    """The rows :func:`synth_encoder` makes, in stream order: the conv / GDN stages, the index stage, the glue."""
    return [l.name for l in plan.layers] + [INDEX, GLUE]


def _wrapper(module: str, inst: str, stats_bits: int, win: int, wout: int) -> str:
    """A top around one instance line: its stream ports as the top's ports (named as in ``enc_top``)."""
    ports = {d: (v, r, x) for d, v, r, x in _PORTS.findall(inst)}
    if set(ports) != {"in", "out"}:
        raise ParameterError(f"unexpected instance text:\n{inst}")
    (iv, ir, idata), (ov, orr, od) = ports["in"], ports["out"]
    return ("`default_nettype none\n"
            f"module {module} (\n    input wire clk, input wire rst, input wire [31:0] cycle,\n"
            f"    input wire {iv}, output wire {ir}, input wire [{win - 1}:0] {idata},\n"
            f"    output wire {ov}, input wire {orr}, output wire [{wout - 1}:0] {od},\n"
            f"    output wire [{stats_bits - 1}:0] stats);\n{inst}endmodule\n`default_nettype wire\n")


def _glue_top(prior, n_ga: int, n_ha: int, ports: dict) -> str:
    """``ga_latq``, ``ga_zq``, the two forks (as :func:`lic.hw.rtl.encoder.generate` writes them) and the cycle
    counter, every net a port."""
    w, ky, kz = ports["widths"], n_ga, n_ga + n_ha
    zc, qb = ports["zc"], ports["qb"]
    return ("`default_nettype none\nmodule glue_top (\n    input wire clk, input wire rst, output wire [31:0] cycle_o,\n"
            f"    input wire yv, output wire yr, input wire [{ports['y'] - 1}:0] yd,\n"
            f"    output wire y_valid, input wire y_ready, output wire [{ports['m'] * ports['yb'] - 1}:0] y_data,\n"
            f"    output wire v{ky}, input wire r{ky}, output wire [{w[ky] - 1}:0] d{ky},\n"
            f"    input wire zv, output wire zr, input wire [{ports['z'] - 1}:0] zd,\n"
            f"    output wire q_valid, input wire q_ready, output wire [{zc * qb - 1}:0] q_data,\n"
            f"    output wire v{kz}, input wire r{kz}, output wire [{w[kz] - 1}:0] d{kz});\n"
            "    reg [31:0] cycle;\n    always @(posedge clk) cycle <= rst ? 32'd0 : cycle + 32'd1;\n"
            "    assign cycle_o = cycle;\n" + enc._glue(prior, n_ga, kz, ports) + "endmodule\n`default_nettype wire\n")


def stage_tops(ga, prior, plan: enc.EncoderPlan, out_dir: str | os.PathLike) -> dict[str, dict]:
    """Generate the encoder (:func:`lic.hw.rtl.encoder.generate`: ROM files in ``out_dir/roms``) and one top a
    row of :func:`stage_names`: ``name -> {"k", "module", "text", "roms"}`` (``roms``: the ROM files it reads,
    relative to ``out_dir``).

    Raises:
        ParameterError: plan and transforms disagree (as :func:`lic.hw.rtl.encoder.generate`).
    """
    out = Path(out_dir)
    enc.generate(ga, prior, plan, out)
    insts, n, ports = enc._body(ga, prior, plan, out)
    ports["qb"] = enc.q_bits(prior)
    n_ga, n_ha = len(ga.layers), len(prior.h_a.layers)
    w = ports["widths"]
    names = [l.name for l in plan.layers] + [INDEX]
    tops = {}
    for k, (name, inst) in enumerate(zip(names, insts)):
        wout = ports["y"] if k == n_ga - 1 else ports["z"] if k == n_ga + n_ha - 1 else w[k + 1]
        tops[name] = {"k": k, "module": "stage_top", "roms": sorted(set(re.findall(r'"(roms/[^"]+)"', inst))),
                      "text": _wrapper("stage_top", inst, (k + 1) * rtl_ga.STATS_WIDTH, w[k], wout)}
    tops[GLUE] = {"k": n, "module": "glue_top", "roms": ["roms/zq.m.hex"], "text": _glue_top(prior, n_ga, n_ha, ports)}
    return tops


def stage_key(top: dict, out_dir: str | os.PathLike, flatten: bool = False) -> str:
    """SHA-256 of what determines a row's netlist: its top, every Verilog source, its ROM files and the flow."""
    h = hashlib.sha256(f"{top['text']}\nflatten={bool(flatten)}\n".encode())
    for f in [*enc.SOURCES, *(Path(out_dir) / r for r in top["roms"])]:
        h.update(Path(f).name.encode() + b"\0" + Path(f).read_bytes())
    return h.hexdigest()


def _row(name: str, plan: enc.EncoderPlan) -> dict:
    if name == GLUE:
        return {"layer": name, "kind": "glue", "pe": None, "simd": None, "lanes": 0}
    if name == INDEX:
        return {"layer": name, "kind": "index", "pe": plan.index_pe, "simd": 1, "lanes": plan.index_pe}
    lf = next(l for l in plan.layers if l.name == name)
    return {"layer": name, "kind": lf.kind, "pe": lf.pe, "simd": lf.simd, "lanes": lf.lanes}


def synth_encoder_stage(plan: enc.EncoderPlan, tops: dict[str, dict], name: str, out_dir: str | os.PathLike,
                        timeout: float = 1800, flatten: bool = False) -> dict:
    """Synthesise row ``name`` of :func:`stage_tops` (yosys runs in ``out_dir``, the ROM paths relative to it).

    Returns:
        :func:`lic.hw.rtl.synth.cell_counts` with ``layer, kind, pe, simd, lanes, flatten, cells, synth_s, key``.

    Raises:
        ParameterError: an unknown row. ToolError: yosys missing, failing or slower than ``timeout``.
    """
    if name not in tops:
        raise ParameterError(f"the encoder has no stage {name!r}; it has {list(tops)}")
    work = Path(out_dir).resolve()
    top = tops[name]
    stem = work / "synth" / f"{top['k']:02d}_{name}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(stem.with_suffix(".v"), top["text"])
    cells, dt = synth_top(stem.with_suffix(".v"), enc.SOURCES, stem, name, timeout, flatten, cwd=work,
                          top_module=top["module"])
    return {**_row(name, plan), **cell_counts(cells), "flatten": flatten, "cells": cells, "synth_s": dt,
            "key": stage_key(top, work, flatten)}


def synth_encoder(ga, prior, plan: enc.EncoderPlan, out_dir: str | os.PathLike, names: list[str] | None = None,
                  timeout: float = 1800, flatten: bool = False, done: dict[str, dict] | None = None,
                  log=None) -> dict:
    """:func:`synth_encoder_stage` for ``names`` (default every row of :func:`stage_names`) and their sum.

    Args:
        done: rows synthesised before (name -> row with its ``key``): reused where the key is this run's.
        log: called with each finished row (e.g. to save progress).

    Returns:
        ``{"stages": [row, ...], "total": {lut, lut_sites, ff, dsp, bram36, carry}, "failed": {name: reason},
        "reused": [names]}``; the total covers the synthesised rows only.
    """
    tops = stage_tops(ga, prior, plan, out_dir)
    rows, failed, reused = [], {}, []
    for name in names or stage_names(plan):
        old = (done or {}).get(name)
        if old is not None and name in tops and old.get("key") == stage_key(tops[name], out_dir, flatten):
            rows.append(old)
            reused.append(name)
            continue
        try:
            rows.append(synth_encoder_stage(plan, tops, name, out_dir, timeout, flatten))
        except ToolError as e:
            failed[name] = str(e).splitlines()[0]
            continue
        if log is not None:
            log(rows[-1])
    keys = ("lut", "lut_sites", "ff", "dsp", "bram36", "carry")
    return {"stages": rows, "total": {k: sum(r[k] for r in rows) for k in keys}, "failed": failed, "reused": reused}


# --------------------------------------------------------------------------- the recorded synthesis

#: the name, in the index of benchmark records, of the whole encoder's synthesis (``rtl_encoder_synth.py``)
RECORDED = "rtl_encoder_synth"
_KEYS = ("lut", "lut_sites", "ff", "dsp", "bram36")


def record_checks(d: dict, resolution=None, board: str | None = None) -> list[str]:
    """Why a recorded synthesis ``d`` is not of the current design: its model digest is not the released model's
    (:func:`lic.codec.zoo.release_digest` of its manifest entry), its frame is not the codec's frame of its
    resolution (padded to multiples of 64), it is not of ``resolution`` / ``board``, or stages are missing."""
    from lic.codec import zoo

    why = []
    entry = zoo.available().get(d.get("model", ""))
    if entry is None:
        why.append(f"model {d.get('model')} is not released (weights/manifest.json): its digest cannot be checked")
    elif zoo.release_digest(entry) != d.get("model_digest"):
        why.append(f"model digest {str(d.get('model_digest'))[:12]}… is not the released {d.get('model')}'s")
    w, h = (int(v) for v in d.get("resolution", (0, 0)))
    frame = (-(-w // 64) * 64, -(-h // 64) * 64)
    if (d.get("width"), d.get("height")) != frame:
        why.append(f"frame {d.get('width')}x{d.get('height')} is not the plan's {frame[0]}x{frame[1]}")
    if resolution is not None and tuple(int(v) for v in resolution) != (w, h):
        why.append(f"synthesised for {w}x{h}, not {resolution[0]}x{resolution[1]}")
    if board is not None and str(board).lower() != str(d.get("board")).lower():
        why.append(f"synthesised for {d.get('board')}, not {board}")
    if not d.get("complete", False) or d.get("failed"):
        why.append(f"incomplete: {sorted(d.get('failed') or {}) or 'stages missing'}")
    return why


def verdict(utilisation: dict) -> str:
    """One line from a record's ``utilisation``: whether the synthesised encoder is inside the board's 80 % budget,
    and the resources that are not (LUT as LUT6 sites), as fractions of the device."""
    names = {"dsp": "DSP", "bram36": "BRAM36", "lut_sites": "LUT", "ff": "FF"}
    over = [f"{names[k]} {u['used'] / u['budget']:.0%}" for k, u in utilisation.items()
            if k in names and u["used"] > 0.8 * u["budget"]]
    if not over:
        return "inside the 80 % budget on DSP, BRAM36, LUT and FF"
    return "outside the 80 % budget: " + ", ".join(over) + " of the device"


def recorded_encoder_resources(index=None, resolution=None, board: str | None = None) -> list[dict]:
    """The recorded yosys resources of the whole encoder per stage and in total, next to
    :func:`lic.hw.fpga_model.encoder_plan`'s figures and the board's 80 % budget ([] without the record): record
    :data:`RECORDED` read through :func:`lic.provenance.find_record`. Every row's ``label`` says it is a recorded
    benchmark, and ``stale`` with the reasons where the index says so or :func:`record_checks` finds any."""
    from lic.provenance import find_record

    rec = find_record(RECORDED, index)
    if rec is None:
        return []
    d = rec.data
    why = [*rec.why_stale, *record_checks(d, resolution, board)]
    label = (f"yosys synth_xilinx, recorded benchmark ({rec.path.name}, {d.get('model')}, "
             f"{d.get('width')}x{d.get('height')}), not by this run" + (f"; stale: {'; '.join(why)}" if why else ""))
    rows = [{"layer": s["layer"], "kind": s["kind"], "pe": s.get("pe"), "simd": s.get("simd"),
             **{k: s.get(k) for k in _KEYS}, **{f"model_{k}": (s.get("model") or {}).get(k) for k in
                                                ("dsp", "bram36", "lut", "ff")}, "stale": bool(why), "label": label}
            for s in d["stages"]]
    m, u = d.get("model_total") or {}, d["utilisation"]
    rows.append({"layer": "whole encoder", "kind": "-", **{k: u[k]["used"] for k in _KEYS if k in u},
                 "verdict": verdict(u),
                 "model_dsp": m.get("dsp"), "model_bram36": m.get("bram"), "model_lut": m.get("lut"),
                 "model_ff": m.get("ff"), "fps_model": d.get("fps_model"), "stale": bool(why), "label": label,
                 "record": rec.path.name, "model": d.get("model"), "frame": f"{d.get('width')}x{d.get('height')}",
                 "why": why})
    rows.append({"layer": f"{d['board']} at 80 %", "kind": "-", **{k: 0.8 * u[k]["budget"] for k in _KEYS if k in u},
                 "stale": bool(why), "label": "board budget"})
    return rows
