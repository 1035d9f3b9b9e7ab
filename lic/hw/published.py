"""Published FPGA learned-image-compression designs, for the comparison table of stage 04.

Every external number carries its source; a value we could not source is ``None`` (shown as
n/a), never a guess. Our own rows come from :mod:`lic.hw.fpga_model` (labelled "modelled") or the
C-simulation's beat counters (labelled "measured (C-sim beats)": cycles are measured, the
clock is still the modelled one).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["PUBLISHED", "COLUMNS", "our_rows", "comparison_table"]

COLUMNS = ["design", "board", "part", "model", "precision", "resolution", "fps", "s_per_image",
           "clock_mhz", "dsp", "bram36", "lut", "gops", "gops_per_dsp", "power_w", "rd_point",
           "label", "source"]

_SEED = "arXiv 2503.04832 (Mazouz et al., 'Lightweight Embedded FPGA Deployment of Learned Image " \
        "Compression with Knowledge Distillation and Hybrid Quantization'), abstract / TL;DR"
_XLIC = "Chen et al., 'Exploring Efficient Hardware Accelerator for Learning-Based Image " \
        "Compression' (X-LIC), IEEE TCAD 2024, doi:10.1109/TCAD.2024.3515856, abstract"
_SHAO = "Shao et al., 'A High-Throughput Processor for GDN-Based Deep Learning Image " \
        "Compression', Electronics 12(10):2289, 2023, doi:10.3390/electronics12102289, abstract"
_FANG = "Fang and Chen, 'A Multi-Stage Optimization Framework for Deploying Learned Image " \
        "Compression on FPGAs', arXiv 2511.17135, abstract"

#: external rows; None = not reported in the source we could read (n/a)
PUBLISHED: list[dict] = [
    {"design": "Mazouz et al. 2025 (seed paper)", "board": "ZCU102", "part": "XCZU9EG",
     "model": "KD student of a GDN hyperprior", "precision": "hybrid (int8 conv, wider GDN)",
     "resolution": "1280x720", "fps": None, "s_per_image": None, "clock_mhz": None, "dsp": None,
     "bram36": None, "lut": None, "gops": None, "power_w": None, "rd_point": None,
     "label": "published: 'real-time 720p throughput on a ZCU102' (no number in the abstract)",
     "source": _SEED},
    {"design": "X-LIC (Chen et al. 2024)", "board": "ZCU102", "part": "XCZU9EG",
     "model": "Balle 2017 (GDN)", "precision": "INT16", "resolution": "2048x1365",
     "fps": None, "s_per_image": 0.467, "clock_mhz": None, "dsp": None, "bram36": None,
     "lut": None, "gops": 688.2, "power_w": None, "rd_point": None,
     "label": "published: up to 688.2 / 759.1 GOP/s encoder / decoder (abstract); board, "
              "model, precision and 0.467 s analysis per 2048x1365 image as quoted in issue 16 "
              "from the seed paper's comparison, not re-read here",
     "source": _XLIC},
    {"design": "Shao et al. 2023 (DIC processor)", "board": "ZCU104", "part": "XCZU7EV",
     "model": "GDN-based DIC network", "precision": "16-bit fixed point", "resolution": None,
     "fps": None, "s_per_image": None, "clock_mhz": 200.0, "dsp": None, "bram36": None,
     "lut": None, "gops": 283.4, "power_w": None, "rd_point": "6 bit rates",
     "label": "published (abstract)", "source": _SHAO},
    {"design": "Fang and Chen 2025 (DRAQ)", "board": None, "part": None,
     "model": "GDN-based LIC", "precision": "8-bit (mixed precision)", "resolution": None,
     "fps": None, "s_per_image": None, "clock_mhz": None, "dsp": None, "bram36": None,
     "lut": None, "gops": None, "power_w": None,
     "rd_point": "BD-rate overhead of int8 vs float 6.3% (from 30%)",
     "label": "published (abstract; no throughput reported there)", "source": _FANG},
]


def _gops_per_dsp(r: dict):
    return r["gops"] / r["dsp"] if r.get("gops") and r.get("dsp") else None


def our_rows(N: int = 64, M: int = 192, board: str = "zcu102", resolution=(1280, 720),
             clock_mhz: float | None = None, utilisation: float = 0.8, assumptions=None,
             measured_cycles: dict | None = None, rd_point: str | None = None) -> list[dict]:
    """Our g_a and g_s rows from the model (and, with ``measured_cycles``, the C-sim's beats).

    Args:
        N, M, board, resolution, clock_mhz, utilisation, assumptions: as
            :func:`lic.hw.fpga_model.folding_plan`.
        measured_cycles: ``{"g_a": {layer: beats}, ...}`` from a C-sim at ``resolution`` with
            the plan's folding; adds a "measured (C-sim beats)" row per transform.
        rd_point: text for the RD column (e.g. ``"lambda=0.025, BD-rate +8.9% vs teacher"``).
    """
    from lic.hw.boards import load_board
    from lic.hw.fpga_model import codec_layers, folding_plan

    b = load_board(board)
    rows = []
    for t in ("g_a", "g_s"):
        p = folding_plan(N, M, b, resolution, clock_mhz, t, utilisation, assumptions)
        macs = sum(l.macs for l in codec_layers(N, M, resolution, t))
        res = p.notes["resources"]
        base = {"board": b.board.split(" Evaluation")[0], "part": b.part,
                "model": f"{t} of ScaleHyperprior N={N}, M={M}",
                "precision": "int8 conv / 32-bit GDN (hybrid)",
                "resolution": f"{resolution[0]}x{resolution[1]}", "clock_mhz": p.clock_mhz,
                "dsp": res["dsp"], "bram36": res["bram"], "lut": res["lut"], "power_w": None,
                "rd_point": rd_point}
        fps = p.notes["fps"]
        rows.append({**base, "design": f"this work, {t} (folding plan)", "fps": fps,
                     "s_per_image": 1.0 / fps, "gops": 2 * macs * fps / 1e9,
                     "label": "modelled (lic.hw.fpga_model)",
                     "source": "lic.hw.fpga_model.folding_plan (assumptions in results.json)"})
        meas = (measured_cycles or {}).get(t)
        if meas:
            cyc = max(meas.values()) + p.notes["stage_overhead_cycles"]
            f = p.clock_mhz * 1e6 / cyc
            rows.append({**base, "design": f"this work, {t} (C-sim of the plan)", "fps": f,
                         "s_per_image": 1.0 / f, "gops": 2 * macs * f / 1e9,
                         "label": "measured (C-sim beats) at the modelled clock",
                         "source": "lic.hw.csim.CSim beat counters"})
    for r in rows:
        r["gops_per_dsp"] = _gops_per_dsp(r)
    return rows


def comparison_table(ours: list[dict] | None = None) -> pd.DataFrame:
    """Published rows plus ``ours`` (default :func:`our_rows`), columns :data:`COLUMNS`."""
    rows = [dict(r, gops_per_dsp=_gops_per_dsp(r)) for r in PUBLISHED]
    rows += our_rows() if ours is None else ours
    return pd.DataFrame(rows, columns=COLUMNS)
