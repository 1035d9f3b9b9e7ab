"""Evaluation sets: Kodak (always first, checksummed) and any folders of images beside it.

A stage parameter ``eval_sets`` lists extra sets, each a folder path or a dict
``{"path": folder, "name": label, "md5sums": md5sum-format file}`` (``name`` defaults to the
folder's name). A set is checksummed when ``md5sums`` is given or the folder holds an
``MD5SUMS`` file: every listed file must exist with its MD5, and only the listed images are
used. Images may have any size >= 1x1 and any PIL mode (:func:`lic.data.images.load_image` converts
the mode; :mod:`lic.codec.api` pads inside and crops back).

Stage keys hash each set by :func:`fingerprint` (its name, sorted file names and their MD5s), never
by its path: changing an image reruns the stages, moving the folder does not.

Example::

    sets = load_eval_sets(["/data/clic", {"path": "/data/tecnick", "name": "Tecnick"}], None, 24)
    for s in sets:
        print(s.name, len(s.images))
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd
import torch

from lic.data.images import list_images, load_image, load_kodak, read_md5sums, verify_md5
from lic.errors import DataError, ParameterError
from lic.provenance import md5_file

__all__ = ["KODAK", "MD5SUMS", "EvalSet", "parse_entries", "set_names", "fingerprint", "key_of", "load_eval_sets",
           "extra_sets", "side_by_side", "set_label"]

#: name of the primary set (stage tables label its rows with it)
KODAK = "kodak"
#: a checksum list found in a set's folder is verified without being named
MD5SUMS = "MD5SUMS"


@dataclass
class EvalSet:
    """One evaluation set: ``images`` as ``[(stem, [3, H, W] tensor in [0, 1])]``."""

    name: str
    root: Path
    images: list[tuple[str, torch.Tensor]] = field(repr=False)
    checksummed: bool = False
    content: str = ""  #: digest of the sorted file names and MD5s (:func:`fingerprint`)

    def info(self) -> dict:
        """JSON-able description (for ``results.json``): name, folder, image count, sizes, content digest."""
        sizes = sorted({f"{x.shape[-1]}x{x.shape[-2]}" for _, x in self.images})
        return {"name": self.name, "root": str(self.root), "images": len(self.images), "checksummed": self.checksummed,
                "sizes": sizes[:8] + (["…"] if len(sizes) > 8 else []), "content": self.content}


def parse_entries(entries: Any) -> list[dict]:
    """``eval_sets`` -> ``[{"path": Path, "name": str, "md5sums": Path | None}]`` (no file is read).

    Raises:
        ParameterError: not a list, an entry neither a path string nor a dict with ``path``, unknown
            dict keys, or two sets with the same name (``kodak`` included).
    """
    if entries in (None, ()):
        return []
    if not isinstance(entries, (list, tuple)):
        raise ParameterError(f"eval_sets must be a list of folders or {{path, name, md5sums}} dicts, got {entries!r}")
    out, seen = [], {KODAK}
    for e in entries:
        if isinstance(e, (str, os.PathLike)):
            e = {"path": e}
        if not isinstance(e, dict) or not e.get("path") or not isinstance(e["path"], (str, os.PathLike)):
            raise ParameterError(f"eval_sets entry {e!r}: give a folder path or a dict with a 'path'")
        unknown = set(e) - {"path", "name", "md5sums"}
        if unknown:
            raise ParameterError(f"eval_sets entry {e!r}: unknown key(s) {sorted(unknown)}; known: path, name, md5sums")
        path = Path(e["path"]).expanduser()
        name = str(e.get("name") or path.name)
        if name.lower() in seen:
            raise ParameterError(f"eval_sets: two sets are named {name!r} (Kodak is {KODAK!r}); give each a 'name'")
        seen.add(name.lower())
        sums = Path(e["md5sums"]).expanduser() if e.get("md5sums") else None
        out.append({"path": path, "name": name, "md5sums": sums})
    return out


def set_names(entries: Any) -> list[str]:
    """Names of the sets of ``eval_sets`` (Kodak first)."""
    return [KODAK] + [e["name"] for e in parse_entries(entries)]


def _files(e: dict) -> tuple[list[Path], dict[str, str] | None]:
    """The set's image files and its checksum list (``None``: none given nor found).

    Raises:
        DataError: missing folder, no images, unreadable checksum list, a listed file missing or differing.
    """
    root = e["path"]
    if not root.is_dir():
        raise DataError(f"eval set {e['name']!r}: folder {root} does not exist")
    sums_file = e["md5sums"] or (root / MD5SUMS if (root / MD5SUMS).is_file() else None)
    if sums_file is None:
        try:
            return list_images(root), None
        except DataError as exc:
            raise DataError(f"eval set {e['name']!r}: {exc}") from None
    try:
        sums = read_md5sums(sums_file)
    except (OSError, ValueError) as exc:
        raise DataError(f"eval set {e['name']!r}: cannot read checksum list {sums_file} ({exc})") from None
    if not sums:
        raise DataError(f"eval set {e['name']!r}: checksum list {sums_file} lists no file")
    try:
        verify_md5(root, sums)
    except DataError as exc:
        raise DataError(f"eval set {e['name']!r}: {str(exc).replace('the Kodak original', 'its checksum list')}"
                        .replace(" (see data/fetch_kodak.py)", f" (listed in {sums_file})")) from None
    return [root / n for n in sorted(sums)], sums


_MD5_CACHE: dict[tuple[str, int, int], str] = {}


def _md5_cached(f: Path) -> str:
    st = f.stat()
    k = (str(f.resolve()), st.st_size, st.st_mtime_ns)
    if k not in _MD5_CACHE:
        _MD5_CACHE[k] = md5_file(f)
    return _MD5_CACHE[k]


def fingerprint(entry: dict, files: tuple | None = None) -> str:
    """16-hex digest of one parsed set's content: its sorted file names and their MD5s.

    Args:
        files: ``_files(entry)`` when already listed.

    Raises:
        DataError: as :func:`load_eval_sets` for a missing folder, no images or a checksum mismatch.
    """
    files, sums = files or _files(entry)
    return _digest(sums if sums is not None else {f.name: _md5_cached(f) for f in files})


def _digest(md5s: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(md5s.items())).encode()).hexdigest()[:16]


def key_of(entries: Any) -> list[dict] | None:
    """What a stage key hashes for ``eval_sets``: ``[{name, content}]``; ``None`` when empty (a stage
    without extra sets keeps the key it had before the parameter existed)."""
    parsed = parse_entries(entries)
    return [{"name": e["name"], "content": fingerprint(e)} for e in parsed] or None


def load_eval_sets(entries: Any, kodak_dir: str | os.PathLike | None = None,
                   kodak_limit: int | None = None) -> list[EvalSet]:
    """Kodak (checksummed, first ``kodak_limit`` images) followed by every set of ``entries``.

    Args:
        entries: the ``eval_sets`` parameter (see the module docstring).
        kodak_dir: Kodak folder (default ``$LIC_KODAK_DIR``).
        kodak_limit: Kodak images kept (extra sets are always used whole).

    Raises:
        ParameterError: a malformed entry (:func:`parse_entries`).
        DataError: a missing folder, a folder without images, a checksum mismatch or an unreadable
            image; the message names the set and the file.
    """
    parsed = parse_entries(entries)  # bad entries fail before Kodak is read
    kodak = load_kodak(kodak_dir, limit=kodak_limit)  # verified against the project's MD5 list
    from lic.data.images import kodak_md5s, resolve_dir

    sums = kodak_md5s()
    used = {n: d for n, d in sums.items() if Path(n).stem in {k for k, _ in kodak}}
    out = [EvalSet(KODAK, resolve_dir(kodak_dir, "LIC_KODAK_DIR", "Kodak"), kodak, checksummed=True,
                   content=_digest(used))]
    for e in parsed:
        files, sums = _files(e)
        images = []
        for f in files:
            try:
                images.append((f.stem, load_image(f)))
            except DataError as exc:
                raise DataError(f"eval set {e['name']!r}: {exc}") from None
        out.append(EvalSet(e["name"], e["path"], images, checksummed=sums is not None,
                           content=fingerprint(e, (files, sums))))
    return out


def set_label(name: str | None = KODAK, images: int | None = None) -> str:
    """How the report names an image set with its count: ``Kodak-24``, ``Kodak-8`` (the first 8), a user's set
    ``photos (12 images)``; without a count ``Kodak (count not recorded)``."""
    name = name or KODAK
    if name == KODAK:
        return f"Kodak-{images}" if images else "Kodak (count not recorded)"
    return f"{name} ({images} image{'s' if images != 1 else ''})" if images else f"{name} (count not recorded)"


def extra_sets(sets: Sequence[EvalSet]) -> list[EvalSet]:
    """The sets beside Kodak."""
    return [s for s in sets if s.name != KODAK]


def side_by_side(rows: Sequence[dict], index: Sequence[str], value: str,
                 order: Sequence[str] | None = None) -> pd.DataFrame:
    """Long rows ``{set, *index, value}`` -> one column per set (``order``: set names, Kodak first),
    the index as ordinary columns (for :mod:`lic.study.tables`)."""
    df = pd.DataFrame(list(rows))
    if df.empty:
        return pd.DataFrame(columns=[*index])
    keys = list(dict.fromkeys(map(tuple, df[list(index)].itertuples(index=False))))  # rows as first seen
    t = df.drop_duplicates([*index, "set"]).set_index([*index, "set"])[value].unstack("set")
    t = t.reindex(pd.MultiIndex.from_tuples(keys, names=list(index)) if len(index) > 1 else [k[0] for k in keys])
    seen = list(dict.fromkeys(df["set"]))
    sets = [s for s in (order or []) if s in seen] + [s for s in seen if s not in (order or [])]
    t = t[sets]
    t.columns = [f"{value} · {s}" for s in sets]
    return t.reset_index()
