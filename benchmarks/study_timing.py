#!/usr/bin/env python3
"""Wall time of a whole preset (default: quick), per stage, plus the teacher's CPU encode/decode
time per Kodak image — the benchmark behind the README's expected wall times (not a timed test).

    .venv/bin/python benchmarks/study_timing.py [--preset quick] [--fresh]

``--fresh`` runs into an empty artifacts folder, so no stage is reused from an earlier run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from lic.fileio import write_json
from lic.study.runner import ROOT, plan, run_study


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--fresh", action="store_true", help="empty artifacts folder (nothing cached)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    if a.fresh:
        os.environ["LIC_ARTIFACTS"] = tempfile.mkdtemp(prefix="lic-bench-")
    out = Path(a.out or ROOT / "runs" / f"bench-{a.preset}-{time.strftime('%Y%m%d-%H%M%S')}")
    t0 = time.monotonic()
    m = run_study(a.preset, out_dir=out)
    total = time.monotonic() - t0
    r01 = plan(a.preset, ["01"])["01"].results()
    print(f"preset {a.preset} on {os.cpu_count()} cores, commit {m['commit']}")
    for s, info in m["stages"].items():
        print(f"  stage {s}: {info['seconds']:7.1f} s   ({info['notebook']})")
    print(f"  total  : {total:7.1f} s")
    t = r01["timing_s_per_image"]
    print(f"teacher N={r01['complexity_kodak']['params']:,} params: encode {t['encode']:.3f} s, "
          f"decode {t['decode']:.3f} s per Kodak image (CPU, {r01['kodak_images']} images)")
    write_json(out / "timing.json", {"preset": a.preset, "total_s": total, "stages": {s: i["seconds"] for s, i in
               m["stages"].items()}, "teacher_s_per_image": t, "commit": m["commit"], "cpus": os.cpu_count()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
