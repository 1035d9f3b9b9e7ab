"""lic.hw.rtl.encsynth: yosys of the whole RTL encoder one stage at a time, on the small codec (N=8, M=12).

Needs yosys (skips otherwise); the two smallest rows (the index stage, one 3x3 stage) run in well under a minute.
"""

import shutil

import pytest

from lic.hw import rtl
from lic.hw.csim import ToolError
from lic.hw.rtl import encoder as enc
from lic.hw.rtl import encsynth

HW = (128, 192)


@pytest.fixture(scope="module")
def demo():
    ga, prior, _ = rtl.demo_encoder(N=8, M=12, seed=0, hw=HW)
    return ga, prior, enc.balanced_plan(ga, prior, HW, target_cycles=20_000)


def test_stage_tops_are_the_encoder_instances(demo, tmp_path):
    """One top a stage, its instance line verbatim from the generated enc_top.v; the glue its own top."""
    ga, prior, plan = demo
    tops = encsynth.stage_tops(ga, prior, plan, tmp_path)
    assert list(tops) == encsynth.stage_names(plan)
    top = (tmp_path / "enc_top.v").read_text()
    for name, t in tops.items():
        if name != encsynth.GLUE:
            inst = t["text"].split(");\n", 1)[1].rsplit("endmodule", 1)[0]
            assert inst in top, name
            assert all((tmp_path / r).is_file() for r in t["roms"])
    assert "ga_latq" in tops["glue"]["text"] and "ga_zq" in tops["glue"]["text"]
    assert "output wire yv" in tops["g_a.6"]["text"] and "output wire zv" in tops["h_a.4"]["text"]


def test_stage_key_follows_the_roms(demo, tmp_path):
    """A row is reused only while its top, the Verilog and its ROM files are the same."""
    ga, prior, plan = demo
    tops = encsynth.stage_tops(ga, prior, plan, tmp_path)
    k0 = encsynth.stage_key(tops["h_a.0"], tmp_path)
    rom = tmp_path / tops["h_a.0"]["roms"][0]
    rom.write_text(rom.read_text().replace("0", "1", 1))
    assert encsynth.stage_key(tops["h_a.0"], tmp_path) != k0
    assert encsynth.stage_key(tops["h_a.2"], tmp_path) == encsynth.stage_key(tops["h_a.2"], tmp_path)
    # rows of an earlier run with the current key are reused without yosys
    row = {"layer": "h_a.2", "key": encsynth.stage_key(tops["h_a.2"], tmp_path), "lut": 1, "lut_sites": 1, "ff": 1,
           "dsp": 0, "bram36": 0, "carry": 0}
    r = encsynth.synth_encoder(ga, prior, plan, tmp_path, ["h_a.2"], done={"h_a.2": row})
    assert r["reused"] == ["h_a.2"] and r["total"]["lut"] == 1


def test_synth_small_rows(demo, tmp_path):
    """yosys of the index stage and h_a.0 (3x3 window, 16-bit input: one DSP a MAC) of the small codec."""
    if shutil.which("yosys") is None:
        pytest.skip("yosys not installed")
    ga, prior, plan = demo
    try:
        r = encsynth.synth_encoder(ga, prior, plan, tmp_path, [encsynth.INDEX, "h_a.0"], timeout=900)
    except ToolError as e:
        pytest.skip(str(e))
    assert not r["failed"], r["failed"]
    rows = {x["layer"]: x for x in r["stages"]}
    assert rows[encsynth.INDEX]["dsp"] == 0 and rows[encsynth.INDEX]["lut"] > 0
    h0 = plan.ha.layer("h_a.0")
    assert rows["h_a.0"]["dsp"] == h0.lanes and rows["h_a.0"]["kind"] == "conv"
    assert rows["h_a.0"]["lut_sites"] >= rows["h_a.0"]["lut"] > 0
    assert r["total"]["lut"] == sum(x["lut"] for x in r["stages"])
