"""The whole encoder's recorded synthesis in stage 04's curated section: read through the index, next to the
model's figures, labelled as a recorded benchmark, and shown as stale -- not as current -- when lic.provenance says
so or its model digest or frame is not the current design's."""

import json

import pytest

from lic.codec import zoo
from lic.hw.rtl import encsynth
from lic.provenance import index_record
from lic.study.stages import hwreport

MODEL = "student-kd-pruned-n64-m192-l0.0067-int"  # a released model standing for the deployed one


def _record(model_digest: str, height: int = 768, complete: bool = True) -> dict:
    u = {k: {"used": v, "budget": b} for k, v, b in (("lut", 900, 1000), ("lut_sites", 950, 1000), ("dsp", 70, 100),
                                                       ("bram36", 9.5, 10), ("ff", 900, 2000))}
    stage = {"layer": "h_a.0", "kind": "conv", "pe": 1, "simd": 192, "lut": 900, "lut_sites": 950, "ff": 900,
             "dsp": 70, "bram36": 9.5, "model": {"lut": 800, "dsp": 70, "bram36": 9, "ff": 1000}}
    return {"model": MODEL, "model_digest": model_digest, "board": "zcu102", "resolution": [1280, 720],
            "width": 1280, "height": height, "complete": complete, "failed": {}, "stages": [stage],
            "model_total": {"lut": 800, "dsp": 70, "bram": 9, "ff": 1000}, "utilisation": u, "fps_model": 33.9}


@pytest.fixture
def write(tmp_path):
    entry = zoo.available().get(MODEL)
    if entry is None:
        pytest.skip(f"{MODEL} not released in this checkout")
    index = tmp_path / "records.json"
    (tmp_path / "input.bin").write_bytes(b"rtl")

    def _write(**kw):
        rec = tmp_path / "enc.json"
        rec.write_text(json.dumps(_record(kw.pop("digest", zoo.release_digest(entry)), **kw)))
        index_record(encsynth.RECORDED, rec, {"script": "s.py"}, [tmp_path / "input.bin"], "m", index=index)
        return index

    return _write


def test_a_current_record_is_shown_next_to_the_model(write):
    rows = encsynth.recorded_encoder_resources(write(), (1280, 720), "zcu102")
    assert [x["layer"] for x in rows] == ["h_a.0", "whole encoder", "zcu102 at 80 %"]
    assert not rows[0]["stale"] and "yosys synth_xilinx, recorded benchmark" in rows[0]["label"]
    assert rows[1]["lut"] == 900 and rows[1]["model_lut"] == 800 and rows[-1]["dsp"] == 80
    # the verdict names what is outside the 80 % budget (LUT as LUT6 sites), as fractions of the device
    assert rows[1]["verdict"] == "outside the 80 % budget: LUT 95%, BRAM36 95% of the device"
    title, df = hwreport.encoder_resources_table({"rtl_encoder_resources": rows})
    assert "recorded benchmark" in title and "STALE" not in title and "1280x768 frame" in title
    assert title.endswith("synthesised: outside the 80 % budget: LUT 95%, BRAM36 95% of the device")
    assert list(df["LUT"])[:2] == ["800 / 900", "800 / 900"] and list(df["PE × SIMD"])[0] == "1 × 192"
    page = hwreport.section_html({"rtl_encoder_resources": rows, "folding_plan": {}}, "cap")
    assert "whole encoder (g_a + h_a + h_s + index + glue)" in page.split("<details", 1)[0]


@pytest.mark.parametrize("change, why", [({"digest": "0" * 64}, "model digest"), ({"height": 720}, "frame 1280x720"),
                                         ({"complete": False}, "incomplete")])
def test_a_record_not_of_the_current_design_is_stale(write, change, why):
    rows = encsynth.recorded_encoder_resources(write(**change), (1280, 720), "zcu102")
    assert all(x["stale"] for x in rows) and why in rows[1]["label"]
    assert "STALE" in hwreport.encoder_resources_table({"rtl_encoder_resources": rows})[0]


def test_a_record_stale_by_its_inputs_or_of_another_plan_says_so(write, tmp_path):
    index = write()
    assert "not 1920x1080" in encsynth.recorded_encoder_resources(index, (1920, 1080), "zcu102")[0]["label"]
    (tmp_path / "input.bin").write_bytes(b"new rtl")
    rows = encsynth.recorded_encoder_resources(index, (1280, 720), "zcu102")
    assert rows[0]["stale"] and "input" in rows[0]["label"]
    assert encsynth.recorded_encoder_resources(tmp_path / "absent.json") == []
    assert hwreport.encoder_resources_table({}) is None
