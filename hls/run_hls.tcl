# Vitis HLS flow for the LIC accelerator (ZCU102 by default).
#   vitis_hls -f run_hls.tcl -tclargs [key=value ...]
# Keys (also read from the environment as LIC_HLS_<KEY>, arguments win):
#   project (lic_hls)  top (lic_analysis | lic_synthesis | lic_hyper_analysis | lic_hyper_synthesis)
#   part (xczu9eg-ffvb1156-2-e)
#   clock_ns (5.0)  gen_dir (generated)  steps (csim,csynth,cosim,export)  solution (solution1)
set params [dict create \
    project lic_hls top lic_analysis part xczu9eg-ffvb1156-2-e clock_ns 5.0 \
    gen_dir generated steps csim,csynth,cosim,export solution solution1]
foreach key [dict keys $params] {
    set env_name "LIC_HLS_[string toupper $key]"
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
# top -> design source, testbench, testbench arguments (tb data from lic.hw.hls_export.write_tb_data /
# lic.hw.hls_hyper.write_hyper_tb_data; the hyper tops read hyper_parameters.h)
set designs [dict create \
    lic_analysis {top.cpp csim_main.cpp {tb_data/ga_in.txt tb_data/ga_out.txt}} \
    lic_synthesis {top.cpp csim_main.cpp {tb_data/ga_in.txt tb_data/ga_out.txt}} \
    lic_hyper_analysis {hyper_top.cpp hyper_csim_main.cpp {ha tb_data/ha_in.txt tb_data/ha_out.txt}} \
    lic_hyper_synthesis {hyper_top.cpp hyper_csim_main.cpp {hs tb_data/hs_in.txt tb_data/hs_out.txt}}]
set top [dict get $params top]
if {![dict exists $designs $top]} { error "unknown top '$top' (expected one of [dict keys $designs])" }
lassign [dict get $designs $top] src_file tb_file tb_argv
set here [file dirname [file normalize [info script]]]
set gen [file normalize [file join $here [dict get $params gen_dir]]]
set cflags "-std=c++14 -I$here/src -I$gen"

open_project -reset [dict get $params project]
set_top $top
add_files $here/src/$src_file -cflags $cflags
add_files -tb $here/tb/$tb_file -cflags $cflags
add_files -tb $gen/tb_data
open_solution -reset [dict get $params solution] -flow_target vivado
set_part [dict get $params part]
create_clock -period [dict get $params clock_ns] -name default
config_dataflow -default_channel fifo -fifo_depth 2
if {[file exists $here/directives.tcl]} { source $here/directives.tcl }

if {"csim" in $steps} { csim_design -argv $tb_argv }
if {"csynth" in $steps} { csynth_design }
if {"cosim" in $steps} { cosim_design -argv $tb_argv -trace_level none }
if {"export" in $steps} { export_design -format ip_catalog -rtl verilog }
exit
