"""Index the cited records that were written before the index existed (``benchmarks/records.json``).

A benchmark registers the record it writes itself (``kdrd_seeds.py --json``, ``rtl_ga_kodak.py --combine``,
``seed_controls.py``). The two records below were written before that, so their entries are made here, once,
from what the records and the history state: the weights they were measured on are the files of the manifest
at the commit that recorded them (not necessarily today's), the scripts are hashed as they are now::

    PYTHONPATH=. python benchmarks/index_records.py            # (re)write both entries

Rerun only after checking that the record still stands: re-indexing makes a stale record fresh.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kdrd_seeds  # noqa: E402
import rtl_ga_kodak  # noqa: E402

from lic.fileio import read_json  # noqa: E402
from lic.provenance import ROOT  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def manifest_at(commit: str) -> dict:
    """``weights/manifest.json``'s models at ``commit``."""
    out = subprocess.run(["git", "show", f"{commit}:weights/manifest.json"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)["models"]


def kd_vs_rd() -> dict:
    """Recorded at 90bdd3a from the GPU job's ``gpu-kdrd`` release (students released to the job's scratch folder,
    never kept); the teachers of its setup are the manifest's at that commit."""
    path = RESULTS / "kd_vs_rd_pruned_seeds.json"
    return kdrd_seeds.register(
        path, read_json(path), "--weights-dir /tmp/kdrd/weights --out benchmarks/results/kdrd_seeds_gpu_kodak24.csv "
        "--json benchmarks/results/kd_vs_rd_pruned_seeds.json", teachers=manifest_at("90bdd3a"),
        notes="recorded at 90bdd3a (GPU job 2, benchmarks/results/gpu_job_2026-11-27b); the gpu-kdrd students' "
              "weights were not kept, so their digests are unknown: their Kodak means are the record's points; "
              "indexed later, the script's digest is the script's at indexing")


def rtl_synth() -> dict:
    """Recorded at 832fb94 by ``--combine`` of the two hierarchical ``--synth`` runs (GDN stages on RTL 074c340,
    conv stages on 42d4360), both on the student file of the manifest at that commit."""
    path = RESULTS / "rtl_ga_synth.json"
    rec = read_json(path)
    student = manifest_at("832fb94")[rec["student"]]["sha256"]
    combined = ["benchmarks/results/rtl_ga_synth_plan_hier.json", "benchmarks/results/rtl_ga_synth_plan_hier_conv.json"]
    return rtl_ga_kodak.register(
        path, rec, student, combined, f"--combine {','.join(combined)} --note '...'",
        notes="recorded at 832fb94; the stages' RTL: GDN stages at 074c340, conv stages at 42d4360 (the record's "
              "note); the integer g_a was quantised from the student file of the manifest at 832fb94 (8 calibration "
              "crops, seed 17); indexed later, the script's digest is the script's at indexing")


if __name__ == "__main__":
    for entry in (kd_vs_rd(), rtl_synth()):
        print(entry["file"], entry["sha256"][:12])
