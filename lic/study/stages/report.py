"""Stage 05: the report — every stage's tables and figures in one place, each caption stating
the preset, the stage's parameter key, the git commit and the Kodak checksum digest.

It reads the finished artifacts of stages 01-04 (never notebook globals) and writes every figure
the report shows as PNG and SVG (RD curves of all codecs, complexity of every student kind,
the stage figures, the width-for-board frontier, the folding plan's pipelines), CompressAI's published
Kodak-24 points on every RD figure (:mod:`lic.eval.anchors`). The headline table puts each claim of the paper
next to what this run measured and what it was measured against (:mod:`~lic.study.stages.claims`); 6-10 generated
bullets say what the run shows (:mod:`~lic.study.stages.summary`); every number names its image set and count and,
for a trained model, its budget (:mod:`~lic.study.stages.labels`). Stage 04 is curated
(:mod:`~lic.study.stages.hwreport`), its other tables in a collapsed appendix. Tables go through
:mod:`lic.study.tables` (rounded, units, ``n/a``, no index, split when wide; a main-body table more than half n/a
is folded). The study runner renders the executed notebook to ``report.html`` (nbconvert, code hidden).

Evaluation sets beside Kodak (each stage's ``eval_sets``, :mod:`lic.data.evalsets`): :func:`eval_set_tables`
sets each stage's BD-rates per set side by side; the report's own ``eval_sets`` (entries as the
stages got them) narrows them to those sets (empty: every set a stage evaluated).
"""

from __future__ import annotations

import hashlib
import time

import pandas as pd

from lic.data.images import kodak_md5s
from lic.eval.stats import KD_VS_RD_RECORD, SEED_CONTROLS_RECORD
from lic.eval.portability import INT_ENTROPY_RECORD, PORTABLE_RECORD
from lic.provenance import git_commit, records_key
from lic.study.artifacts import StageArtifact, input_keys, prepare
from lic.study.config import ReportConfig
from lic.study.params import stage_presets
from lic.study.plots import published_anchors, rd_figure, save_figure, student_complexity_figure
from lic.study.stages.claims import KIND_LABEL, deployable, headline_table, kinds_bd
from lic.study.stages.distill import objective_table
from lic.study.stages.hwreport import ENCODER_RECORDS
from lic.study.stages.labels import kodak
from lic.study.stages.summary import summary_bullets, summary_markdown, summary_paragraph
from lic.study.stages.quant import seed_spread

__all__ = ["PRESETS", "reads", "key_inputs", "run", "load_all", "headline_table", "summary_paragraph", "summary_bullets",
           "summary_markdown", "rd_curves", "rd_title", "rd_by_width", "stored_rd_by_width", "deployable",
           "complexity_figure", "frontier_target", "trained_widths", "for_board_table", "width_tables", "frontier_figure",
           "hardware_tables", "show_hardware",
           "caption", "kodak", "show_figure", "seed_spread", "eval_set_tables"]

PRESETS = stage_presets("05")  # preset -> parameters, from :data:`lic.study.params.STAGE_PARAMS`
UPSTREAM = ("01", "02", "03", "04")


def reads(cfg: ReportConfig) -> tuple[str, ...]:
    """The report reads stages 01-04."""
    return UPSTREAM


def key_inputs(cfg: ReportConfig, inputs: dict[str, StageArtifact]) -> dict:
    """What the key covers besides the parameters: the keys of stages 01-04 and the benchmark records the
    report cites (:func:`lic.provenance.records_key`)."""
    from lic.hw.design import STUDENT_WIDTHS
    from lic.hw.design.boardwidth import record_name, table_boards

    rtl = [record_name(n, b) for n in STUDENT_WIDTHS for b, _ in table_boards()]  # width for board, where measured
    return {**input_keys(inputs),
            "records": records_key([KD_VS_RD_RECORD, SEED_CONTROLS_RECORD, INT_ENTROPY_RECORD, PORTABLE_RECORD,
                                    *ENCODER_RECORDS, *rtl])}


def kodak_digest() -> str:
    """Short digest of the Kodak MD5 list every evaluation verified against."""
    return hashlib.md5("".join(f"{k}{v}" for k, v in sorted(kodak_md5s().items())).encode()).hexdigest()[:8]


def caption(results: dict, stage: str) -> str:
    """Provenance line of a figure or table: preset, stage key, commit, data checksum."""
    s = results["stages"][stage]
    n = f"{kodak(results, stage)} " if s.get("kodak_images") else "Kodak "
    return f"preset={results['preset']} · stage {stage} key={s['key']} · commit {s['commit']} · {n}md5:{results['kodak_md5']}"


def _main_seed(rd: pd.DataFrame) -> pd.DataFrame:
    return rd[rd.seed == rd.seed.iloc[0]] if "seed" in rd and len(rd) else rd


def rd_curves(r: dict) -> dict[str, pd.DataFrame]:
    """label -> RD points: teacher, every student kind (main seed), the quantized rows, JPEG, WebP; each label
    names the Kodak images its curve was measured on (stages 01, 02 and 03 may code different counts)."""
    r01, r02, r03 = r["r01"], r["r02"], r["r03"]
    k1, k2, k3 = kodak(r, "01"), kodak(r, "02"), kodak(r, "03")
    curves = {f"teacher N={r02['teacher_N']} (float), {k1}": pd.DataFrame(r01["rd"])}
    rd2 = _main_seed(pd.DataFrame([*r02["rd"], *r02.get("deployed_rd", [])]))  # the deployed student on all its λ
    for (codec, n), df in rd2.groupby(["codec", "N"]):
        if codec in KIND_LABEL:
            curves[f"student N={n}, {KIND_LABEL[codec]}, {k2}"] = df
    rd3 = _main_seed(pd.DataFrame(r03["rd"]))
    src = r03["source"]
    who = (f"student N={src.get('N', '')}, {KIND_LABEL.get(src.get('student_kind'), src.get('student_kind', ''))},"
           if src.get("kind") == "student" else "teacher")
    for row, lab in (("hybrid", "hybrid 8/32"), ("int8", "int8 everywhere")):
        if (rd3.row == row).any():
            curves[f"{who} {lab}, {k3}"] = rd3[rd3.row == row]
    base = pd.DataFrame(r01["baselines"])
    for codec in ("jpeg", "webp"):
        curves[f"{codec.upper()}, {k1}"] = base[base.codec == codec]
    return curves


def rd_title(r: dict) -> str:
    """Title of the report's RD figure: which curves were measured on which Kodak images."""
    k1, k2, k3 = kodak(r, "01"), kodak(r, "02"), kodak(r, "03")
    if k1 == k2 == k3:
        return f"{k1}, real bitstreams: every codec of the study"
    return f"Real bitstreams: teacher, JPEG, WebP on {k1}; students on {k2}; quantized on {k3}"


def rd_by_width(r02: dict) -> dict[int, float]:
    """Width -> measured BD-rate vs teacher of the deployable student (see :func:`deployable`)."""
    return {n: bd for n, (_, bd) in deployable(r02).items()}


def stored_rd_by_width(r05: dict) -> dict[int, float]:
    """Width -> BD-rate vs teacher that a finished report stored (:func:`rd_by_width` of its stage 02)."""
    return {int(n): bd for n, bd in r05["rd_by_width"].items()}


def complexity_figure(r02: dict, caption: str = ""):
    """BD-rate vs teacher against GFLOPs per 720p frame for every student kind (pruned-teacher ones
    included); kinds whose curves do not overlap the teacher's are listed as such."""
    points = {KIND_LABEL[k]: [(s["gflops_720p"], kinds_bd(s)[k], s["N"]) for s in r02["summary"]
                              if kinds_bd(s)[k] is not None] for k in KIND_LABEL}
    return student_complexity_figure(points, r02["teacher_complexity"]["720p"]["gflops"], r02["teacher_N"],
                                     caption=caption)


def _widths(r02: dict) -> list[int]:
    """Widths trained in stage 02 (whether or not their BD-rate exists) and the teacher's."""
    return sorted({int(s["N"]) for s in r02["summary"]} | {int(r02["teacher_N"])})


def _measured_bd(rd: dict, N, tN: int):
    """BD-rate vs teacher measured at exactly ``N`` (0 for the teacher), never interpolated."""
    return 0.0 if N == tN else rd.get(N)


def frontier_target(p: dict, board: str):
    """The report's :class:`lic.hw.design.Target` on ``board``: its resolution, frame rate and utilisation."""
    from lic.hw.design import Target

    return Target(board, tuple(p["resolution"]), p["fps"], utilisation=p["utilisation"])


def trained_widths(r02: dict) -> list[int]:
    """The widths a deployable student was trained at: released (stage 02's width headline, any λ) or measured
    in stage 02 (:func:`deployable`)."""
    rel = {int(x["N"]) for x in (r02.get("width_headline") or {}).get("rows", []) if x["role"] == "deployable" and x["names"]}
    return sorted(rel | set(deployable(r02)))


def for_board_table(r: dict, p: dict) -> pd.DataFrame:
    """ZCU102, ZCU104, KV260 and the smallest board the model knows: the widest trained width meeting the frame
    rate at the report's resolution (:func:`lic.hw.design.boardwidth.width_for_boards`), modelled or measured."""
    from lic.hw.design.boardwidth import width_for_boards

    ws = trained_widths(r["r02"])
    if not ws:
        return pd.DataFrame()
    return pd.DataFrame(width_for_boards(ws, resolution=p["resolution"], fps=p["fps"], utilisation=p["utilisation"]))


def width_tables(r: dict, p: dict) -> dict[str, pd.DataFrame]:
    """Width for board from measured students only, and the other candidate widths apart.

    Returns:
        ``{"chosen": one row per board (widest measured width that meets the target), "measured":
        every measured width on every board, "interpolated": the paper's other widths, whose BD-rate
        is interpolated in N between measured ones (never measured here), "for_board": the widest trained
        width per board, modelled or measured (:func:`for_board_table`)}``.
    """
    from lic.hw.design import STUDENT_WIDTHS, choose_width, frontier

    r02 = r["r02"]
    dep, tN = deployable(r02), int(r02["teacher_N"])
    rd, ws = rd_by_width(r02), _widths(r02)
    kind_of = {**{int(s["N"]): KIND_LABEL["kd"] for s in r02["summary"]},
               **{n: KIND_LABEL[k] for n, (k, _) in dep.items()}, tN: "teacher"}
    chosen, measured, interp = [], [], []
    others = sorted(n for n in set(STUDENT_WIDTHS) - set(ws) if n < tN)  # students are narrower than the teacher
    for b in p["boards"]:
        target = frontier_target(p, b)
        c = choose_width(target, ws, rd, tN, suggest=False)
        used = c.resources if c.fits else None
        chosen.append({"board": b, "fits": c.fits, "N": c.N, "student": kind_of.get(c.N, "–"), "fps": c.fps,
                       "fps_max": c.fps_max, "bd_rate_vs_teacher": _measured_bd(rd, c.N, tN) if c.fits else None,
                       "DSP used": used and used.dsp, "BRAM36 used": used and used.bram, "LUT used": used and used.lut})
        t = frontier(target, ws, rd, tN)
        measured += [{"board": b, "N": x.N, "student": kind_of.get(x.N), "fps_max": x.fps_max,
                      "meets_fps": x.meets_fps, "bd_rate_vs_teacher": _measured_bd(rd, x.N, tN),
                      "dsp_pct": x.dsp_pct, "bram_pct": x.bram_pct, "lut_pct": x.lut_pct} for x in t.itertuples()]
        if others:
            t = frontier(target, others, rd, tN)
            interp += [{"board": b, "N": x.N, "fps_max": x.fps_max, "meets_fps": x.meets_fps,
                        "bd_rate_interpolated_not_measured": x.bd_rate if x.interpolated else None}
                       for x in t.itertuples()]
    return {"chosen": pd.DataFrame(chosen), "measured": pd.DataFrame(measured), "interpolated": pd.DataFrame(interp),
            "for_board": for_board_table(r, p)}


def frontier_figure(r: dict, p: dict):
    """RD-vs-throughput frontier of every board (one panel each) over the measured widths; the
    chosen width starred."""
    import matplotlib.pyplot as plt

    from lic.hw.design import choose_width, frontier, plot_frontier

    r02 = r["r02"]
    rd, ws, tN = rd_by_width(r02), _widths(r02), int(r02["teacher_N"])
    fig, axes = plt.subplots(1, len(p["boards"]), figsize=(4.2 * len(p["boards"]), 3.8), squeeze=False)
    chosen = {}
    for ax, b in zip(axes[0], p["boards"]):
        target = frontier_target(p, b)
        table = frontier(target, ws, rd, tN)
        ch = choose_width(target, ws, rd, tN)
        chosen[b] = ch.as_dict()
        plot_frontier(table, target.fps, ch.N if ch.fits else None, ax=ax, title=b)
    fig.tight_layout()
    return fig, chosen


def show_figure(results: dict, name: str) -> None:
    """Display one of the report's saved figures (its PNG; the SVG lies beside it)."""
    from IPython.display import Image, display

    f = results["figures"].get(name)
    if f:
        display(Image(filename=f["png"]))


def hardware_tables(r04: dict) -> list[tuple[str, pd.DataFrame]]:
    """Every table stage 04 gives (whatever it adds later), nested records split out: the report's appendix."""
    from lic.study.stages.hwreport import appendix_tables

    return appendix_tables(r04)


def show_hardware(r: dict, results: dict) -> None:
    """Section 5 of the report: the pipeline figure, a table per pipeline, the bit-exactness table, the published
    designs (:mod:`lic.study.stages.hwreport`), then every other stage-04 table and figure, collapsed."""
    from lic.study.stages import hwreport

    show_figure(results, "pipeline")
    figs = {k: v["png"] for k, v in (results.get("figures") or {}).items() if k == "fps"}
    hwreport.show(r["r04"], caption(r, "04"), appendix_figures=figs)


#: results fields holding per-set rows (``set`` column) or set descriptions (``name``)
_SET_FIELDS = {"rd_sets": "set", "bd_sets": "set", "sets_bd": "set", "eval_sets": "name"}


def _only_sets(res: dict, names: list[str] | None) -> dict:
    """``res`` with its per-set rows narrowed to ``names`` (None: all)."""
    if not names:
        return res
    return {**res, **{k: [x for x in res[k] if x.get(c) in names] for k, c in _SET_FIELDS.items() if res.get(k)}}


def _set_names(p: dict | None) -> list[str] | None:
    from lic.data.evalsets import KODAK, parse_entries

    entries = (p or {}).get("eval_sets") or []
    return [KODAK, *(e["name"] for e in parse_entries(entries))] if entries else None


def eval_set_tables(r: dict, p: dict | None = None) -> list[tuple[str, pd.DataFrame]]:
    """Each stage's BD-rates on every evaluation set, one column per set (Kodak first), plus the sets
    themselves; empty when no stage evaluated a set beside Kodak.

    Args:
        p: the report's parameters; its ``eval_sets`` (entries as the stages got them) keeps only
            those sets.
    """
    from lic.study.stages.distill import sets_table as distill_sets
    from lic.study.stages.quant import sets_table as quant_sets
    from lic.study.stages.teacher import bd_sets_table

    names = _set_names(p)
    res = {s: _only_sets(r[f"r{s}"], names) for s in ("01", "02", "03")}
    if all(len(x.get("eval_sets") or []) <= 1 for x in res.values()):
        return []
    described = {}
    for s, x in res.items():
        for e in x.get("eval_sets") or []:
            sizes = [z for z in e.get("sizes", []) if z != "…"]
            more = "+" if len(sizes) < len(e.get("sizes", [])) else ""
            shown = ", ".join(sizes) if len(sizes) <= 2 else f"{sizes[0]} … {sizes[-1]} ({len(sizes)}{more} sizes)"
            d = described.setdefault(e["name"], {**{k: v for k, v in e.items() if k != "root"}, "sizes": shown,
                                                 "stages": []})
            d["stages"].append(s)
    out = [("evaluation sets (verified: MD5s checked, Kodak against the project's list; "
            "content: digest of names + MD5s)",
            pd.DataFrame(described.values()).rename(columns={"checksummed": "verified"})
            .reindex(columns=["name", "images", "sizes", "verified", "content", "stages"]))]
    for st, title, table in (("01", "teacher vs JPEG / WebP", bd_sets_table),
                             ("02", "students vs teacher (main seed)", distill_sets),
                             ("03", "quantization / GDN rows vs float", quant_sets)):
        if len(res[st].get("eval_sets") or []) > 1:
            out.append((f"stage {st}, {title}: BD-rate (PSNR) on each set", _label_sets(table(res[st]), res[st])))
    return out


def _label_sets(df: pd.DataFrame, res: dict) -> pd.DataFrame:
    """Per-set columns (``… · kodak``) named with their set and count (``… · Kodak-8``, ``… · photos (12 images)``)."""
    from lic.data.evalsets import set_label

    names = {e["name"]: set_label(e["name"], e.get("images")) for e in res.get("eval_sets") or []}
    return df.rename(columns={c: f"{c.rsplit(' · ', 1)[0]} · {names[c.rsplit(' · ', 1)[1]]}" for c in df.columns
                              if " · " in str(c) and c.rsplit(" · ", 1)[1] in names})


def _figures(r: dict, p: dict, folder) -> tuple[dict, dict]:
    """Build and save (PNG + SVG) every figure of the report; returns (paths, chosen widths)."""
    from lic.study.stages.distill import figure_objective
    from lic.study.stages.hls import fps_figure
    from lic.study.stages.hwreport import pipeline_figure
    from lic.study.stages.quant import figure as quant_figure
    from lic.study.stages.quant import gdn_range_figure

    figs = {"rd_all": rd_figure(rd_curves(r), title=rd_title(r), caption=caption(r, "03"), anchors=published_anchors()),
            "complexity_students": complexity_figure(r["r02"], caption(r, "02"))}
    if r["r02"].get("width_headline"):  # every released width from its Kodak records, the published penalties beside
        from lic.study.stages.widths import figure as widths_figure

        figs["widths_headline"] = widths_figure(r["r02"], caption=caption(r, "02"))
    if not objective_table(r["r02"]).dropna().empty:
        figs["objective_kd"] = figure_objective(r["r02"], caption=caption(r, "02"))
    figs["rd_quant"] = quant_figure(r["r03"], caption=caption(r, "03"))
    figs["gdn_ranges"] = gdn_range_figure(r["r03"], caption=caption(r, "03"))
    if r["r03"].get("collapse"):  # why two rows of the ablation collapsed, step by step
        from lic.study.stages.quantdiag import figure as collapse_figure

        figs["collapse"] = collapse_figure(r["r03"], caption=caption(r, "03"))
    figs["fps"] = fps_figure(r["r04"], caption=caption(r, "04"))
    figs["pipeline"] = pipeline_figure(r["r04"], caption=caption(r, "04"))
    figs["frontier_boards"], chosen = frontier_figure(r, p)
    names = _set_names(p)
    if len(_only_sets(r["r01"], names).get("eval_sets") or []) > 1:  # a row of panels per evaluation set
        from lic.study.stages.teacher import figure as teacher_figure

        figs["rd_sets_teacher"] = teacher_figure(_only_sets(r["r01"], names), caption=caption(r, "01"))
    if len(_only_sets(r["r02"], names).get("eval_sets") or []) > 1:
        from lic.study.stages.distill import figure_sets

        figs["rd_sets_students"] = figure_sets(_only_sets(r["r02"], names), caption=caption(r, "02"))
    return {name: save_figure(f, folder, name) for name, f in figs.items()}, chosen


def _current(cached: dict) -> bool:
    """Whether a cached report result has every field the notebook reads."""
    return {"summary", "summary_bullets", "rd_by_width_kind", "headline", "bd_vs_anchors"} <= set(cached) and \
        "pipeline" in cached.get("figures", {})


def run(cfg: ReportConfig, inputs: dict[str, StageArtifact] | None = None, *, out: StageArtifact | None = None,
        force: bool = False, progress: bool = True) -> dict:
    """Collect the finished stages 01-04 (``inputs``, a plan's ``inputs("05")``) into the report's tables and
    figures (every figure PNG + SVG)."""
    p, ins, st = prepare("05", cfg, inputs, out)
    if st.done and not force:
        cached = st.results()
        if _current(cached):  # a report made before this format is rebuilt
            return cached
    t0 = time.monotonic()
    res = {f"r{s}": x.results() for s, x in ins.items()}
    meta = {"preset": p["preset"], "kodak_md5": kodak_digest(), "commit": git_commit(),
            "stages": {s: {"key": x.key, "commit": res[f"r{s}"].get("commit"), "dir": str(x.dir),
                           "kodak_images": res[f"r{s}"].get("kodak_images"),
                           "params": x.params} for s, x in ins.items()}}
    r = {**res, **meta}
    st.dir.mkdir(parents=True, exist_ok=True)
    figs, chosen = _figures(r, p, st.dir)
    dep = deployable(r["r02"])
    from lic.study.stages.teacher import anchors_table

    out = {**meta, "headline": headline_table(r).to_dict("records"), "summary": summary_markdown(r, chosen),
           "summary_bullets": summary_bullets(r, chosen), "bd_vs_anchors": anchors_table(r["r01"], r["stages"]["01"]["kodak_images"]).to_dict("records"),
           "chosen_width": chosen, "rd_by_width": rd_by_width(r["r02"]),
           "width_for_board": for_board_table(r, p).to_dict("records"),
           "rd_by_width_kind": {n: k for n, (k, _) in dep.items()}, "figures": figs, "wall_s": time.monotonic() - t0}
    return st.finish(out)


def load_all(inputs: dict[str, StageArtifact]) -> dict:
    """The results of stages 01-04 plus provenance, as :func:`run` sees them (for the notebook).

    Args:
        inputs: the finished artifacts of stages 01-04, a plan's ``inputs("05")``.
    """
    preset = next(iter(inputs.values())).params.get("preset")
    r = {f"r{s}": x.results() for s, x in inputs.items()}
    r.update(preset=preset, kodak_md5=kodak_digest(),
             stages={s: {"key": x.key, "commit": r[f"r{s}"].get("commit"), "params": x.params,
                         "kodak_images": r[f"r{s}"].get("kodak_images")} for s, x in inputs.items()})
    return r
