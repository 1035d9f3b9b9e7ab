"""Compare the artifacts of two study runs stage by stage: what a refactor must leave unchanged.

    python scripts/diff_runs.py BEFORE_ROOT AFTER_ROOT [--preset quick] [--rtol 0] [--module-names] [--json out.json]

Each ROOT is a checkout that ran ``python -m lic.study --preset P`` (its newest ``runs/P-*/manifest.json``
names each stage's artifact key). Per stage it compares the artifact folders: the set of files, every
``results.json`` number and string (run-specific fields such as wall times, keys, commits and paths left
out), every CSV cell (numbers within ``rtol``), every ``.pt`` checkpoint's tensors, other text files by their
text, each checkout's root path read as ``<root>`` (and, with ``--module-names``, every dotted ``lic.…`` name as
``lic.*``: a refactor that moves modules renames the generators a file names). Figures and binary build
outputs (shared libraries, simulator images, keyed by their sources' paths) and tool logs (dated) are reported,
not failed. Exit 0
when nothing else differs, 1 otherwise; one line a difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
from pathlib import Path

import pandas as pd

#: results.json / params.json fields that describe the run, not its result
RUN_FIELDS = {"key", "commit", "wall_s", "seconds", "elapsed", "time", "started", "finished", "dir", "path", "paths",
              "artifacts", "train_dir", "kodak_dir", "inputs", "versions", "threads", "progress", "timing", "wall"}
FIGURES = {".png", ".svg", ".html", ".ipynb"}
#: binary build outputs: compiled from the same sources, they differ with the paths compiled into them
BUILD = {".so", ".vvp", ".o", ".a"}
#: tool logs and waveforms: they carry the date and the tools' own timings (their numbers land in results.json)
LOGS = {".log", ".vcd"}
#: results.json fields whose names start so are measured wall times, not results
TIMING_PREFIXES = ("timing", "wall", "seconds")
#: (pattern, replacement) applied to every string before comparing (set in main)
NORMALIZE: list[tuple[re.Pattern, str]] = []


def _norm(s: str) -> str:
    for pat, rep in NORMALIZE:
        s = pat.sub(rep, s)
    return s


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
            if (k in RUN_FIELDS or str(k).endswith(("_s", "_seconds", "_dir", "_path"))
                    or str(k).startswith(TIMING_PREFIXES)):
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
    elif isinstance(a, str) and isinstance(b, str):
        if _norm(a) != _norm(b):
            out.append(f"{where}: {a[:60]!r} -> {b[:60]!r}")
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


def _text(p: Path) -> str | None:
    try:
        return p.read_text()
    except UnicodeDecodeError:
        return None


def _same_build(n: str, others: set[str]) -> bool:
    """A keyed build folder (``csim-<hash>``) whose counterpart carries another hash."""
    return bool(re.search(r"-[0-9a-f]{8,}/", n)) and any(re.sub(r"-[0-9a-f]{8,}/", "-*/", o) ==
                                                         re.sub(r"-[0-9a-f]{8,}/", "-*/", n) for o in others)


def compare(a: Path, b: Path, rtol: float) -> tuple[list[str], list[str]]:
    """(differences, figures that differ) between two artifact folders."""
    out = []
    fa = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    fb = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    figs = [n for n in sorted(fa ^ fb) if _same_build(n, fb if n in fa else fa)]
    out += [f"{n}: only before" for n in sorted(fa - fb) if n not in figs]
    out += [f"{n}: only after" for n in sorted(fb - fa) if n not in figs]
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
        elif pa.suffix in FIGURES | BUILD | LOGS:
            figs.append(n)
        elif _text(pa) is not None and _text(pb) is not None:
            if _norm(_text(pa)) != _norm(_text(pb)):
                out.append(f"{n}: text differs")
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
    ap.add_argument("--module-names", action="store_true", help="read every dotted lic.… name as lic.* (moved modules)")
    ap.add_argument("--json", type=Path, default=None, help="also write the comparison here")
    a = ap.parse_args(argv)
    NORMALIZE[:] = [(re.compile(re.escape(str(r.resolve()))), "<root>") for r in (a.before, a.after)]
    if a.module_names:
        NORMALIZE.append((re.compile(r"\blic(\.[a-z_]+)+"), "lic.*"))
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
              f"{len(figs)} figure, build or log files differ in bytes")
        for d in diffs:
            print("   ", d)
    if a.json:
        a.json.write_text(json.dumps(report, indent=1))
    return 1 if n_diff else 0


if __name__ == "__main__":
    sys.exit(main())
