r"""Analytical cycles / FPS / resource model of a dataflow FPGA accelerator for the codec.

Every layer of the hyperprior codec (:mod:`lic.codec.models`) is one stage of a FINN-style
dataflow pipeline: stage :math:`i` owns :math:`P_i = \mathrm{PE}_i\cdot\mathrm{SIMD}_i`
multiply-accumulate units and needs

.. math::
    c_i = \left\lceil \frac{S_i}{P_i} \right\rceil + o_i

cycles a frame, :math:`S_i` the MAC slots of its schedule (= its MACs, except for transposed
convs whose phase-uniform schedule has idle slots) and :math:`o_i` the per-frame fill
overhead (see :class:`Assumptions`). With frames
overlapped in the pipeline the throughput is :math:`f_\mathrm{clk} / \max_i c_i` frames per
second per core, times the number of replicated cores.

Conventions:

* ``resolution`` is ``(width, height)``; the frame is padded to a multiple of
  ``pad_multiple`` before the first layer (default: 16 for g_a/g_s, 64 with the hyper
  transforms, the shapes the codec needs; 1280x720 is not padded).
* conv MACs: :math:`H_o W_o C_o C_i K^2` (``padding = K//2``, so :math:`H_o=\lceil H_i/s\rceil`).
* transposed conv MACs are counted on the *input* grid, :math:`H_i W_i C_i C_o K^2`
  (every input pixel scattered through every tap; equals the output-grid count
  :math:`H_o W_o C_i C_o K^2/s^2`). Its cycles follow ``deconv_schedule``: by default
  hls/src/deconv.h's phase-uniform loop, :math:`\lceil K/s\rceil^2 C_i` slots per output pixel,
  i.e. :math:`36/25` of the MACs for K=5, s=2.
* GDN/IGDN: a :math:`C\times C` 1x1 "conv" (:math:`C^2` 32-bit MACs a pixel) plus, a pixel,
  :math:`C` non-linear units (rsqrt / sqrt / divide) and 32-bit elementwise products
  (standard GDN: :math:`x^2` and :math:`x\cdot r`; simplified: :math:`|x|` is free, see
  :func:`gdn_ops`). ReLUs of the hyper transforms are fused into their conv (free).
* folding (``folding="exact"``): PE divides the output dimension and SIMD the input
  dimension of the layer's matrix (conv: :math:`C_iK^2 \to C_o`; phase-uniform deconv:
  :math:`9C_i \to C_o`; GDN: :math:`C \to C`), so ``slots / P`` is exact, as in hls/src.

The allocator (:func:`allocate`) minimises the slowest stage: for a target of ``T`` cycles
each stage takes the smallest legal :math:`P_i \ge \mathrm{MAC}_i/T`, i.e. units proportional
to MACs (balanced stages) up to folding granularity.
not (bank shapes, LUTRAM thresholds), so the search tries every candidate target from the
fastest whose DSPs fit upwards (:func:`allocate`).
"""

from __future__ import annotations

from lic.hw.fpga_model.core import *  # noqa: F401,F403
from lic.hw.fpga_model.core import __all__ as _core_all
from lic.hw.fpga_model.encoder import *  # noqa: F401,F403
from lic.hw.fpga_model.encoder import __all__ as _encoder_all
from lic.hw.fpga_model.plan import *  # noqa: F401,F403
from lic.hw.fpga_model.plan import __all__ as _plan_all
from lic.hw.fpga_model.search import *  # noqa: F401,F403
from lic.hw.fpga_model.search import __all__ as _search_all
from lic.hw.fpga_model.stage import *  # noqa: F401,F403
from lic.hw.fpga_model.stage import __all__ as _stage_all

__all__ = _core_all + _stage_all + _search_all + _plan_all + _encoder_all
