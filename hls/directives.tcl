# Extra solution directives (sourced by run_hls.tcl). The kernels carry their own pragmas;
# keep tool-level settings here.
config_compile -pipeline_loops 0
