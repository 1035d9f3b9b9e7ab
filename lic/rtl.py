r"""C/RTL co-simulation of the hand-written Verilog units in ``hls/rtl/`` with open tools.

Three units are checked bit for bit against the Python reference :mod:`lic.fixedpoint`
(``IntTransform.run_layer``, the single source of truth) **and** against the C++ kernels of
``hls/src`` (``lic::gdn``, ``lic::conv2d_s2`` compiled with g++ from ``hls/tb/rtl_vectors.cpp``):

* ``gdn``  -- ``hls/rtl/gdn_unit.v`` forward GDN (simplified: ``D = beta + gamma |x|``,
  9-stage restoring divider, ``(qf + 1) >> 1``, sign, int8 saturation);
* ``igdn`` -- the same module with ``INVERSE=1`` (``rshift_round(x D, shift)``);
* ``conv`` -- ``hls/rtl/conv_pe.v`` (SIMD int8 MACs, int32 saturation, ``rshift_round``).

Test vectors come in *groups*: a group is one tiny integer layer (its own random
gamma/beta or weights/bias/shifts) with its input, so the reference runs the real
``IntTransform`` code; a group expands to one RTL job per output value. Random groups draw
every word log-uniformly over its full range (so D saturation, divider overflow, accumulator
and output clamps all occur); real groups are layers of a quantised codec on an image.

The RTL runs under Icarus Verilog (``iverilog -g2012`` + ``vvp``) with a plain Verilog
testbench (``hls/rtl/tb/``) that streams beats from a ``$readmemh`` file and writes one line a
result (value, saturation count, cycle, latency); a second, shorter run adds random input
bubbles and output back-pressure to check the valid/ready handshake. Resources come from
``yosys`` (``synth_xilinx -family xcup``: LUT/FF/CARRY8/DSP48E2 cells; the ``$mul`` cells of the
coarse netlist are the DSP-mappable multipliers) and are set against the per-unit constants
of :class:`lic.fpga_model.Assumptions`.

Entry point for notebooks: :func:`cosim_report`.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ParameterError
from .fixedpoint import FixedPointConfig, IntLayer, IntTransform
from .hw import HLS_DIR, ToolError, ap_types_dir

__all__ = [
    "RTL_DIR",
    "require_tools",
    "GdnConfig",
    "ConvConfig",
    "Group",
    "VectorSet",
    "random_gdn_vectors",
    "random_conv_vectors",
    "layer_vectors",
    "reference_outputs",
    "CVectors",
    "SimResult",
    "simulate",
    "check_unit",
    "synthesize",
    "model_vs_yosys",
    "demo_transforms",
    "default_sets",
    "cosim_report",
]

RTL_DIR = HLS_DIR / "rtl"
_APT = {"iverilog": "iverilog", "vvp": "iverilog", "yosys": "yosys", "g++": "g++"}


def require_tools(*names: str) -> dict[str, str]:
    """Paths of the named executables; :class:`lic.hw.ToolError` naming the package if one is missing."""
    found = {}
    for n in names:
        p = shutil.which(n)
        if p is None:
            raise ToolError(f"{n} not found: install it (apt-get install {_APT.get(n, n)}, "
                            "or scripts/setup.sh)")
        found[n] = p
    return found


# --------------------------------------------------------------------------- configurations


@dataclass(frozen=True)
class GdnConfig:
    """Compile-time configuration of one ``gdn_unit`` (the ``CONFIG_T`` of ``hls/src/gdn.h``).

    Args:
        channels: C, length of the ``gamma_ij m_j`` sum.
        simd: MAC lanes a beat (divides ``channels``): ``channels/simd`` cycles a result.
        inverse: IGDN instead of GDN.
        variant: "simplified" (hardware target) or "standard".
        in_bits, gamma_bits, acc_bits, div_bits, out_bits: word widths (acc 46 for simplified IGDN).
        s_num, s_den: GDN divider pre-shifts; shift: IGDN requantisation shift;
        sqrt_frac: standard GDN root fraction bits ``t``.
    """

    channels: int = 8
    simd: int = 1
    inverse: bool = False
    variant: str = "simplified"
    in_bits: int = 16
    gamma_bits: int = 32
    acc_bits: int = 48
    div_bits: int = 9
    s_num: int = 0
    s_den: int = 0
    shift: int = 0
    sqrt_frac: int = 4
    out_bits: int = 8

    def __post_init__(self):
        if self.variant not in ("simplified", "standard"):
            raise ParameterError(f"variant must be 'simplified' or 'standard', got {self.variant!r}")
        if self.simd < 1 or self.channels % self.simd:
            raise ParameterError(f"simd={self.simd} must divide channels={self.channels}")

    @property
    def unit(self) -> str:
        return "igdn" if self.inverse else "gdn"

    @property
    def beats(self) -> int:
        """Input beats (cycles at II=1) a result."""
        return self.channels // self.simd

    @property
    def top(self) -> str:
        return "gdn_unit"

    def verilog_params(self) -> dict[str, int]:
        return {"C": self.channels, "SIMD": self.simd, "INVERSE": int(self.inverse),
                "STANDARD": int(self.variant == "standard"), "IN_BITS": self.in_bits,
                "G_BITS": self.gamma_bits, "ACC_BITS": self.acc_bits, "K": self.div_bits,
                "S_NUM": self.s_num, "S_DEN": self.s_den, "SHIFT": self.shift,
                "SQRT_FRAC": self.sqrt_frac, "OUT_BITS": self.out_bits}

    def attrs(self) -> dict:
        """``IntLayer.attrs`` of a layer with this configuration."""
        a = dict(in_ch=self.channels, out_ch=self.channels, variant=self.variant,
                 in_bits=self.in_bits, in_signed=True, in_frac=0, out_bits=self.out_bits,
                 out_signed=True, out_frac=0, out_kind="act", g_frac=0, acc_bits=self.acc_bits,
                 sqrt_frac=self.sqrt_frac if self.variant == "standard" else 0,
                 div_bits=self.div_bits)
        if self.inverse:
            a["shift"] = self.shift
        else:
            a["s_num"], a["s_den"] = self.s_num, self.s_den
        return a

    @classmethod
    def from_layer(cls, layer: IntLayer, cfg: FixedPointConfig, simd: int = 1) -> "GdnConfig":
        a = layer.attrs
        return cls(channels=a["in_ch"], simd=simd, inverse=layer.kind == "igdn",
                   variant=a["variant"], in_bits=a["in_bits"], gamma_bits=cfg.gdn_bits,
                   acc_bits=a["acc_bits"], div_bits=a["div_bits"], s_num=a.get("s_num", 0),
                   s_den=a.get("s_den", 0), shift=a.get("shift", 0),
                   sqrt_frac=a["sqrt_frac"] if a["variant"] == "standard" else 4,
                   out_bits=a["out_bits"])


@dataclass(frozen=True)
class ConvConfig:
    """Compile-time configuration of one ``conv_pe`` (one output of a 5x5 stride-2 conv a job).

    Args:
        in_ch: input channels (``25 in_ch`` taps a result, ``25 in_ch / simd`` beats).
        simd: MAC lanes a beat.
        a_bits, a_signed: activation format (8 signed; image: 8 unsigned; latents: 16 signed).
        w_bits, acc_bits, shift_bits: weight, accumulator/bias and shift-port widths.
        out_bits, out_signed: output format (GDN input: 16 signed; image: 8 unsigned).
    """

    in_ch: int = 4
    simd: int = 4
    a_bits: int = 8
    a_signed: bool = True
    w_bits: int = 8
    acc_bits: int = 32
    shift_bits: int = 8
    out_bits: int = 16
    out_signed: bool = True

    def __post_init__(self):
        if self.simd < 1 or (25 * self.in_ch) % self.simd:
            raise ParameterError(f"simd={self.simd} must divide 25*in_ch={25 * self.in_ch}")

    unit = "conv"
    top = "conv_pe"

    @property
    def beats(self) -> int:
        return 25 * self.in_ch // self.simd

    def verilog_params(self) -> dict[str, int]:
        return {"SIMD": self.simd, "NBEATS": self.beats, "A_BITS": self.a_bits,
                "A_SIGNED": int(self.a_signed), "W_BITS": self.w_bits, "ACC_BITS": self.acc_bits,
                "SH_BITS": self.shift_bits, "OUT_BITS": self.out_bits,
                "OUT_SIGNED": int(self.out_signed)}

    def attrs(self, out_ch: int) -> dict:
        return dict(in_ch=self.in_ch, out_ch=out_ch, kernel=5, stride=2, pad=2, out_pad=0,
                    in_bits=self.a_bits, in_signed=self.a_signed, in_frac=0,
                    out_bits=self.out_bits, out_signed=self.out_signed, out_frac=0, out_kind="x")

    @classmethod
    def from_layer(cls, layer: IntLayer, cfg: FixedPointConfig, simd: int = 4) -> "ConvConfig":
        a = layer.attrs
        if layer.kind != "conv":
            raise ParameterError(f"{layer.name}: only conv layers have a conv_pe vector set")
        return cls(in_ch=a["in_ch"], simd=simd, a_bits=a["in_bits"], a_signed=a["in_signed"],
                   w_bits=cfg.weight_bits, acc_bits=cfg.acc_bits, out_bits=a["out_bits"],
                   out_signed=a["out_signed"])


# --------------------------------------------------------------------------- vectors


@dataclass
class Group:
    """One tiny integer layer and its input: ``layer`` (an :class:`IntLayer`) and ``x``
    (``[C_in, H, W]``). GDN groups use ``H = 1``, one pixel a column."""

    layer: IntLayer
    x: np.ndarray


@dataclass
class VectorSet:
    """Groups sharing one RTL configuration; ``label`` names them in reports."""

    cfg: GdnConfig | ConvConfig
    groups: list[Group]
    label: str = ""
    fp_cfg: FixedPointConfig = field(default_factory=FixedPointConfig)

    @property
    def unit(self) -> str:
        return self.cfg.unit

    def __len__(self) -> int:
        return sum(_n_out(self.cfg, g) for g in self.groups)


def _n_out(cfg, g: Group) -> int:
    c, h, w = g.x.shape
    if isinstance(cfg, GdnConfig):
        return c * h * w
    return g.layer.attrs["out_ch"] * ((h + 1) // 2) * ((w + 1) // 2)


def _loguniform(rng, bits: int, size, lo: int = 0) -> np.ndarray:
    """Non-negative ints whose bit length is uniform in ``0..bits`` (all magnitudes occur)."""
    e = rng.integers(0, bits + 1, size=size)
    hi = np.left_shift(np.int64(1), e.astype(np.int64))
    v = (rng.random(size) * hi).astype(np.int64)
    return np.maximum(v, lo)


def _signed_mix(rng, bits: int, size) -> np.ndarray:
    """Signed ``bits``-bit ints: half uniform over the full range, half log-uniform, plus edges."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    u = rng.integers(lo, hi + 1, size=size)
    m = _loguniform(rng, bits - 1, size) * rng.choice([-1, 1], size=size)
    v = np.where(rng.random(size) < 0.5, u, np.clip(m, lo, hi))
    flat = v.reshape(-1)
    edges = np.array([lo, hi, 0, 1, -1, lo + 1])
    k = min(flat.size, edges.size)
    pos = rng.choice(flat.size, size=k, replace=False)
    flat[pos] = edges[:k]
    return flat.reshape(v.shape)


def random_gdn_vectors(cfg: GdnConfig, n: int, rng: np.random.Generator,
                       pixels_per_group: int = 10, label: str = "") -> VectorSet:
    """About ``n`` random jobs (``cfg.channels`` a pixel), a fresh gamma/beta every group.

    gamma, beta and |x| are log-uniform over their full widths (standard GDN: gamma below
    ``2^(62 - 2 in_bits - log2 C)`` so the C++ int64 sum cannot wrap), beta >= 1.
    """
    C = cfg.channels
    g_bits = cfg.gamma_bits
    if cfg.variant == "standard":
        g_bits = min(g_bits, 62 - 2 * (cfg.in_bits - 1) - int(math.ceil(math.log2(C))) - 1)
    groups = []
    n_groups = max(1, -(-n // (C * pixels_per_group)))
    for k in range(n_groups):
        # every group its own magnitude caps, so that small and huge denominators both occur
        gamma = _loguniform(rng, int(rng.integers(0, g_bits + 1)), (C, C))
        beta = _loguniform(rng, int(rng.integers(0, cfg.acc_bits + 1)), C, lo=1)
        beta = np.minimum(beta, (1 << cfg.acc_bits) - 1)
        x = _signed_mix(rng, cfg.in_bits, (C, 1, pixels_per_group))
        if k % 2:  # small inputs too
            x = x >> int(rng.integers(0, cfg.in_bits))
        if k % 4 < 3:  # 3 groups in 4: scale D so that typical results are in range
            gamma, beta = _retarget(cfg, gamma, beta, x, rng, g_bits)
        layer = IntLayer(cfg.unit, f"rand.{k}", cfg.attrs(), dict(gamma=gamma, beta=beta))
        groups.append(Group(layer, x))
    return VectorSet(cfg, groups, label or f"random {cfg.unit}")


def _retarget(cfg: GdnConfig, gamma, beta, x, rng, g_bits: int):
    """Scale gamma and beta by one power of two so the group's median result lands near a
    random target in 1..256 (otherwise most random GDN results are 0 or clamped)."""
    ax = np.abs(x.reshape(x.shape[0], -1)).astype(np.float64)
    m = ax if cfg.variant == "simplified" else ax * ax
    d = np.median(beta[:, None] + gamma.astype(np.float64) @ m)
    lx = math.log2(max(float(np.median(ax)), 1.0))
    lq = float(rng.uniform(0, 8))
    ls = lx + cfg.s_num - cfg.s_den - lq if not cfg.inverse else cfg.shift + lq - lx
    ld = ls if cfg.variant == "simplified" else 2 * ls - 2 * cfg.sqrt_frac
    k = int(round(ld - math.log2(max(d, 1.0))))
    f = 2.0 ** k
    g = np.clip(np.floor(gamma * f), 0, (1 << g_bits) - 1).astype(np.int64)
    b = np.clip(np.floor(beta * f), 1, (1 << cfg.acc_bits) - 1).astype(np.int64)
    return g, b


def random_conv_vectors(cfg: ConvConfig, n: int, rng: np.random.Generator, out_ch: int = 16,
                        size: int = 5, label: str = "") -> VectorSet:
    """About ``n`` random conv jobs: ``size`` x ``size`` inputs, fresh weights every group.

    Weights uniform in the narrow int8 range, bias log-uniform signed over int32 with 10 %
    next to the int32 limits (accumulator clamps), shifts uniform in ``[-8, 40]``.
    """
    per = out_ch * ((size + 1) // 2) ** 2
    groups = []
    wmax = (1 << (cfg.w_bits - 1)) - 1
    amax = 1 << cfg.acc_bits - 1
    for k in range(max(1, -(-n // per))):
        w = rng.integers(-wmax, wmax + 1, size=(out_ch, cfg.in_ch, 5, 5))
        b = _loguniform(rng, cfg.acc_bits - 1, out_ch) * rng.choice([-1, 1], size=out_ch)
        near = rng.random(out_ch) < 0.1
        b = np.where(near, np.sign(b + 0.5).astype(np.int64) * (amax - 1 - rng.integers(0, 1 << 22, out_ch)), b)
        b = np.clip(b, -amax, amax - 1)
        sh = rng.integers(-8, 41, size=out_ch)
        if cfg.a_signed:
            x = _signed_mix(rng, cfg.a_bits, (cfg.in_ch, size, size))
        else:
            x = rng.integers(0, 1 << cfg.a_bits, size=(cfg.in_ch, size, size))
        layer = IntLayer("conv", f"rand.{k}", cfg.attrs(out_ch),
                         dict(weight=w, w_frac=np.zeros(out_ch, np.int64), bias=b, out_shift=sh))
        groups.append(Group(layer, x))
    return VectorSet(cfg, groups, label or "random conv")


def layer_vectors(t: IntTransform, idx: int, x: np.ndarray, simd: int = 1,
                  max_jobs: int | None = None) -> VectorSet:
    """The jobs of layer ``idx`` of a quantised transform on its real input ``x`` ``[C,H,W]``.

    GDN/IGDN: every pixel becomes a column of a ``[C, 1, P]`` group (at most ``max_jobs``
    values). Conv: the whole map (rows cut so that at most ``max_jobs`` outputs remain).
    """
    layer = t.layers[idx]
    x = np.asarray(x, dtype=np.int64)
    if layer.kind in ("gdn", "igdn"):
        cfg = GdnConfig.from_layer(layer, t.cfg, simd)
        cols = x.reshape(x.shape[0], 1, -1)
        if max_jobs is not None:
            cols = cols[:, :, : max(1, max_jobs // x.shape[0])]
        return VectorSet(cfg, [Group(layer, cols)], layer.name, t.cfg)
    cfg = ConvConfig.from_layer(layer, t.cfg, simd)
    if max_jobs is not None:
        ow = (x.shape[2] + 1) // 2
        rows = max(1, max_jobs // (layer.attrs["out_ch"] * ow))
        x = x[:, : 2 * rows]
    return VectorSet(cfg, [Group(layer, x)], layer.name, t.cfg)


def _conv_jobs(g: Group) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(a [n, 25 I], w [n, 25 I], bias [n], shift [n])`` in conv.h tap order (ky, kx, i),
    jobs in raster order with the output channel innermost."""
    p = g.layer.params
    c, h, w = g.x.shape
    oh, ow = (h + 1) // 2, (w + 1) // 2
    xp = np.pad(g.x, ((0, 0), (2, 2), (2, 2)))
    iy = 2 * np.arange(oh)[:, None] + np.arange(5)[None, :]  # [oh, 5] into padded rows
    ix = 2 * np.arange(ow)[:, None] + np.arange(5)[None, :]
    patch = xp[:, iy[:, None, :, None], ix[None, :, None, :]]  # [c, oh, ow, 5, 5]
    patch = np.transpose(patch, (1, 2, 3, 4, 0)).reshape(oh * ow, 25 * c)  # (ky, kx, i)
    wt = np.transpose(p["weight"], (0, 2, 3, 1)).reshape(-1, 25 * c)  # [o, (ky, kx, i)]
    o = wt.shape[0]
    a = np.repeat(patch, o, axis=0)
    ww = np.tile(wt, (oh * ow, 1))
    return a, ww, np.tile(p["bias"], oh * ow), np.tile(p["out_shift"], oh * ow)


def _gdn_jobs(g: Group) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_i [n], beta_i [n], x [n, C], gamma_i [n, C])``, pixel-major, channel innermost."""
    c = g.x.shape[0]
    px = g.x.reshape(c, -1).T  # [P, C]
    P = px.shape[0]
    xi = px.reshape(-1)
    beta = np.tile(g.layer.params["beta"], P)
    xs = np.repeat(px, c, axis=0)
    gam = np.tile(g.layer.params["gamma"], (P, 1))
    return xi, beta, xs, gam


# --------------------------------------------------------------------------- references


def reference_outputs(vs: VectorSet) -> tuple[np.ndarray, int]:
    """Expected outputs (job order) and saturation count from :class:`IntTransform`."""
    ys, sats = [], 0
    for g in vs.groups:
        t = IntTransform([g.layer], vs.fp_cfg, "ref")
        y = t.run_layer(0, g.x)
        ys.append(np.transpose(y, (1, 2, 0)).reshape(-1))
        sats += t.saturations[g.layer.name]
    return np.concatenate(ys), sats


class CVectors:
    """The C++ kernels of ``hls/src`` on per-call parameters (``hls/tb/rtl_vectors.cpp``),
    built with g++ into ``build_dir`` (cached by a hash of the sources)."""

    SOURCES = ["src/lic_types.h", "src/stream.h", "src/conv.h", "src/gdn.h", "tb/rtl_vectors.cpp"]

    def __init__(self, build_dir: str | os.PathLike | None = None, opt: str = "-O1"):
        cxx = os.environ.get("CXX", "g++")
        require_tools(cxx)
        flags = ["-std=c++14", opt, "-fPIC", "-shared", "-w"]
        h = hashlib.sha256(" ".join([cxx] + flags).encode())
        for rel in self.SOURCES:
            h.update(rel.encode() + b"\0" + (HLS_DIR / rel).read_bytes())
        lib = Path(build_dir or HLS_DIR / "build") / f"rtlvec-{h.hexdigest()[:16]}" / "librtlvec.so"
        if not lib.is_file():
            lib.parent.mkdir(parents=True, exist_ok=True)
            tmp = lib.with_suffix(f".{os.getpid()}.tmp")
            cmd = [cxx, *flags, f"-I{HLS_DIR / 'src'}", f"-I{ap_types_dir()}",
                   str(HLS_DIR / "tb" / "rtl_vectors.cpp"), "-o", str(tmp)]
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                raise ToolError(f"rtl_vectors.cpp compilation failed:\n{res.stderr[-4000:]}")
            os.replace(tmp, lib)
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
        """C-sim outputs (job order) and saturation count of a vector set."""
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


# --------------------------------------------------------------------------- RTL simulation


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
        parts = [_gdn_jobs(g) for g in vs.groups]
        xi, beta, xs, gam = (np.concatenate([p[k] for p in parts]) for k in range(4))
        n = xi.size
        nb = cfg.beats
        # beat t of a job: lanes j = t*S + l, lane S-1 in the MSBs
        xs = xs.reshape(n * nb, S)[:, ::-1]
        gam = gam.reshape(n * nb, S)[:, ::-1]
        text = _hex_lines([(np.repeat(xi, nb), cfg.in_bits), (np.repeat(beta, nb), cfg.acc_bits),
                           (xs, cfg.in_bits), (gam, cfg.gamma_bits)])
        return text, n
    parts = [_conv_jobs(g) for g in vs.groups]
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
    """RTL vs :mod:`lic.fixedpoint` (and the C-sim) over vector sets of one unit.

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


# --------------------------------------------------------------------------- yosys


_LUT_RE = re.compile(r"^LUT\d$")


def _parse_stat(text: str) -> dict[str, int]:
    """Cell counts of the last module block of a yosys ``stat`` report."""
    cells: dict[str, int] = {}
    in_cells = False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("==="):
            cells, in_cells = {}, False
        elif s.startswith("Number of cells:"):
            in_cells = True
        elif in_cells:
            m = re.match(r"^(\S+)\s+(\d+)$", s)
            if m:
                cells[m.group(1)] = int(m.group(2))
            elif s:
                in_cells = False
    return cells


def synthesize(cfg: GdnConfig | ConvConfig, work_dir: str | os.PathLike, target: str = "xilinx",
               timeout: float = 600) -> dict:
    """yosys synthesis of one unit; LUT/FF/DSP/CARRY counts and the coarse ``$mul`` cells.

    Args:
        cfg: the unit configuration (its parameters are set on the top module).
        work_dir: where the script and log go.
        target: "xilinx" (``synth_xilinx -family xcup``, UltraScale+) or "generic" (``synth``).
        timeout: seconds before yosys is stopped (:class:`ToolError`).

    Returns:
        ``{"unit", "lut", "ff", "dsp", "carry", "srl", "mul_cells", "cells": {...}, "synth_s"}``.
    """
    yosys = require_tools("yosys")["yosys"]
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    top = cfg.top
    rtl = RTL_DIR / f"{top}.v"
    chp = " ".join(f"-chparam {k} {v}" for k, v in cfg.verilog_params().items())
    coarse, final = work / f"{cfg.unit}_coarse.stat", work / f"{cfg.unit}_{target}.stat"
    synth = (f"synth_xilinx -family xcup -flatten -noiopad -noclkbuf -top {top}" if target == "xilinx"
             else f"synth -flatten -top {top}")
    script = "\n".join([
        f"read_verilog {rtl}",
        f"hierarchy -top {top} {chp}",
        "proc; flatten; opt -fast; wreduce; opt_clean",
        f"tee -q -o {coarse} stat",
        synth,
        f"tee -q -o {final} stat",
    ]) + "\n"
    ys = work / f"{cfg.unit}_{target}.ys"
    ys.write_text(script)
    t0 = time.perf_counter()
    try:
        res = subprocess.run([yosys, "-q", "-l", str(ys.with_suffix(".log")), "-s", str(ys)],
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise ToolError(f"yosys took more than {timeout:.0f} s on {top}") from e
    dt = time.perf_counter() - t0
    if res.returncode != 0:
        raise ToolError(f"yosys failed on {top}:\n{res.stderr[-3000:]}{res.stdout[-2000:]}")
    cells = _parse_stat(final.read_text())
    mul = _parse_stat(coarse.read_text()).get("$mul", 0)
    logic = sum(v for k, v in cells.items() if _LUT_RE.match(k))
    srl = sum(v for k, v in cells.items() if k.startswith("SRL"))
    ff = sum(v for k, v in cells.items() if re.match(r"^(FD[A-Z]*|\$_S?DFF\w*|\$_DFFE\w*)$", k))
    return {"unit": cfg.unit, "target": target,
            "lut": logic + srl if target == "xilinx" else None, "lut_logic": logic, "srl": srl,
            "ff": ff, "dsp": cells.get("DSP48E2", 0),
            "carry": cells.get("CARRY4", 0) + cells.get("CARRY8", 0),
            "mul_cells": int(mul), "cells": cells, "synth_s": dt,
            "params": cfg.verilog_params()}


def model_vs_yosys(resources: dict[str, dict], cfgs: dict[str, GdnConfig | ConvConfig],
                   wide: dict[str, tuple[GdnConfig | ConvConfig, dict]] | None = None,
                   a=None) -> pd.DataFrame:
    """Per-unit estimate of :mod:`lic.fpga_model` next to the yosys counts.

    The model's datapath share of a stage (no line buffer, weight memory or the per-stage
    ``lut_per_stage`` control): conv PE ``simd`` int8 MACs (``lut_per_mac8`` LUTs,
    ``1/int8_macs_per_dsp`` DSP each); GDN unit ``simd`` 32-bit MACs (``lut_per_mac32``,
    ``dsp_per_mul32``) plus its non-linear units and elementwise products from
    :func:`lic.fpga_model.gdn_ops`. ``implied`` is the value of the assumption that the
    yosys count gives. With ``wide`` (the same unit synthesised with more lanes), rows
    ``LUT/lane`` and ``DSP/lane`` give the marginal cost of one more MAC lane.

    Args:
        resources: unit -> :func:`synthesize` result.
        cfgs: unit -> its configuration.
        wide: unit -> (wider configuration, its :func:`synthesize` result).
        a: :class:`lic.fpga_model.Assumptions` (defaults).
    """
    from .fpga_model import Assumptions, gdn_ops

    a = a or Assumptions()
    rows = []

    def row(unit, res, model, yosys, name, assumed, implied):
        rows.append({"unit": unit, "resource": res, "model": model, "yosys": yosys,
                     "assumption": name, "assumed": assumed, "implied": implied})

    for unit, r in resources.items():
        cfg = cfgs[unit]
        P = cfg.simd
        if isinstance(cfg, ConvConfig):
            row(unit, "LUT", P * a.lut_per_mac8, r["lut"], "lut_per_mac8", a.lut_per_mac8,
                r["lut"] / P)
            # one PE: no two lanes share an activation, so no int8 packing (fpga_model.conv_dsp)
            row(unit, "DSP", P, r["dsp"], "int8_macs_per_dsp (PE=1: unpacked)", 1,
                P / r["dsp"] if r["dsp"] else float("inf"))
        else:
            nl, ew = gdn_ops(cfg.variant, cfg.inverse)
            mac_lut = (P + ew) * a.lut_per_mac32
            row(unit, "LUT", mac_lut + nl * a.lut_per_nonlinear, r["lut"],
                "lut_per_nonlinear" if nl else "lut_per_mac32",
                a.lut_per_nonlinear if nl else a.lut_per_mac32,
                (r["lut"] - mac_lut) / nl if nl else r["lut"] / (P + ew))
            row(unit, "DSP", (P + ew) * a.dsp_per_mul32 + nl * a.dsp_per_nonlinear, r["dsp"],
                "dsp_per_mul32", a.dsp_per_mul32, r["dsp"] / (P + ew))
        row(unit, "FF", float("nan"), r["ff"], "-", float("nan"), float("nan"))
        if wide and unit in wide:
            wcfg, wr = wide[unit]
            dP = wcfg.simd - P
            conv = isinstance(cfg, ConvConfig)
            row(unit, f"LUT/lane ({P}->{wcfg.simd})", a.lut_per_mac8 if conv else a.lut_per_mac32,
                (wr["lut"] - r["lut"]) / dP, "lut_per_mac8" if conv else "lut_per_mac32",
                a.lut_per_mac8 if conv else a.lut_per_mac32, (wr["lut"] - r["lut"]) / dP)
            row(unit, f"DSP/lane ({P}->{wcfg.simd})",
                1 if conv else a.dsp_per_mul32, (wr["dsp"] - r["dsp"]) / dP,
                "DSP per unpacked int8 MAC" if conv else "dsp_per_mul32",
                1 if conv else a.dsp_per_mul32, (wr["dsp"] - r["dsp"]) / dP)
            row(unit, f"FF/lane ({P}->{wcfg.simd})", float("nan"), (wr["ff"] - r["ff"]) / dP,
                "-", float("nan"), float("nan"))
    df = pd.DataFrame(rows)
    df["ratio"] = df["yosys"] / df["model"]
    return df


# --------------------------------------------------------------------------- report


def demo_transforms(N: int = 8, M: int = 12, seed: int = 0, size: int = 64,
                    variant: str = "simplified"):
    """A tiny quantised codec with trained-like GDN parameters and an image for it.

    Returns:
        ``(int g_a, int g_s, pixels [3, size, size])``.
    """
    import torch
    from compressai.layers import GDN, GDN1

    from . import fixedpoint as fp
    from .models import build_model

    torch.manual_seed(seed)
    model = build_model(N=N, M=M).eval()
    g = torch.Generator().manual_seed(seed)
    for seq in (model.g_a, model.g_s):
        for k, m in enumerate(seq):
            if isinstance(m, GDN):
                c = m.beta.numel()
                n = GDN1(c, inverse=m.inverse) if variant == "simplified" else GDN(c, inverse=m.inverse)
                with torch.no_grad():
                    n.beta.copy_(n.beta_reparam.init(0.5 + 1.5 * torch.rand(c, generator=g)))
                    n.gamma.copy_(n.gamma_reparam.init(0.2 * torch.rand(c, c, generator=g)))
                seq[k] = n
    # smooth-ish image: low-frequency noise, like a photo crop
    x = torch.nn.functional.interpolate(torch.rand(1, 3, size // 8, size // 8, generator=g),
                                        size=(size, size), mode="bilinear", align_corners=False)
    ga, gs = fp.quantize_codec(model, x)
    return ga, gs, fp.image_to_int(x[0])


def default_sets(n_vectors: int = 10000, seed: int = 0, real: tuple | None = None,
                 simd_gdn: int = 1, simd_conv: int = 4) -> dict[str, list[VectorSet]]:
    """The vector sets of :func:`cosim_report`: per unit two random configurations (half
    the vectors each) plus, when ``real = (ga, gs, pixels)``, one real layer."""
    rng = np.random.default_rng(seed)
    h = max(1, n_vectors // 2)
    g1 = GdnConfig(simd=simd_gdn, s_num=39, s_den=0)
    g2 = GdnConfig(simd=simd_gdn, s_num=12, s_den=5)
    i1 = GdnConfig(simd=simd_gdn, inverse=True, acc_bits=46, shift=51)
    i2 = GdnConfig(simd=simd_gdn, inverse=True, acc_bits=46, shift=20)
    c1 = ConvConfig(in_ch=4, simd=simd_conv)
    c2 = ConvConfig(in_ch=4, simd=simd_conv, a_signed=False, out_bits=8, out_signed=False)
    sets = {
        "gdn": [random_gdn_vectors(g1, h, rng, label="random s_num=39"),
                random_gdn_vectors(g2, n_vectors - h, rng, label="random s_num=12 s_den=5")],
        "igdn": [random_gdn_vectors(i1, h, rng, label="random shift=51"),
                 random_gdn_vectors(i2, n_vectors - h, rng, label="random shift=20")],
        "conv": [random_conv_vectors(c1, h, rng, label="random int8->int16"),
                 random_conv_vectors(c2, n_vectors - h, rng, label="random uint8->uint8")],
    }
    if real is not None:
        ga, gs, pix = real
        pix = np.asarray(pix)[:, :64, :64]  # a 64x64 crop keeps the real sets small
        x1 = ga.run(pix, upto=1)
        sets["gdn"].append(layer_vectors(ga, 1, x1, simd_gdn, max_jobs=2048))
        y = ga.run(pix)
        sets["igdn"].append(layer_vectors(gs, 1, gs.run(y, upto=1), simd_gdn, max_jobs=2048))
        sets["conv"].append(layer_vectors(ga, 2, ga.run(pix, upto=2), simd_conv, max_jobs=512))
    return sets


def cosim_report(out_dir: str | os.PathLike, n_vectors: int = 10000, seed: int = 0,
                 real: bool | tuple = True, csim: bool = True, synth: bool = True,
                 vcd_jobs: int = 4, stall_jobs: int = 1000, simd_gdn: int = 1,
                 simd_conv: int = 4, wide_synth: bool = True) -> dict:
    """Co-simulate every RTL unit, synthesise it and compare with the model; for notebooks.

    Args:
        out_dir: folder for the VCD waveform, the yosys reports and ``rtl_report.json``.
        n_vectors: random vectors per unit (plus up to 2048 real-layer ones).
        seed: seed of the random vectors.
        real: add real layers (g_a.1 GDN, g_s.1 IGDN, g_a.2 conv): True for
            :func:`demo_transforms`, or ``(int g_a, int g_s, pixels [3,H,W])`` e.g. from stage
            03 (the C-sim comparison handles up to 16 channels and 64-pixel-wide conv inputs).
        csim: compare with the C++ kernels too (needs g++ and hls4ml).
        synth: run yosys (``synth_xilinx -family xcup``).
        vcd_jobs: jobs in the GDN waveform run.
        stall_jobs: jobs re-run with 30 % random bubbles / back-pressure a set.
        simd_gdn, simd_conv: MAC lanes of the units.
        wide_synth: also synthesise each unit with up to 4x the lanes (marginal cost a lane).

    Returns:
        ``{"units": {unit: check_unit dict}, "summary": DataFrame, "vcd": path,
        "resources": {unit: synthesize dict}, "model_vs_yosys": DataFrame, "tools": {...},
        "wall_s": float}``; the JSON-able part is also written to ``out_dir/rtl_report.json``.
    """
    t0 = time.perf_counter()
    tools = require_tools("iverilog", "vvp", *(("yosys",) if synth else ()))
    out = Path(out_dir)
    work = out / "rtl_work"
    work.mkdir(parents=True, exist_ok=True)
    if real is True:
        real = demo_transforms()
    sets = default_sets(n_vectors, seed, real or None, simd_gdn, simd_conv)
    cv = CVectors() if csim else None
    units = {u: check_unit(s, work, cv, stall_jobs=stall_jobs) for u, s in sets.items()}
    vcd = out / "gdn_unit.vcd"
    simulate(sets["gdn"][0], work, vcd=vcd, max_jobs=vcd_jobs)
    summary = pd.DataFrame([{k: v for k, v in u.items() if k != "runs"} for u in units.values()])
    rep = {"units": units, "summary": summary, "vcd": str(vcd), "tools": {}}
    for n in ("iverilog", "yosys"):
        if n in tools:
            v = subprocess.run([tools[n], "-V"], capture_output=True, text=True).stdout.strip()
            rep["tools"][n] = v.splitlines()[0] if v else "?"
    if synth:
        cfgs = {u: s[0].cfg for u, s in sets.items()}
        rep["resources"] = {u: synthesize(c, out / "yosys") for u, c in cfgs.items()}
        wide = {}
        if wide_synth:  # marginal cost of a MAC lane: the same unit with more lanes
            for u, c in cfgs.items():
                n_in = c.channels if isinstance(c, GdnConfig) else 25 * c.in_ch
                lanes = max(d for d in range(1, n_in + 1) if n_in % d == 0 and d <= 4 * c.simd)
                if lanes > c.simd:
                    wc = replace(c, simd=lanes)
                    wide[u] = (wc, synthesize(wc, out / "yosys" / "wide"))
            rep["resources_wide"] = {u: r for u, (_, r) in wide.items()}
        rep["model_vs_yosys"] = model_vs_yosys(rep["resources"], cfgs, wide)
    rep["wall_s"] = time.perf_counter() - t0
    js = {k: v for k, v in rep.items() if not isinstance(v, pd.DataFrame)}
    js["summary"] = summary.to_dict("records")
    if synth:
        js["model_vs_yosys"] = rep["model_vs_yosys"].to_dict("records")
    (out / "rtl_report.json").write_text(json.dumps(js, indent=1, default=_json_default))
    return rep


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(type(o).__name__)
