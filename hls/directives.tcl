# Extra solution directives (sourced by run_hls.tcl). The kernels carry their own pragmas:
# PIPELINE II=1 on every beat loop, DATAFLOW at the tops, FIFO depths from the folding plan.
# Automatic loop pipelining stays on (Vitis default); flushable pipelines let a stalled
# stream drain the beat loops.
config_compile -pipeline_style flp
