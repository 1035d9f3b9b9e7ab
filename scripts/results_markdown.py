#!/usr/bin/env python3
"""RESULTS.md of a finished run: the report's summary and headline table, the tables of stages 01-04
(formatted as in ``report.html`` by lic.study.tables), the run's wall time per stage and the released weights,
all read from the preset's artifacts, the run's ``manifest.json`` and ``weights/manifest.json``. Prose comes in short
lines (at most :data:`WIDTH` characters; the summary the report's bullets, one a claim), tables as wide as they are.

    .venv/bin/python scripts/results_markdown.py --preset quick --run runs/quick-<time> --out RESULTS.md
"""

import argparse
import io
import re
import textwrap
from contextlib import redirect_stdout
from pathlib import Path

import pandas as pd

from lic.codec.zoo import available
from lic.eval import stats
from lic.fileio import atomic_write_text, read_json
from lic.study.artifacts import plan
from lic.study.stages import distill, hls, hwreport, quant, report, teacher
from lic.study.tables import to_markdown

#: the longest line of prose
WIDTH = 120


def _wrap(text: str, bullet: bool = False) -> str:
    """``text`` wrapped at :data:`WIDTH` characters (words and inline code never split); as a Markdown bullet."""
    return textwrap.fill(text.strip(), WIDTH, initial_indent="- " if bullet else "", subsequent_indent="  " if bullet
                         else "", break_long_words=False, break_on_hyphens=False)


def _summary(r: dict) -> str:
    """The report's summary: its lead line, then one Markdown bullet a claim (lic.study.stages.summary)."""
    lead = report.summary_markdown(r).split("\n\n", 1)[0]
    return _wrap(lead) + "\n\n" + "\n".join(_wrap(b, bullet=True) for b in report.summary_bullets(r))


def _run_table(run: Path) -> pd.DataFrame:
    m = read_json(run / "manifest.json")
    rows = [{"stage": s, "notebook": v["notebook"], "status": v["status"], "key": v.get("key", ""),
             "wall time [s]": v["seconds"]} for s, v in m["stages"].items()]
    rows.append({"stage": "all", "notebook": "", "status": "", "key": "",
                 "wall time [s]": sum(r["wall time [s]"] for r in rows)})
    print(_wrap(f"Run `{run.name}`: preset `{m['preset']}`, commit {m['commit']}, {m['cpus']} CPUs, {m['platform']}.")
          + "\n")
    return pd.DataFrame(rows)


def _weights_table() -> pd.DataFrame:
    rows = []
    for name, e in sorted(available().items()):
        k = e.get("kodak", {})
        rows.append({"model": name, "total steps": e.get("total_steps", e.get("steps")), "Kodak images": e.get("kodak_images"),
                     "bpp": k.get("bpp"), "PSNR [dB]": k.get("psnr"), "MS-SSIM": k.get("ms_ssim")})
    return pd.DataFrame(rows)


def _coding_line(r: dict) -> str:
    """How many Kodak images stages 01/02 coded and how many recorded rows they reused (lic.eval.measured)."""
    parts = []
    for stage, res in (("01", r["r01"]), ("02", r["r02"])):
        c = list((res.get("coding") or {}).values())
        if c:
            parts.append(f"stage {stage} coded {sum(x['coded'] for x in c)} Kodak images and reused "
                         f"{sum(x['reused'] for x in c)} rows of `weights/kodak_measured.json` "
                         f"({sum(1 for x in c if x['reused'])} of "
                         f"{sum(1 for x in c if x['why'] != 'not a released model')} released models used as they "
                         "are passed the exact spot check)")
    return ("Coding: " + "; ".join(parts) + ".") if parts else "Coding: every image coded by this run."


def write(preset: str, run: Path | None) -> None:
    """Print the whole Markdown document."""
    r = report.load_all(plan(preset, ["05"]).inputs("05"))
    print(f"# Results of the latest `{preset}` run\n\n" + _wrap("Written by `scripts/results_markdown.py` from the "
          "artifacts; every number is measured by the run unless its row says modelled.") + "\n")
    if run is not None:
        print("## Wall time per stage\n")
        print(to_markdown(_run_table(run)))
    print("\n" + _wrap("Stage keys " + ", ".join(f"{s}:{v['key']}" for s, v in r["stages"].items())
                       + f"; commit {r['stages']['04']['commit']}.") + "\n")
    print("## Summary\n\n" + _summary(r) + "\n")
    print(_wrap(_coding_line(r)) + "\n")
    r02, noise02, r04 = r["r02"], distill.noise_table(r["r02"]), r["r04"]
    tables = [
        ("## Headline", report.headline_table(r)),
        ("## Teacher RD points", teacher.rd_table(r["r01"])),
        ("Teacher vs JPEG / WebP at matching bpp:", teacher.matching_bpp(r["r01"])),
        ("Teacher vs CompressAI's published points (published on Kodak-24, ours on the images named; "
         "`data/anchors/compressai_kodak.json`):", teacher.anchors_table(r["r01"])),
        ("## Students (stage 02)", distill.rd_table(r02)),
        ("", distill.summary_table(r02)),
        ("The deployed student on more λ (stage 02's deployed_lambdas), BD-rate vs the teacher on all its points:",
         pd.DataFrame(r02.get("deployed", []))),
        ("KD vs scratch, run-to-run noise:", noise02),
        ("", stats.noise_summary(noise02)),
        ("KD vs scratch, paired training objective (in-sample, final phase, same batches):", distill.objective_table(r02)),
        ("", stats.objective_summary(distill.objective_table(r02))),
        ("Loss-term ablation:", distill.ablation_table(r02)),
        ("## Quantization (stage 03) and its noise", quant.ablation_table(r["r03"])),
        ("", quant.noise_table(r["r03"])),
        ("## Accelerator (stage 04): every bit-exactness check", hwreport.bitexact_table(r04)),
        *((f"Pipeline: {title}", df) for title, df in hwreport.pipeline_tables(r04)),
        ("The whole g_a in RTL, measured (Verilator) next to modelled:", hls.rtl_ga_summary(r04)),
        ("", hls.rtl_ga_table(r04)),
        ("Folding plan and resources (modelled, lic.hw.fpga_model):", hls.plan_layer_table(r04)),
        ("Encoder / decoder frame rates (modelled):", hls.codec_fps_table(r04)),
        ("C-sim beats vs the model's cycles (measured, C-sim):", hls.beats_table(r04)),
        ("Published FPGA LIC designs next to ours (sources below the table):", hwreport.comparison(r04)[0]),
        ("## Released weights (`weights/manifest.json`, Kodak measured at release)", _weights_table()),
    ]
    for title, df in tables:
        print(f"\n{title}\n" if title else "")
        print(to_markdown(df) if len(df) else "(none)")
        if title.startswith("Published FPGA"):
            print("\n" + "\n".join(_wrap(f"{i}. {n}") for i, n in enumerate(hwreport.comparison(r04)[1], 1)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--run", type=Path, default=None, help="runs/<run> folder of the study runner (wall times)")
    ap.add_argument("--out", type=Path, default=None, help="write here (atomically) instead of stdout")
    a = ap.parse_args(argv)
    buf = io.StringIO()
    with redirect_stdout(buf):
        write(a.preset, a.run)
    if a.out:
        atomic_write_text(a.out, buf.getvalue())
    else:
        print(buf.getvalue(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
