"""RTL (hls/rtl, Icarus Verilog) vs lic.hw.fixedpoint and the C-sim: bit-exact, >= 10,000 vectors a unit.

Tools: iverilog/vvp and yosys (scripts/setup.sh installs them); every test that needs one
skips with the reason when it is missing. g++ is needed for the C-sim comparison.
"""

import shutil

import numpy as np
import pandas as pd
import pytest

from lic.hw import csim as hw
from lic.hw import rtl
from lic.hw.rtl.synth import parse_stat
from lic.hw.rtl.tools import APT_PACKAGES
from lic.study.stages.hls import cosim_report

N_VECTORS = 10_000


def _need(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install "
                    f"{' '.join(sorted({APT_PACKAGES.get(t, t) for t in missing}))}; scripts/setup.sh)")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("rtl")


@pytest.fixture(scope="module")
def csim():
    _need("g++")
    return rtl.CVectors()


@pytest.fixture(scope="module")
def real():
    """A tiny quantised codec (simplified GDN, trained-like parameters) and an image."""
    return rtl.demo_transforms(N=8, M=12, seed=0, size=64)


@pytest.fixture(scope="module")
def sets(real):
    return rtl.default_sets(N_VECTORS, seed=0, real=real)


def test_missing_tool_raises_tool_error(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(hw.ToolError, match="iverilog not found"):
        rtl.require_tools("iverilog")
    with pytest.raises(hw.ToolError, match="apt-get install yosys"):
        rtl.synthesize(rtl.ConvConfig(), "/nonexistent")


@pytest.mark.parametrize("unit", ["gdn", "igdn", "conv"])
def test_unit_bit_exact(unit, sets, work, csim):
    """>= 10,000 random full-range vectors plus a real layer: 0 mismatches vs fixedpoint and
    the C-sim, equal saturation counts, II = 1 beat, also under random stalls."""
    _need("iverilog", "vvp")
    r = rtl.check_unit(sets[unit], work, csim, stall_jobs=1000)
    assert r["vectors"] >= N_VECTORS
    assert r["mismatches"] == 0, pd.DataFrame(r["runs"])
    assert r["csim_vectors"] == r["vectors"]
    assert r["csim_mismatches"] == 0 and r["csim_vs_ref_mismatches"] == 0
    assert r["sat_rtl"] == r["sat_ref"] == r["sat_csim"] > 0  # clamps are exercised
    assert r["stall_vectors"] >= 1000 and r["stall_mismatches"] == 0
    for run in r["runs"]:
        assert run["cycles_per_result"] == run["beats_per_result"]  # II = 1 beat
    assert r["ii_beats"] == 1.0
    depth = {"gdn": 13, "igdn": 5, "conv": 4}[unit]
    assert r["pipeline_depth"] == depth
    assert r["latency_cycles"] == r["beats_per_result"] - 1 + depth
    assert any(run["set"].startswith(("g_a", "g_s")) for run in r["runs"])  # a real layer


def test_real_layers_match_their_config(real, sets):
    ga, gs, _ = real
    gdn = [s for s in sets["gdn"] if s.label == "g_a.1"][0]
    assert gdn.cfg.s_num == ga.layers[1].attrs["s_num"] and not gdn.cfg.inverse
    igdn = [s for s in sets["igdn"] if s.label == "g_s.1"][0]
    assert igdn.cfg.inverse and igdn.cfg.shift == gs.layers[1].attrs["shift"]
    assert igdn.cfg.acc_bits == 46
    conv = [s for s in sets["conv"] if s.label == "g_a.2"][0]
    assert conv.cfg.in_ch == 8 and conv.cfg.beats == 50


@pytest.mark.parametrize("inverse", [False, True])
def test_standard_gdn_bit_exact(inverse, work, csim):
    """The standard variant (x^2, pipelined isqrt) as well, on fewer vectors."""
    _need("iverilog", "vvp")
    rng = np.random.default_rng(5)
    cfg = rtl.GdnConfig(variant="standard", inverse=inverse, s_num=30, shift=40, simd=2)
    vs = rtl.random_gdn_vectors(cfg, 1000, rng)
    r = rtl.check_unit([vs], work, csim, stall_jobs=200)
    assert r["mismatches"] == 0 and r["csim_mismatches"] == 0
    assert r["sat_rtl"] == r["sat_ref"] == r["sat_csim"]
    assert r["cycles_per_result"] == 4.0


def test_vcd_waveform(sets, work):
    _need("iverilog", "vvp")
    vcd = work / "wave" / "gdn.vcd"
    sim = rtl.simulate(sets["gdn"][0], work, vcd=vcd, max_jobs=3)
    assert sim.y.size == 3
    text = vcd.read_text()
    assert "$enddefinitions" in text and "out_valid" in text and "in_ready" in text
    assert vcd.stat().st_size < 100_000


def test_parse_stat():
    text = """
=== conv_pe ===

   Number of wires:                 10
   Number of cells:                 12
     CARRY4                          2
     DSP48E2                         4
     FDRE                            5
     LUT2                            1

=== design hierarchy ===
"""
    assert parse_stat(text.split("=== design")[0]) == {"CARRY4": 2, "DSP48E2": 4, "FDRE": 5, "LUT2": 1}


def test_yosys_resources_and_model_table(work):
    """synth_xilinx of the conv PE and the IGDN unit: positive LUT/FF counts, one DSP48E2 an
    int8 MAC, and the model-vs-yosys table."""
    _need("yosys")
    cfgs = {"conv": rtl.ConvConfig(in_ch=4, simd=4),
            "igdn": rtl.GdnConfig(inverse=True, acc_bits=46, shift=51)}
    res = {u: rtl.synthesize(c, work / "yosys") for u, c in cfgs.items()}
    for r in res.values():
        assert r["lut"] > 0 and r["ff"] > 0 and r["mul_cells"] > 0
    assert res["conv"]["dsp"] == 4 and res["conv"]["mul_cells"] == 4
    assert res["igdn"]["dsp"] >= 2
    df = rtl.model_vs_yosys(res, cfgs)
    assert set(df.unit) == {"conv", "igdn"}
    row = df[(df.unit == "conv") & (df.resource == "DSP")].iloc[0]
    # one PE: no two MACs share an activation, so the model packs nothing (fpga_model.conv_dsp)
    assert row.model == 4 and row.yosys == 4 and row.ratio == 1.0


def test_cosim_report_api(tmp_path):
    """Stage 04's report of the units, small: keys, zero mismatches, the JSON file, the VCD."""
    _need("iverilog", "vvp", "g++")
    rep = cosim_report(tmp_path, n_vectors=300, seed=1, real=False, synth=False,
                           stall_jobs=100)
    assert set(rep["units"]) == {"gdn", "igdn", "conv"}
    s = rep["summary"].set_index("unit")
    assert (s.mismatches == 0).all() and (s.csim_mismatches == 0).all()
    assert (s.vectors >= 300).all() and (s.ii_beats == 1.0).all()
    assert (tmp_path / "rtl_report.json").is_file()
    assert (tmp_path / "gdn_unit.vcd").is_file() and rep["vcd"].endswith("gdn_unit.vcd")
