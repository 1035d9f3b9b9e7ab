"""Vitis HLS tcl flow, checked under plain tclsh with the Vitis commands stubbed."""

import shutil

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
