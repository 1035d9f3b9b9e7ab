"""g++ C-sim of the hyperprior tops (hls/src/hyper_top.cpp) vs the integer spec of lic.codec.intprior.

Every comparison counts the values that differ over the whole tensor and requires 0: h_a on |y| of a
Kodak image's latents (N=64 student), h_s on ẑ (the indexes the rANS coder uses, and the scales), each
layer alone, full-range random inputs (saturation counts included), unfolded and folded designs.
"""

import shutil
import subprocess

import numpy as np
import pytest
import torch

from lic.errors import ParameterError
from lic.fixedpoint.arith import _range
from lic.fixedpoint.transform import IntLayer, IntTransform
from lic.hw.hls_export import index_thresholds
from lic.hw.hls_hyper import write_hyper_headers, write_hyper_tb_data
from lic.hw.hyper_csim import HyperCSim
from lic.hw.kernel_beats import conv_beats, deconv_beats

torch.set_num_threads(2)
pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")

MODEL = "student-kd-pruned-n64-m192-l0.0067"
CROP = (256, 384)  # image rows, columns: y 16 x 24, z 4 x 6
#: PE/SIMD of the folded design: in_words > 1, SIMD spanning taps, packed int8 pairs (PE even, 8-bit in)
FOLDS = {"h_a.0": (4, 16), "h_a.2": (8, 32), "h_a.4": (2, 8), "h_s.0": (4, 8), "h_s.2": (8, 16), "h_s.4": (16, 64)}


@pytest.fixture(scope="module")
def data():
    """(prior, |y| [M,h,w], ẑ [N,zh,zw], symbols q) of a Kodak crop; the prior calibrated on another image."""
    from lic.codec.intprior import IntPrior
    from lic.codec.zoo import load_pretrained
    from lic.data.images import load_kodak

    try:
        model = load_pretrained(MODEL)
        imgs = load_kodak(limit=2)
    except Exception as exc:  # no released weights or no Kodak here
        pytest.skip(f"{MODEL} or Kodak not available: {exc}")
    prior = IntPrior.from_model(model, imgs[1][1][None])
    x = imgs[0][1][None, :, :CROP[0], :CROP[1]]
    with torch.no_grad():
        y_abs = prior.y_abs(model.g_a(x))
    q = prior.z_symbols(y_abs)
    lo, hi = _range(prior.cfg.z_bits, True)  # ẑ as IntPrior.indexes forms it
    z_hat = np.clip(np.left_shift(q, prior.z_frac) + prior.z_median.reshape(1, -1, 1, 1), lo, hi)
    return prior, y_abs[0], z_hat[0], q[0]


@pytest.fixture(scope="module", params=["pe1", "folded"])
def sim(request, data, tmp_path_factory):
    prior = data[0]
    parallel = FOLDS if request.param == "folded" else None
    work = tmp_path_factory.mktemp(f"hyper-{request.param}")
    sim = HyperCSim.from_prior(prior, work_dir=work, max_width=CROP[1] // 16, parallel=parallel, opt="-O1")
    sim.folds = parallel or {}
    return sim


def _mismatches(got: np.ndarray, ref: np.ndarray) -> int:
    assert got.shape == ref.shape
    return int(np.count_nonzero(got != ref))


def test_h_a_top_bit_exact_on_kodak_latents(data, sim):
    prior, y_abs, _, q = data
    prior.h_a.reset_counters()
    ref = prior.h_a.run(y_abs)
    got = sim.run(y_abs, "h_a")
    n = _mismatches(got.output, ref)
    assert n == 0, f"h_a: {n} of {ref.size} z values differ"
    assert ref.shape == (64, CROP[0] // 64, CROP[1] // 64)
    assert got.saturations == {**prior.h_a.saturations, **{l.name: 0 for l in prior.h_s.layers}}
    # the ẑ symbols the coder writes, from the C-sim's z
    sym = (got.output - prior.z_median.reshape(-1, 1, 1) + (1 << (prior.z_frac - 1))) >> prior.z_frac
    assert _mismatches(sym, q) == 0
    assert all(v == 0 for v in got.conflicts.values())


def test_h_s_top_indexes_bit_exact_on_kodak_latents(data, sim):
    prior, _, z_hat, q = data
    prior.h_s.reset_counters()
    ref = prior.h_s.run(z_hat)
    assert np.array_equal(ref, prior.indexes(q[None])[0])  # what the rANS coder uses
    got = sim.run(z_hat, "h_s")
    n = _mismatches(got.output, ref)
    assert n == 0, f"h_s: {n} of {ref.size} indexes differ"
    assert ref.shape == (192, CROP[0] // 16, CROP[1] // 16)
    assert len(np.unique(ref)) > 10  # many scale levels in use, not a degenerate output
    assert {n: got.saturations[n] for n in prior.h_s.saturations} == prior.h_s.saturations
    assert all(v == 0 for v in got.conflicts.values())


@pytest.mark.parametrize("transform", ["h_a", "h_s"])
def test_every_layer_bit_exact_on_kodak_latents(data, sim, transform):
    """Layer by layer on the real activations: the scales (h_s layer 2) and the index (layer 3) included."""
    prior, y_abs, z_hat, _ = data
    t = prior.h_a if transform == "h_a" else prior.h_s
    x = y_abs if transform == "h_a" else z_hat
    for k, layer in enumerate(t.layers):
        ref = t.run_layer(k, x)
        got = sim.run_layer(k, x, transform)
        n = _mismatches(got.output, ref)
        assert n == 0, f"{layer.name}: {n} of {ref.size} values differ"
        x = ref


@pytest.mark.parametrize("transform", ["h_a", "h_s"])
def test_every_layer_bit_exact_on_full_range_random_input(data, sim, transform):
    """Odd shapes (borders of the 3x3 and 5x5 windows), inputs over the whole input range (saturating
    accumulators / outputs, negative values under the ReLU, scales above the largest threshold)."""
    prior = data[0]
    t = prior.h_a if transform == "h_a" else prior.h_s
    rng = np.random.default_rng(11)
    for k, layer in enumerate(t.layers):
        ch = layer.attrs["in_ch"] or t.layers[k - 1].attrs["out_ch"]
        lo, hi = layer.in_range
        for shape, scale in (((7, 5), 1.0), ((9, 4), 0.05), ((1, 3), 1.0)):
            x = rng.integers(int(lo * scale), int(hi * scale) + 1, size=(ch,) + shape)
            t.reset_counters()
            ref = t.run_layer(k, x)
            got = sim.run_layer(k, x, transform)
            n = _mismatches(got.output, ref)
            assert n == 0, f"{layer.name} {shape} x{scale}: {n} of {ref.size} values differ"
            assert got.saturations[layer.name] == t.saturations[layer.name], layer.name


def test_beats_equal_the_kernel_model(data, sim):
    """Every beat loop of the tops runs as lic.hw.kernel_beats counts (3x3/s1 convs included)."""
    prior, y_abs, z_hat, _ = data
    got = {**sim.run(y_abs, "h_a").cycles}
    got.update({k: v for k, v in sim.run(z_hat, "h_s").cycles.items() if k.startswith("h_s")})
    folds = sim.folds
    h, w = y_abs.shape[1:]
    zh, zw = z_hat.shape[1:]
    grids = {"h_a": [(h, w), (h, w), ((h + 1) // 2, (w + 1) // 2)], "h_s": [(zh, zw), (2 * zh, 2 * zw), (4 * zh, 4 * zw)]}
    for tname, t in (("h_a", prior.h_a), ("h_s", prior.h_s)):
        prev_pe = None
        for layer, (hi, wi) in zip(t.layers, grids[tname]):
            a = layer.attrs
            pe, simd = folds.get(layer.name, (1, 1))
            in_words = 1 if prev_pe is None else a["in_ch"] // prev_pe
            if layer.kind == "conv":
                F = a["out_ch"] // pe * (a["kernel"] ** 2 * a["in_ch"] // simd)
                assert got[layer.name] == conv_beats(hi, wi, F, in_words, a["kernel"], a["stride"]), layer.name
            else:
                F = a["out_ch"] // pe * (9 * a["in_ch"] // simd)
                assert got[layer.name] == deconv_beats(hi, wi, F, in_words), layer.name
            prev_pe = pe
        if tname == "h_s":  # the index: one word of the producer's PE a beat
            assert got["h_s.index"] == 4 * zh * 4 * zw * 192 // prev_pe


def _with_params(t: IntTransform, k: int, **params) -> IntTransform:
    layers = list(t.layers)
    layers[k] = IntLayer(layers[k].kind, layers[k].name, layers[k].attrs, {**layers[k].params, **params})
    return IntTransform(layers, t.cfg, t.name)


def test_the_comparisons_can_fail(data, sim):
    """Against a reference one step off (one threshold raised to the next, one z bias moved by one output
    step) the same comparisons count mismatches. (A dropped ReLU leaves the values alone here, every ReLU
    output being unsigned, and shows in the saturation counts the random-input test compares.)"""
    prior, y_abs, z_hat, _ = data
    idx = sim.run(z_hat, "h_s").output
    levels, counts = np.unique(idx[idx > 0], return_counts=True)
    v = int(levels[np.argmax(counts)])  # the most used index: T[v-1] < x <= T[v]
    th = prior.h_s.layers[-1].params["thresholds"].copy()
    th[v - 1] = th[v]  # still sorted; those values now get index v - 1
    assert _mismatches(idx, _with_params(prior.h_s, 3, thresholds=th).run(z_hat)) >= counts.max()
    z = sim.run(y_abs, "h_a").output
    last = prior.h_a.layers[-1].params
    bias = last["bias"].copy()
    bias[0] += 1 << int(last["out_shift"][0])
    n = _mismatches(z, _with_params(prior.h_a, 2, bias=bias).run(y_abs))
    assert n == z[0].size  # every z value of channel 0 (none near the 16-bit limits)


def test_threshold_rom_and_topology_checks(data, tmp_path):
    prior = data[0]
    index = prior.h_s.layers[-1]
    t, rom = index.params["thresholds"], index_thresholds(index)
    lo, hi = index.in_range
    assert rom.min() >= lo - 1 and rom.max() <= hi and rom.size == t.size
    x = np.arange(lo, hi + 1)
    assert np.array_equal((x[:, None] > rom[None]).sum(1), np.searchsorted(t, x, side="left"))
    with pytest.raises(ParameterError, match="expects"):
        write_hyper_headers(prior.h_s, prior.h_a, tmp_path)
    with pytest.raises(ParameterError, match="producer"):
        write_hyper_headers(prior.h_a, prior.h_s, tmp_path, parallel={"h_s.4": (4, 8), "h_s.index": (2, 1)})


def test_vitis_testbench_passes_under_gpp(data, tmp_path):
    """hls/tb/hyper_csim_main.cpp (what run_hls.tcl gives csim_design / cosim_design), folded design, Kodak data."""
    from lic.hw.csim import HLS_DIR, ap_types_dir

    prior, y_abs, z_hat, _ = data
    gen = write_hyper_headers(prior.h_a, prior.h_s, tmp_path, CROP[1] // 16, FOLDS).parent
    tb = write_hyper_tb_data(prior.h_a, prior.h_s, y_abs, z_hat, gen)
    exe = tmp_path / "hyper_tb"
    cmd = ["g++", "-std=c++14", "-O1", "-w", f"-I{HLS_DIR / 'src'}", f"-I{gen}", f"-I{ap_types_dir()}",
           str(HLS_DIR / "src/hyper_top.cpp"), str(HLS_DIR / "tb/hyper_csim_main.cpp"), "-o", str(exe)]
    subprocess.run(cmd, check=True, capture_output=True)
    for top in ("ha", "hs"):
        res = subprocess.run([str(exe), top, str(tb / f"{top}_in.txt"), str(tb / f"{top}_out.txt")],
                             capture_output=True, text=True)
        assert res.returncode == 0 and " 0 mismatches" in res.stdout, res.stdout
