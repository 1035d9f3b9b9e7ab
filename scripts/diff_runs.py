"""Compare the artifacts of two study runs stage by stage: what a refactor must leave unchanged.

    python scripts/diff_runs.py BEFORE_ROOT AFTER_ROOT [--preset quick] [--rtol 0] [--json out.json]

Each ROOT is a checkout that ran ``python -m lic.study --preset P`` (its newest ``runs/P-*/manifest.json``
names each stage's artifact key). Per stage it compares the artifact folders: the set of files, every
``results.json`` number and string (run-specific fields such as wall times, keys, commits and paths left
out), every CSV cell (numbers within ``rtol``), every ``.pt`` checkpoint's tensors, and other files by
bytes (figures are reported, not failed: their SVGs embed dates). Exit 0 when nothing differs beyond
the figures, 1 otherwise; one line a difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import pandas as pd

#: results.json / params.json fields that describe the run, not its result
RUN_FIELDS = {"key", "commit", "wall_s", "seconds", "elapsed", "time", "started", "finished", "dir", "path", "paths",
              "artifacts", "train_dir", "kodak_dir", "inputs", "versions", "threads", "progress", "timing", "wall"}
FIGURES = {".png", ".svg", ".html", ".ipynb"}


def latest_manifest(root: Path, preset: str) -> dict:
    runs = sorted((root / "runs").glob(f"{preset}-*/manifest.json"))
    if not runs:
        sys.exit(f"no runs/{preset}-*/manifest.json under {root}")
    return json.loads(runs[-1].read_text())


def stage_dirs(root: Path, manifest: dict) -> dict[str, Path]:
    out = {}
    for stage, info in manifest.get("stages", {}).items():
        key = info.get("key") if isinstance(info, dict) else None
        hits = list((root / "artifacts").glob(f"{stage}_*/{key}")) if key else []
        if hits:
            out[stage] = hits[0]
    return out


def _walk(a, b, where: str, rtol: float, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k in RUN_FIELDS or str(k).endswith(("_s", "_seconds", "_dir", "_path")):
                continue
            if k not in a or k not in b:
                out.append(f"{where}.{k}: only in {'after' if k in b else 'before'}")
            else:
                _walk(a[k], b[k], f"{where}.{k}", rtol, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} items before, {len(b)} after")
        for i, (x, y) in enumerate(zip(a, b)):
            _walk(x, y, f"{where}[{i}]", rtol, out)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if not (a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rtol, abs_tol=0)):
            out.append(f"{where}: {a!r} -> {b!r}")
    elif a != b:
        out.append(f"{where}: {str(a)[:60]!r} -> {str(b)[:60]!r}")


def _csv(a: Path, b: Path, rtol: float, out: list[str], name: str) -> None:
    x, y = pd.read_csv(a), pd.read_csv(b)
    drop = [c for c in x.columns if c in RUN_FIELDS or c.endswith(("_s", "_seconds"))]
    _walk(x.drop(columns=drop, errors="ignore").to_dict("list"), y.drop(columns=drop, errors="ignore").to_dict("list"),
          name, rtol, out)


def _pt(a: Path, b: Path, out: list[str], name: str) -> None:
    import torch

    def tensors(p):
        obj = torch.load(p, map_location="cpu", weights_only=False)
        flat = {}

        def visit(o, k):
            if isinstance(o, torch.Tensor):
                flat[k] = o
            elif isinstance(o, dict):
                for kk, v in o.items():
                    visit(v, f"{k}.{kk}")
        visit(obj, "")
        return flat

    x, y = tensors(a), tensors(b)
    if set(x) != set(y):
        out.append(f"{name}: tensors {sorted(set(x) ^ set(y))[:4]} differ in presence")
    bad = [k for k in set(x) & set(y) if x[k].shape != y[k].shape or not torch.equal(x[k], y[k])]
    if bad:
        out.append(f"{name}: {len(bad)} tensors differ, e.g. {sorted(bad)[:3]}")


def compare(a: Path, b: Path, rtol: float) -> tuple[list[str], list[str]]:
    """(differences, figures that differ) between two artifact folders."""
    out, figs = [], []
    fa = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    fb = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    out += [f"{n}: only before" for n in sorted(fa - fb)] + [f"{n}: only after" for n in sorted(fb - fa)]
    for n in sorted(fa & fb):
        pa, pb = a / n, b / n
        if pa.read_bytes() == pb.read_bytes():
            continue
        if pa.suffix == ".json":
            _walk(json.loads(pa.read_text()), json.loads(pb.read_text()), n, rtol, out)
        elif pa.suffix == ".csv":
            _csv(pa, pb, rtol, out, n)
        elif pa.suffix == ".pt":
            _pt(pa, pb, out, n)
        elif pa.suffix in FIGURES:
            figs.append(n)
        else:
            out.append(f"{n}: bytes differ ({hashlib.sha256(pa.read_bytes()).hexdigest()[:8]} -> "
                       f"{hashlib.sha256(pb.read_bytes()).hexdigest()[:8]})")
    return out, figs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--rtol", type=float, default=0.0, help="relative tolerance of numbers (default: exact)")
    ap.add_argument("--json", type=Path, default=None, help="also write the comparison here")
    a = ap.parse_args(argv)
    ma, mb = latest_manifest(a.before, a.preset), latest_manifest(a.after, a.preset)
    da, db = stage_dirs(a.before, ma), stage_dirs(a.after, mb)
    report, n_diff = {}, 0
    for stage in sorted(set(da) | set(db)):
        if stage not in da or stage not in db:
            print(f"stage {stage}: artifact only {'after' if stage in db else 'before'}")
            n_diff += 1
            continue
        diffs, figs = compare(da[stage], db[stage], a.rtol)
        n_diff += len(diffs)
        report[stage] = {"before": str(da[stage]), "after": str(db[stage]), "differences": diffs, "figures": figs}
        print(f"stage {stage}: {da[stage].name} -> {db[stage].name}: {len(diffs)} differences, "
              f"{len(figs)} figure files differ in bytes")
        for d in diffs:
            print("   ", d)
    if a.json:
        a.json.write_text(json.dumps(report, indent=1))
    return 1 if n_diff else 0


if __name__ == "__main__":
    sys.exit(main())
