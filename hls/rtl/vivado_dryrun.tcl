# Dry run of a Vivado batch script under plain tclsh: every Vivado command is a stub that prints
#   VIVADO|<command>|<arg>|<arg>...
# (lic.hw.rtl.vivado.dry_run parses these lines). Usage: tclsh vivado_dryrun.tcl <script> [key=value ...]
set script [lindex $argv 0]
set argv [lrange $argv 1 end]
set argc [llength $argv]
proc _emit {cmd arglist} { puts [join [concat VIVADO $cmd $arglist] |]; flush stdout }
foreach cmd {read_verilog read_xdc set_param synth_design opt_design place_design phys_opt_design
             route_design report_utilization report_timing_summary report_design_analysis
             write_checkpoint} {
    proc $cmd {args} "_emit $cmd \$args"
}
rename exit _tcl_exit
proc exit {args} { _emit exit $args; return -code return }
if {[catch {uplevel #0 [list source $script]} err]} {
    puts stderr "dry run error: $err"
    _tcl_exit 1
}
_tcl_exit 0
