"""Where things come from: the repository root, its commit, package versions, file digests, benchmark records.

The one place the library reads the checkout's identity, so that every record (released weights,
measured rows, run manifests, benchmark records) states it the same way.

Benchmarks write records; the library reads a record only through one declared index,
``benchmarks/records.json`` (:data:`RECORDS_INDEX`). Each entry names the record's file, what made it
(the script and its arguments), a line on what it measures, the SHA-256 of the inputs that determine its
numbers (the script, the weights it measured, the records it was combined from), parameters that are no
file (a frame size, a board) and the SHA-256 of the record file itself. :func:`record` reads one
(:class:`Record`: its data, and whether it is stale: an input or the file changed since it was indexed);
:func:`index_record` (re)writes an entry, which a benchmark calls after writing its record::

    python -m lic.provenance                      # every indexed record: ok / stale (why) / inputs gone
    python -m lic.provenance index NAME FILE --script benchmarks/x.py --args "..." --measures "..." \
        --input PATH [--input PATH=SHA256 ...]    # (re)index a record by hand
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from lic.errors import ArtifactError
from lic.fileio import read_json, write_json

__all__ = ["ROOT", "git_commit", "versions", "sha256_file", "md5_file", "RECORDS_INDEX", "INDEX_FORMAT", "Record",
           "read_index", "record", "find_record", "records_key", "index_record", "check_records", "main"]

#: the repository root (editable install): weights/, data/, hls/, benchmarks/ and docs/ lie here
ROOT = Path(__file__).resolve().parents[1]

_PACKAGES = ("torch", "compressai", "brevitas", "numpy", "papermill", "pytorch-msssim", "bjontegaard", "hls4ml")


def git_commit(dirty: bool = True) -> str:
    """The checkout's short commit, ``-dirty`` when tracked files differ (if ``dirty``), ``unknown`` outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        if dirty and subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                    capture_output=True, text=True).stdout.strip():
            out += "-dirty"
        return out
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions() -> dict[str, str]:
    """Python's version and those of the packages a result depends on (the ones installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in _PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def _digest(path: Path, h) -> str:
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    return _digest(Path(path), hashlib.sha256())


def md5_file(path: str | Path) -> str:
    """MD5 of a file's bytes (hex), as in Kodak's MD5SUMS."""
    return _digest(Path(path), hashlib.md5())


# --- benchmark records: one declared index -------------------------------------------------------------------

#: the index of the benchmark records the library and the report cite (benchmarks/results/README.md lists the rest)
RECORDS_INDEX = ROOT / "benchmarks" / "records.json"
#: layout version of the index
INDEX_FORMAT = 1


def _rel(path: str | Path) -> str:
    """A path as the index stores it: relative to the repository root where it lies inside, else absolute."""
    p = Path(path).resolve() if Path(path).is_absolute() else (ROOT / path).resolve()
    try:
        return p.relative_to(ROOT).as_posix()
    except ValueError:
        return str(p)


def _abs(path: str) -> Path:
    return ROOT / path  # an absolute path stays absolute


@dataclass(frozen=True)
class Record:
    """One indexed benchmark record, as :func:`record` found it.

    ``why_stale``: one line per reason (the record file or an input whose SHA-256 differs from the index's);
    ``missing``: inputs no longer in the checkout (e.g. weights deleted after their numbers were recorded),
    which cannot be checked and do not make the record stale.
    """

    name: str
    path: Path
    entry: dict
    why_stale: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def stale(self) -> bool:
        return bool(self.why_stale)

    @property
    def data(self) -> Any:
        """The record parsed: JSON as Python objects, CSV as a pandas DataFrame, anything else as text."""
        if "data" not in self._cache:
            if self.path.suffix == ".json":
                self._cache["data"] = read_json(self.path)
            elif self.path.suffix == ".csv":
                import pandas as pd

                self._cache["data"] = pd.read_csv(self.path)
            else:
                self._cache["data"] = self.path.read_text()
        return self._cache["data"]


def read_index(index: str | Path | None = None) -> dict:
    """The index (``{"format", "records": {name: entry}}``); an empty one where the file is absent."""
    f = Path(index or RECORDS_INDEX)
    if not f.is_file():
        return {"format": INDEX_FORMAT, "records": {}}
    d = read_json(f)
    if d.get("format") != INDEX_FORMAT:
        raise ArtifactError(f"{f}: index format {d.get('format')!r}, expected {INDEX_FORMAT}")
    return d


def _staleness(entry: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    why, missing = [], []
    f = _abs(entry["file"])
    if sha256_file(f) != entry["sha256"]:
        why.append(f"the record file {entry['file']} changed since it was indexed")
    for path, sha in sorted(entry.get("inputs", {}).items()):
        if not _abs(path).is_file():
            missing.append(path)
        elif (now := sha256_file(_abs(path))) != sha:
            why.append(f"input {path} changed: SHA-256 {sha[:12]}… in the index, {now[:12]}… now")
    return tuple(why), tuple(missing)


def record(name: str, index: str | Path | None = None) -> Record:
    """The benchmark record ``name`` of the index (default :data:`RECORDS_INDEX`), its staleness checked.

    Raises:
        ArtifactError: ``name`` is not in the index, or its file is gone.
    """
    entries = read_index(index)["records"]
    if name not in entries:
        raise ArtifactError(f"benchmark record {name!r} is not in the index {Path(index or RECORDS_INDEX)}; "
                            f"indexed: {sorted(entries)} (a benchmark registers its record with "
                            "lic.provenance.index_record)")
    entry = entries[name]
    path = _abs(entry["file"])
    if not path.is_file():
        raise ArtifactError(f"benchmark record {name!r}: its file {entry['file']} is missing (rerun "
                            f"{entry.get('made_by', {}).get('script', 'its benchmark')})")
    why, missing = _staleness(entry)
    return Record(name, path, entry, why, missing)


def find_record(name: str, index: str | Path | None = None) -> Record | None:
    """:func:`record`, or None where the index has no such record or its file is gone (an installed package
    without the repository's benchmarks): for results that cite a record where there is one."""
    try:
        return record(name, index)
    except ArtifactError:
        return None


def records_key(names: Iterable[str], index: str | Path | None = None) -> dict[str, Any]:
    """What a result that cites records ``names`` depends on, for its artifact key: each record's file digest and
    its staleness reasons (``None`` where the index has no such record), so that a re-made, re-indexed or newly
    stale record is a different result, not a cached one."""
    out: dict[str, Any] = {}
    for name in names:
        r = find_record(name, index)
        out[name] = None if r is None else {"sha256": sha256_file(r.path), "stale": list(r.why_stale)}
    return out


def _input_digests(inputs: Mapping[str, str | None] | Iterable[str | Path]) -> dict[str, str]:
    """path -> SHA-256: a given digest as is (e.g. a weights file's from its manifest), else the file's now."""
    items = inputs.items() if isinstance(inputs, Mapping) else ((p, None) for p in inputs)
    out = {}
    for path, sha in items:
        if sha is None and not _abs(_rel(path)).is_file():
            raise ArtifactError(f"input {path} of a benchmark record is missing and no digest was given")
        out[_rel(path)] = sha or sha256_file(_abs(_rel(path)))
    return out


def index_record(name: str, file: str | Path, made_by: dict, inputs: Mapping[str, str | None] | Iterable[str | Path],
                 measures: str, params: dict | None = None, notes: str | None = None,
                 index: str | Path | None = None) -> dict:
    """(Re)write the index entry of record ``name`` after its benchmark wrote ``file``; returns the entry.

    Args:
        made_by: ``{"script": "benchmarks/x.py", "args": "..."}`` (what to run to make the record again).
        inputs: the files that determine its numbers: paths (hashed now) or path -> SHA-256 (given, e.g. the
            weights' from ``weights/manifest.json``, so that an input need not be in the checkout).
        measures: one line: what the record measures.
        params: what determines the numbers and is no file (a frame size, a board, a tool version).
        notes: what the entry cannot state (e.g. inputs that were never kept).
    """
    f = _abs(_rel(file))
    if not f.is_file():
        raise ArtifactError(f"cannot index {name!r}: {file} does not exist")
    entry = {"file": _rel(file), "sha256": sha256_file(f), "measures": measures,
             "made_by": {k: (_rel(v) if k == "script" else v) for k, v in made_by.items()},
             "inputs": _input_digests(inputs), "params": dict(params or {}),
             "indexed": {"commit": git_commit(), "date": datetime.date.today().isoformat()}}
    if notes:
        entry["notes"] = notes
    d = read_index(index)
    d["records"][name] = entry
    write_json(Path(index or RECORDS_INDEX), d)
    return entry


def check_records(index: str | Path | None = None) -> list[dict]:
    """One row per indexed record: name, file, ``ok`` / ``stale`` / ``missing file``, the reasons, inputs gone."""
    rows = []
    for name in sorted(read_index(index)["records"]):
        try:
            r = record(name, index)
        except ArtifactError as e:
            rows.append({"name": name, "status": "missing file", "why": [str(e)], "inputs_gone": []})
            continue
        rows.append({"name": name, "file": r.entry["file"], "status": "stale" if r.stale else "ok",
                     "why": list(r.why_stale), "inputs_gone": list(r.missing)})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lic.provenance", description="Check or (re)index benchmark records.")
    ap.add_argument("--index", default=None, help=f"the index (default {_rel(RECORDS_INDEX)})")
    sub = ap.add_subparsers(dest="cmd")
    sub.add_parser("check", help="every indexed record: ok / stale (why) / inputs gone (the default)")
    ix = sub.add_parser("index", help="(re)write one record's entry")
    ix.add_argument("name")
    ix.add_argument("file")
    ix.add_argument("--script", required=True)
    ix.add_argument("--args", default="")
    ix.add_argument("--measures", required=True)
    ix.add_argument("--input", action="append", default=[], help="PATH or PATH=SHA256 (repeat)")
    a = ap.parse_args(argv)
    if a.cmd == "index":
        inputs = dict(x.split("=", 1) if "=" in x else (x, None) for x in a.input)
        print(index_record(a.name, a.file, {"script": a.script, "args": a.args}, inputs, a.measures, index=a.index))
        return 0
    rows = check_records(a.index)
    for r in rows:
        print(f"{r['name']}: {r['status']}" + "".join(f"\n  {w}" for w in r["why"])
              + (f"\n  inputs no longer in the checkout: {', '.join(r['inputs_gone'])}" if r["inputs_gone"] else ""))
    return 1 if any(r["status"] != "ok" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
