"""Stage 05: the report — every stage's tables and figures in one place, each caption stating
the preset, the stage's parameter key, the git commit and the Kodak checksum digest.

It reads the finished artifacts of stages 01-04 (never notebook globals), builds the combined
figures (RD curves of teacher / students / quantized vs JPEG and WebP, the width-for-board
frontier on every board) and the tables. The study runner renders the executed notebook to
``report.html`` (nbconvert, code hidden) beside ``results.json``.
"""

from __future__ import annotations

import hashlib
import math
import time

import pandas as pd

from ..data import kodak_md5s
from ..plots import rd_figure, save_figure
from ..study import Stage, git_commit, input_stage, resolve_params
from .distill import noise_summary, noise_table, objective_summary, objective_table
from .quant import seed_spread

__all__ = ["PRESETS", "stage_handle", "run", "load_all", "headline_table", "rd_curves", "rd_by_width", "frontier_figure",
           "caption"]

_P = {"boards": ["zcu102", "zcu104", "kv260", "u250"], "resolution": [1280, 720], "fps": 30, "utilisation": 0.8}
PRESETS = {"smoke": dict(_P), "quick": dict(_P), "paper": dict(_P)}
UPSTREAM = ("01", "02", "03", "04")


def _inputs(preset: str, upstream: dict | None, check: bool) -> dict[str, Stage]:
    from ..study import stage_module

    return {s: (input_stage(s, preset, upstream) if check else stage_module(s).stage_handle(preset, upstream))
            for s in UPSTREAM}


def stage_handle(preset: str = "quick", upstream: dict | None = None) -> Stage:
    upstream = upstream or {}
    p = resolve_params("05", preset, **upstream.get("05", {}))
    return Stage("05", p, {s: st.key for s, st in _inputs(preset, upstream, check=False).items()})


def kodak_digest() -> str:
    """Short digest of the Kodak MD5 list every evaluation verified against."""
    return hashlib.md5("".join(f"{k}{v}" for k, v in sorted(kodak_md5s().items())).encode()).hexdigest()[:8]


def caption(results: dict, stage: str) -> str:
    """Provenance line of a figure or table: preset, stage key, commit, data checksum."""
    s = results["stages"][stage]
    return (f"preset={results['preset']} · stage {stage} key={s['key']} · commit {s['commit']} · "
            f"Kodak n={s.get('kodak_images', '?')} md5:{results['kodak_md5']}")


def rd_curves(r: dict) -> dict[str, pd.DataFrame]:
    """label -> RD points: teacher, KD students, scratch students, hybrid quantized, JPEG, WebP."""
    r01, r02, r03 = r["r01"], r["r02"], r["r03"]
    curves = {f"teacher N={r02['teacher_N']} (float)": pd.DataFrame(r01["rd"])}
    rd2 = pd.DataFrame(r02["rd"])
    if "seed" in rd2:  # the main seed (the others only enter the noise tables)
        rd2 = rd2[rd2.seed == rd2.seed.iloc[0]]
    for (codec, n), df in rd2.groupby(["codec", "N"]):
        if codec in ("kd", "scratch"):
            curves[f"student N={n} ({'KD' if codec == 'kd' else 'from scratch'})"] = df
    rd3 = pd.DataFrame(r03["rd"])
    for row, label in (("hybrid", "hybrid 8/32"), ("int8", "int8 everywhere")):
        df = rd3[rd3.row == row]
        if len(df):
            kind = r03["source"].get("student_kind", "")
            curves[f"student N={r03['source'].get('N', '')}{' ' + kind if kind else ''} {label}".replace("N= ", "")] = df
    base = pd.DataFrame(r01["baselines"])
    for codec in ("jpeg", "webp"):
        curves[codec.upper()] = base[base.codec == codec]
    return curves


def headline_table(r: dict) -> pd.DataFrame:
    """The study in one table: each claim of the paper next to what this run measured."""
    r01, r02, r03, r04 = r["r01"], r["r02"], r["r03"], r["r04"]
    rows = [
        ("teacher BD-rate vs JPEG [%]", r01["bd_rate_vs_jpeg"]),
        ("teacher BD-rate vs WebP [%]", r01["bd_rate_vs_webp"]),
    ]
    for m in r01.get("matching_bpp", []):
        rows.append((f"teacher λ={m['lmbda']} ({m['bpp']:.3f} bpp): PSNR − JPEG / − WebP at that bpp [dB]",
                     f"{m['psnr_minus_jpeg_db']:+.2f} / {m['psnr_minus_webp_db']:+.2f}"))
    for s in r02["summary"]:
        rows.append((f"KD student N={s['N']}: BD-rate vs teacher [%]", s["bd_rate_kd_vs_teacher"]))
        rows.append((f"KD student N={s['N']}: GFLOPs / teacher", s["gflops_vs_teacher"]))
        rows.append((f"KD student N={s['N']}: BD-rate KD vs from scratch [%]", s["bd_rate_kd_vs_scratch"]))
        if s.get("bd_rate_kd_pruned_vs_teacher") is not None and not math.isnan(s["bd_rate_kd_pruned_vs_teacher"]):
            # weight inheritance (an extension of the paper): students from the channel-pruned teacher
            rows.append((f"KD student N={s['N']} from the pruned teacher: BD-rate vs teacher [%]",
                         s["bd_rate_kd_pruned_vs_teacher"]))
            rows.append((f"RD-only student N={s['N']} from the pruned teacher: BD-rate vs teacher [%]",
                         s["bd_rate_rd_pruned_vs_teacher"]))
            rows.append((f"pruned-teacher init N={s['N']}: BD-rate KD vs RD-only [%]", s["bd_rate_kd_pruned_vs_rd_pruned"]))
    for n in noise_summary(noise_table(r02)):  # recomputed from the stored per-seed BD-rates
        rows.append((f"KD vs scratch N={n['N']}, mean of {n['seeds']} seeds ± 95% CI [%]",
                     f"{n['kd_vs_scratch_mean']:+.2f} ± {n['ci95']:.2f}"))
        rows.append((f"KD vs scratch N={n['N']}: paired spread / seed-to-seed noise [BD-rate %] / resolved",
                     f"{n['paired_spread']:.2f} / {n['seed_noise']:.2f} / {'yes' if n['resolved'] else 'no'}"))
    for o in objective_summary(objective_table(r02)):  # the paired training-log measure of the same effect
        rows.append((f"KD vs scratch N={o['N']} λ={o['lmbda']}: training RD cost (in-sample), final phase, mean of {o['seeds']} "
                     "seeds ± 95% CI [%] / p / resolved",
                     f"{o['mean_pct']:+.2f} ± {o['ci95']:.2f} / {o['p']:.3f} / {'yes' if o['resolved'] else 'no'}"))
        rows.append((f"KD vs scratch N={o['N']} λ={o['lmbda']}: the same RD cost on Kodak (real bits), mean ± 95% CI "
                     "[%] / resolved", f"{o['kodak_mean_pct']:+.2f} ± {o['kodak_ci95']:.2f} / "
                     f"{'yes' if o['kodak_resolved'] else 'no'}"))
    spread = {}
    for n in r03.get("noise", []):
        spread.setdefault(n["row"], []).append(n["bd_rate_psnr_vs_float"])
    for s in r03["summary"]:
        if s["row"] != "float":
            rows.append((f"{s['codec']}: BD-rate vs float [%]", s["bd_rate_psnr_vs_float"]))
            v = spread.get(s["row"], [])
            if len(v) > 1:
                rows.append((f"{s['codec']}: spread over {len(v)} seeds [BD-rate %]", seed_spread(v)))
    rows.append(("C-sim mismatches vs Python fixed point", r04["csim"]["mismatches"]))
    rtl = r04.get("rtl", {})
    for unit, u in (rtl.get("units") or {}).items():
        rows.append((f"RTL {unit}: mismatches / vectors", f"{u.get('mismatches')} / {u.get('vectors')}"))
    for res, t in r04["throughput"].items():
        rows.append((f"FPS at {res} on {r04['board']['name']} (model, {t['cores']} cores)", t["fps"]))
    for c in r04.get("codec_vs_float", [])[:4]:
        rows.append((f"{c['image']}: PSNR accelerator latents − float [dB]", c["psnr_delta"]))
    return pd.DataFrame(rows, columns=["quantity", "measured"])


def rd_by_width(r02: dict) -> dict[int, float]:
    """Width -> BD-rate vs teacher of the KD students (for the width-for-board explorer)."""
    return {int(s["N"]): float(s["bd_rate_kd_vs_teacher"]) for s in r02["summary"]
            if s["bd_rate_kd_vs_teacher"] is not None and not math.isnan(s["bd_rate_kd_vs_teacher"])}


def frontier_figure(r: dict, p: dict):
    """RD-vs-throughput frontier of every board (one panel each), chosen width marked."""
    import matplotlib.pyplot as plt

    from ..design import choose_width, frontier, plot_frontier

    rd = rd_by_width(r["r02"]) or None
    widths = sorted({16, 32, 64, 96, 112, 128} | {int(s["N"]) for s in r["r02"]["summary"]})
    fig, axes = plt.subplots(1, len(p["boards"]), figsize=(4.2 * len(p["boards"]), 3.8), squeeze=False)
    chosen = {}
    for ax, b in zip(axes[0], p["boards"]):
        table = frontier(b, tuple(p["resolution"]), widths, rd, fps=p["fps"], utilisation=p["utilisation"])
        ch = choose_width(b, tuple(p["resolution"]), p["fps"], widths, rd, utilisation=p["utilisation"])
        chosen[b] = ch.as_dict()
        plot_frontier(table, p["fps"], ch.N if ch.fits else None, ax=ax, title=b)
    fig.tight_layout()
    return fig, chosen


def run(p: dict, force: bool = False, progress: bool = True, upstream: dict | None = None) -> dict:
    """Collect stages 01-04 into the report's tables and figures."""
    ins = _inputs(p["preset"], upstream, check=True)
    st = Stage("05", p, {s: x.key for s, x in ins.items()})
    if st.done and not force:
        return st.results()
    t0 = time.monotonic()
    res = {f"r{s}": x.results() for s, x in ins.items()}
    meta = {"preset": p["preset"], "kodak_md5": kodak_digest(), "commit": git_commit(),
            "stages": {s: {"key": x.key, "commit": res[f"r{s}"].get("commit"), "dir": str(x.dir),
                           "kodak_images": res[f"r{s}"].get("kodak_images"),
                           "params": x.params} for s, x in ins.items()}}
    r = {**res, **meta}
    st.dir.mkdir(parents=True, exist_ok=True)
    figs = {}
    fig = rd_figure(rd_curves(r), title="Kodak, real bitstreams: teacher, students, quantized vs JPEG/WebP",
                    caption=caption(r, "03"))
    figs["rd_all"] = save_figure(fig, st.dir, "rd_all")
    fig, chosen = frontier_figure(r, p)
    figs["frontier"] = save_figure(fig, st.dir, "frontier_boards")
    out = {**meta, "headline": headline_table(r).to_dict("records"), "chosen_width": chosen,
           "rd_by_width": rd_by_width(r["r02"]), "figures": figs, "wall_s": time.monotonic() - t0}
    return st.finish(out)


def load_all(preset: str, upstream: dict | None = None) -> dict:
    """The results of stages 01-04 plus provenance, as :func:`run` sees them (for the notebook)."""
    ins = _inputs(preset, upstream, check=True)
    r = {f"r{s}": x.results() for s, x in ins.items()}
    r.update(preset=preset, kodak_md5=kodak_digest(),
             stages={s: {"key": x.key, "commit": r[f"r{s}"].get("commit"),
                         "kodak_images": r[f"r{s}"].get("kodak_images")} for s, x in ins.items()})
    return r
