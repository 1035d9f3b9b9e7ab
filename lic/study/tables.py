"""Publishable tables: rounded numbers with units, "n/a" for missing values, no index, no dict cells,
wide tables split into parts that fit the page (the report, ``scripts/results_markdown.py``).

A DataFrame goes through :func:`tidy` (dict cells flattened into columns, list cells joined, the
index made a column when it carries information), :func:`format_frame` (every cell a string:
sensible rounding, signed deltas, ``n/a``) and :func:`to_html` (a ``<table class="lic">`` that
wraps its cells, split every ``max_cols`` columns with the first column repeated).
"""

from __future__ import annotations

import html
import math
import re
from typing import Any, Iterable, Mapping

import pandas as pd

__all__ = ["CSS", "NA", "NO_OVERLAP", "fmt", "label", "tidy", "format_frame", "split_wide", "to_html", "to_markdown",
           "show", "tables_of", "is_na", "na_share", "drop_empty", "details", "MAX_NA_SHARE"]

NA = "n/a"
NO_OVERLAP = "n/a (curves do not overlap)"
#: the report's table style: cells wrap, tables never exceed their container
CSS = """<style>
table.lic {border-collapse: collapse; margin: 0.4em 0 1em 0; font-size: 12px; max-width: 100%; table-layout: auto}
table.lic th, table.lic td {padding: 3px 7px; border-bottom: 1px solid #ddd; white-space: normal;
  overflow-wrap: break-word; vertical-align: top; text-align: right; max-width: 32em}
table.lic td:not(.txt) {white-space: nowrap}
table.lic th {background: #f3f3f3; text-align: center}
table.lic td.txt, table.lic th.txt {text-align: left}
table.lic caption {caption-side: bottom; font-size: 11px; color: #555; text-align: left; padding-top: 3px}
details.lic {margin: 0.3em 0 0.8em 0} details.lic > summary {cursor: pointer; font-size: 12px; color: #444}
ol.lic-notes {font-size: 11px; color: #444; margin-top: 0}
</style>"""
#: a table of the report's main body has at most this share of n/a cells (more: it is shown collapsed)
MAX_NA_SHARE = 0.5

_WORDS = {"bd": "BD", "psnr": "PSNR", "ms": "MS", "ssim": "SSIM", "kd": "KD", "gflops": "GFLOPs", "fps": "FPS",
          "dsp": "DSP", "bram": "BRAM", "lut": "LUT", "uram": "URAM", "ff": "FF", "rd": "RD", "rtl": "RTL",
          "csim": "C-sim", "pe": "PE", "simd": "SIMD", "ci95": "95% CI", "mhz": "MHz", "lsb": "LSB", "p50": "p50",
          "p99": "p99", "n": "N", "m": "M", "gdn": "GDN", "int8": "int8", "onnx": "ONNX", "vs": "vs", "sd": "sd", "jpeg": "JPEG",
          "webp": "WebP", "hls": "HLS", "bpp": "bpp", "lmbda": "λ", "lambda": "λ"}
_UNITS = [(r"(^|_)bd_rate|_pct$|(^|_)pct_|share_", "%"), (r"psnr", "dB"), (r"_ms$", "ms"),
          (r"(^|_)(enc|dec|build|wall|sim|train|stage_wall|elapsed)_s$|seconds", "s"), (r"(^|_)bytes", "B"),
          (r"mhz", "MHz")]
_SIGNED = re.compile(r"bd_rate|delta|minus|error_pct|^mean_pct|_vs_.*_pct")
#: columns shown as given (parameters, not measurements): no rounding to significant digits
_EXACT = re.compile(r"^(lmbda|lambda|λ|seed|n|m|quality|setting|steps|tail_steps|width|seeds)$", re.I)
#: columns that identify a row: moved to the front, repeated in every part of a split table
_KEYS = ("", "design", "board", "name", "layer", "pipeline", "unit", "image", "codec", "variant", "config", "row", "comparison", "N", "lmbda", "seed")


def label(col: Any) -> str:
    """``bd_rate_kd_vs_teacher`` -> ``BD-rate KD vs teacher [%]`` (column names for people)."""
    s = str(col)
    if re.fullmatch(r"[gh]_[as](\.\d+)?", s):  # a layer name (g_a.1): as the model calls it
        return s
    unit = next((u for pat, u in _UNITS if re.search(pat, s.lower())), None)
    words = [_WORDS.get(w.lower(), w) for w in re.split(r"[_\s]+|\.(?=[A-Za-z])", s.strip("_")) if w]
    if unit and len(words) > 1 and words[-1].lower() in ("db", "pct", "s", "bytes", "mhz"):
        words = words[:-1]  # the unit word becomes the [unit] suffix
    text = " ".join(words).replace("BD rate", "BD-rate").replace("MS SSIM", "MS-SSIM")
    return f"{text} [{unit}]" if unit and f"[{unit}]" not in text else text


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def fmt(v, signed: bool = False, digits: int | None = 3, nan: str = NA) -> str:
    """One cell as text: 3 significant digits (no exponent between 1e-3 and 1e6), ``+`` on
    signed quantities, ``nan`` for missing values, ``yes``/``no`` for booleans."""
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt(x, signed, digits, nan) for x in v) if v else "–"
    if isinstance(v, Mapping):
        return "; ".join(f"{k}: {fmt(x, signed, digits, nan)}" for k, x in v.items())
    if _is_missing(v):
        return nan
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "yes" if v else "no"
    if isinstance(v, int) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") in "iu"):
        return f"{int(v):+,d}" if signed else f"{int(v):,d}"
    if isinstance(v, float) or hasattr(v, "dtype"):
        v = float(v)
        if digits is None:  # a parameter: as given
            return f"{v:+g}" if signed else f"{v:g}"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        a, sign = abs(v), ("+" if signed and v > 0 else "")
        if a == 0:
            return "0"
        if v.is_integer() and a < 1e6:  # a count stored as float (a JSON column with gaps)
            return f"{sign}{int(v):,d}"
        if a >= 1e6 or a < 1e-3:
            return f"{sign}{v:.{digits - 1}e}"
        decimals = max(0, digits - 1 - int(math.floor(math.log10(a))))
        return f"{sign}{v:,.{decimals}f}"
    return str(v)


def tidy(df: pd.DataFrame | Mapping | list) -> pd.DataFrame:
    """A DataFrame without nested cells: dict cells become ``col.key`` columns, a named or
    non-default index becomes the first column."""
    if not isinstance(df, pd.DataFrame):
        df = pd.DataFrame(df)
    df = df.copy()
    if df.index.name is not None or not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index().rename(columns={"index": ""})
    for col in list(df.columns):
        vals = df[col]
        if vals.map(lambda v: isinstance(v, Mapping)).any():
            flat = pd.json_normalize([v if isinstance(v, Mapping) else {} for v in vals]).set_axis(df.index)
            flat.columns = [f"{col}.{c}" for c in flat.columns]
            at = df.columns.get_loc(col)
            df = pd.concat([df.iloc[:, :at], flat, df.iloc[:, at + 1:]], axis=1)
    return df


def format_frame(df, nan: str = NA, signed: Iterable[str] | None = None, digits: int = 3) -> pd.DataFrame:
    """Every cell a string (see :func:`fmt`); columns named by :func:`label`.

    Args:
        signed: columns shown with a ``+`` sign (default: BD-rates, deltas, ``_vs_`` columns).
    """
    df = tidy(df)
    df = df[[c for c in _KEYS if c in df.columns] + [c for c in df.columns if c not in _KEYS]]
    sig = set(signed) if signed is not None else {c for c in df.columns if _SIGNED.search(str(c).lower())}
    cols = {}
    for c in df.columns:
        d = None if _EXACT.match(str(c)) else digits
        cols[label(c) if str(c) else ""] = df[c].map(lambda v, s=(c in sig), d=d: fmt(v, s, d, nan))
    return pd.DataFrame(cols, index=df.index).reset_index(drop=True)


def _width(col: pd.Series, name: str) -> int:
    """Characters a column needs: its longest cell or header word, capped where cells wrap (32)."""
    cells = max([len(str(v)) for v in col] + [0])
    return min(max(cells, max((len(w) for w in str(name).split()), default=0)), 32) + 2


def split_wide(df: pd.DataFrame, max_cols: int = 12, keep: int = 1, max_chars: int = 100) -> list[pd.DataFrame]:
    """Column blocks that fit a page (at most ``max_cols`` columns and about ``max_chars`` characters
    a row), the first ``keep`` columns repeated in each."""
    widths = {c: _width(df[c], c) for c in df.columns}
    if df.shape[1] <= max_cols and sum(widths.values()) <= max_chars:
        return [df]
    head, rest = list(df.columns[:keep]), list(df.columns[keep:])
    base = sum(widths[c] for c in head)
    blocks, cur, used = [], [], base
    for c in rest:
        if cur and (len(cur) + keep >= max_cols or used + widths[c] > max_chars):
            blocks.append(cur)
            cur, used = [], base
        cur.append(c)
        used += widths[c]
    blocks.append(cur)
    return [df[head + b] for b in blocks]


def _cell(tag: str, v: str) -> str:
    numeric = bool(re.fullmatch(r"[+\-−]?[\d,.]+(e[+\-]\d+)?( ?[%×a-zA-Z/]*)?", v.strip()))
    cls = "" if numeric else ' class="txt"'
    return f"<{tag}{cls}>{html.escape(v)}</{tag}>"


def is_na(cell) -> bool:
    """Whether a formatted cell says n/a (``n/a``, ``n/a (curves do not overlap)``)."""
    return str(cell).strip().startswith(NA)


def na_share(f: pd.DataFrame) -> float:
    """Share of a formatted table's cells that are n/a (0 for an empty table)."""
    cells = f.size
    return float(f.apply(lambda c: c.map(is_na)).to_numpy().sum()) / cells if cells else 0.0


def drop_empty(f: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A formatted table without its columns that are n/a in every row (the first, the row key, kept), and
    their names."""
    if f.empty:
        return f, []
    gone = [c for c in f.columns[1:] if f[c].map(is_na).all()]
    return f.drop(columns=gone), gone


def details(summary: str, body: str, open_: bool = False) -> str:
    """``<details>`` (collapsed unless ``open_``) with a one-line ``summary``: the report's appendix."""
    return (f'<details class="lic"{" open" if open_ else ""}><summary>{html.escape(summary)}</summary>'
            f"{body}</details>")


def to_html(df, caption: str = "", max_cols: int = 12, formatted: bool = False, max_chars: int = 100,
            main: bool = False, **kw) -> str:
    """``<table class="lic">`` blocks (split where wider than a page, see :func:`split_wide`), no index;
    display :data:`CSS` once before.

    Args:
        main: a table of the report's main body: columns with no value at all are dropped (the caption names
            them), and a table still more than :data:`MAX_NA_SHARE` n/a is shown collapsed (``<details>``).
    """
    f = df if formatted else format_frame(df, **kw)
    if main:
        f, gone = drop_empty(f)
        caption += f" · no value in: {', '.join(gone)}" if gone else ""
        blocks = split_wide(f, max_cols, max_chars=max_chars)
        worst = max((na_share(b) for b in blocks), default=0.0)
        if worst > MAX_NA_SHARE:
            body = to_html(f, caption, max_cols, formatted=True, max_chars=max_chars)
            return details(f"{caption or 'table'}: {worst:.0%} n/a, shown collapsed (click to open)", body)
    parts = []
    blocks = split_wide(f, max_cols, max_chars=max_chars)
    for i, block in enumerate(blocks):
        head = "".join(_cell("th", str(c)) for c in block.columns)
        body = "".join("<tr>" + "".join(_cell("td", str(v)) for v in row) + "</tr>"
                       for row in block.itertuples(index=False))
        cap = caption + (f" (part {i + 1} of {len(blocks)})" if len(blocks) > 1 and caption else "")
        parts.append(f'<table class="lic"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
                     + (f"<caption>{html.escape(cap)}</caption>" if cap else "") + "</table>")
    return "\n".join(parts)


def show(df, caption: str = "", max_cols: int = 12, max_chars: int = 100, main: bool = True, **kw) -> None:
    """Display a formatted table in Jupyter (see :func:`to_html`, a main-body table unless ``main=False``;
    :data:`CSS` displayed once before)."""
    from IPython.display import HTML, display

    display(HTML(to_html(df, caption, max_cols, max_chars=max_chars, main=main, **kw)))


def to_markdown(df, formatted: bool = False, **kw) -> str:
    """A Markdown table (README), cells formatted as in the report."""
    f = df if formatted else format_frame(df, **kw)
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(esc(c) for c in f.columns) + " |", "|" + "---|" * len(f.columns)]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in f.itertuples(index=False)]
    return "\n".join(lines)


def _tabular(v) -> bool:
    return (isinstance(v, list) and v and all(isinstance(x, Mapping) for x in v)) or (
        isinstance(v, Mapping) and v and all(isinstance(x, Mapping) for x in v.values()))


def _records(v) -> list[dict]:
    """A list of records or a dict of records (its keys kept in a first column ``""``)."""
    if isinstance(v, list):
        return [dict(x) for x in v]
    return [{"": k, **x} for k, x in v.items()]


def _split_nested(name: str, recs: list[dict]) -> list[tuple[str, list[dict]]]:
    """Records without their nested tables, then each nested table with its parent's key in front."""
    out, nested = [], {}
    for r in recs:
        parent = r.get("") or r.get("name") or r.get("unit") or r.get("layer")
        for k in [k for k, x in r.items() if _tabular(x)]:
            nested.setdefault(k, []).extend({"": parent, **x} for x in _records(r.pop(k)))
    out.append((name, recs))
    for k, sub in nested.items():
        out += _split_nested(f"{name}.{k}", sub)
    return out


def _walk(results: Mapping, skip, prefix: str, tables: list, facts: dict) -> None:
    for k, v in results.items():
        if k in skip:
            continue
        name = f"{prefix}{k}"
        if _tabular(v):
            for title, recs in _split_nested(name, _records(v)):
                tables.append((label(title.replace(".", " ")), pd.DataFrame(recs)))
        elif isinstance(v, Mapping):
            _walk(v, skip, f"{name}.", tables, facts)
        elif not isinstance(v, list) or v:
            facts[label(name.replace(".", " "))] = v


def tables_of(results: Mapping, skip: Iterable[str] = ()) -> list[tuple[str, pd.DataFrame]]:
    """Every table in a stage's results, whatever its keys (lists of records, dicts of records,
    nested tables split out with their parent's key), then one table of all remaining scalars:
    ``[(title, DataFrame)]``."""
    tables: list = []
    facts: dict = {}
    _walk(results, set(skip), "", tables, facts)
    if facts:
        tables.append(("other values", pd.DataFrame({"quantity": list(facts),
                                                     "value": [fmt(x) for x in facts.values()]})))
    return tables
