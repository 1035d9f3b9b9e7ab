"""lic-fpga-study: learned image compression from training to an FPGA accelerator.

Reproduces "RD Efficient FPGA Deployment of Learned Image Compression: Knowledge
Distillation and Hybrid Quantization" (arXiv 2503.04832). One concern a module, as in
CompressAI; every notebook stage calls into these functions.

The library is layered; a package imports only the base modules and the packages above it in
this list (``tests/test_layers.py`` holds the import graph to it, imports inside functions
included, no cycles):

- base: :mod:`lic.errors`, :mod:`lic.fileio`, :mod:`lic.progress`, :mod:`lic.provenance`
  (commit, versions, digests, the index of benchmark records);
- :mod:`lic.data`: images, crops, the streaming loader, evaluation sets with checksums;
- :mod:`lic.codec`: models, GDN variants, the ``.lic`` container, the codec API and CLI, the read-only zoo;
- :mod:`lic.train`: the RD loop, KD, student specs, pruning, DDP;
- :mod:`lic.hw`: the fixed-point spec, folding plan, FPGA model, boards, HLS export, C-sim, RTL, width for board;
- :mod:`lic.quant`: Brevitas schemes (hybrid 8/32), cross-layer equalization;
- :mod:`lic.eval`: RD evaluation with real bitstreams, metrics, statistics, measured-row reuse;
- :mod:`lic.release`: the recipes of the released weights, the campaign CLI, device jobs, run logs;
- :mod:`lic.study`: typed stage configs, the plan and its keyed artifacts, the stage back ends, plots, tables.
"""

__version__ = "0.1.0"
