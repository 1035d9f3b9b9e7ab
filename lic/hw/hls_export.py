"""Integer transforms -> generated C headers for the hand-written HLS kernels in ``hls/src``.

As in hls4ml's writer, Python only fills configuration structs, typedefs and weight arrays;
the kernel bodies (``conv.h``, ``deconv.h``, ``gdn.h``, ``top.cpp``) are fixed C++.

The generated ``parameters.h`` defines, for every layer ``k`` of g_a (prefix ``ga``) and
g_s (``gs``, optional, then ``LIC_HAS_GS`` is defined):

* ``<p>_l<k>_in_t`` / ``<p>_l<k>_out_t``: ``ap_int<b>``/``ap_uint<b>`` value types and
  ``_in_word_t`` / ``_out_word_t``: the stream words (``lic::word``: ``in_ch/in_words`` values in,
  ``pe`` values out; layer ``k``'s output word is layer ``k+1``'s input word);
* ``struct <p>_l<k>_config``: sizes, folding (``pe`` output lanes, ``simd`` input lanes,
  ``nf``/``sf``/``folds``), ``in_words``, ``fifo_depth``, ``lb_width`` (the layer's own line
  buffer), ``grid_log2`` (the layer's grid from the frame size), ranges for saturation,
  shifts, ``kernel``/``stride``/``pad`` and ``relu`` (fused ReLU) of a (de)conv, and the layer id of the C-sim counters (g_a layer ``k`` -> ``k``, g_s -> ``8 + k``);
* conv/deconv: ``<p>_l<k>_w`` (``[PE][SIMD][folds]``, :func:`fold_matrix`; deconv: one block
  a output phase, :func:`deconv_phase_matrix`), ``_b`` / ``_shift`` (``[PE][NF]``);
  gdn/igdn: ``<p>_l<k>_gamma`` (``[PE][SIMD][folds]``), ``_beta`` (``[PE][NF]``);
  index (the hyperprior's scale index, :mod:`lic.hw.hls_hyper`): ``<p>_l<k>_thresh``
  (:func:`index_thresholds`);
* ``<p>_axis_in_t`` / ``<p>_axis_out_t``: the tops' AXI4-Stream beats (``hls::axis``, TLAST).

A :class:`lic.hw.folding.FoldingPlan` (``plans=``) sets every layer's PE, SIMD, FIFO depth and
line-buffer width, so the C++ is the design the model describes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from lic.errors import ParameterError
from lic.fileio import atomic_write_text
from lic.hw.fixedpoint import IntLayer, IntTransform

__all__ = ["write_headers", "write_tb_data", "GS_LAYER_OFFSET", "DEFAULT_MAX_WIDTH", "layer_parallelism",
           "fold_matrix", "fold_vector", "deconv_phase_matrix", "plan_parallelism", "index_thresholds"]

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
    """A C array with ``values``' shape (flat initialiser, row-major)."""
    values = np.asarray(values)
    flat = [str(int(v)) for v in values.reshape(-1)]
    lines = [", ".join(flat[k : k + per_line]) for k in range(0, len(flat), per_line)]
    body = ",\n    ".join(lines)
    dims = "".join(f"[{d}]" for d in (values.shape or (1,)))
    return f"static const {ctype} {name}{dims} = {{\n    {body}}};\n"


def fold_matrix(m: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """``[out][in]`` -> ``[PE][SIMD][NF*SF]`` with ``o = nf*PE + p``, ``j = sf*SIMD + s`` and fold
    ``nf*SF + sf`` (FINN's MVAU weight layout)."""
    out, din = m.shape
    nf, sf = out // pe, din // simd
    return m.reshape(nf, pe, sf, simd).transpose(1, 3, 0, 2).reshape(pe, simd, nf * sf)


def fold_vector(v: np.ndarray, pe: int) -> np.ndarray:
    """``[out]`` -> ``[PE][NF]`` with ``o = nf*PE + p``."""
    return np.asarray(v).reshape(-1, pe).T


def deconv_phase_matrix(w_okk: np.ndarray) -> np.ndarray:
    """``[O][5][5][I]`` -> ``[4][O][9*I]``: per output phase ``(y%2)*2 + x%2`` the weights of
    taps ``t`` (``ky = y%2 + 2(t//3)``, ``kx = x%2 + 2(t%3)``; 0 outside the kernel)."""
    o, k, _, i = w_okk.shape
    out = np.zeros((4, o, 9, i), dtype=np.int64)
    for py in range(2):
        for px in range(2):
            for t in range(9):
                ky, kx = py + 2 * (t // 3), px + 2 * (t % 3)
                if ky < k and kx < k:
                    out[py * 2 + px, :, t, :] = w_okk[:, ky, kx, :]
    return out.reshape(4, o, 9 * i)


def _taps(layer: IntLayer) -> int:
    """Window elements a (de)conv output reads per input channel: ``K*K`` (conv), 9 (deconv phase), 1 (GDN)."""
    if layer.kind == "conv":
        return int(layer.attrs.get("kernel", 5)) ** 2
    return 9 if layer.kind == "deconv" else 1


def layer_parallelism(layer: IntLayer, pe: int = 1, simd: int = 1) -> tuple[int, int]:
    """Validate ``(pe, simd)`` for a layer: pe | out_ch, simd | taps * in_ch (GDN: both | C; index: pe | C)."""
    a = layer.attrs
    if layer.kind == "index":
        return pe, simd  # elementwise: PE is the producer's (checked by the exporter)
    if layer.kind in ("gdn", "igdn"):
        if a["in_ch"] % simd or a["in_ch"] % pe:
            raise ParameterError(f"{layer.name}: pe={pe} and simd={simd} must divide {a['in_ch']}")
        return pe, simd
    taps = _taps(layer)
    if a["out_ch"] % pe or (taps * a["in_ch"]) % simd:
        raise ParameterError(f"{layer.name}: pe={pe} must divide {a['out_ch']} and "
                             f"simd={simd} must divide {taps * a['in_ch']}")
    return pe, simd


def _conv_block(n: str, layer: IntLayer, cfg, common: list[str], pe: int, simd: int, lb_width: int) -> list[str]:
    """Config struct and weight / bias / shift arrays of a conv (``K``x``K``, stride 1 or 2) or deconv."""
    a, p = layer.attrs, layer.params
    k, s, pad = (int(a.get(key, d)) for key, d in (("kernel", 5), ("stride", 2), ("pad", 2)))
    if layer.kind == "deconv" and (k, s, pad, int(a.get("out_pad", 1))) != (5, 2, 2, 1):
        raise ParameterError(f"{layer.name}: the HLS deconv is 5x5, stride 2, padding 2, output padding 1")
    if layer.kind == "conv" and (k % 2 != 1 or pad != k // 2 or s not in (1, 2)):
        raise ParameterError(f"{layer.name}: the HLS conv takes odd kernels, 'same' padding, stride 1 or 2")
    if np.abs(p["out_shift"]).max() > 127:
        raise ParameterError(f"{layer.name}: requantisation shift does not fit 8 bits")
    acc_lo, acc_hi = -(1 << (cfg.acc_bits - 1)), (1 << (cfg.acc_bits - 1)) - 1
    w = p["weight"]
    w_okk = np.transpose(w, (0, 2, 3, 1)) if layer.kind == "conv" else np.transpose(w, (1, 2, 3, 0))
    out = [f"struct {n}_config {{\n" + "\n".join(common + [
        f"    static const unsigned in_ch = {a['in_ch']};",
        f"    static const unsigned out_ch = {a['out_ch']};",
        f"    static const unsigned kernel = {k}, stride = {s}, pad = {pad};",
        f"    static const bool relu = {'true' if a.get('relu') else 'false'};",
        f"    static const unsigned pack = {_pack(a, pe, cfg)};",
        f"    static const unsigned lb_width = {lb_width};",
        f"    static const long long acc_min = {acc_lo}LL;",
        f"    static const long long acc_max = {acc_hi}LL;",
        _storage_typedef("weight_t", cfg.weight_bits, True),
        _storage_typedef("bias_t", cfg.acc_bits, True),
        _storage_typedef("shift_t", 8, True),
    ]) + "\n};\n"]
    if layer.kind == "conv":
        wf = fold_matrix(w_okk.reshape(a["out_ch"], -1), pe, simd)
    else:
        wf = np.concatenate([fold_matrix(m, pe, simd) for m in deconv_phase_matrix(w_okk)], axis=2)
    out.append(_array(f"{n}_config::weight_t", f"{n}_w", wf))
    out.append(_array(f"{n}_config::bias_t", f"{n}_b", fold_vector(p["bias"], pe)))
    out.append(_array(f"{n}_config::shift_t", f"{n}_shift", fold_vector(p["out_shift"], pe)))
    return out


def _gdn_block(n: str, layer: IntLayer, cfg, common: list[str], pe: int, simd: int) -> list[str]:
    """Config struct and gamma / beta arrays of a GDN or IGDN."""
    a, p = layer.attrs, layer.params
    std = a["variant"] == "standard"
    t = a["sqrt_frac"]
    out = [f"struct {n}_config {{\n" + "\n".join(common + [
        f"    static const unsigned ch = {a['in_ch']};",
        f"    static const unsigned in_ch = {a['in_ch']}, out_ch = {a['out_ch']};",
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
    ]) + "\n};\n"]
    out.append(_array(f"{n}_config::gamma_t", f"{n}_gamma", fold_matrix(np.asarray(p["gamma"]), pe, simd)))
    out.append(_array(f"{n}_config::beta_t", f"{n}_beta", fold_vector(p["beta"], pe)))
    return out


def index_thresholds(layer: IntLayer) -> np.ndarray:
    """The threshold ROM of an index layer, clamped to ``[in_min - 1, in_max]`` of its input.

    ``x > T`` is the same for every input ``x`` in range whether ``T`` or its clamp is used (a
    threshold above ``in_max`` is never exceeded, one below ``in_min`` always), so the index stays
    ``#{k : x > T_k}`` of :meth:`IntTransform._index` while the ROM words are ``in_bits + 1`` bits.
    """
    lo, hi = layer.in_range
    return np.clip(np.asarray(layer.params["thresholds"], dtype=np.int64), lo - 1, hi)


def _index_block(n: str, layer: IntLayer, common: list[str], ch: int) -> list[str]:
    """Config struct and threshold ROM of a scale-index layer (``lic::scale_index``)."""
    a = layer.attrs
    t = index_thresholds(layer)
    if t.size + 1 > 1 << a["out_bits"]:
        raise ParameterError(f"{layer.name}: {t.size + 1} levels do not fit a {a['out_bits']}-bit index")
    out = [f"struct {n}_config {{\n" + "\n".join(common + [
        f"    static const unsigned ch = {ch}, in_ch = {ch}, out_ch = {ch};",
        f"    static const unsigned n_thresh = {t.size};",
        _storage_typedef("thresh_t", a["in_bits"] + 1, True),
    ]) + "\n};\n"]
    out.append(_array(f"{n}_config::thresh_t", f"{n}_thresh", t))
    return out


def _layer_block(prefix: str, k: int, layer: IntLayer, cfg, layer_id: int, pe: int, simd: int,
                 in_words: int, lb_width: int, grid_log2: int, fifo_depth: int, ch: int | None = None) -> str:
    """Typedefs, config struct and arrays of layer ``k`` (``ch``: channels of an index layer's input)."""
    a = layer.attrs
    n = f"{prefix}_l{k}"
    in_ch = ch if layer.kind == "index" else a["in_ch"]
    out_ch = ch if layer.kind == "index" else a["out_ch"]
    in_t, out_t = _ctype(a["in_bits"], a["in_signed"]), _ctype(a["out_bits"], a["out_signed"])
    lo, hi = layer.out_range
    nf, sf = out_ch // pe, _taps(layer) * in_ch // simd
    folds = nf * sf * (4 if layer.kind == "deconv" else 1)
    out = [f"// ---- {layer.name}: {layer.kind} {in_ch}->{out_ch} "
           f"(in frac {a['in_frac']}, out frac {a['out_frac']}), PE={pe} SIMD={simd}\n",
           f"typedef {in_t} {n}_in_t;\n", f"typedef {out_t} {n}_out_t;\n",
           f"typedef lic::word<{n}_in_t, {in_ch // in_words}> {n}_in_word_t;\n",
           f"typedef lic::word<{n}_out_t, {pe}> {n}_out_word_t;\n"]
    common = [
        f"    static const int layer_id = {layer_id};",
        f"    static const long long out_min = {lo}LL;",
        f"    static const long long out_max = {hi}LL;",
        f"    static const unsigned pe = {pe}, simd = {simd}, in_words = {in_words};",
        f"    static const unsigned nf = {nf}, sf = {sf}, folds = {folds};",
        f"    static const unsigned fifo_depth = {fifo_depth};",
        f"    static const int grid_log2 = {grid_log2};",
    ]
    if layer.kind in ("conv", "deconv"):
        out += _conv_block(n, layer, cfg, common, pe, simd, lb_width)
    elif layer.kind in ("gdn", "igdn"):
        out += _gdn_block(n, layer, cfg, common, pe, simd)
    elif layer.kind == "index":
        out += _index_block(n, layer, common, ch)
    else:
        raise ParameterError(f"{layer.name}: no HLS kernel for layer kind {layer.kind!r}")
    return "".join(out)


def _check_topology(t: IntTransform, kinds: list[str]) -> None:
    got = [l.kind for l in t.layers]
    if got != kinds:
        raise ParameterError(f"{t.name}: the HLS top expects layers {kinds}, got {got}")


def plan_parallelism(plan) -> dict[str, tuple[int, int]]:
    """``{layer name: (pe, simd)}`` of a :class:`lic.hw.folding.FoldingPlan`."""
    return {l.name: (l.pe, l.simd) for l in plan.layers}


def _fifo_depth(out_words: int) -> int:
    return 1 << max(1, (2 * out_words - 1).bit_length())


def _pack(a: dict, pe: int, cfg) -> int:
    """2 when PE lanes pair up on one DSP multiply (``lic::mul2_shared``): PE even, activations
    of at most 9 bits and int8 weights, so ``|w a| < 2^17``; else 1 (``lic.hw.fpga_model.conv_dsp``)."""
    return 2 if pe % 2 == 0 and a["in_bits"] <= 9 and cfg.weight_bits <= 8 else 1


def _transform_block(prefix: str, t: IntTransform, off: int, parallel: dict, plan_layers: dict,
                     max_width: int) -> list[str]:
    parts, prev_pe = [], None
    for k, layer in enumerate(t.layers):
        a = layer.attrs
        lf = plan_layers.get(layer.name)
        pe, simd = layer_parallelism(layer, *((lf.pe, lf.simd) if lf else parallel.get(layer.name, (1, 1))))
        in_words = 1 if prev_pe is None else a["in_ch"] // prev_pe
        g = (k + 1) // 2  # stride-2 layers before this one
        if prefix == "ga":
            lb = max_width
            for _ in range(g):
                lb = (lb + 1) // 2
            grid = g
        else:
            lb, grid = (-(-max_width // 16)) << g, -g
        if lf is not None and lf.linebuf_width:
            lb = max(lb, lf.linebuf_width)
        depth = lf.fifo_depth if lf is not None else _fifo_depth(a["out_ch"] // pe)
        parts.append(_layer_block(prefix, k, layer, t.cfg, off + k, pe, simd, in_words, lb, grid, depth))
        parts.append("\n")
        prev_pe = pe
    first, last = t.layers[0].attrs, t.layers[-1].attrs
    parts.append(f"// AXI4-Stream ports of the {t.name} top: one input pixel a beat, PE-wide output words\n"
                 f"typedef hls::axis<ap_uint<{first['in_ch'] * first['in_bits']}>, 0, 0, 0> {prefix}_axis_in_t;\n"
                 f"typedef hls::axis<ap_uint<{prev_pe * last['out_bits']}>, 0, 0, 0> {prefix}_axis_out_t;\n\n")
    return parts


def write_headers(
    ga: IntTransform,
    gs: IntTransform | None = None,
    out_dir: str | os.PathLike = "hls/generated",
    max_width: int = DEFAULT_MAX_WIDTH,
    parallel: dict[str, tuple[int, int]] | None = None,
    plans=None,
) -> Path:
    """Write ``parameters.h`` for ``ga`` (and ``gs``) into ``out_dir``; returns its path.

    Args:
        ga: integer analysis transform (conv, gdn, conv, gdn, conv, gdn, conv).
        gs: optional integer synthesis transform (deconv, igdn, ...).
        out_dir: output folder (git-ignored ``hls/generated`` by default).
        max_width: widest input image (g_a) / output image (g_s) the line buffers must hold.
        parallel: ``{layer name: (pe, simd)}`` for layers no plan names; default (1, 1).
        plans: :class:`lic.hw.folding.FoldingPlan` objects (e.g. :func:`lic.hw.fpga_model.folding_plan`)
            whose layers set PE, SIMD, FIFO depths and line-buffer widths (at least
            ``max_width``'s) of the layers they name.
    """
    parallel = parallel or {}
    plan_layers = {}
    for plan in ([plans] if hasattr(plans, "layers") else list(plans or [])):
        plan_layers.update({l.name: l for l in plan.layers})
    _check_topology(ga, _GA_KINDS)
    parts = [
        "// Generated by lic.hw.hls_export - do not edit.\n",
        "#ifndef LIC_PARAMETERS_H_\n#define LIC_PARAMETERS_H_\n\n#include <stdint.h>\n#include \"lic_types.h\"\n\n",
    ]
    blocks = [("ga", ga, 0)]
    if gs is not None:
        _check_topology(gs, _GS_KINDS)
        parts.append("#define LIC_HAS_GS 1\n\n")
        blocks.append(("gs", gs, GS_LAYER_OFFSET))
    for prefix, t, off in blocks:
        parts += _transform_block(prefix, t, off, parallel, plan_layers, max_width)
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
