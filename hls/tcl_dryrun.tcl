# Dry run of a Vitis HLS script under plain tclsh: every Vitis command is a stub that prints
#   VITIS|<command>|<arg>|<arg>...
# (lic.hw.csim.tcl_dry_run parses these lines). Usage: tclsh tcl_dryrun.tcl run_hls.tcl [key=value ...]
set script [lindex $argv 0]
set argv [lrange $argv 1 end]
set argc [llength $argv]
proc _emit {cmd arglist} { puts [join [concat VITIS $cmd $arglist] |]; flush stdout }
foreach cmd {open_project set_top add_files open_solution set_part create_clock config_dataflow
             config_compile config_interface csim_design csynth_design cosim_design
             export_design close_project close_solution set_directive_pipeline
             set_directive_dataflow} {
    proc $cmd {args} "_emit $cmd \$args"
}
rename exit _tcl_exit
proc exit {args} { _emit exit $args; return -code return }
if {[catch {uplevel #0 [list source $script]} err]} {
    puts stderr "dry run error: $err"
    _tcl_exit 1
}
_tcl_exit 0
