"""Integer transforms -> generated C headers for the hand-written HLS kernels in ``hls/src``.

As in hls4ml's writer, Python only fills configuration structs, typedefs and weight arrays;
the kernel bodies (``conv.h``, ``deconv.h``, ``gdn.h``, ``top.cpp``) are fixed C++.

The generated ``parameters.h`` defines, for every layer ``k`` of g_a (prefix ``ga``) and
g_s (``gs``, optional, then ``LIC_HAS_GS`` is defined):

* ``<p>_l<k>_in_t`` / ``<p>_l<k>_out_t``: ``ap_int<b>``/``ap_uint<b>`` stream types;
* ``struct <p>_l<k>_config``: sizes, parallelism (``pe`` output channels and ``simd`` input
  lanes per cycle), ranges for saturation, shifts, and the layer id of the C-sim counters
  (g_a layer ``k`` -> ``k``, g_s layer ``k`` -> ``8 + k``);
* conv/deconv: ``<p>_l<k>_w`` (``[out][ky][kx][in]``), ``_b`` (bias), ``_shift`` (requant);
  gdn/igdn: ``<p>_l<k>_gamma`` (``[i][j]``), ``_beta``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .errors import ParameterError
from .fileio import atomic_write_text
from .fixedpoint import IntLayer, IntTransform

__all__ = ["write_headers", "write_tb_data", "GS_LAYER_OFFSET", "DEFAULT_MAX_WIDTH", "layer_parallelism"]

GS_LAYER_OFFSET = 8
DEFAULT_MAX_WIDTH = 768  # widest Kodak image; sizes the conv line buffers
_GA_KINDS = ["conv", "gdn", "conv", "gdn", "conv", "gdn", "conv"]
_GS_KINDS = ["deconv", "igdn", "deconv", "igdn", "deconv", "igdn", "deconv"]


def _ctype(bits: int, signed: bool) -> str:
    return f"ap_int<{bits}>" if signed else f"ap_uint<{bits}>"


def _storage_typedef(name: str, bits: int, signed: bool) -> str:
    """Parameter storage type: ``ap_[u]int<bits>`` for synthesis, the smallest C integer type
    holding it for the g++ C-sim (same values; the kernels widen before every product, and
    thousands of ``ap_int`` constructors in a weight initialiser make g++ very slow)."""
    c = next(b for b in (8, 16, 32, 64) if bits <= b)
    ctype = f"{'' if signed else 'u'}int{c}_t"
    return (f"#ifdef __SYNTHESIS__\n    typedef {_ctype(bits, signed)} {name};\n#else\n"
            f"    typedef {ctype} {name};\n#endif")


def _array(ctype: str, name: str, values: np.ndarray, per_line: int = 24) -> str:
    flat = [str(int(v)) for v in np.asarray(values).reshape(-1)]
    lines = [", ".join(flat[k : k + per_line]) for k in range(0, len(flat), per_line)]
    body = ",\n    ".join(lines)
    return f"static const {ctype} {name}[{len(flat)}] = {{\n    {body}}};\n"


def layer_parallelism(layer: IntLayer, pe: int = 1, simd: int = 1) -> tuple[int, int]:
    """Validate ``(pe, simd)`` for a layer: pe | out_ch, simd | taps * in_ch (GDN: simd | C)."""
    a = layer.attrs
    if layer.kind in ("gdn", "igdn"):
        if a["in_ch"] % simd:
            raise ParameterError(f"{layer.name}: simd={simd} must divide {a['in_ch']}")
        return 1, simd
    taps = 25 if layer.kind == "conv" else 9
    if a["out_ch"] % pe or (taps * a["in_ch"]) % simd:
        raise ParameterError(f"{layer.name}: pe={pe} must divide {a['out_ch']} and "
                             f"simd={simd} must divide {taps * a['in_ch']}")
    return pe, simd


def _layer_block(prefix: str, k: int, layer: IntLayer, cfg, layer_id: int, pe: int, simd: int,
                 max_width: int) -> str:
    a, p = layer.attrs, layer.params
    n = f"{prefix}_l{k}"
    in_t, out_t = _ctype(a["in_bits"], a["in_signed"]), _ctype(a["out_bits"], a["out_signed"])
    lo, hi = layer.out_range
    out = [f"// ---- {layer.name}: {layer.kind} {a['in_ch']}->{a['out_ch']} "
           f"(in frac {a['in_frac']}, out frac {a['out_frac']})\n",
           f"typedef {in_t} {n}_in_t;\n", f"typedef {out_t} {n}_out_t;\n"]
    common = [
        f"    static const int layer_id = {layer_id};",
        f"    static const long long out_min = {lo}LL;",
        f"    static const long long out_max = {hi}LL;",
        f"    static const unsigned max_width = {max_width};",
        f"    static const unsigned simd = {simd};",
    ]
    if layer.kind in ("conv", "deconv"):
        acc_lo, acc_hi = -(1 << (cfg.acc_bits - 1)), (1 << (cfg.acc_bits - 1)) - 1
        w = p["weight"]
        w_okk = np.transpose(w, (0, 2, 3, 1)) if layer.kind == "conv" else np.transpose(w, (1, 2, 3, 0))
        out.append(f"struct {n}_config {{\n" + "\n".join(common + [
            f"    static const unsigned in_ch = {a['in_ch']};",
            f"    static const unsigned out_ch = {a['out_ch']};",
            "    static const unsigned kernel = 5, stride = 2, pad = 2;",
            f"    static const unsigned pe = {pe};",
            f"    static const unsigned fifo_depth = {max(2, a['out_ch'])};",
            f"    static const long long acc_min = {acc_lo}LL;",
            f"    static const long long acc_max = {acc_hi}LL;",
            _storage_typedef("weight_t", cfg.weight_bits, True),
            _storage_typedef("bias_t", cfg.acc_bits, True),
            _storage_typedef("shift_t", 8, True),
        ]) + "\n};\n")
        if np.abs(p["out_shift"]).max() > 127:
            raise ParameterError(f"{layer.name}: requantisation shift does not fit 8 bits")
        out.append(_array(f"{n}_config::weight_t", f"{n}_w", w_okk))
        out.append(_array(f"{n}_config::bias_t", f"{n}_b", p["bias"]))
        out.append(_array(f"{n}_config::shift_t", f"{n}_shift", p["out_shift"]))
    else:
        std = a["variant"] == "standard"
        t = a["sqrt_frac"]
        out.append(f"struct {n}_config {{\n" + "\n".join(common + [
            f"    static const unsigned ch = {a['in_ch']};",
            f"    static const bool inverse = {'true' if layer.kind == 'igdn' else 'false'};",
            f"    static const bool standard = {'true' if std else 'false'};",
            f"    static const int acc_bits = {a['acc_bits']};",
            f"    static const int sqrt_frac = {t};",
            f"    static const int sqrt_bits = {2 * ((a['acc_bits'] + 2 * t + 1) // 2)};",
            f"    static const int div_bits = {a['div_bits']};",
            f"    static const int s_num = {a.get('s_num', 0)};",
            f"    static const int s_den = {a.get('s_den', 0)};",
            f"    static const int shift = {a.get('shift', 0)};",
            _storage_typedef("gamma_t", cfg.gdn_bits, False),
            _storage_typedef("beta_t", a["acc_bits"], False),
        ]) + "\n};\n")
        out.append(_array(f"{n}_config::gamma_t", f"{n}_gamma", p["gamma"]))
        out.append(_array(f"{n}_config::beta_t", f"{n}_beta", p["beta"]))
    return "".join(out)


def _check_topology(t: IntTransform, kinds: list[str]) -> None:
    got = [l.kind for l in t.layers]
    if got != kinds:
        raise ParameterError(f"{t.name}: the HLS top expects layers {kinds}, got {got}")


def write_headers(
    ga: IntTransform,
    gs: IntTransform | None = None,
    out_dir: str | os.PathLike = "hls/generated",
    max_width: int = DEFAULT_MAX_WIDTH,
    parallel: dict[str, tuple[int, int]] | None = None,
) -> Path:
    """Write ``parameters.h`` for ``ga`` (and ``gs``) into ``out_dir``; returns its path.

    Args:
        ga: integer analysis transform (conv, gdn, conv, gdn, conv, gdn, conv).
        gs: optional integer synthesis transform (deconv, igdn, ...).
        out_dir: output folder (git-ignored ``hls/generated`` by default).
        max_width: widest input image the line buffers hold.
        parallel: ``{layer name: (pe, simd)}``; default (1, 1) everywhere.
    """
    parallel = parallel or {}
    _check_topology(ga, _GA_KINDS)
    parts = [
        "// Generated by lic.hls_export - do not edit.\n",
        "#ifndef LIC_PARAMETERS_H_\n#define LIC_PARAMETERS_H_\n\n#include <stdint.h>\n#include \"ap_int.h\"\n\n",
    ]
    blocks = [("ga", ga, 0)]
    if gs is not None:
        _check_topology(gs, _GS_KINDS)
        parts.append("#define LIC_HAS_GS 1\n\n")
        blocks.append(("gs", gs, GS_LAYER_OFFSET))
    for prefix, t, off in blocks:
        for k, layer in enumerate(t.layers):
            pe, simd = layer_parallelism(layer, *parallel.get(layer.name, (1, 1)))
            parts.append(_layer_block(prefix, k, layer, t.cfg, off + k, pe, simd, max_width))
            parts.append("\n")
    parts.append("#endif\n")
    text = "".join(parts)
    path = Path(out_dir) / "parameters.h"
    if not path.exists() or path.read_text() != text:  # keep mtime (and build caches) stable
        atomic_write_text(path, text)
    return path


def header_digest(path: str | os.PathLike) -> str:
    """Short SHA-256 of a generated header (part of the C-sim build key)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _tensor_text(x: np.ndarray) -> str:
    c, h, w = x.shape
    flat = np.transpose(np.asarray(x, dtype=np.int64), (1, 2, 0)).reshape(-1)
    return f"{h} {w} {c}\n" + "\n".join(" ".join(map(str, flat[k:k + 64])) for k in range(0, flat.size, 64)) + "\n"


def write_tb_data(ga: IntTransform, pixels: np.ndarray, out_dir: str | os.PathLike = "hls/generated") -> Path:
    """Write ``tb_data/ga_in.txt`` / ``ga_out.txt`` (input pixels ``[3,H,W]`` and the reference
    latents of :meth:`IntTransform.run`) for ``hls/tb/csim_main.cpp`` (Vitis csim/cosim)."""
    tb = Path(out_dir) / "tb_data"
    atomic_write_text(tb / "ga_in.txt", _tensor_text(pixels))
    atomic_write_text(tb / "ga_out.txt", _tensor_text(ga.run(pixels)))
    return tb
