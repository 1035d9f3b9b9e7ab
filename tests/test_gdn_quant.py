"""GDN variants, Brevitas quantization, ONNX export, pruning, stage 03 (tiny models, N=8..16)."""

import copy

import numpy as np
import pytest
import torch
from compressai.layers import GDN, GDN1

from lic.codec.gdn import GDN_VARIANTS, FixedPointGDN, effective_params, make_gdn, replace_gdn
from lic.codec.models import build_model
from lic.data.images import CropSampler
from lic.eval.rd import decode_image, encode_image, evaluate_codec
from lic.quant.hybrid import (
    calibrate,
    check_onnx,
    export_int_params,
    export_onnx,
    load_quantized,
    model_size_bytes,
    quantize_calibrated,
    quantize_model,
    saturation_counts,
    save_quantized,
)
from lic.train.prune import prune_channels

C = 6


def _random_params(m, seed=0):
    g = torch.Generator().manual_seed(seed)
    beta = 0.5 + torch.rand(C, generator=g)
    gamma = 0.2 * torch.rand(C, C, generator=g)
    with torch.no_grad():
        m.beta.copy_(m.beta_reparam.init(beta))
        m.gamma.copy_(m.gamma_reparam.init(gamma))
    b, gm = effective_params(m)
    return b.double().numpy(), gm.double().numpy()


def _numpy_gdn(x, beta, gamma, simplified, inverse):
    """D_i = beta_i + sum_j gamma[i, j] * (|x_j| or x_j^2), per pixel."""
    v = np.abs(x) if simplified else x**2
    d = beta[None, :, None, None] + np.einsum("ij,bjhw->bihw", gamma, v)
    n = d if simplified else np.sqrt(d)
    return x * n if inverse else x / n


@pytest.mark.parametrize("variant", ["standard", "simplified"])
@pytest.mark.parametrize("inverse", [False, True])
def test_gdn_variants_match_numpy(variant, inverse):
    m = make_gdn(variant, C, inverse=inverse)
    assert isinstance(m, GDN1 if variant == "simplified" else GDN)
    beta, gamma = _random_params(m)
    x = torch.randn(2, C, 5, 7, generator=torch.Generator().manual_seed(1)) * 3
    ref = _numpy_gdn(x.double().numpy(), beta, gamma, variant == "simplified", inverse)
    np.testing.assert_allclose(m(x).detach().double().numpy(), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("base", ["standard", "simplified"])
@pytest.mark.parametrize("inverse", [False, True])
def test_fixed_gdn_matches_numpy_within_its_grid(base, inverse):
    m = FixedPointGDN(C, inverse=inverse, base=base, word_bits=32, frac_bits=16)
    beta, gamma = _random_params(m)
    x = torch.randn(2, C, 5, 7, generator=torch.Generator().manual_seed(2)) * 3
    ref = _numpy_gdn(x.double().numpy(), beta, gamma, base == "simplified", inverse)
    out = m(x).detach().double().numpy()
    np.testing.assert_allclose(out, ref, atol=5e-3 * max(1.0, np.abs(ref).max()))
    assert np.all(np.round(out * 2**16) == out * 2**16)  # every output on the Q16.16 grid
    assert m.saturated == 0
    bq, gq = m.quantized_params()
    assert bq.min() >= 2**-16 and gq.min() >= 0  # positive beta after quantization


def test_fixed_gdn_saturates_and_counts_instead_of_overflowing():
    m = FixedPointGDN(C, base="standard", word_bits=8, frac_bits=4)  # Q4.4: |x| < 8
    x = torch.full((1, C, 2, 2), 100.0)
    x[0, 0] = -1000.0
    y = m(x)
    assert torch.isfinite(y).all()
    assert y.abs().max() <= 127 / 16 and m.saturated > 0  # clamped, never wrapped
    assert int(m.saturations[0]) == x.numel()  # every input element was out of range
    n = m.saturated
    m(torch.zeros(1, C, 2, 2))
    assert m.saturated == n  # in-range input adds nothing
    m.reset_saturations()
    assert m.saturated == 0


def test_fixed_gdn_trains_through_rounding():
    m = FixedPointGDN(C, word_bits=16, frac_bits=8)
    x = torch.randn(1, C, 4, 4, requires_grad=True)
    m(x).square().sum().backward()
    assert x.grad.abs().sum() > 0 and m.gamma.grad.abs().sum() > 0 and m.beta.grad.abs().sum() > 0


def test_replace_gdn_keeps_params_and_inverse(tiny_model):
    model = copy.deepcopy(tiny_model)
    before = [effective_params(m) for m in (model.g_a[1], model.g_s[1])]
    replace_gdn(model, "simplified")
    assert set(GDN_VARIANTS) >= {"standard", "simplified", "fixed"}
    assert type(model.g_a[1]) is GDN1 and model.g_s[1].inverse and not model.g_a[1].inverse
    assert model.gdn == "simplified"
    for (b, g), m in zip(before, (model.g_a[1], model.g_s[1])):
        b2, g2 = effective_params(m)
        assert torch.allclose(b, b2) and torch.allclose(g, g2)
    replace_gdn(model, "fixed", word_bits=24, frac_bits=10)
    assert isinstance(model.g_s[5], FixedPointGDN) and model.g_s[5].base == "simplified" and model.g_s[5].inverse
    with pytest.raises(Exception, match="unknown GDN variant"):
        replace_gdn(model, "nope")


@pytest.fixture(scope="module")
def sampler():
    return CropSampler(None, crop=64, seed=0, max_images=3)


@pytest.fixture(scope="module")
def hybrid(tiny_model, sampler):
    return quantize_calibrated(tiny_model, "hybrid", sampler, batches=2, batch_size=2)  # GDN equalization too


def test_quantized_model_bitstream_round_trip(hybrid, tiny_model, sampler, tmp_path):
    from brevitas.nn import QuantConv2d, QuantConvTranspose2d

    assert isinstance(hybrid.g_a[2], QuantConv2d) and isinstance(hybrid.g_s[0], QuantConvTranspose2d)
    assert isinstance(hybrid.g_a[1], FixedPointGDN) and type(hybrid.h_a[0]) is torch.nn.Conv2d  # hyper stays float
    x = sampler.batch(7, 1)[0]
    data = encode_image(hybrid, x)
    a, b = decode_image(hybrid, data), decode_image(hybrid, data)
    assert torch.equal(a, b)
    res = evaluate_codec(hybrid, [("crop", x)], progress=False)  # checks decode == forward pass
    assert res["mean"]["bytes"] == len(data)
    assert model_size_bytes(hybrid)["transforms"] < model_size_bytes(tiny_model)["transforms"] / 3
    assert sum(saturation_counts(hybrid).values()) == 0
    save_quantized(tmp_path / "q.pt", hybrid)
    back = load_quantized(tmp_path / "q.pt")
    assert decode_image(back, data).equal(a)  # same fingerprint, same reconstruction


@pytest.mark.parametrize("scheme, conv, gdn_bits, gdn_frac", [("int8", "QuantConv2d", 8, None),
                                                             ("fixed_gdn", "Conv2d", 32, 16)])
def test_other_schemes_round_trip(scheme, conv, gdn_bits, gdn_frac, tiny_model, sampler):
    q = calibrate(quantize_model(tiny_model, scheme), sampler, batches=1, batch_size=2)
    assert type(q.g_a[2]).__name__ == conv  # int8 quantizes the convs, fixed_gdn keeps them float
    gdns = [m for m in (*q.g_a, *q.g_s) if isinstance(m, FixedPointGDN)]
    assert len(gdns) == 6 and all(m.word_bits == gdn_bits for m in gdns)
    assert all(m.frac_bits == gdn_frac for m in gdns)  # int8: a PoT scale per tensor from the calibrated range
    assert gdn_frac or all(torch.isfinite(m.amax).all() and (m.amax > 0).all() for m in gdns)
    x = sampler.batch(8, 1)[0]
    data = encode_image(q, x)
    assert decode_image(q, data).equal(decode_image(q, data))
    res = evaluate_codec(q, [("crop", x)], progress=False)  # checks decode == forward pass
    assert res["mean"]["bytes"] == len(data) and res["mean"]["psnr"] > 10


def test_onnx_export_matches_pytorch(hybrid, sampler, tmp_path):
    x = sampler.batch(9, 1)
    path = export_onnx(hybrid.g_a, tmp_path / "g_a.onnx", x)
    import onnx

    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= ops
    r = check_onnx(path, hybrid.g_a, x)
    # measured: bit-identical (max_abs 0.0); allow float-reordering noise only
    assert r["max_abs"] <= 1e-4 * r["ref_max_abs"] and r["frac_mismatch"] == 0.0


def test_export_int_params_for_stage_04(hybrid, sampler, tmp_path):
    from lic.hw.fixedpoint import IntTransform, image_to_int

    files = export_int_params(hybrid, tmp_path / "hyb", sampler.batch(10, 2))
    ga = IntTransform.load(files["g_a"])
    gs = IntTransform.load(files["g_s"])
    assert [l.kind for l in ga.layers] == ["conv", "gdn"] * 3 + ["conv"]
    assert [l.kind for l in gs.layers] == ["deconv", "igdn"] * 3 + ["deconv"]
    w0 = hybrid.g_a[2].quant_weight()
    codes = (w0.value / w0.scale).round().detach().numpy()
    np.testing.assert_array_equal(ga.layers[2].params["weight"], codes)  # Brevitas int8 codes, unchanged
    y = ga.run(image_to_int(sampler.batch(11, 1)))
    assert y.shape == (1, hybrid.M, 4, 4)  # 64 px crop, g_a downsamples by 16


def test_prune_shapes_and_round_trip(sampler):
    torch.manual_seed(0)
    model = build_model(N=16, M=12).eval()
    model.update(force=True)
    p = prune_channels(model, 0.3)
    assert p.N == 11 and p.config["N"] == 11
    assert p.g_a[0].weight.shape[0] == 11 and p.g_a[2].weight.shape[:2] == (11, 11)
    assert p.g_a[1].gamma.shape == (11, 11) and p.g_s[5].beta.shape == (11,)
    assert p.g_s[6].weight.shape[0] == 11 and p.entropy_bottleneck.quantiles.shape[0] == 11
    evaluate_codec(p, [("crop", sampler.batch(12, 1)[0])], progress=False)
    keep = torch.sort(torch.topk(model.g_a[0].weight.abs().sum((1, 2, 3)), 11).indices).values
    assert torch.equal(p.g_a[0].weight, model.g_a[0].weight[keep])  # the largest-L1 filters
    x = sampler.batch(13, 1)
    same = prune_channels(model, 0.0)
    assert torch.allclose(same(x)["x_hat"], model(x)["x_hat"], atol=1e-6)


def test_stage_03_smoke_on_teacher(kodak_dir):
    from lic.study.runner import load_model, plan
    from lic.study.stages import quant, teacher

    up = {"01": {"steps": 2, "N": 8, "M": 12}, "03": {"source": "teacher", "qat_steps": 1, "simplified_steps": 1,
                                                     "prune_steps": 1, "calib_batches": 1}}
    pl = plan("smoke", ["03"], up)
    teacher.run(pl.cfg("01"), pl.inputs("01"), out=pl["01"], progress=False)
    r = quant.run(pl.cfg("03"), pl.inputs("03"), out=pl["03"], progress=False)
    assert r["key"] == pl["03"].key
    tab = quant.ablation_table(r)
    assert len(tab) == len(quant.ROWS) and tab.size_bytes.iloc[2] < tab.size_bytes.iloc[0]
    # ONNX Runtime and PyTorch both emulate the Q16.16 GDN in float32 and sum its C inputs in different orders,
    # so a GDN output can differ by an LSB of 2^-16 and flip an 8-bit step of the next conv's input: the export
    # is checked to within one int8 step of the output range (measured with GDN equalization: <= 1/600 of it);
    # bit-exactness is the integer path's (lic.hw.fixedpoint, C-sim, RTL), tested in test_fixedpoint / test_hls_csim
    assert all(c["max_abs"] < c["ref_max_abs"] / 128 and c["mean_abs"] < 1e-3 * c["ref_max_abs"]
               for c in r["onnx"].values())
    q = load_model(pl["03"], 0.0067)  # the hybrid row, the one stage 04 builds on
    assert isinstance(q.g_a[1], FixedPointGDN)
    d = pl["03"].dir
    assert (d / r["int_params"]["0.0067"]["g_a"]).exists() and (d / "gdn_ranges.svg").exists()
    steps = {x["step"] for x in r["collapse"]["rows"]}  # why two rows collapsed, on the same crops
    assert steps == {"float", "simplified", "pruned"} and (d / "collapse.svg").exists()


def test_noise_table_spread_is_nan_when_a_seed_has_no_overlap():
    import math

    from lic.study.stages.quant import noise_table

    rows = [{"row": "int8", "variant": "int8", "seed": 0, "bd_rate_psnr_vs_float": math.nan},
            {"row": "int8", "variant": "int8", "seed": 1, "bd_rate_psnr_vs_float": 25.9},
            {"row": "hybrid", "variant": "hybrid", "seed": 0, "bd_rate_psnr_vs_float": 3.8},
            {"row": "hybrid", "variant": "hybrid", "seed": 1, "bd_rate_psnr_vs_float": 2.6}]
    t = noise_table({"noise": rows})
    assert math.isnan(t.loc["int8", "spread"]) and t.loc["hybrid", "spread"] == 3.8 - 2.6
    assert list(t.columns) == ["seed 0", "seed 1", "spread"]
    assert noise_table({"noise": []}).empty


def test_stage_03_refuses_bad_noise_seeds():
    from lic.errors import ParameterError
    from lic.study.runner import resolve_params
    from lic.study.stages import quant

    for bad in ([0], ["1"]):
        with pytest.raises(ParameterError, match="noise_seeds"):
            quant.run(resolve_params("03", "smoke", noise_seeds=bad), progress=False)


def test_stage_03_names_which_student_it_quantizes():
    from lic.errors import ParameterError
    from lic.study.runner import plan, resolve_params
    from lic.study.stages import quant

    with pytest.raises(ParameterError, match="student_kind"):
        quant.run(resolve_params("03", "smoke", student_kind="best"), progress=False)
    assert resolve_params("03", "quick")["student_kind"] == "kd-pruned"  # the student one would deploy
    # another student is another input: another key
    assert plan("smoke", ["03"], {"03": {"student_kind": "kd-pruned"}})["03"].key != plan("smoke", ["03"])["03"].key


def test_prune_to_width_gives_exactly_that_width():
    from lic.errors import ParameterError
    from lic.train.prune import prune_to_width

    torch.manual_seed(0)
    m = build_model(N=16, M=12)
    assert [prune_to_width(m, n).N for n in (8, 12, 15)] == [8, 12, 15]
    with pytest.raises(ParameterError, match="not narrower"):
        prune_to_width(m, 16)


def test_data_driven_pruning_keeps_the_contributing_channels_and_folds_in_the_rest(sampler):
    """With calibration images: the kept channels are those whose activations feed the next conv most, a removed
    channel's mean reaches the next conv's bias and its E[x²] the GDN's β; on a channel that nothing reads
    and another the next conv reads heavily, the choice is the opposite of filter L1's; nothing pruned = the model."""
    from lic.train.prune import activation_stats, prune_to_width

    torch.manual_seed(0)
    m = build_model(N=16, M=12).eval()
    x = sampler.batch(14, 4)
    with torch.no_grad():
        m.g_a[0].weight[3].mul_(50)
        m.g_a[2].weight[:, 3] = 0  # largest L1 filter, but nothing reads its activation: dropped
        m.g_a[0].weight[5].mul_(0.5)
        m.g_a[2].weight[:, 5].mul_(80)  # the next conv reads channel 5 heavily: kept
    l1 = prune_to_width(m, 12)
    data = prune_to_width(m, 12, x)
    kept_l1 = torch.sort(torch.topk(m.g_a[0].weight.abs().sum((1, 2, 3)), 12).indices).values
    assert torch.equal(l1.g_a[0].weight, m.g_a[0].weight[kept_l1]) and 3 in kept_l1
    kept = [k for k in range(16) if any(torch.equal(m.g_a[0].weight[k], w) for w in data.g_a[0].weight)]
    assert 3 not in kept and 5 in kept and len(kept) == 12
    st = activation_stats(m, x)["g_a"]
    rem = [k for k in range(16) if k not in kept]
    shift = torch.einsum("oikl,i->o", m.g_a[2].weight[:, rem], st[2]["mean"][rem])
    kept2 = [k for k in range(16) if any(torch.equal(m.g_a[2].weight[k, kept], w) for w in data.g_a[2].weight)]
    assert torch.allclose(data.g_a[2].bias, (m.g_a[2].bias + shift)[kept2], atol=1e-4)
    beta = m.g_a[1].beta_reparam(m.g_a[1].beta)[kept]
    assert (data.g_a[1].beta_reparam(data.g_a[1].beta) >= beta - 1e-5).all()
    with torch.no_grad():
        assert torch.allclose(prune_channels(m, 0.0, x)(x)["x_hat"], m(x)["x_hat"], atol=1e-5)


def test_mse_scales_and_bias_correction_stay_on_the_accelerators_grid(tiny_model, sampler, tmp_path):
    from dataclasses import replace

    from lic.errors import ParameterError
    from lic.hw.fixedpoint import IntTransform
    from lic.quant.hybrid import SCHEMES, QuantScheme

    s = replace(SCHEMES["hybrid"], weight_scale="mse", act_scale="mse", bias_correction=True)
    q = calibrate(quantize_model(tiny_model, s), sampler, batches=2, batch_size=2)
    plain = calibrate(quantize_model(tiny_model, "hybrid"), sampler, batches=2, batch_size=2)
    assert not torch.equal(q.g_a[2].bias, plain.g_a[2].bias)  # bias correction moved the biases
    w = q.g_a[2].quant_weight()
    codes = (w.value / w.scale).round().detach()
    assert torch.all(torch.log2(w.scale) == torch.round(torch.log2(w.scale)))  # still power-of-two scales
    assert codes.abs().max() <= 127
    files = export_int_params(q, tmp_path / "q", sampler.batch(10, 2))
    np.testing.assert_array_equal(IntTransform.load(files["g_a"]).layers[2].params["weight"], codes.numpy())
    save_quantized(tmp_path / "q.pt", q)
    assert load_quantized(tmp_path / "q.pt").quant_scheme["weight_scale"] == "mse"
    with pytest.raises(ParameterError, match="weight_scale"):
        QuantScheme(weight_scale="minmax")


def test_stage_03_result_from_before_the_variant_column_is_rebuilt():
    from lic.study.stages import quant

    assert not quant._current({"summary": [{"row": "float", "codec": "float32 (same fine-tuning)"}]})
    assert quant._current({"summary": [{"row": "float", "variant": "float32 (same fine-tuning)"}]})


def test_integer_export_uses_the_activation_grids_the_model_was_measured_with(tiny_model, sampler, tmp_path):
    """MSE activation scales clip to a finer power of two than the max |x| of the calibration crops: the
    integer reference (stage 04, the C-sim, the RTL) must use the grids of stage 03's hybrid, not its own."""
    import math

    from lic.hw.fixedpoint import IntTransform
    from lic.quant.hybrid import act_fracs

    q = quantize_calibrated(tiny_model, "hybrid", sampler, batches=2, batch_size=2)
    files = export_int_params(q, tmp_path / "h", sampler.batch(10, 2))
    for part in ("g_a", "g_s"):
        seq, it = getattr(q, part), IntTransform.load(files[part])
        fr = act_fracs(seq)
        assert sorted(fr) == [1, 3, 5]  # every GDN feeds a quantized conv
        for k, f in fr.items():
            assert it.layers[k].attrs["out_frac"] == f == -math.log2(float(seq[k + 1].input_quant.scale().detach()))
