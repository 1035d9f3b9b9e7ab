# Vivado out-of-context implementation of one RTL stage: synthesis, placement, routing and the timing
# summary at the plan's clock. lic.hw.rtl.vivado writes a stage's folder (stage_top.v, sources.f: one
# Verilog file a line, roms/) and a run.tcl there that sets argv and sources this script:
#   vivado -mode batch -source <stage folder>/run.tcl
#   vivado -mode batch -source vivado_ooc.tcl -tclargs stage_dir=<stage folder> [key=value ...]
# Keys (also read from the environment as LIC_VIVADO_<KEY>, arguments win):
#   stage_dir (.)  top (stage_top)  part (xczu9eg-ffvb1156-2-e)  clock_mhz (200)
#   steps (synth,place,route)  out_dir (<stage_dir>/vivado)  jobs (2)
# Writes to out_dir: clock.xdc, timing_<step>.rpt (report_timing_summary), utilization_<step>.rpt,
# logic_levels.rpt (report_design_analysis -logic_level_distribution), <step>.dcp.
set params [dict create \
    stage_dir . top stage_top part xczu9eg-ffvb1156-2-e clock_mhz 200 steps synth,place,route \
    out_dir "" jobs 2]
foreach key [dict keys $params] {
    set env_name "LIC_VIVADO_[string toupper $key]"
    if {[info exists ::env($env_name)]} { dict set params $key $::env($env_name) }
}
foreach arg $argv {
    set kv [split $arg =]
    if {[llength $kv] != 2 || ![dict exists $params [lindex $kv 0]]} {
        error "bad argument '$arg' (expected key=value with key in [dict keys $params])"
    }
    dict set params [lindex $kv 0] [lindex $kv 1]
}
set steps [split [dict get $params steps] ,]
foreach s $steps {
    if {$s ni {synth place route}} { error "unknown step '$s' (expected synth, place, route)" }
}
set clock_mhz [dict get $params clock_mhz]
if {![string is double -strict $clock_mhz] || $clock_mhz <= 0} { error "bad clock_mhz '$clock_mhz'" }
set period [format %.3f [expr {1000.0 / $clock_mhz}]]
set dir [file normalize [dict get $params stage_dir]]
set out [dict get $params out_dir]
if {$out eq ""} { set out [file join $dir vivado] }
set out [file normalize $out]
file mkdir $out
set top [dict get $params top]

# sources (paths relative to the stage folder or absolute); ROM files are read by $readmemh
# relative to the folder the run starts in: run from the stage folder
set fh [open [file join $dir sources.f]]
set files [split [string trim [read $fh]] "\n"]
close $fh
if {[llength $files] == 0} { error "no sources in [file join $dir sources.f]" }
foreach f $files {
    set f [string trim $f]
    if {$f eq ""} { continue }
    read_verilog [file normalize [file join $dir $f]]
}
# the clock: the stage's clk port (out of context: no clock buffer, no I/O delays)
set xdc [file join $out clock.xdc]
set fh [open $xdc w]
puts $fh "create_clock -period $period -name clk \[get_ports clk\]"
close $fh
read_xdc -mode out_of_context $xdc
set_param general.maxThreads [dict get $params jobs]

if {"synth" in $steps} {
    synth_design -top $top -part [dict get $params part] -mode out_of_context \
        -flatten_hierarchy rebuilt
    report_utilization -file [file join $out utilization_synth.rpt]
    report_timing_summary -max_paths 10 -file [file join $out timing_synth.rpt]
    write_checkpoint -force [file join $out synth.dcp]
}
if {"place" in $steps} {
    opt_design
    place_design
    phys_opt_design
    report_utilization -file [file join $out utilization_place.rpt]
    report_timing_summary -max_paths 10 -file [file join $out timing_place.rpt]
    write_checkpoint -force [file join $out place.dcp]
}
if {"route" in $steps} {
    route_design
    report_utilization -file [file join $out utilization_route.rpt]
    report_timing_summary -max_paths 10 -file [file join $out timing_route.rpt]
    report_design_analysis -logic_level_distribution -file [file join $out logic_levels.rpt]
    write_checkpoint -force [file join $out route.dcp]
}
exit
