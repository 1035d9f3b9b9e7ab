"""lic.hw.fpga_model.encoder_plan: one plan for the whole RTL encoder (g_a + h_a + h_s + index) on one board.

No tools: the plan, its RTL cycle model and its modelled resources; the plan is the RTL's own (the same folds as
lic.hw.rtl.encoder.plan_for and lic.hw.rtl.ga.regrid give for a quantised transform).
"""

import pytest

from lic.errors import ParameterError
from lic.hw import fpga_model as fm
from lic.hw.boards import load_board
from lic.hw.fpga_model import encoder as fenc
from lic.hw.rtl import encoder as enc
from lic.hw.rtl import ga as rtl_ga

RES = (1280, 720)


def _check_design(e, target_fps=None):
    m = enc.model_cycles(e.plan)
    assert e.cycles == m["interval"] and e.fps == pytest.approx(e.clock_mhz * 1e6 / m["interval"])
    assert e.frame_hw == (768, 1280)  # 1280x720 coded as 1280x768: the RTL's real frame
    ga = m["ga_interval"]
    for l in (*e.plan.ha.layers, *e.plan.hs.layers):  # hyper stages within their share of g_a's interval
        assert m["layers"][l.name] <= e.hyper_fraction * ga
    assert e.fits == e.resources.fits(e.budget)
    for k, rk in (("dsp", "dsp"), ("bram", "bram36"), ("lut", "lut"), ("ff", "ff")):  # the rows hold the shell too
        assert getattr(e.resources, k) == sum(r[rk] for r in e.stages)
    if target_fps is not None:
        assert e.fps >= target_fps


def test_encoder_plan_720p_zcu102():
    """The issue's case: N=64 at 1280x720 on the ZCU102 at 200 MHz, 80 % budget, at least 30 fps modelled. The
    plan either fits every resource or is returned as the closest to fitting (fits False) -- never silently."""
    e = fm.encoder_plan(64, 192, "zcu102", RES, 200, target_fps=30)
    _check_design(e, 30)
    assert e.budget == load_board("zcu102").budget(0.8) and e.summary()["fits"] == e.fits
    names = [r["layer"] for r in e.stages]
    assert names[:13] == [l.name for l in e.plan.layers] and names[13:] == ["h_s.index", "glue", "shell"]
    if not e.fits:
        with pytest.raises(ParameterError, match="fits"):
            fm.encoder_plan(64, 192, "zcu102", RES, 200, require_fit=True)


def test_encoder_plan_fastest_fit_on_a_larger_board():
    """On the U250 the encoder fits: the plan is within the 80 % budget on DSP, BRAM, LUT and FF, >= 30 fps."""
    e = fm.encoder_plan(64, 192, "u250", RES, 200)
    _check_design(e, 30)
    assert e.fits and all(f <= 0.8 for f in e.fractions().values())


def test_encoder_plan_uses_the_rtl_rules():
    """The model's plan is what the RTL generators make of its folds: g_a as lic.hw.rtl.ga.regrid, h_a / h_s /
    index as lic.hw.rtl.encoder.plan_for (demo codec N=8, M=12)."""
    from lic.hw import rtl

    ga, prior, _ = rtl.demo_encoder(N=8, M=12, seed=0, hw=(128, 192))
    folds = {"g_a.0": (4, 15), "g_a.1": (2, 8), "g_a.2": (4, 40), "g_a.3": (1, 8), "g_a.4": (2, 20),
             "g_a.5": (1, 4), "g_a.6": (6, 20)}
    e = fm.encoder_design(8, 12, "zcu102", (192, 128), ga_folds=folds)
    layers = fm.codec_layers(8, 12, (192, 128), "g_a", hyper=True)
    src = fm.plan_design(fm.design_from_parallelism([l for l in layers if l.transform == "g_a"], folds), "g_a")
    assert e.plan.ga.layers == rtl_ga.regrid(ga, src, (128, 192)).layers
    ref = enc.plan_for(ga, prior, e.plan.ga, e.hyper_fraction)
    assert (e.plan.ha.layers, e.plan.hs.layers, e.plan.index_pe) == (ref.ha.layers, ref.hs.layers, ref.index_pe)
    # the same folds on another frame (the benchmark's crops and Kodak images)
    g = enc.regrid(ga, prior, e.plan, (64, 128))
    assert [(l.pe, l.simd) for l in g.layers] == [(l.pe, l.simd) for l in e.plan.layers]
    assert g.frame_hw == (64, 128) and g.index_pe == e.plan.index_pe


def test_encoder_resources_follow_the_rtl():
    """DSP: conv lanes / INT8 pack (16-bit inputs unpacked), GDN one square a SIMD lane + two tiles a gamma product;
    block RAM only for memories deeper than 64 words."""
    e = fm.encoder_design(64, 192, "zcu102", RES, ga_folds={"g_a.0": (16, 15), "g_a.1": (4, 64), "g_a.2": (8, 160),
                                                            "g_a.3": (1, 64), "g_a.4": (4, 100), "g_a.5": (1, 16),
                                                            "g_a.6": (6, 40)})
    rows = {r["layer"]: r for r in e.stages}
    assert rows["g_a.1"]["dsp"] == 64 + 2 * 256 and rows["g_a.2"]["dsp"] == 8 * 160 // 2
    h0 = e.plan.ha.layer("h_a.0")
    assert rows["h_a.0"]["dsp"] == h0.lanes  # 16-bit |ŷ| in: one DSP a MAC
    assert rows["g_a.1"]["bram36"] == 0  # 16-word gamma ROM: LUTs
    assert rows["glue"]["dsp"] == rows["h_s.index"]["dsp"] == 0
    # a GDN stage's LUT and FF are the RTL's per-lane fit; a conv stage's the FPS model's MAC lanes plus the RTL's
    # window: bank muxes, window registers, folded banks' registers (more than the kernel's figures here)
    c = fenc.RTL_GDN
    assert rows["g_a.1"]["lut"] == round(c["lut"]["per_lane"] * 256 + c["lut"]["per_simd"] * 64
                                         + c["lut"]["per_pe"] * 4 + c["lut"]["per_stage"])
    ref = fm.stage_for_units(fm.codec_layers(64, 192, RES, "g_a", hyper=True)[2], 8, 160).resources
    assert rows["g_a.2"]["lut"] > ref.lut


def test_gdn_costs_are_the_recorded_fit():
    """RTL_GDN holds the fit of the record rtl_gdn_lanes (benchmarks/rtl_gdn_lanes.py), to the rounding."""
    from lic.fileio import read_json
    from lic.provenance import RECORDS_INDEX

    rec = read_json(RECORDS_INDEX.parent / "results" / "rtl_gdn_lanes.json")
    for k in ("lut", "ff"):
        for term, v in fenc.RTL_GDN[k].items():
            assert v == pytest.approx(rec["fit"][k][term], abs=0.5), (k, term)
        assert rec["fit"][k]["max_rel_err"] < 0.15
    assert len(rec["stages"]) >= 6 and {r["pe"] for r in rec["stages"]} >= {1, 2, 4}


def test_hyper_stages_read_their_line_buffers_directly():
    """At 720p every h_a / h_s stage of the plan reads its line buffer directly (lic.hw.rtl.linebuf.direct): h_a.0's
    one memory of 4 x 80 x CIN/SIMD words takes at most a third of the block RAM its four unfolded banks of
    80 x 3,072 bits would take, and the model counts no window for it."""
    from lic.hw.rtl import linebuf

    e = fm.encoder_plan(64, 192, "zcu102", RES, 200, target_fps=30)
    assert all(linebuf.direct(l) for l in (*e.plan.ha.layers, *e.plan.hs.layers))
    lf = fenc.replace(e.plan.ha.layer("h_a.0"), in_bits=16)
    assert linebuf.fold(lf) == 1 and 3 * linebuf.direct_bram18(lf) <= 4 * linebuf.bank_bram18(lf, 1)
    assert linebuf.direct_words(lf) == 4 * 80 * (192 // lf.simd)


def test_encoder_plan_checks_its_clock():
    with pytest.raises(ParameterError, match="outside"):
        fm.encoder_plan(64, 192, "zcu102", RES, clock_mhz=1000)
