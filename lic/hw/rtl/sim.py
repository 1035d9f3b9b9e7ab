"""The RTL units under Icarus Verilog, against :mod:`lic.hw.fixedpoint` and the C++ kernels.

The RTL runs under Icarus Verilog (``iverilog -g2012`` + ``vvp``) with a plain Verilog
testbench (``hls/rtl/tb/``) that streams beats from a ``$readmemh`` file and writes one line a
result (value, saturation count, cycle, latency); a second, shorter run adds random input
bubbles and output back-pressure to check the valid/ready handshake. :class:`CVectors` runs
the same vectors through the C++ kernels of ``hls/src`` (``lic::gdn``, ``lic::conv2d``,
compiled with g++ from ``hls/tb/rtl_vectors.cpp`` by :func:`lic.hw.csim.build_shared_lib`).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lic.errors import ParameterError
from lic.hw.csim import HLS_DIR, ToolError, ap_types_dir, build_shared_lib
from lic.hw.rtl.tools import RTL_DIR, require_tools
from lic.hw.rtl.units import GdnConfig
from lic.hw.rtl.vectors import VectorSet, conv_jobs, gdn_jobs, reference_outputs

__all__ = ["CVectors", "SimResult", "simulate", "check_unit"]


class CVectors:
    """The C++ kernels of ``hls/src`` on per-call parameters (``hls/tb/rtl_vectors.cpp``),
    built with g++ into ``build_dir`` (default ``hls/build``) by :func:`lic.hw.csim.build_shared_lib`.

    Raises:
        ToolError: no compiler, no hls4ml ``ap_types``, or compilation failed.
    """

    SOURCES = ["src/lic_types.h", "src/stream.h", "src/conv.h", "src/gdn.h", "tb/rtl_vectors.cpp"]

    def __init__(self, build_dir: str | os.PathLike | None = None, opt: str = "-O1"):
        flags = ["-std=c++14", opt, "-fPIC", "-shared", "-w"]
        lib = build_shared_lib("rtlvec/librtlvec.so", ["tb/rtl_vectors.cpp"], self.SOURCES, flags,
                               [HLS_DIR / "src", ap_types_dir()], build_root=build_dir)
        self.lib = ctypes.CDLL(str(lib))
        self.max_ch = self.lib.rtlvec_max_ch()
        self.max_w = self.lib.rtlvec_max_width()
        i32 = np.ctypeslib.ndpointer(np.int32, flags="C_CONTIGUOUS")
        i64 = np.ctypeslib.ndpointer(np.int64, flags="C_CONTIGUOUS")
        L, I = ctypes.c_longlong, ctypes.c_int
        self.lib.rtlvec_gdn.argtypes = [I, I, I, i32, i64, i64, i32, I, I, I, I, I, L, L]
        self.lib.rtlvec_gdn.restype = ctypes.c_long
        self.lib.rtlvec_conv.argtypes = [I, I, i32, i32, i64, i32, i32, L, L, L, L]
        self.lib.rtlvec_conv.restype = ctypes.c_long

    def _sats(self) -> int:
        cyc, sat = ctypes.c_longlong(), ctypes.c_longlong()
        self.lib.rtlvec_counters(ctypes.byref(cyc), ctypes.byref(sat))
        return int(sat.value)

    def run(self, vs: VectorSet) -> tuple[np.ndarray, int]:
        """C-sim outputs (job order) and saturation count of a vector set.

        Raises:
            ParameterError: more channels or a wider input than ``rtl_vectors.cpp`` holds.
            ToolError: the C++ wrote a different number of values.
        """
        ys, sats = [], 0
        N = self.max_ch
        for g in vs.groups:
            layer, a = g.layer, g.layer.attrs
            c, h, w = g.x.shape
            if c > N or a["out_ch"] > N:
                raise ParameterError(f"{layer.name}: more than {N} channels (rtl_vectors.cpp)")
            lo, hi = layer.out_range
            xp = np.zeros((h, w, N), np.int32)
            xp[:, :, :c] = np.transpose(g.x, (1, 2, 0))
            if layer.kind in ("gdn", "igdn"):
                gam = np.zeros((N, N), np.int64)
                gam[:c, :c] = layer.params["gamma"]
                beta = np.ones(N, np.int64)
                beta[:c] = layer.params["beta"]
                out = np.zeros(h * w * N, np.int32)
                got = self.lib.rtlvec_gdn(int(layer.kind == "igdn"), int(a["variant"] == "standard"),
                                          h * w, xp.reshape(-1), gam.reshape(-1), beta, out,
                                          a["acc_bits"], a["sqrt_frac"], a.get("s_num", 0),
                                          a.get("s_den", 0), a.get("shift", 0), lo, hi)
                if got != out.size:
                    raise ToolError(f"C-sim gdn wrote {got} values, expected {out.size}")
                ys.append(out.reshape(h * w, N)[:, :c].reshape(-1))
            else:
                if w > self.max_w:
                    raise ParameterError(f"{layer.name}: width {w} > {self.max_w} (rtl_vectors.cpp)")
                o = a["out_ch"]
                wt = np.zeros((N, 5, 5, N), np.int32)
                wt[:o, :, :, :c] = np.transpose(layer.params["weight"], (0, 2, 3, 1))
                b = np.zeros(N, np.int64)
                b[:o] = layer.params["bias"]
                sh = np.zeros(N, np.int32)
                sh[:o] = layer.params["out_shift"]
                oh, ow = (h + 1) // 2, (w + 1) // 2
                out = np.zeros(oh * ow * N, np.int32)
                acc_lo, acc_hi = -(1 << (vs.fp_cfg.acc_bits - 1)), (1 << (vs.fp_cfg.acc_bits - 1)) - 1
                got = self.lib.rtlvec_conv(h, w, xp.reshape(-1), wt.reshape(-1), b, sh, out,
                                           acc_lo, acc_hi, lo, hi)
                if got != out.size:
                    raise ToolError(f"C-sim conv wrote {got} values, expected {out.size}")
                ys.append(out.reshape(oh * ow, N)[:, :o].reshape(-1))
            sats += self._sats()
        return np.concatenate(ys).astype(np.int64), sats



def _hex_lines(fields: list[tuple[np.ndarray, int]]) -> bytes:
    """Pack per-row unsigned bit fields (MSB first) into ``$readmemh`` lines."""
    cols = []
    for vals, bits in fields:
        v = np.asarray(vals, dtype=np.int64)
        v = v.reshape(v.shape[0], -1)  # [rows, lanes]
        sh = np.arange(bits - 1, -1, -1, dtype=np.int64)
        b = (v[:, :, None] >> np.minimum(sh, 63)) & 1  # two's complement, sign-extended
        cols.append(b.reshape(v.shape[0], -1).astype(np.uint8))
    bits = np.concatenate(cols, axis=1)
    pad = (-bits.shape[1]) % 4
    if pad:
        bits = np.concatenate([np.zeros((bits.shape[0], pad), np.uint8), bits], axis=1)
    nib = bits.reshape(bits.shape[0], -1, 4) @ np.array([8, 4, 2, 1], np.uint8)
    chars = np.frombuffer(b"0123456789abcdef", np.uint8)[nib]
    lines = np.concatenate([chars, np.full((chars.shape[0], 1), ord("\n"), np.uint8)], axis=1)
    return lines.tobytes()


def _beats(vs: VectorSet) -> tuple[bytes, int]:
    """The ``$readmemh`` text of all beats and the number of jobs."""
    cfg, S = vs.cfg, vs.cfg.simd
    if isinstance(cfg, GdnConfig):
        parts = [gdn_jobs(g) for g in vs.groups]
        xi, beta, xs, gam = (np.concatenate([p[k] for p in parts]) for k in range(4))
        n = xi.size
        nb = cfg.beats
        # beat t of a job: lanes j = t*S + l, lane S-1 in the MSBs
        xs = xs.reshape(n * nb, S)[:, ::-1]
        gam = gam.reshape(n * nb, S)[:, ::-1]
        text = _hex_lines([(np.repeat(xi, nb), cfg.in_bits), (np.repeat(beta, nb), cfg.acc_bits),
                           (xs, cfg.in_bits), (gam, cfg.gamma_bits)])
        return text, n
    parts = [conv_jobs(g) for g in vs.groups]
    a, w, b, sh = (np.concatenate([p[k] for p in parts]) for k in range(4))
    n = b.size
    nb = cfg.beats
    a = a.reshape(n * nb, S)[:, ::-1]
    w = w.reshape(n * nb, S)[:, ::-1]
    text = _hex_lines([(np.repeat(b, nb), cfg.acc_bits), (np.repeat(sh, nb), cfg.shift_bits),
                       (a, cfg.a_bits), (w, cfg.w_bits)])
    return text, n


@dataclass
class SimResult:
    """Outputs of one RTL simulation (job order) and its cycle statistics."""

    y: np.ndarray
    sat: np.ndarray
    out_cycle: np.ndarray
    latency: np.ndarray  # first beat accepted -> result accepted, cycles
    sim_s: float
    beats: int

    @property
    def cycles_per_result(self) -> float:
        """Mean cycles between results over the run (II of a result)."""
        if self.out_cycle.size < 2:
            return float("nan")
        return float(self.out_cycle[-1] - self.out_cycle[0]) / (self.out_cycle.size - 1)

    @property
    def pipeline_depth(self) -> int:
        """Cycles from the last beat of a job to its result (min over the run)."""
        return int(self.latency.min()) - (self.beats - 1)


def _tb(cfg) -> tuple[str, Path, Path]:
    if isinstance(cfg, GdnConfig):
        return "tb_gdn", RTL_DIR / "tb" / "tb_gdn.v", RTL_DIR / "gdn_unit.v"
    return "tb_conv", RTL_DIR / "tb" / "tb_conv.v", RTL_DIR / "conv_pe.v"


def simulate(vs: VectorSet, work_dir: str | os.PathLike, stall: int = 0,
             vcd: str | os.PathLike | None = None, max_jobs: int | None = None) -> SimResult:
    """Compile the unit's testbench with iverilog and run the vectors under vvp.

    Args:
        vs: vectors (one configuration).
        work_dir: where the vector, output and ``.vvp`` files go.
        stall: percentage of random input bubbles and output back-pressure cycles.
        vcd: write a waveform of the whole run here (keep the run short).
        max_jobs: simulate only the first jobs.

    Returns:
        the outputs in job order and their cycle statistics.

    Raises:
        ToolError: iverilog or vvp missing or failing, or fewer results than jobs.
    """
    tools = require_tools("iverilog", "vvp")
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    text, n = _beats(vs)
    nb = vs.cfg.beats
    if max_jobs is not None and max_jobs < n:
        line = text.index(b"\n") + 1
        text, n = text[: line * nb * max_jobs], max_jobs
    top, tb, rtl = _tb(vs.cfg)
    params = {**vs.cfg.verilog_params(), "NJOBS": n}
    key = hashlib.sha256(json.dumps([top, params, tb.read_bytes().decode(), rtl.read_bytes().decode()],
                                    sort_keys=True).encode()).hexdigest()[:12]
    vvp_file = work / f"{top}-{key}.vvp"
    if not vvp_file.is_file():
        cmd = [tools["iverilog"], "-g2012", "-s", top, "-o", str(vvp_file)]
        cmd += [f"-P{top}.{k}={v}" for k, v in params.items()] + [str(tb), str(rtl)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise ToolError(f"iverilog failed on {rtl.name}:\n{res.stderr[-4000:]}")
    stem = work / f"{vs.unit}-{key}-s{stall}"
    vec_file, out_file = stem.with_suffix(".hex"), stem.with_suffix(".out")
    vec_file.write_bytes(text)
    cmd = [tools["vvp"], "-n", str(vvp_file), f"+vec={vec_file}", f"+out={out_file}", f"+stall={stall}"]
    if vcd is not None:
        Path(vcd).parent.mkdir(parents=True, exist_ok=True)
        cmd.append(f"+vcd={vcd}")
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    vec_file.unlink()
    if res.returncode != 0 or not out_file.is_file():
        raise ToolError(f"vvp failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    vals = np.array(out_file.read_text().split(), dtype=np.int64).reshape(-1, 4)
    out_file.unlink()
    if vals.shape[0] != n:
        raise ToolError(f"RTL produced {vals.shape[0]} of {n} results:\n{res.stdout[-2000:]}")
    return SimResult(vals[:, 0], vals[:, 1], vals[:, 2], vals[:, 3], dt, nb)


def check_unit(sets: list[VectorSet], work_dir: str | os.PathLike, csim: CVectors | None = None,
               stall_jobs: int = 1000, stall: int = 30) -> dict:
    """RTL vs :mod:`lic.hw.fixedpoint` (and the C-sim) over vector sets of one unit.

    Returns:
        ``{"unit", "vectors", "mismatches", "sat_rtl", "sat_ref", "csim_vectors",
        "csim_mismatches", "sat_csim", "cycles_per_result", "beats_per_result",
        "latency_cycles", "pipeline_depth", "ii_beats", "stall_vectors",
        "stall_mismatches", "sim_s", "runs": [per-set rows]}``.
    """
    runs = []
    for vs in sets:
        ref, sat_ref = reference_outputs(vs)
        sim = simulate(vs, work_dir)
        row = {"set": vs.label, "vectors": int(ref.size),
               "mismatches": int(np.count_nonzero(sim.y != ref)),
               "sat_rtl": int(sim.sat.sum()), "sat_ref": int(sat_ref),
               "cycles_per_result": sim.cycles_per_result, "beats_per_result": vs.cfg.beats,
               "latency_cycles": int(np.median(sim.latency)), "pipeline_depth": sim.pipeline_depth,
               "sim_s": sim.sim_s, **{k: v for k, v in vs.cfg.verilog_params().items()}}
        if csim is not None:
            cy, sat_c = csim.run(vs)
            row.update(csim_vectors=int(cy.size), csim_mismatches=int(np.count_nonzero(cy != sim.y)),
                       csim_vs_ref=int(np.count_nonzero(cy != ref)), sat_csim=int(sat_c))
        if stall_jobs:
            st = simulate(vs, work_dir, stall=stall, max_jobs=min(stall_jobs, ref.size))
            row.update(stall_vectors=int(st.y.size),
                       stall_mismatches=int(np.count_nonzero(st.y != ref[: st.y.size])))
        runs.append(row)
    df = pd.DataFrame(runs)
    out = {
        "unit": sets[0].unit,
        "vectors": int(df.vectors.sum()),
        "mismatches": int(df.mismatches.sum()),
        "sat_rtl": int(df.sat_rtl.sum()),
        "sat_ref": int(df.sat_ref.sum()),
        "cycles_per_result": float(df.cycles_per_result.iloc[0]),
        "beats_per_result": int(df.beats_per_result.iloc[0]),
        "latency_cycles": int(df.latency_cycles.iloc[0]),
        "pipeline_depth": int(df.pipeline_depth.iloc[0]),
        "ii_beats": float(df.cycles_per_result.iloc[0] / df.beats_per_result.iloc[0]),
        "sim_s": float(df.sim_s.sum()),
        "runs": runs,
    }
    if csim is not None:
        out.update(csim_vectors=int(df.csim_vectors.sum()),
                   csim_mismatches=int(df.csim_mismatches.sum()),
                   csim_vs_ref_mismatches=int(df.csim_vs_ref.sum()),
                   sat_csim=int(df.sat_csim.sum()))
    if stall_jobs:
        out.update(stall_vectors=int(df.stall_vectors.sum()),
                   stall_mismatches=int(df.stall_mismatches.sum()))
    return out
