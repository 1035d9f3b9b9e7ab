"""Vitis HLS tcl flow, checked under plain tclsh with the Vitis commands stubbed."""

import shutil
from pathlib import Path

import pytest

from lic.hw import csim as hw

pytestmark = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh not installed")


def test_default_flow_order_and_arguments():
    calls = hw.tcl_dry_run()
    names = [c[0] for c in calls]
    order = ["open_project", "set_top", "add_files", "open_solution", "set_part", "create_clock",
             "csim_design", "csynth_design", "cosim_design", "export_design", "exit"]
    pos = [names.index(n) for n in order]
    assert pos == sorted(pos)
    by = {c[0]: c[1:] for c in calls}
    assert by["set_top"] == ["lic_analysis"]
    assert by["set_part"] == ["xczu9eg-ffvb1156-2-e"]
    assert by["create_clock"][:2] == ["-period", "5.0"]
    assert by["export_design"][:2] == ["-format", "ip_catalog"]
    added = [c for c in calls if c[0] == "add_files"]
    assert any(c[1].endswith("src/top.cpp") for c in added)
    tb = [c[2] for c in added if c[1] == "-tb"]
    assert any(p.endswith("tb/csim_main.cpp") for p in tb)
    for c in added:  # every source the flow adds exists in the repo
        path = c[2] if c[1] == "-tb" else c[1]
        if "generated" not in path:
            assert (hw.HLS_DIR / path.split("/hls/", 1)[1]).exists(), path


def test_parameters_from_env_and_argv():
    calls = hw.tcl_dry_run(env={"LIC_HLS_CLOCK_NS": "4.0", "LIC_HLS_STEPS": "csim,csynth"},
                           args=["top=lic_synthesis"])
    names = [c[0] for c in calls]
    assert "cosim_design" not in names and "export_design" not in names
    by = {c[0]: c[1:] for c in calls}
    assert by["create_clock"][:2] == ["-period", "4.0"]
    assert by["set_top"] == ["lic_synthesis"]
    calls = hw.tcl_dry_run(env={"LIC_HLS_CLOCK_NS": "4.0"}, args=["clock_ns=3.3"])
    assert {c[0]: c[1:] for c in calls}["create_clock"][:2] == ["-period", "3.3"]


def test_bad_argument_fails():
    with pytest.raises(hw.ToolError, match="bad argument"):
        hw.tcl_dry_run(args=["bogus=1"])


def test_directives_keep_pipelining_on():
    """Issue 16: directives.tcl turned automatic pipelining off (config_compile -pipeline_loops 0)."""
    calls = hw.tcl_dry_run()
    cc = [c for c in calls if c[0] == "config_compile"]
    assert cc and all("-pipeline_loops" not in c for c in cc)


@pytest.mark.parametrize("top, tb", [("lic_hyper_analysis", "ha"), ("lic_hyper_synthesis", "hs")])
def test_hyper_tops_bring_their_sources_and_testbench(top, tb):
    calls = hw.tcl_dry_run(args=[f"top={top}"])
    by = {c[0]: c[1:] for c in calls}
    assert by["set_top"] == [top]
    added = [c for c in calls if c[0] == "add_files"]
    assert [c[1] for c in added if c[1] != "-tb"][0].endswith("src/hyper_top.cpp")
    assert any(c[2].endswith("tb/hyper_csim_main.cpp") for c in added if c[1] == "-tb")
    for c in added:
        path = c[2] if c[1] == "-tb" else c[1]
        if "generated" not in path:
            assert (hw.HLS_DIR / path.split("/hls/", 1)[1]).exists(), path
    argv = f"{tb} tb_data/{tb}_in.txt tb_data/{tb}_out.txt"
    assert by["csim_design"] == ["-argv", argv]
    assert by["cosim_design"][:2] == ["-argv", argv]


def test_unknown_top_fails():
    with pytest.raises(hw.ToolError, match="unknown top"):
        hw.tcl_dry_run(args=["top=lic_nothing"])


# --------------------------------------------------------------------------- Vivado out-of-context (issue 31)


@pytest.fixture(scope="module")
def ooc_stage(tmp_path_factory):
    """g_a.2 of the N=8 demo codec at a small ZCU102 plan, written for a Vivado out-of-context run."""
    from lic.hw import rtl
    from lic.hw.rtl import ga as rtl_ga
    from lic.hw.rtl import vivado

    ga, _, _ = rtl.demo_transforms(N=8, M=12, seed=0, size=64)
    plan = rtl_ga.make_plan(ga, (32, 32), {"g_a.2": (4, 8)}, board="zcu102", clock_mhz=200)
    return vivado.write_stage(ga, plan, "g_a.2", tmp_path_factory.mktemp("ooc") / "g_a.2")


def test_vivado_ooc_stage_flow(ooc_stage):
    """synth_design out of context at the board's part, then place, route and the timing summary at the plan's
    clock (the XDC the flow writes), every source of the stage read."""
    from lic.hw.rtl import ga as rtl_ga
    from lic.hw.rtl import vivado

    calls = vivado.dry_run(ooc_stage["run"])
    names = [c[0] for c in calls]
    order = ["read_verilog", "read_xdc", "synth_design", "opt_design", "place_design", "phys_opt_design",
             "route_design", "report_design_analysis", "exit"]
    pos = [names.index(n) for n in order]
    assert pos == sorted(pos) and names[-1] == "exit"
    synth = next(c[1:] for c in calls if c[0] == "synth_design")
    opts = dict(zip(synth[::2], synth[1::2]))
    assert opts["-mode"] == "out_of_context" and opts["-top"] == "stage_top"
    assert opts["-part"] == "xczu9eg-ffvb1156-2-e"
    read = [c[1] for c in calls if c[0] == "read_verilog"]
    assert {str(p.resolve()) for p in rtl_ga.SOURCES} <= set(read) and str(ooc_stage["top"]) in read
    assert all(Path(p).is_file() for p in read)
    xdc = next(c for c in calls if c[0] == "read_xdc")
    assert xdc[1:3] == ["-mode", "out_of_context"]
    assert open(xdc[3]).read().strip() == "create_clock -period 5.000 -name clk [get_ports clk]"
    timing = [c for c in calls if c[0] == "report_timing_summary"]
    assert len(timing) == 3 and timing[-1][-1].endswith("timing_route.rpt")
    assert names.index("route_design") < len(names) - 1 - names[::-1].index("report_timing_summary")
    assert "roms/L2.a.hex" in ooc_stage["top"].read_text()


def test_vivado_ooc_arguments(ooc_stage, tmp_path):
    from lic.hw.rtl import vivado

    calls = vivado.dry_run(args=[f"stage_dir={ooc_stage['dir']}", "clock_mhz=250", "steps=synth",
                                 f"out_dir={tmp_path}", "part=xcku5p-ffvb676-2-e"])
    names = [c[0] for c in calls]
    assert "synth_design" in names and "place_design" not in names and "route_design" not in names
    assert (tmp_path / "clock.xdc").read_text().startswith("create_clock -period 4.000 ")
    assert "xcku5p-ffvb676-2-e" in next(c for c in calls if c[0] == "synth_design")
    calls = vivado.dry_run(args=[f"stage_dir={ooc_stage['dir']}", "steps=synth"],
                           env={"LIC_VIVADO_CLOCK_MHZ": "100", "LIC_VIVADO_OUT_DIR": str(tmp_path / "e")})
    assert (tmp_path / "e" / "clock.xdc").read_text().startswith("create_clock -period 10.000 ")
    for bad in (["bogus=1"], ["steps=synth,bitstream"], ["clock_mhz=fast"]):
        with pytest.raises(hw.ToolError):
            vivado.dry_run(args=[f"stage_dir={ooc_stage['dir']}", f"out_dir={tmp_path}", *bad])


def test_vivado_ooc_stage_clock_from_the_plan():
    from lic.hw.rtl import vivado

    class P:  # a plan without a board and clock: the defaults
        board, clock_mhz = "", 0.0

    assert vivado.stage_clock(None) == vivado.stage_clock(P()) == ("xczu9eg-ffvb1156-2-e", 200.0)
    P.clock_mhz = 250.0
    assert vivado.stage_clock(P())[1] == 250.0


def test_vivado_ooc_of_a_stage_kind(tmp_path):
    """The encoder's stage kinds (lic.hw.rtl.depth.kind_design) get the same flow, top depth_top."""
    from lic.hw.rtl import vivado

    st = vivado.write_kind("zq", tmp_path / "zq", clock_mhz=300)
    calls = vivado.dry_run(st["run"])
    synth = next(c for c in calls if c[0] == "synth_design")
    assert synth[synth.index("-top") + 1] == "depth_top"
    assert (st["dir"] / "vivado" / "clock.xdc").read_text().startswith("create_clock -period 3.333 ")
    assert any(c[1].endswith("enc_units.v") for c in calls if c[0] == "read_verilog")
