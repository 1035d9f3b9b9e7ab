#!/usr/bin/env python3
"""Markdown tables of a finished run (for the README): the report's headline table and the
Kodak RD points of teacher / JPEG / WebP, read from the artifacts of a preset.

    .venv/bin/python scripts/results_markdown.py --preset quick
"""

import argparse
import math

import pandas as pd

from lic.stages import distill, quant, report, teacher


def _md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    fmt = lambda v: (f"{v:.4g}" if isinstance(v, float) and not math.isnan(v) else ("n/a" if isinstance(v, float) else str(v)))
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="quick")
    a = ap.parse_args(argv)
    r = report.load_all(a.preset)
    print(f"Measured with preset `{a.preset}`; stage keys " +
          ", ".join(f"{s}:{v['key']}" for s, v in r["stages"].items()) + f"; commit {r['stages']['04']['commit']}.\n")
    r02, noise02 = r["r02"], distill.noise_table(r["r02"])
    tables = [
        ("", report.headline_table(r)),
        ("", teacher.rd_table(r["r01"]).round(4)),
        ("Teacher vs JPEG / WebP at matching bpp:", teacher.matching_bpp(r["r01"]).round(3)),
        ("Stage 02 students:", distill.rd_table(r02).round(4)),
        ("", distill.summary_table(r02).reset_index().round(4)),
        ("KD vs scratch, run-to-run noise:", noise02.round(3)),
        ("", pd.DataFrame(distill.noise_summary(noise02)).round(3)),
        ("KD vs scratch, paired training objective (in-sample, final phase, same batches):",
         distill.objective_table(r02).round(3)),
        ("", pd.DataFrame(distill.objective_summary(distill.objective_table(r02))).round(4)),
        ("Stage 02 loss-term ablation:", distill.ablation_table(r02).round(4)),
        ("Stage 03 ablation and its noise:", quant.ablation_table(r["r03"]).round(4)),
        ("", quant.noise_table(r["r03"]).reset_index().round(3)),
    ]
    for title, df in tables:
        print(f"\n{title}\n" if title else "")
        print(_md(df))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
