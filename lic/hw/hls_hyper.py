"""The integer hyperprior (:mod:`lic.codec.intprior`) -> generated C header for the HLS hyper tops.

The tops ``lic_hyper_analysis`` (h_a) and ``lic_hyper_synthesis`` (h_s + scale index) in
``hls/src/hyper_top.cpp`` use the kernels of g_a / g_s (``conv.h``: 5x5/s2 and 3x3/s1 with a fused
ReLU; ``deconv.h``) and the thresholding unit ``scale_index.h``. As for g_a / g_s
(:mod:`lic.hw.hls_export`, whose layer blocks this module reuses), Python fills only configs,
typedefs, weights and the threshold ROM; the generated ``hyper_parameters.h`` defines, with
prefix ``ha`` (h_a layers ``k`` = 0..2, C-sim counter slots ``16 + k``) and ``hs`` (h_s layers
0..3, the last the index, slots ``24 + k``), the same names as ``parameters.h``, plus
``hs_l3_thresh`` and the AXI4-Stream beats ``ha_axis_*`` / ``hs_axis_*``.

Grids: h_a's frame is the latent grid of ``|y|`` (``grid_log2`` counts the stride-2 convs
before a layer), h_s's the grid of ẑ (``grid_log2 = -(deconvs before it)``). ``max_width`` is the
widest latent grid (``y``: image width / 16) the line buffers must hold.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lic.errors import ParameterError
from lic.fileio import atomic_write_text
from lic.fixedpoint.transform import IntTransform
from lic.hw.hls_export import _fifo_depth, _layer_block, _tensor_text, layer_parallelism

__all__ = ["HA_LAYER_OFFSET", "HS_LAYER_OFFSET", "DEFAULT_MAX_LATENT_WIDTH", "HA_TOPOLOGY", "HS_TOPOLOGY",
           "grid_dim", "write_hyper_headers", "write_hyper_tb_data"]

HA_LAYER_OFFSET = 16
HS_LAYER_OFFSET = 24
DEFAULT_MAX_LATENT_WIDTH = 48  # widest Kodak image / 16
#: (kind, kernel, stride, relu) of the layers the tops chain
HA_TOPOLOGY = [("conv", 3, 1, True), ("conv", 5, 2, True), ("conv", 5, 2, False)]
HS_TOPOLOGY = [("deconv", 5, 2, True), ("deconv", 5, 2, True), ("conv", 3, 1, True), ("index", None, None, False)]


def grid_dim(n: int, g: int) -> int:
    """``lic::grid_dim<G>``: ``g > 0`` ceil-halvings (stride-2 convs), ``g < 0`` doublings (deconvs)."""
    if g < 0:
        return n << -g
    for _ in range(g):
        n = (n + 1) // 2
    return n


def _check_topology(t: IntTransform, spec: list[tuple]) -> None:
    got = [(l.kind, l.attrs.get("kernel"), l.attrs.get("stride"), bool(l.attrs.get("relu"))) for l in t.layers]
    if got != spec:
        raise ParameterError(f"{t.name}: the HLS hyper top expects (kind, kernel, stride, relu) {spec}, got {got}")


def _hyper_block(prefix: str, t: IntTransform, off: int, parallel: dict, frame_width: int) -> list[str]:
    """Every layer's block and the top's AXI4-Stream types; ``frame_width``: widest frame of the top's input."""
    parts, prev_pe, prev_ch, g = [], None, None, 0
    for k, layer in enumerate(t.layers):
        a = layer.attrs
        if layer.kind == "index":  # elementwise: the producer's PE and channels
            ch, in_ch, pe, simd = prev_ch, prev_ch, prev_pe, 1
            if parallel.get(layer.name, (pe, 1))[0] != pe:
                raise ParameterError(f"{layer.name}: the index unit's PE is its producer's ({pe})")
        else:
            ch, in_ch = None, a["in_ch"]
            pe, simd = layer_parallelism(layer, *parallel.get(layer.name, (1, 1)))
        out_ch = in_ch if ch else a["out_ch"]
        in_words = 1 if prev_pe is None else in_ch // prev_pe
        parts.append(_layer_block(prefix, k, layer, t.cfg, off + k, pe, simd, in_words,
                                  grid_dim(frame_width, g), g, _fifo_depth(out_ch // pe), ch=ch))
        parts.append("\n")
        if layer.kind == "conv" and a["stride"] == 2:
            g += 1
        elif layer.kind == "deconv":
            g -= 1
        prev_pe, prev_ch = pe, out_ch
    first, last = t.layers[0].attrs, t.layers[-1].attrs
    parts.append(f"// AXI4-Stream ports of the {t.name} top: one input vector a beat, PE-wide output words\n"
                 f"typedef hls::axis<ap_uint<{first['in_ch'] * first['in_bits']}>, 0, 0, 0> {prefix}_axis_in_t;\n"
                 f"typedef hls::axis<ap_uint<{prev_pe * last['out_bits']}>, 0, 0, 0> {prefix}_axis_out_t;\n\n")
    return parts


def write_hyper_headers(h_a: IntTransform, h_s: IntTransform, out_dir: str | os.PathLike = "hls/generated",
                        max_width: int = DEFAULT_MAX_LATENT_WIDTH,
                        parallel: dict[str, tuple[int, int]] | None = None) -> Path:
    """Write ``hyper_parameters.h`` for the integer ``h_a`` and ``h_s`` (ending with its index layer).

    Args:
        h_a, h_s: :class:`~lic.fixedpoint.transform.IntTransform` of an
            :class:`lic.codec.intprior.IntPrior` (topologies :data:`HA_TOPOLOGY`, :data:`HS_TOPOLOGY`).
        out_dir: output folder (git-ignored ``hls/generated`` by default).
        max_width: widest latent grid ``y`` (h_a's input, h_s's output) the line buffers must hold.
        parallel: ``{layer name: (pe, simd)}``; default (1, 1); the index layer takes its producer's PE.

    Raises:
        ParameterError: another topology, a PE / SIMD that does not divide, a shift or index too wide.
    """
    parallel = parallel or {}
    _check_topology(h_a, HA_TOPOLOGY)
    _check_topology(h_s, HS_TOPOLOGY)
    parts = ["// Generated by lic.hw.hls_hyper - do not edit.\n",
             "#ifndef LIC_HYPER_PARAMETERS_H_\n#define LIC_HYPER_PARAMETERS_H_\n\n#include <stdint.h>\n"
             "#include \"lic_types.h\"\n\n"]
    parts += _hyper_block("ha", h_a, HA_LAYER_OFFSET, parallel, int(max_width))
    parts += _hyper_block("hs", h_s, HS_LAYER_OFFSET, parallel, -(-int(max_width) // 4))
    parts.append("#endif\n")
    text = "".join(parts)
    path = Path(out_dir) / "hyper_parameters.h"
    if not path.exists() or path.read_text() != text:  # keep mtime (and build caches) stable
        atomic_write_text(path, text)
    return path


def write_hyper_tb_data(h_a: IntTransform, h_s: IntTransform, y_abs: np.ndarray, z_hat: np.ndarray,
                        out_dir: str | os.PathLike = "hls/generated") -> Path:
    """Write ``tb_data/{ha,hs}_{in,out}.txt`` for ``hls/tb/hyper_csim_main.cpp`` (Vitis csim/cosim):
    ``|y|`` ``[M,h,w]`` and ``z`` = ``h_a.run(|y|)``; ẑ ``[N,zh,zw]`` and the indexes ``h_s.run(ẑ)``."""
    tb = Path(out_dir) / "tb_data"
    atomic_write_text(tb / "ha_in.txt", _tensor_text(y_abs))
    atomic_write_text(tb / "ha_out.txt", _tensor_text(h_a.run(y_abs)))
    atomic_write_text(tb / "hs_in.txt", _tensor_text(z_hat))
    atomic_write_text(tb / "hs_out.txt", _tensor_text(h_s.run(z_hat)))
    return tb
