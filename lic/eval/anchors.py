"""Published anchors: CompressAI's Kodak results of its pretrained models, the reference our RD curves are drawn
against and our teacher's BD-rate / BD-PSNR are measured against.

``data/anchors/compressai_kodak.json`` holds, per model (``bmshj2018-hyperprior``: the class of our teacher;
``mbt2018-mean``), the mean bpp / PSNR / MS-SSIM over all 24 Kodak images at quality 1-8, copied from CompressAI's
results files (repository, path and commit in each curve's ``source``). Nothing here is measured by this project:
every label says *published*.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from lic.data.evalsets import set_label
from lic.errors import DataError
from lic.eval.metrics import bd_psnr, bd_rate
from lic.fileio import read_json
from lic.provenance import ROOT

__all__ = ["ANCHORS", "WIDTH_ANCHORS", "anchors", "anchor_set", "anchor_label", "anchor_curves", "source_text", "bd_vs_anchors",
           "width_anchors"]

#: the published Kodak points (CompressAI), with their sources
ANCHORS = ROOT / "data" / "anchors" / "compressai_kodak.json"


def _read(path: str, what: str) -> tuple[Path, dict]:
    """``(path, its JSON)`` of a file in data/anchors/; one clear error naming ``what`` when it is missing."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: the published {what} are missing (data/anchors/ in the repository)")
    return p, read_json(p)


@functools.lru_cache(maxsize=4)
def _load(path: str) -> dict:
    p, data = _read(path, "anchor points")
    for name, c in data.get("curves", {}).items():
        lens = {len(c[k]) for k in ("bpp", "psnr") if k in c}
        if len(lens) != 1 or not c.get("source"):
            raise DataError(f"{p}: anchor {name!r} needs bpp and psnr of one length and a source")
    return data


def anchors(path: str | Path | None = None) -> dict[str, dict]:
    """name -> ``{"source": {repo, path, commit}, "rd": DataFrame[quality, bpp, psnr, ms_ssim]}``.

    Raises:
        DataError: the file is missing or malformed.
    """
    data = _load(str(path or ANCHORS))
    return {name: {"source": c["source"],
                   "rd": pd.DataFrame({k: c[k] for k in ("quality", "bpp", "psnr", "ms_ssim") if k in c})}
            for name, c in data["curves"].items()}


def anchor_set(path: str | Path | None = None) -> str:
    """The image set of the published points (``Kodak-24``)."""
    return _load(str(path or ANCHORS)).get("set", "Kodak-24")


def anchor_label(name: str, path: str | Path | None = None) -> str:
    """``CompressAI bmshj2018-hyperprior (published, Kodak-24)``: a curve's legend and table label."""
    return f"CompressAI {name} (published, {anchor_set(path)})"


def anchor_curves(path: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """label (:func:`anchor_label`) -> the published RD points, for the figures."""
    return {anchor_label(n, path): a["rd"] for n, a in anchors(path).items()}


def source_text(name: str, path: str | Path | None = None) -> str:
    """``InterDigitalInc/CompressAI results/image/kodak/…json @ 3d3c9bb``: where a curve was copied from."""
    s = anchors(path)[name]["source"]
    return f"{s['repo']} {s['path']} @ {str(s.get('commit', '?'))[:7]}"


def bd_vs_anchors(rd, images: int | None, path: str | Path | None = None) -> list[dict]:
    """BD-rate (PSNR, pchip) and BD-PSNR of our RD points ``rd`` (bpp, psnr) against each published curve.

    Args:
        rd: records or a DataFrame with ``bpp`` and ``psnr`` (our teacher's points, mean over its images).
        images: how many Kodak images ``rd`` was measured on (the label says so: the anchors are on all 24).

    Returns:
        one row per anchor: ``anchor``, ``anchor_set``, ``ours_set``, ``points``, ``bd_rate_vs_anchor``
        (% more bits than the anchor at equal PSNR; NaN: no overlap in PSNR), ``bd_psnr_vs_anchor_db`` and
        ``source``.
    """
    ours = pd.DataFrame(rd)
    out = []
    for name, a in anchors(path).items():
        ref = a["rd"]
        out.append({"anchor": anchor_label(name, path), "anchor_set": anchor_set(path),
                    "ours_set": set_label("kodak", images), "points": len(ours),
                    "bd_rate_vs_anchor": bd_rate(ref.bpp, ref.psnr, ours.bpp, ours.psnr),
                    "bd_psnr_vs_anchor_db": bd_psnr(ref.bpp, ref.psnr, ours.bpp, ours.psnr),
                    "source": source_text(name, path)})
    return out


#: published rate penalty per student width N against its own teacher (PRIM, as issue #32 quotes it)
WIDTH_ANCHORS = ROOT / "data" / "anchors" / "prim_widths.json"


@functools.lru_cache(maxsize=4)
def _load_widths(path: str) -> dict:
    p, data = _read(path, "per-width rate penalties")
    if not data.get("source") or not data.get("widths") or not (data.get("teacher") or {}).get("N"):
        raise DataError(f"{p}: needs widths, the teacher's N and a source")
    return data


def width_anchors(path: str | Path | None = None) -> dict:
    """The published per-width rate penalties: ``{"widths": {N: BD-rate %}, "teacher_N", "set", "label",
    "source"}`` (``label``: ``PRIM (published, Kodak; vs its teacher N=112)``, ``source`` one line naming where
    the numbers were copied from).

    Raises:
        DataError: the file is missing or malformed.
    """
    d = _load_widths(str(path or WIDTH_ANCHORS))
    s, tN = d["source"], int(d["teacher"]["N"])
    return {"widths": {int(n): float(v) for n, v in d["widths"].items()}, "teacher_N": tN, "set": d.get("set", "Kodak"),
            "label": f"{s['cited_as']} (published, {d.get('set', 'Kodak')}; vs its teacher N={tN})",
            "source": f"{s['cited_as']}, as quoted in {s['quoted_in']} (data/anchors/{Path(path or WIDTH_ANCHORS).name})"}
