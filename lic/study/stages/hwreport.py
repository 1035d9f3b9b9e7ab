"""Stage 04 in the report, curated: one pipeline figure (each transform's stages with PE × SIMD, the FIFOs between
them, the clock), one table per pipeline (cycles, frames per second modelled and measured, DSP / LUT / BRAM36 / FF
modelled and synthesised), the bit-exactness table (C-sim of g_a, g_s, h_a, h_s; RTL units and the whole g_a) and one
comparison with published FPGA designs (sources as numbered notes). Every other table of stage 04 goes, as stage 04
made it, into a collapsed appendix (``<details>``)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from lic.study.plots import finish_layout
from lic.study.tables import NA, details, fmt, tables_of, to_html

__all__ = ["pipeline_figure", "pipeline_tables", "encoder_resources_table", "bitexact_table", "comparison",
           "appendix_tables", "section_html", "show", "ENCODER_RECORDS", "encoder_records"]

#: keys of stage 04's results that are provenance, not hardware results
SKIP = ("commit", "key", "stage", "preset", "figures", "wall_s", "source", "params", "vcd")
#: a cell with no meaning in its row (a layer has no frame rate of its own): not a missing value
DASH = "–"


def _plans(r04: dict) -> dict[str, dict]:
    return r04.get("folding_plan") or {}


def _fps_measured(r04: dict, t: str):
    """The pipeline's frame rate measured in RTL simulation (g_a only, Verilator), else None."""
    g = r04.get("rtl_ga") or {}
    return g.get("fps_measured") if t == "g_a" and g.get("status") == "ok" else None


def pipeline_figure(r04: dict, caption: str = ""):
    """One row per transform of the folding plan: a box per stage (layer, kind, PE × SIMD, cycles a frame), the
    depth of the stream FIFO after it on the arrow out of it, the slowest stage shaded; the clock, resolution, cores
    and fps in each row's title (modelled; the RTL simulation's measured fps beside g_a's)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    plans = _plans(r04)
    width = max((len(p["layers"]) for p in plans.values()), default=1)
    fig, axes = plt.subplots(max(1, len(plans)), 1, figsize=(max(8.0, 1.75 * width), 1.75 * max(1, len(plans))),
                             squeeze=False)
    for ax, (t, p) in zip(axes[:, 0], plans.items()):
        notes, layers = p.get("notes", {}), p["layers"]
        for i, l in enumerate(layers):
            slow = l["name"] == notes.get("bottleneck")
            ax.add_patch(FancyBboxPatch((i + 0.06, 0.08), 0.76, 0.84, boxstyle="round,pad=0.02",
                                        fc="#f6d7a7" if slow else "#dfe9f5", ec="0.3", lw=0.8))
            shape = f"{l.get('k', '')}×{l.get('k', '')}/{l.get('stride', 1)}" if l.get("kind") in ("conv", "deconv") else ""
            ax.text(i + 0.44, 0.5, f"{l['name']}\n{l['kind']} {shape}\nPE {l['pe']} × SIMD {l['simd']}\n"
                    f"{l['cycles'] / 1e6:.3g} M cycles", ha="center", va="center", fontsize=7)
            # the stream FIFO after the stage (lic.hw.folding), on the arrow to the next stage or out
            ax.annotate("", xy=(i + 1.06, 0.5), xytext=(i + 0.82, 0.5), arrowprops={"arrowstyle": "->", "lw": 0.8})
            ax.text(i + 0.94, 0.6, f"FIFO {l.get('fifo_depth', '?')}", ha="center", fontsize=6, color="0.3")
        meas = _fps_measured(r04, t)
        res = "x".join(map(str, p.get("resolution", []))) or "?"
        ax.set_title(f"{t}: {fmt(notes.get('fps'))} fps modelled at {res}, {notes.get('cores', 1)} core(s), "
                     f"{fmt(p.get('clock_mhz'))} MHz" + (f"; {fmt(meas)} fps measured in RTL simulation" if meas else "")
                     + f" — slowest stage shaded ({notes.get('bottleneck', '?')})", fontsize=8, loc="left")
        ax.set_xlim(-0.1, width + 0.15)
        ax.set_ylim(0, 1)
        ax.axis("off")
    fig.suptitle(f"Folding plan on {(r04.get('board') or {}).get('name', '?')} (lic.hw.fpga_model): stages, "
                 "PE × SIMD, the FIFO after each stage [beats]", fontsize=9)
    return finish_layout(fig, caption)


def _synth(r04: dict, layers: list[dict]) -> dict[str, dict]:
    """The recorded synthesis (yosys) of g_a per layer and whole, where it is of this plan (same PE × SIMD a
    layer); else empty."""
    rec = {x["layer"]: x for x in r04.get("rtl_ga_resources") or []}
    same = all(l["name"] in rec and (rec[l["name"]].get("pe"), rec[l["name"]].get("simd")) == (l["pe"], l["simd"])
               for l in layers)
    return rec if layers and same else {}


def _res(model, synth) -> str:
    return fmt(model) if synth is None else f"{fmt(model)} / {fmt(synth)}"


def _layer_rows(r04: dict, t: str, layers: list[dict], syn: dict) -> list[dict]:
    rtl = {x["layer"]: x for x in (r04.get("rtl_ga") or {}).get("layers", [])} if t == "g_a" else {}
    beats = {x["layer"]: x for x in r04.get("beats_vs_model") or []}
    rows = []
    for l in layers:
        s, b = syn.get(l["name"], {}), beats.get(l["name"])
        rows.append({"layer": l["name"], "PE × SIMD": f"{l['pe']} × {l['simd']}",
                     "FIFO after [beats]": l.get("fifo_depth"),
                     "cycles a frame (model)": l["cycles"],
                     "cycles model / RTL": (rtl.get(l["name"]) or {}).get("fpga_model_over_measured"),
                     "cycles model / C-sim beats": b["model_cycles"] / b["csim_beats"] if b and b["csim_beats"] else None,
                     **{k: _res(l.get(m), s.get(m2) if syn else None)
                        for k, m, m2 in (("DSP", "dsp", "dsp"), ("LUT", "lut", "lut"), ("BRAM36", "bram", "bram36"),
                                         ("FF", "ff", "ff"))},
                     "fps (model)": DASH, "fps (measured)": DASH})
    return rows


def pipeline_tables(r04: dict) -> list[tuple[str, pd.DataFrame]]:
    """One table per pipeline of the folding plan: a row per stage, then the whole pipeline (all its cores).
    Resources read ``model / synthesised`` where the recorded synthesis is of this plan."""
    out = []
    g = r04.get("rtl_ga") or {}
    for t, p in _plans(r04).items():
        notes, layers = p.get("notes", {}), p["layers"]
        syn = _synth(r04, layers) if t == "g_a" else {}
        rows = _layer_rows(r04, t, layers, syn)
        tot, whole = notes.get("resources", {}), syn.get("whole g_a", {})
        beats = [x["model_cycles"] / x["csim_beats"] for x in r04.get("beats_vs_model") or []
                 if x["layer"].startswith(t) and x["csim_beats"]]
        rows.append({"layer": f"whole {t}, {notes.get('cores', 1)} core(s)", "PE × SIMD": DASH,
                     "FIFO after [beats]": DASH,
                     "cycles a frame (model)": notes.get("cycles"),
                     "cycles model / RTL": g.get("model_over_measured") if t == "g_a" and g.get("status") == "ok"
                     else None, "cycles model / C-sim beats": max(beats) if beats else None,
                     **{k: _res(tot.get(m), whole.get(m2) if syn else None)
                        for k, m, m2 in (("DSP", "dsp", "dsp"), ("LUT", "lut", "lut"), ("BRAM36", "bram", "bram36"),
                                         ("FF", "ff", "ff"))},
                     "fps (model)": notes.get("fps"), "fps (measured)": _fps_measured(r04, t)})
        if _fps_measured(r04, t) is None:  # nothing measured a frame rate of this pipeline: no column for it
            rows = [{k: v for k, v in x.items() if k != "fps (measured)"} for x in rows]
        res = "x".join(map(str, p.get("resolution", [])))
        what = ("resources model / synthesised (yosys synth_xilinx, recorded benchmark"
                + (", stale" if "stale" in str(whole.get("label", "")) else "") + ")" if syn else "resources modelled")
        meas = (f"; measured: RTL simulation (Verilator, {g['image']}) and C-sim beats" if t == "g_a" and
                g.get("status") == "ok" else "; measured: C-sim beats" if beats else "; nothing measured")
        out.append((f"pipeline {t} at {res}, {fmt(p.get('clock_mhz'))} MHz: cycles, fps and {what}; layers one core, "
                    f"whole pipeline all cores{meas}", pd.DataFrame(rows)))
    return out


def encoder_resources_table(r04: dict) -> tuple[str, pd.DataFrame] | None:
    """The whole encoder's resources, a row a stage, the whole and the board's 80 % budget: ``model / synthesised``
    (lic.hw.fpga_model.encoder_plan's figures next to the recorded yosys synthesis, stage 04's
    ``rtl_encoder_resources``); the title says stale, with why, where the record is not of the current design.
    None without the record."""
    rows = r04.get("rtl_encoder_resources") or []
    if not rows:
        return None
    out = []
    for x in rows:
        budget = x.get("label") == "board budget"
        pe = f"{x['pe']} × {x['simd']}" if x.get("pe") is not None and x.get("simd") is not None else DASH
        out.append({"stage": x["layer"], "PE × SIMD": pe,
                    **{k: fmt(x.get(m)) if budget else _res(x.get(f"model_{m}"), x.get(m))
                       for k, m in (("DSP", "dsp"), ("LUT", "lut"), ("BRAM36", "bram36"), ("FF", "ff"))},
                    "LUT sites (synth.)": x.get("lut_sites")})
    w = next((x for x in rows if x["layer"] == "whole encoder"), {})
    stale = f", STALE: {'; '.join(w['why'])}" if w.get("why") else ""
    fps = f", {fmt(w['fps_model'])} fps modelled" if w.get("fps_model") else ""
    verdict = f"; synthesised: {w['verdict']}" if w.get("verdict") else ""
    title = (f"whole encoder (g_a + h_a + h_s + index + glue) of {w.get('model')} on a {w.get('frame')} frame{fps}: "
             f"resources model / synthesised (yosys synth_xilinx, recorded benchmark {w.get('record')}{stale})"
             f"{verdict}")
    return title, pd.DataFrame(out)


def bitexact_table(r04: dict) -> pd.DataFrame:
    """Every bit-exactness check of stage 04: block, tool, inputs, values compared, mismatches, reference."""
    from lic.study.stages.claims import _csim_inputs

    c = r04.get("csim") or {}
    crows = c.get("rows") or []
    rows = [{"block": t, "tool": "HLS C-sim (g++, ap_int)", "inputs": _csim_inputs(r04),
             "compared": sum(x.get(f"{t}_values", 0) for x in crows),
             "mismatches": sum(x.get(f"{t}_mismatches", 0) for x in crows), "reference": "lic.fixedpoint"}
            for t in ("g_a", "g_s")]
    hy = r04.get("csim_hyper") or {}
    if hy.get("status") == "ok":
        imgs = ", ".join(x.get("image", "?") for x in hy.get("rows", []))
        rows += [{"block": f"{t} (integer entropy model{', CDF indexes' if t == 'h_s' else ''})",
                  "tool": "HLS C-sim (g++, ap_int)", "inputs": f"latents of {imgs}",
                  "compared": sum(x.get(f"{t}_values", 0) for x in hy["rows"]),
                  "mismatches": sum(x.get(f"{t}_mismatches", 0) for x in hy["rows"]),
                  "reference": "lic.fixedpoint (lic.codec.intprior)"} for t in ("h_a", "h_s")]
    rtl = r04.get("rtl") or {}
    for unit, u in (rtl.get("units") or {}).items():
        rows.append({"block": f"RTL {unit} unit", "tool": "Icarus Verilog", "inputs": "random vectors",
                     "compared": u.get("vectors"), "mismatches": u.get("mismatches"),
                     "reference": "Python reference and C-sim"})
    g = r04.get("rtl_ga") or {}
    if g.get("status") == "ok":
        rows.append({"block": "whole g_a in RTL", "tool": "Verilator (cycle-accurate)", "inputs": g["image"],
                     "compared": g["latents"], "mismatches": g["mismatches"], "reference": "lic.fixedpoint"})
    for what, st in (("RTL units", rtl.get("status")), ("whole g_a in RTL", g.get("status"))):
        if st and st != "ok":
            rows.append({"block": what, "tool": DASH, "inputs": DASH, "compared": st, "mismatches": DASH,
                         "reference": DASH})
    return pd.DataFrame(rows + _encoder_rows(encoder_records()))


#: the whole encoder's recorded Verilator runs (benchmarks/rtl_encoder.py), in the order the report lists them
ENCODER_RECORDS = ("rtl_encoder_720p", "rtl_encoder_1080p", "rtl_encoder_kodim01", "rtl_encoder_kodim23")


def encoder_records(index=None) -> list[tuple[str, dict, bool]]:
    """``(name, data, stale)`` of each indexed whole-encoder record (:data:`ENCODER_RECORDS`) that exists."""
    from lic.provenance import find_record

    out = []
    for name in ENCODER_RECORDS:
        r = find_record(name, index)
        if r is not None:
            out.append((name, r.data, r.stale))
    return out


def _encoder_rows(recs: list[tuple[str, dict, bool]]) -> list[dict]:
    """Bit-exactness rows of the recorded whole-encoder runs: ŷ, z symbols and indexes, and the file's identity."""
    rows = []
    for _, d, stale in recs:
        ident = {True: "file = the CPU codec's, byte for byte", False: "file differs from the CPU codec's"}
        rows.append({"block": f"whole encoder in RTL (g_a, h_a, h_s, indexes), {d.get('model', '?')}",
                     "tool": "Verilator (cycle-accurate), recorded benchmark" + (", stale" if stale else ""),
                     "inputs": f"{d.get('image')}, {d.get('width')}×{d.get('height')}, {d.get('frames')} frame(s)",
                     "compared": sum((d.get("n_values") or {}).values()), "mismatches": d.get("mismatches_total"),
                     "reference": "lic.fixedpoint; " + ident.get(d.get("stream_identical"), "file not compared")})
    return rows


def _folds(plan: dict | None) -> list:
    """``(name, pe, simd)`` of every stage of a recorded encoder plan (its ``ga`` / ``ha`` / ``hs`` parts)."""
    return [(l["name"], l["pe"], l["simd"]) for part in ("ga", "ha", "hs") for l in ((plan or {}).get(part) or {})
            .get("layers", [])]


def _synthesised(d: dict, index=None) -> dict | None:
    """The whole encoder's yosys totals (record ``rtl_encoder_synth``) where it synthesised the plan of the
    Verilator record ``d`` (same folds, same padded frame) and is neither stale nor incomplete; else None."""
    from lic.hw.rtl.encsynth import RECORDED, record_checks
    from lic.provenance import find_record

    rec = find_record(RECORDED, index)
    if rec is None or rec.stale:
        return None
    s = rec.data
    if record_checks(s) or _folds(s.get("plan")) != _folds(d.get("plan")) or not _folds(d.get("plan")):
        return None
    if [s.get("height"), s.get("width")] != list(d.get("padded_hw") or []):  # line buffers follow the frame
        return None
    return {**s["total"], "record": rec.path.name}


def _encoder_comparison(recs: list[tuple[str, dict, bool]], ours: dict | None) -> list[dict]:
    """Comparison rows of the recorded whole-encoder runs on true 720p / 1080p frames; their resources where the
    whole encoder's yosys record synthesised the same plan (:func:`_synthesised`)."""
    rows = []
    for name, d, stale in recs:
        if not name.endswith("p"):  # the Kodak runs show bit-exactness, not a frame rate at a video size
            continue
        syn = _synthesised(d) or {}
        res = (f"; resources: yosys synth_xilinx of the same plan ({syn['record']}), LUT as LUT6 sites" if syn
               else "; resources not synthesised for this plan")
        rows.append({**(ours or {}), "design": "this work, whole encoder g_a + h_a + h_s (RTL simulation)",
                     "board": d.get("board"), "resolution": f"{d.get('width')}×{d.get('height')}",
                     "fps": d.get("fps"), "s_per_image": None, "gops": None, "dsp": syn.get("dsp"),
                     "lut": syn.get("lut_sites"), "bram36": syn.get("bram36"), "clock_mhz": d.get("clock_mhz"),
                     "model": d.get("model"),
                     "label": f"measured: cycle-accurate RTL (Verilator) on {d.get('image')}, recorded benchmark"
                              + (" (stale)" if stale else "") + res,
                     "source": "benchmarks/rtl_encoder.py (lic.hw.rtl.encoder, Verilator)"})
    return rows


def _throughput_text(r: dict) -> str:
    parts = [f"{fmt(r['fps'])} fps" if _given(r.get("fps")) else "",
             f"{fmt(r['s_per_image'])} s an image" if _given(r.get("s_per_image")) else "",
             f"{fmt(r['gops'])} GOP/s" if _given(r.get("gops")) else ""]
    return ", ".join(p for p in parts if p) or NA


def _given(v) -> bool:
    return v is not None and not (isinstance(v, float) and v != v)


def _resources_text(r: dict) -> str:
    parts = [f"{k} {fmt(r[c])}" for k, c in (("DSP", "dsp"), ("LUT", "lut"), ("BRAM36", "bram36")) if _given(r.get(c))]
    return " / ".join(parts) or NA


def comparison(r04: dict) -> tuple[pd.DataFrame, list[str]]:
    """Published FPGA designs next to ours (stage 04's ``comparison``, plus the g_a measured in RTL simulation),
    sparse columns merged into text (throughput and resources as reported), each source a numbered note.

    Returns:
        the table (its ``source`` column ``[n]``) and the notes, ``notes[n - 1]`` the source of ``[n]``.
    """
    rows = [dict(x) for x in r04.get("comparison") or []]
    g = r04.get("rtl_ga") or {}
    ours = next((x for x in rows if str(x.get("design", "")).startswith("this work, g_a")), None)
    if g.get("status") == "ok" and ours:
        rows.append({**ours, "design": "this work, g_a (RTL simulation of the plan)", "fps": g.get("fps_measured"),
                     "s_per_image": None, "gops": None, "dsp": None, "lut": None, "bram36": None,
                     "label": f"measured: cycle-accurate RTL (Verilator, {g['image']}) at the planned clock; "
                              "resources not synthesised by this run",
                     "source": "this run: lic.hw.rtl (Verilator), stage 04's rtl_ga"})
    rows += _encoder_comparison(encoder_records(), ours)
    notes: list[str] = []
    out = []
    for x in rows:
        src = str(x.get("source") or NA)
        if src not in notes:
            notes.append(src)
        out.append({"design": x.get("design"), "board": x.get("board") or NA,
                    "model, precision": ", ".join(str(x[k]) for k in ("model", "precision") if x.get(k)) or NA,
                    "resolution": x.get("resolution") or NA, "throughput (as reported)": _throughput_text(x),
                    "resources (as reported)": _resources_text(x),
                    "clock [MHz]": x.get("clock_mhz") if _given(x.get("clock_mhz")) else None,
                    "label": x.get("label") or NA, "source": f"[{notes.index(src) + 1}]"})
    return pd.DataFrame(out), notes


def appendix_tables(r04: dict) -> list[tuple[str, pd.DataFrame]]:
    """Every table stage 04 gives (whatever it adds later), nested records split out, as it gave them."""
    return tables_of(r04, skip=SKIP)


def _img(path: str | None, alt: str) -> str:
    """An ``<img>`` with the PNG inline (the appendix's figures travel inside the HTML)."""
    if not path or not Path(path).is_file():
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" style="max-width:100%" src="data:image/png;base64,{data}"/>'


def section_html(r04: dict, caption: str = "", appendix_figures: dict | None = None) -> str:
    """The tables of the report's stage-04 section (HTML): one a pipeline, the bit-exactness table, the comparison
    with its notes, then the appendix (collapsed) with every other table and ``appendix_figures`` (name -> PNG)."""
    parts = [to_html(df, f"{title} · {caption}", max_cols=13, max_chars=130, main=True)
             for title, df in pipeline_tables(r04)]
    enc = encoder_resources_table(r04)
    if enc is not None:
        parts.append(to_html(enc[1], f"{enc[0]} · {caption}", max_cols=13, max_chars=130, main=True))
    parts.append("<h4>Bit-exactness</h4>" + to_html(bitexact_table(r04), f"every bit-exactness check of stage 04 · "
                                                    f"{caption}", max_chars=10**6, main=True))  # text that wraps
    table, notes = comparison(r04)
    if len(table):
        parts.append("<h4>Published FPGA designs</h4>"
                     + to_html(table, "published numbers as their sources give them (n/a: not in the source we could "
                               "read); ours labelled modelled or measured", max_chars=10**6, main=True)
                     + '<ol class="lic-notes">' + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ol>")
    body = "".join(to_html(df, f"stage 04: {title}") for title, df in appendix_tables(r04))
    body += "".join(_img(p, name) for name, p in (appendix_figures or {}).items())
    parts.append(details("Appendix: every other table of stage 04, as stage 04 made it (click to open)", body))
    return "\n".join(parts)


def show(r04: dict, caption: str = "", appendix_figures: dict | None = None) -> None:
    """Display :func:`section_html` in Jupyter."""
    from IPython.display import HTML, display

    display(HTML(section_html(r04, caption, appendix_figures)))
