#!/usr/bin/env python3
"""Markdown tables of a finished run (for the README): the report's summary and headline table and
the tables of stages 01-03, formatted as in ``report.html`` (lic.tables), read from a preset's artifacts.

    .venv/bin/python scripts/results_markdown.py --preset quick
"""

import argparse

from lic.stages import distill, quant, report, teacher
from lic.tables import to_markdown


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="quick")
    a = ap.parse_args(argv)
    r = report.load_all(a.preset)
    print(f"Measured with preset `{a.preset}`; stage keys " +
          ", ".join(f"{s}:{v['key']}" for s, v in r["stages"].items()) + f"; commit {r['stages']['04']['commit']}.\n")
    print(report.summary_paragraph(r) + "\n")
    r02, noise02 = r["r02"], distill.noise_table(r["r02"])
    tables = [
        ("", report.headline_table(r)),
        ("Teacher RD points:", teacher.rd_table(r["r01"])),
        ("Teacher vs JPEG / WebP at matching bpp:", teacher.matching_bpp(r["r01"])),
        ("Stage 02 students:", distill.rd_table(r02)),
        ("", distill.summary_table(r02)),
        ("KD vs scratch, run-to-run noise:", noise02),
        ("", distill.noise_summary(noise02)),
        ("KD vs scratch, paired training objective (in-sample, final phase, same batches):", distill.objective_table(r02)),
        ("", distill.objective_summary(distill.objective_table(r02))),
        ("Stage 02 loss-term ablation:", distill.ablation_table(r02)),
        ("Stage 03 ablation and its noise:", quant.ablation_table(r["r03"])),
        ("", quant.noise_table(r["r03"])),
    ]
    for title, df in tables:
        print(f"\n{title}\n" if title else "")
        print(to_markdown(df))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
