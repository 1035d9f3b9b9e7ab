"""lic-fpga-study: learned image compression from training to an FPGA accelerator.

Reproduces "RD Efficient FPGA Deployment of Learned Image Compression: Knowledge
Distillation and Hybrid Quantization" (arXiv 2503.04832). One concern a module, as in
CompressAI; every notebook stage calls into these functions.
"""

__version__ = "0.1.0"
