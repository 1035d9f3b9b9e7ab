"""Hardware: the fixed-point spec, folding plan, FPGA model, boards, published designs, HLS export,
C-sim (:mod:`.csim`), RTL generators and simulators (:mod:`.rtl`), width for board (:mod:`.design`)."""
