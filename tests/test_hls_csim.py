"""g++ C-sim of hls/ vs the Python reference lic.fixedpoint: exact equality, every kernel."""

import shutil

import numpy as np
import pytest
import torch

from lic import fixedpoint as fp
from lic import hw
from lic.models import build_model

from test_fixedpoint import to_simplified

torch.set_num_threads(1)
pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")

N, M = 8, 12


@pytest.fixture(scope="module", params=["simplified", "standard"])
def design(request, tmp_path_factory):
    torch.manual_seed(0)
    model = build_model(N=N, M=M).eval()
    if request.param == "simplified":
        to_simplified(model)
    calib = torch.rand(2, 3, 64, 64)
    ga, gs = fp.quantize_codec(model, calib)
    sim = hw.CSim(ga, gs, work_dir=tmp_path_factory.mktemp(f"hls-{request.param}"), max_width=64, opt="-O1")
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
        # layer 0 cost: (H/2)(W/2) pixels x N outputs x 25*3 taps at PE = SIMD = 1
        assert got.cycles["g_a.0"] == (h // 2) * (w // 2) * N * 75


def test_synthesis_top_bit_exact(design):
    _, _, gs, sim = design
    rng = np.random.default_rng(3)
    y = rng.integers(-20, 21, size=(M, 3, 4))
    ref = gs.run(y)
    got = sim.run(y, "g_s")
    assert np.array_equal(got.output, ref)
    assert ref.shape == (3, 48, 64) and ref.min() >= 0 and ref.max() <= 255


def test_kodak_crop_bit_exact(design):
    from lic.data import load_kodak

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
