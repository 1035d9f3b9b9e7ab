"""Analytical FPGA model: hand-computed layers, stages, allocation, cross-check table."""

import math

import pytest

from lic.errors import ParameterError
from lic.hw.fpga_model import (
    Assumptions,
    Layer,
    Resources,
    allocate,
    assumptions,
    best_design,
    codec_layers,
    compare_measured,
    describe,
    design_for_cycles,
    design_from_parallelism,
    layer_table,
    stage_for_units,
    throughput_table,
)

# the model before issue 16 (MAC-count schedule, one MAC a DSP, 4 DSP a GDN MAC, one memory a
# lane, 64-px padding): the hand-computed cases below use its constants
LEGACY = dict(schedule="mac", weight_banking="partition", int8_macs_per_dsp=1, dsp_per_mul32=4,
              lut_per_mac8=20, lut_per_mac32=80, lut_per_nonlinear=2000, lut_per_stage=1000,
              pad_multiple=64)
# no overheads, 100 MHz: cycles and FPS are pure MAC arithmetic
A0 = assumptions(stage_overhead_cycles=0, clock_mhz=100.0, shell_bram=0, shell_lut=0, **LEGACY)


def test_conv_8x8_hand_computed():
    l = Layer.conv("c", 3, 4, 8, 8)  # 5x5, stride 2, pad 2
    assert (l.hout, l.wout) == (4, 4)
    assert l.macs == 4 * 4 * 4 * 3 * 25 == 4800
    assert (l.in_dim, l.out_dim) == (75, 4)
    full = stage_for_units(l, 4, 75, A0)
    assert full.cycles == 16 and full.resources.dsp == 300
    s = stage_for_units(l, 1, 15, A0)
    assert s.cycles == 320
    # line buffer: (4+1) rows*8*3*8 bit fits one BRAM36, but 3 channel banks -> 2 BRAM36;
    # weights: 15 banks of 20 words (<= 64) -> LUTRAM, 15*8 LUT; biases 32 LUT
    assert s.resources.bram == 2
    assert s.resources.lut == 15 * 20 + 1000 + 15 * 8 + 32
    one = stage_for_units(l, 1, 1, A0)  # one bank of 300 words -> one BRAM18 -> 1 BRAM36
    assert one.resources.bram == 1 + 1
    wide = stage_for_units(l, 1, 15, assumptions(A0, weight_banking="reshape"))
    assert wide.resources.bram == 2 + math.ceil(15 * 8 / 72)
    uram = stage_for_units(l, 4, 75, assumptions(A0, weight_memory="uram"))
    assert (uram.resources.bram, uram.resources.uram) == (2, math.ceil(300 * 8 / 72))


def test_deconv_and_gdn_counts():
    d = Layer.deconv("d", 4, 2, 4, 4)
    assert (d.hout, d.wout) == (8, 8)
    assert d.macs == 4 * 4 * 4 * 2 * 25  # input-grid convention
    # phase-uniform schedule (hls/src/deconv.h): 64 output px x 9 taps x 4 in -> 2 out
    assert (d.iters, d.in_dim, d.out_dim) == (64, 36, 2)
    assert d.slots == 64 * 36 * 2 == d.macs * 36 // 25
    di = Layer.deconv("d", 4, 2, 4, 4, schedule="input_grid")
    assert (di.iters, di.in_dim, di.out_dim) == (16, 4, 50) and di.slots == di.macs
    assert stage_for_units(d, 2, 36, A0).cycles == 64
    g = Layer.gdn("g", 4, 2, 2)
    assert (g.macs, g.nonlinear, g.elementwise) == (4 * 16, 16, 32)
    gi = Layer.gdn("gi", 4, 2, 2, inverse=True, flavour="simplified")
    assert (gi.nonlinear, gi.elementwise) == (0, 16)
    st = stage_for_units(g, 4, 4, A0)
    assert st.compute_cycles == 4
    assert (st.nonlinear_units, st.mult_units) == (4, 8)
    assert st.resources.dsp == (16 + 8) * A0.dsp_per_mul32


def test_allocate_one_layer_fps():
    l = Layer.conv("c", 3, 4, 8, 8)
    d = allocate([l], 16, A0)  # legal PE*SIMD <= 16 with PE|4, SIMD|75: 15
    assert d.stages[0].units == 15 and d.cycles == 320
    assert d.fps == pytest.approx(100e6 / 320)
    d2 = allocate([l], 16, assumptions(A0, int8_macs_per_dsp=2))  # 32 units -> 30
    assert d2.stages[0].units == 30 and d2.cycles == 160


def test_allocation_respects_budget_and_is_monotone():
    layers = codec_layers(16, 192, (128, 128), a=A0)
    prev = None
    for budget in (28, 30, 100, 300, 1000, 3000):
        d = allocate(layers, budget, A0)
        assert d is not None and d.core_resources.dsp <= budget
        if prev is not None:
            assert d.cycles <= prev
        prev = d.cycles
    assert allocate(layers, 27, A0) is None  # 4 convs x 1 + 3 GDN x (1 MAC + 1 mult) x 4 DSP = 28


def test_allocation_balances_stages():
    layers = codec_layers(32, 192, (256, 256), a=A0)
    d = allocate(layers, 2000, A0)
    lo, hi = _bounds(layers)
    assert d.cycles >= lo
    # no stage far faster than needed: every stage within a folding step of the bottleneck
    t = d.table()
    assert (t["cycles"] <= d.cycles).all()
    assert t["utilisation"].median() > 0.5


def _bounds(layers):
    return max(l.iters for l in layers), max(l.slots for l in layers)


def test_codec_layers_shapes_match_compressai():
    torch = pytest.importorskip("torch")
    from compressai.models import ScaleHyperprior

    N, M = 8, 12
    net = ScaleHyperprior(N, M).eval()
    layers = {l.name: l for l in codec_layers(N, M, (64, 64), "all", a=A0)}
    shapes = {}
    hooks = [m.register_forward_hook(lambda mod, i, o, n=name: shapes.__setitem__(n, o.shape))
             for name, m in net.named_modules() if name in layers]
    with torch.no_grad():
        y = net.g_a(torch.zeros(1, 3, 64, 64))
        net.g_s(y)
        z = net.h_a(y)
        net.h_s(z)
    for h in hooks:
        h.remove()
    assert set(shapes) == set(layers)
    for name, shp in shapes.items():
        l = layers[name]
        assert (shp[1], shp[2], shp[3]) == (l.cout, l.hout, l.wout), name
    for name, mod in net.named_modules():
        if name in layers and hasattr(mod, "weight") and layers[name].kind in ("conv", "deconv"):
            assert mod.weight.numel() == layers[name].weights, name


def test_codec_layers_macs_padding_and_transforms():
    ls = codec_layers(16, 192, (64, 64), a=A0)
    assert [l.name for l in ls] == [f"g_a.{i}" for i in range(7)]
    assert ls[0].macs == 32 * 32 * 16 * 3 * 25
    assert ls[1].macs == 32 * 32 * 16 * 16
    assert ls[6].macs == 4 * 4 * 192 * 16 * 25
    padded = codec_layers(16, 192, (100, 50), a=A0)[0]
    assert (padded.hin, padded.win) == (64, 128)
    gs = codec_layers(16, 192, (64, 64), "g_s", a=A0)
    assert gs[0].macs == 4 * 4 * 192 * 16 * 25 and gs[-1].hout == 64
    enc = [l.name for l in codec_layers(16, 192, (64, 64), "g_a", hyper=True, a=A0)]
    assert enc[7:] == ["h_a.0", "h_a.2", "h_a.4", "h_s.0", "h_s.2", "h_s.4"]
    dec = [l.name for l in codec_layers(16, 192, (64, 64), "g_s", hyper=True, a=A0)]
    assert dec[:3] == ["h_s.0", "h_s.2", "h_s.4"]
    assert len(layer_table(ls)) == 7
    with pytest.raises(ParameterError):
        codec_layers(16, 192, (64, 64), "g_x")


def test_best_design_fits_and_cores_scale():
    layers = codec_layers(16, 192, (128, 128), a=A0)
    prev = 0.0
    for f in (0.1, 0.2, 0.5, 1.0):
        budget = Resources(2520, 912, 274080).scaled(f)
        d = best_design(layers, budget, A0)
        assert d.resources.fits(budget)
        assert d.fps >= prev
        prev = d.fps
    target = prev / 3
    d = best_design(layers, Resources(2520, 912, 274080), A0, fps=target)
    assert d.fps >= target and d.resources.dsp <= 2520


def test_frame_overlap_off_uses_latency():
    l = Layer.conv("c", 3, 4, 8, 8)
    a = assumptions(A0, frame_overlap=False)
    d = design_from_parallelism([l], {"c": (1, 15)}, a)
    assert d.latency_cycles > d.cycles
    assert d.fps == pytest.approx(100e6 / d.latency_cycles)


def test_design_from_parallelism_and_compare_measured():
    ls = [Layer.conv("c0", 3, 4, 8, 8), Layer.gdn("g0", 4, 4, 4)]
    d = design_from_parallelism(ls, {"c0": (2, 25), "g0": (2, 2)}, A0)
    assert [s.cycles for s in d.stages] == [96, 64]  # 4800/50, 16 px*16/4
    t = compare_measured(d, {"c0": 105.6, "g0": 16, "dma": 7})
    assert compare_measured(d, {"c0": 96}, column="compute_cycles")["ratio"].iloc[0] == 1.0
    r = t.set_index("layer")
    assert r.loc["c0", "ratio"] == pytest.approx(1.1)
    assert not r.loc["dma", "in_model"]
    assert r.loc["max stage", "model_cycles"] == 96
    with pytest.raises(ParameterError):
        design_from_parallelism(ls, {"c0": (3, 25)}, A0)  # 3 does not divide 4
    with pytest.raises(ParameterError):
        design_from_parallelism(ls, {"nope": (1, 1)}, A0)


def test_assumptions_are_data():
    a = Assumptions()
    text = describe(a)
    for name in a.as_dict():
        assert name in text
    assert len(a.table()) == len(a.as_dict())
    assert a.int8_macs_per_dsp == 2  # packed int8 MACs (WP486), an assumption with its source
    assert "WP486" in a.table().set_index("name").loc["int8_macs_per_dsp", "meaning"]
    assert a.dsp_per_mul32 == 2  # yosys, hls/rtl/gdn_unit.v
    with pytest.raises(ParameterError):
        assumptions(not_a_knob=1)
    with pytest.raises(ParameterError):
        assumptions(gdn="fancy")


def test_throughput_table_two_resolutions():
    t = throughput_table([16], Resources(2520, 912, 274080), resolutions=((1280, 720), (1920, 1080)),
                        a=A0)
    assert list(t["resolution"]) == ["1280x720", "1920x1080"]
    assert t["fps"].iloc[0] > t["fps"].iloc[1] > 0


def test_folding_modes_and_kernel_overheads():
    g = Layer.gdn("g", 64, 4, 4)  # 16 px x 64x64 MACs
    exact = design_for_cycles([g], -(-16 * 64 * 64 // 150), A0)  # needs P >= 150
    assert exact.stages[0].units == 256  # powers of two only
    ceil = design_for_cycles([g], -(-16 * 64 * 64 // 150), assumptions(A0, folding="ceil"))
    assert 150 <= ceil.stages[0].units < 256
    assert ceil.cycles <= -(-16 * 64 * 64 // 150)
    ideal = design_for_cycles([g], -(-16 * 64 * 64 // 150), assumptions(A0, folding="ideal"))
    assert ideal.stages[0].units == 150
    l = Layer.conv("c", 3, 4, 8, 8)
    s = stage_for_units(l, 2, 25, assumptions(A0, fold_overhead_cycles=3, serial_input_load=True))
    assert s.compute_cycles == 96
    assert s.cycles == 96 + 16 * 2 * 3 + 8 * 8 * 3


# ---------------------------------------------------------------- issue 16: kernel beats, search, plan
from lic.hw.kernel_beats import conv_beats, deconv_beats, gdn_beats  # noqa: E402


def test_kernel_beats_hand_computed():
    # GDN: read pixel 0 (2 words), 3 pixels of max(4 folds, 2 reads), last pixel 4 folds
    assert gdn_beats(2, 2, 4, 2) == 2 + 3 * 4 + 4
    # conv 4x4 input: prologue 3 rows x 4 px + 3 window columns = 15; output row 0 reads row 3
    # (2 px an output pixel), loads 1 then 3 columns; row 1 reads nothing
    assert conv_beats(4, 4, 10, 1) == 15 + 20 + 20
    assert conv_beats(4, 4, 1, 1) == 15 + (2 + 3) + (1 + 1)
    # deconv 2x2 input -> 4x4: prologue 2 rows x 2 px + 2 columns; no row is read ahead
    # (i+2 >= 2); loads: x=1 -> col 2 (absent) 0, last pixel of rows 0..2 -> 2 columns
    assert deconv_beats(2, 2, 3, 1) == 6 + 3 * (3 + 3 + 3 + 3) + (3 * 4)
    assert deconv_beats(2, 2, 1, 1) == 6 + 3 * (1 + 1 + 1 + 2) + 4


def test_search_finds_faster_design_when_bram_is_not_monotone():
    """Issue 16: at T = 9.46 M cycles N=64 g_a needs more BRAM36 than the 713 left on 80% of a
    ZCU102 (762 with the old fewest-lanes stages, 733 with the cheapest ones), at T = 7.86 M it
    fits (702 / 681 BRAM36); the bisection stopped at 9.83 M (20.3 fps)."""
    a = assumptions(**LEGACY)
    layers = codec_layers(64, 192, (1280, 720), a=a)
    avail = Resources(2520, 912, 274080).scaled(0.8) - Resources(0, a.shell_bram, a.shell_lut)
    assert avail.bram == 713
    slow = design_for_cycles(layers, 9_460_000, a)
    assert slow.core_resources.bram > 713 and not slow.core_resources.fits(avail)
    fast = design_for_cycles(layers, 7_864_384, a)
    assert fast.core_resources.fits(avail) and fast.core_resources.bram <= 702
    d = allocate(layers, avail, a)
    assert d.cycles == 7_864_384 and d.core_resources.dsp == 1996
    assert d.fps == pytest.approx(200e6 / 7_864_384)  # 25.4 fps, not 20.3


def test_kernel_schedule_stage_and_in_words():
    a = assumptions(stage_overhead_cycles=0)
    l = Layer.conv("c", 8, 4, 8, 8)
    s = stage_for_units(l, 2, 40, a, in_words=2)
    assert s.compute_cycles == conv_beats(8, 8, (4 // 2) * (200 // 40), 2)
    assert s.compute_cycles >= l.iters * 10
    # the line buffer (7 rows of 8 px x 64 bit) and 2 PE banks of 40x8 bit x 5 words: LUTRAM
    assert s.resources.bram == 0 and s.resources.dsp == 40
    g = Layer.gdn("g", 8, 4, 4)
    sg = stage_for_units(g, 2, 4, a, in_words=4)
    assert sg.compute_cycles == gdn_beats(4, 4, 8, 4) and sg.nonlinear_units == 2
    d = design_from_parallelism([l, Layer.gdn("g1", 4, 4, 4)], {"c": (2, 40), "g1": (1, 4)}, a)
    assert d.stages[1].compute_cycles == gdn_beats(4, 4, 4, 2)  # 4 channels in 2-wide words
    with pytest.raises(ParameterError):
        stage_for_units(l, 2, 40, a, in_words=3)


def test_padding_only_where_needed():
    a = Assumptions()
    assert codec_layers(64, 192, (1280, 720), a=a)[0].hin == 720
    assert codec_layers(64, 192, (1280, 720), "g_a", hyper=True, a=a)[0].hin == 768
    assert codec_layers(64, 192, (100, 50), a=a)[0].win == 112


def test_folding_plan_zcu102_goal():
    """N=64 g_a at 1280x720 on 80% of a ZCU102 at its 200 MHz planning clock: >= 43 fps."""
    from lic.hw.folding import FoldingPlan
    from lic.hw.fpga_model import codec_fps, folding_plan

    p = folding_plan(64, 192, "zcu102", (1280, 720), utilisation=0.8)
    assert p.notes["fps"] >= 43 and p.clock_mhz == 200.0
    budget = Resources(2520, 912, 274080).scaled(0.8)
    assert Resources(**{k: v for k, v in p.notes["resources"].items()}).fits(budget)
    assert [l.name for l in p.layers] == [f"g_a.{i}" for i in range(7)]
    assert max(l.cycles for l in p.layers) + p.notes["stage_overhead_cycles"] == p.notes["cycles"]
    for prev, l in zip(p.layers, p.layers[1:]):
        assert l.in_words == l.cin // prev.pe  # PE-wide words between stages
    assert all(l.linebuf_rows == 7 and l.linebuf_width == l.win for l in p.layers if l.kind == "conv")
    assert FoldingPlan.from_dict(p.to_dict()) == p
    assert sum(p.table()["dsp"]) == p.notes["resources"]["dsp"]
    with pytest.raises(ParameterError, match="outside"):
        folding_plan(64, clock_mhz=400)
    t = codec_fps(16, 192, "zcu102", (640, 360)).set_index("pipeline")
    assert set(t.index) == {"g_a", "g_s", "h_a", "h_s", "encoder", "decoder"}
    assert t.loc["encoder", "fps"] <= t.loc["g_a", "fps"] + 1e-9
    assert (t["label"] == "modelled (lic.hw.fpga_model)").all()
