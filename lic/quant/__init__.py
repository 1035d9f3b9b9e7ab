"""Quantization: Brevitas schemes, hybrid 8/32 (:mod:`.hybrid`), cross-layer equalization (:mod:`.equalize`)."""
