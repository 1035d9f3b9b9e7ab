"""g++ C-sim of hls/ vs the Python reference lic.hw.fixedpoint: exact equality, every kernel."""

import shutil

import numpy as np
import pytest
import torch

from lic.codec.gdn import replace_gdn
from lic.codec.models import build_model
from lic.hw import csim as hw
from lic.hw import fixedpoint as fp
from lic.hw.fpga_model import assumptions, codec_layers, design_from_parallelism, plan_design
from lic.hw.kernel_beats import conv_beats

torch.set_num_threads(1)
pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")

N, M = 8, 12


@pytest.fixture(scope="module", params=["simplified", "standard"])
def design(request, tmp_path_factory):
    torch.manual_seed(0)
    model = build_model(N=N, M=M).eval()
    if request.param == "simplified":
        replace_gdn(model, "simplified")
    calib = torch.rand(2, 3, 64, 64)
    ga, gs = fp.quantize_codec(model, calib)
    sim = hw.CSim(ga, gs, work_dir=tmp_path_factory.mktemp(f"hls-{request.param}"), max_width=256, opt="-O1")
    return model, ga, gs, sim


def _random_input(layer, rng, shape, scale):
    lo, hi = layer.in_range
    return rng.integers(int(lo * scale), int(hi * scale) + 1, size=(layer.attrs["in_ch"],) + shape)


@pytest.mark.parametrize("transform", ["g_a", "g_s"])
def test_each_kernel_bit_exact(design, transform):
    """conv / gdn (g_a) and deconv / igdn (g_s), full-range and small-range random inputs."""
    _, ga, gs, sim = design
    t = ga if transform == "g_a" else gs
    rng = np.random.default_rng(1)
    for k, layer in enumerate(t.layers):
        for scale, shape in ((1.0, (10, 12)), (0.03, (7, 5))):
            x = _random_input(layer, rng, shape, scale)
            t.reset_counters()
            ref = t.run_layer(k, x)
            got = sim.run_layer(k, x, transform)
            assert got.output.shape == ref.shape
            mismatches = int(np.count_nonzero(got.output != ref))
            assert mismatches == 0, (layer.name, scale)
            assert np.array_equal(got.output, ref)
            assert got.saturations[layer.name] == t.saturations[layer.name], layer.name
            assert got.cycles[layer.name] > 0


def test_analysis_top_bit_exact(design):
    model, ga, _, sim = design
    rng = np.random.default_rng(2)
    for h, w in ((32, 32), (48, 64)):
        pix = rng.integers(0, 256, size=(3, h, w))
        ref = ga.run(pix)
        got = sim.run(pix)
        assert np.array_equal(got.output, ref)
        assert ref.shape == (M, h // 16, w // 16)
        # layer 0 at PE = SIMD = 1: (H/2)(W/2) pixels x N outputs x 25*3 taps fold beats, plus
        # the prologue (3 input rows, 3 window columns)
        assert got.cycles["g_a.0"] == (h // 2) * (w // 2) * N * 75 + 3 * w + 3
        assert got.cycles["g_a.0"] == conv_beats(h, w, N * 75, 1)
        assert all(v == 0 for v in got.conflicts.values())


def test_synthesis_top_bit_exact(design):
    _, _, gs, sim = design
    rng = np.random.default_rng(3)
    y = rng.integers(-20, 21, size=(M, 3, 4))
    ref = gs.run(y)
    got = sim.run(y, "g_s")
    assert np.array_equal(got.output, ref)
    assert ref.shape == (3, 48, 64) and ref.min() >= 0 and ref.max() <= 255


def test_kodak_crop_bit_exact(design):
    from lic.data.images import load_kodak

    try:
        name, img = load_kodak(limit=1)[0]
    except Exception as exc:  # no Kodak here
        pytest.skip(f"Kodak not available: {exc}")
    _, ga, gs, sim = design
    crop = img[:, 128:192, 256:320]
    pix = fp.image_to_int(crop)
    y_ref = ga.run(pix)
    got = sim.run(pix)
    assert int(np.count_nonzero(got.output != y_ref)) == 0
    x_ref = gs.run(y_ref)
    assert np.array_equal(sim.run(y_ref, "g_s").output, x_ref)


def test_missing_compiler_is_a_clear_error(tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = build_model(N=N, M=M).eval()
    ga = fp.quantize_transform(model.g_a, torch.rand(1, 3, 32, 32))
    monkeypatch.setenv("CXX", "no-such-compiler-xyz")
    with pytest.raises(hw.ToolError, match="not found"):
        hw.CSim(ga, None, work_dir=tmp_path, max_width=64)


# ------------------------------------------------------------------ folded design vs the model
# PE/SIMD with SIMD > C_in (several taps a word), in_words > 1 (narrow producer words), PE | C
FOLDS = {"g_a.0": (4, 15), "g_a.1": (2, 4), "g_a.2": (8, 40), "g_a.3": (8, 8), "g_a.4": (1, 200),
         "g_a.5": (4, 2), "g_a.6": (3, 20),
         "g_s.0": (2, 27), "g_s.1": (4, 2), "g_s.2": (8, 24), "g_s.3": (1, 8), "g_s.4": (2, 9),
         "g_s.5": (8, 8), "g_s.6": (3, 72)}
H, W = 48, 64


def _plans(h, w):
    a = assumptions()
    out = []
    for t in ("g_a", "g_s"):
        d = design_from_parallelism(codec_layers(N, M, (w, h), t, a=a),
                                    {k: v for k, v in FOLDS.items() if k.startswith(t)}, a)
        out.append(plan_design(d, t, "", (w, h)))
    return out


@pytest.fixture(scope="module")
def folded(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model(N=N, M=M).eval()
    ga, gs = fp.quantize_codec(model, torch.rand(2, 3, 64, 64))
    plans = _plans(H, W)
    sim = hw.CSim(ga, gs, work_dir=tmp_path_factory.mktemp("hls-folded"), max_width=W, opt="-O1",
                  plans=plans)
    return ga, gs, sim, plans


def _check_beats(got, plan):
    """Beats, words, weight reads and bank conflicts of every layer equal the model's plan."""
    for l in plan.layers:
        n = l.name
        F = l.folds[0] * l.folds[1]
        ho, wo = (-(-l.hin // 2), -(-l.win // 2)) if l.kind == "conv" else \
            (2 * l.hin, 2 * l.win) if l.kind == "deconv" else (l.hin, l.win)
        assert got.cycles[n] == l.cycles, n  # the model's per-layer cycles are the C-sim's beats
        assert got.words_in[n] == l.hin * l.win * l.in_words, n
        assert got.words_out[n] == ho * wo * l.out_words, n
        assert got.mem_reads[n] == ho * wo * F * l.pe, n  # one word a PE memory a fold beat
        assert got.conflicts[n] == 0, n  # no bank read twice in a beat, no line-buffer hazard
        # multiplies a fold beat = the model's DSPs (conv: packed int8 pairs count once)
        per_beat = l.dsp if l.kind in ("conv", "deconv") else l.lanes
        assert got.mults[n] == ho * wo * F * per_beat, n


def test_folded_analysis_bit_exact_and_beats_equal_model(folded):
    ga, _, sim, (pa, _) = folded
    assert [l.in_words for l in pa.layers] == [1, 2, 4, 1, 1, 8, 2]
    pix = np.random.default_rng(4).integers(0, 256, size=(3, H, W))
    ga.reset_counters()
    got = sim.run(pix)
    assert np.array_equal(got.output, ga.run(pix))
    _check_beats(got, pa)
    assert {l.name: got.saturations[l.name] for l in ga.layers} == \
        {l.name: ga.saturations[l.name] for l in ga.layers}


def test_folded_synthesis_bit_exact_and_beats_equal_model(folded):
    _, gs, sim, (_, ps) = folded
    y = np.random.default_rng(5).integers(-20, 21, size=(M, H // 16, W // 16))
    got = sim.run(y, "g_s")
    assert np.array_equal(got.output, gs.run(y))
    _check_beats(got, ps)


def test_folded_layers_on_odd_shapes(folded):
    ga, gs, sim, _ = folded
    rng = np.random.default_rng(6)
    for t, tr in ((ga, "g_a"), (gs, "g_s")):
        for k, layer in enumerate(t.layers):
            x = _random_input(layer, rng, (5, 3) if tr == "g_s" else (7, 7), 1.0)
            got = sim.run_layer(k, x, tr)
            assert np.array_equal(got.output, t.run_layer(k, x)), layer.name
            assert got.conflicts[layer.name] == 0


def test_too_wide_input_is_a_clear_error(folded):
    _, _, sim, _ = folded
    from lic.errors import ParameterError

    with pytest.raises(ParameterError, match="wider than"):
        sim.run(np.zeros((3, 16, 2 * W), dtype=np.int64))


def test_stage04_tables_label_modelled_and_measured(folded):
    """Stage 04's beats table (C-sim vs model) and comparison table, as the notebook shows them."""
    from lic.hw.published import PUBLISHED, comparison_table, our_rows
    from lic.study.stages import hls as stage

    ga, gs, sim, plans = folded
    pix = np.random.default_rng(7).integers(0, 256, size=(3, H, W))
    ra = sim.run(pix)
    rs = sim.run(ga.run(pix), "g_s")
    rows = stage._beats_rows(N, M, (W, H), assumptions(), {k: v for k, v in FOLDS.items()},
                             {"g_a": ra, "g_s": rs})
    assert len(rows) == 14 and all(r["equal"] and r["bank_conflicts"] == 0 for r in rows)
    assert {r["label"] for r in rows} == {stage.MEASURED}
    plan_rows = stage._plan_rows({"g_a": plans[0], "g_s": plans[1]})
    assert {r["label"] for r in plan_rows} == {stage.MODELLED} and len(plan_rows) == 14
    ours = our_rows(16, 192, "zcu102", (640, 360))
    t = comparison_table(ours)
    assert len(t) == len(PUBLISHED) + len(ours)
    assert all(r["source"] for r in PUBLISHED)  # every external row names its source
    mine = t[t.design.str.startswith("this work")]
    assert set(mine.label) >= {"modelled (lic.hw.fpga_model)"}
    assert (mine.gops_per_dsp > 0).all()


def test_two_designs_in_one_process(tmp_path):
    """Line buffers are template statics: a second design with wider ones, loaded into the same
    process, must not bind to the first library's (-fno-gnu-unique)."""
    torch.manual_seed(1)
    model = build_model(N=N, M=M).eval()
    ga, gs = fp.quantize_codec(model, torch.rand(1, 3, 32, 32))
    narrow = hw.CSim(ga, None, work_dir=tmp_path / "narrow", max_width=16, opt="-O1")
    wide = hw.CSim(ga, None, work_dir=tmp_path / "wide", max_width=160, opt="-O1")
    pix = np.random.default_rng(8).integers(0, 256, size=(3, 32, 160))
    assert np.array_equal(wide.run(pix).output, ga.run(pix))
    small = pix[:, :16, :16]
    assert np.array_equal(narrow.run(small).output, ga.run(small))
