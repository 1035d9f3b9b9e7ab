import pytest
import torch

from lic.data import CropSampler
from lic.distill import DistillationLoss, distill_student, forward_features, normalize_weights, train_scratch
from lic.errors import ArtifactError, ParameterError
from lic.eval import decode_image, encode_image
from lic.models import build_model, load_checkpoint, save_checkpoint
from lic.train import TrainConfig


def _pair(n_teacher=8, n_student=4, m=6):
    torch.manual_seed(0)
    return build_model(N=n_teacher, M=m), build_model(N=n_student, M=m)


def _fake(x_hat, y, z=None):
    return {"x_hat": x_hat, "likelihoods": {"y": torch.full((1, 2, 1, 1), 0.5), "z": torch.full((1, 1, 1, 1), 0.25)},
            "features": {"y": y, **({} if z is None else {"z": z})}}


def test_loss_known_values():
    teacher, student = _pair()
    kd = DistillationLoss(teacher, student, lmbda=0.01)  # 0.2 / 0.2 / 0.4, latents y
    x = torch.full((1, 3, 2, 2), 0.5)
    s = _fake(torch.full_like(x, 0.6), torch.ones(1, 6, 1, 1))
    t = _fake(torch.full_like(x, 0.4), torch.full((1, 6, 1, 1), 3.0))
    out = kd(x, s, t)
    # bpp: (2 * 1 bit + 1 * 2 bits) / 4 px = 1; RD = 0.01 * 255^2 * 0.01 + 1
    assert out["bpp"].item() == pytest.approx(1.0)
    assert out["rd"].item() == pytest.approx(7.5025)
    assert out["latent"].item() == pytest.approx(4.0)  # (1 - 3)^2
    assert out["output"].item() == pytest.approx(0.01 * 255**2 * 0.04)  # λ·255²·(0.6 - 0.4)^2 = 26.01
    assert out["loss"].item() == pytest.approx(0.2 * 4.0 + 0.2 * 26.01 + 0.4 * 7.5025)

    # z has N channels (4 vs 8): projected; with weight 0 and bias 1 the projection outputs 1
    kd = DistillationLoss(teacher, student, lmbda=0.01, weights=(1.0, 0.0, 0.0), latents=("y", "z"))
    torch.nn.init.zeros_(kd.proj["z"].weight)
    torch.nn.init.ones_(kd.proj["z"].bias)
    s = _fake(x, torch.ones(1, 6, 1, 1), torch.ones(1, 4, 1, 1))
    t = _fake(x, torch.full((1, 6, 1, 1), 3.0), torch.full((1, 8, 1, 1), 2.0))
    out = kd(x, s, t)
    assert out["latent"].item() == pytest.approx((4.0 + 1.0) / 2)  # mean over the matched features
    assert out["loss"].item() == pytest.approx(2.5)


def test_weights_and_latents_validation():
    assert normalize_weights(None) == {"latent": 0.2, "output": 0.2, "rd": 0.4}
    assert normalize_weights({"rd": 1}) == {"latent": 0.0, "output": 0.0, "rd": 1.0}
    for bad in ((0, 0, 0), (1, -1, 0), {"kl": 1.0}, (1, 2)):
        with pytest.raises(ParameterError):
            normalize_weights(bad)
    teacher, student = _pair()
    with pytest.raises(ParameterError, match="unknown latent"):
        DistillationLoss(teacher, student, 0.01, latents=("w",))
    with pytest.raises(ParameterError, match="no latents"):
        DistillationLoss(teacher, student, 0.01, latents=())


def test_projection_shapes_and_features():
    teacher, student = _pair(8, 4, 6)
    kd = DistillationLoss(teacher, student, 0.01, latents=("y", "z", "g_a.3"))
    assert set(kd.proj) == {"z", "g_a_3"}  # y: M channels on both sides, no projection
    assert (kd.proj["z"].in_channels, kd.proj["z"].out_channels) == (4, 8)
    assert list(kd.extra_modules) == ["kd_proj"]
    assert not any(k.startswith("teacher") for k in kd.state_dict())  # teacher held by reference only
    x = torch.rand(1, 3, 64, 64)
    _, feats = forward_features(student, x, ("y", "z", "g_a.3"))
    assert feats["y"].shape == (1, 6, 4, 4) and feats["z"].shape == (1, 4, 1, 1)
    assert kd.project("g_a.3", feats["g_a.3"]).shape == (1, 8, 16, 16)  # stride 4
    same = DistillationLoss(teacher, build_model(N=8, M=6), 0.01, latents=("y", "z"))
    assert len(same.proj) == 0 and same.extra_modules == {}


def test_gradients_reach_only_student_and_projection():
    teacher, student = _pair(8, 4, 6)
    kd = DistillationLoss(teacher, student, 0.01, latents=("y", "z", "g_a.5"))
    kd.train()
    student.train()
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())
    out = kd.loss_fn(student, torch.rand(2, 3, 64, 64))
    out["loss"].backward()
    assert all(p.grad is None for p in teacher.parameters())
    assert all(p.grad is not None for p in kd.proj.parameters())
    for name in ("g_a.0.weight", "h_a.0.weight", "g_s.0.weight", "h_s.0.weight"):
        assert student.get_parameter(name).grad is not None, name
    assert all(v > 0 for k, v in out.items() if k != "loss")


def test_kd_and_scratch_start_alike(tmp_path):
    teacher, _ = _pair(8, 4, 12)
    cfg = TrainConfig(lmbda=0.01, steps=0, batch_size=1, crop=64)
    sampler = CropSampler(crop=64, seed=0, max_images=2)
    a, _ = distill_student(teacher, 4, cfg, sampler, tmp_path / "a.pt", latents=("y", "z"), progress=False)
    b, _ = train_scratch(4, 12, cfg, sampler, tmp_path / "b.pt", progress=False)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(va, vb), k


def test_two_step_kd_roundtrips_a_bitstream(tmp_path):
    torch.manual_seed(0)
    teacher = build_model(N=8, M=12).eval()
    teacher.update(force=True)
    cfg = TrainConfig(lmbda=0.01, steps=2, batch_size=1, crop=64, ckpt_every=1)
    sampler = CropSampler(crop=64, seed=0, max_images=2)
    before = build_model(N=4, M=12).state_dict()
    student, info = distill_student(teacher, 4, cfg, sampler, tmp_path / "kd.pt", latents=("y", "z"), progress=False)
    assert info["done"] and info["step"] == 2 and (student.N, student.M) == (4, 12)
    assert set(torch.load(tmp_path / "kd.pt", weights_only=False)["extra"]) == {"kd_proj"}
    assert not torch.equal(before["g_a.0.weight"], student.state_dict()["g_a.0.weight"])
    save_checkpoint(tmp_path / "student.pt", student)
    student = load_checkpoint(tmp_path / "student.pt")
    x = sampler.batch(99, 1)[0]
    data = encode_image(student, x)
    x_dec = decode_image(student, data)
    with torch.no_grad():
        x_fwd = student(x.unsqueeze(0))["x_hat"].clamp(0, 1)[0]
    assert x_dec.shape == x.shape and (x_dec - x_fwd).abs().max() < 2e-3
    again, info = distill_student(teacher, 4, cfg, sampler, tmp_path / "kd.pt", latents=("y", "z"), progress=False)
    assert info["step"] == 2  # resumed from the finished checkpoint, nothing retrained


def test_stage_needs_stage_01_and_keys_it():
    from lic.stages import distill as stage
    from lic.study import resolve_params

    with pytest.raises(ArtifactError, match="01_teacher_baseline.ipynb"):
        stage.run(resolve_params("02", "smoke"), progress=False)
    assert stage.stage_handle("smoke").inputs["01"] == stage.teacher_stage.stage_handle("smoke").key
    assert stage.stage_handle("smoke", {"01": {"steps": 5}}).key != stage.stage_handle("smoke").key
    with pytest.raises(ArtifactError, match="init='auto'"):
        stage._init_model("kd", 8, 24, 0.025, "zoo")
    with pytest.raises(ParameterError, match="widths"):
        stage.run(resolve_params("02", "smoke", widths=[0]), progress=False)


def test_noise_summary_resolves_only_effects_above_the_seed_noise():
    import math

    import pandas as pd

    from lic.stages.distill import noise_summary, zoo_name

    def table(kd0, kd1, kd_seed, sc_seed):
        return pd.DataFrame([
            {"N": 64, "comparison": "kd vs scratch", "seed": "0", "bd_rate": kd0},
            {"N": 64, "comparison": "kd vs scratch", "seed": "1", "bd_rate": kd1},
            {"N": 64, "comparison": "kd: seed 1 vs seed 0", "seed": "1 vs 0", "bd_rate": kd_seed},
            {"N": 64, "comparison": "scratch: seed 1 vs seed 0", "seed": "1 vs 0", "bd_rate": sc_seed},
        ])

    (r,) = noise_summary(table(-6.0, -5.0, 1.5, -2.0))
    assert r["resolved"] and r["kd_vs_scratch_mean"] == -5.5 and r["noise"] == 2.0
    assert r["paired_spread"] == 1.0 and r["seed_noise"] == 2.0
    assert r["ci95"] == pytest.approx(12.706 * 0.5, rel=1e-3)  # t(0.975, 1 dof) * sd/sqrt(2)
    (r,) = noise_summary(table(-6.0, -5.0, 1.5, -7.0))  # a seed alone moves more than KD
    assert not r["resolved"] and r["noise"] == 7.0
    (r,) = noise_summary(table(-6.0, 0.5, 0.1, 0.1))  # seeds disagree in sign
    assert not r["resolved"]
    (r,) = noise_summary(table(math.nan, -5.0, 0.1, 0.1))  # no overlap: nothing is resolved
    assert not r["resolved"] and math.isnan(r["noise"])
    assert zoo_name("kd", 64, 192, 0.025) == "student-kd-n64-m192-l0.0250"
    assert zoo_name("kd", 64, 192, 0.025, seed=1) == "student-kd-n64-m192-l0.0250-s1"


def test_noise_seeds_validated():
    from lic.stages import distill as stage
    from lic.study import resolve_params

    for bad in ([0], ["1"], [True]):
        with pytest.raises(ParameterError, match="noise_seeds"):
            stage._validate(resolve_params("02", "smoke", noise_seeds=bad))


def test_paired_objective_reads_the_final_phase_of_both_logs():
    import math

    from lic.stages.distill import paired_objective

    def log(mse_late):  # 100 steps logged every 10; the last 20 steps have another MSE
        return [{"step": s, "mse": (mse_late if s > 80 else 0.01), "bpp": 0.5} for s in range(10, 101, 10)]

    r = paired_objective(log(0.0020), log(0.0025), lmbda=0.01, tail=0.2)
    kd, sc = 0.01 * 255**2 * 0.0020 + 0.5, 0.01 * 255**2 * 0.0025 + 0.5
    assert r["steps"] == 100 and r["tail_steps"] == 20
    assert r["kd_cost"] == pytest.approx(kd) and r["scratch_cost"] == pytest.approx(sc)
    assert r["kd_vs_scratch_pct"] == pytest.approx(100 * (kd / sc - 1))
    r = paired_objective(log(0.0020), log(0.0025), lmbda=0.01, tail=0.5)  # the tail now mixes in early steps
    assert r["kd_vs_scratch_pct"] > 100 * (kd / sc - 1)
    assert math.isnan(paired_objective([], log(0.002), 0.01, 0.2)["kd_vs_scratch_pct"])  # no log: no number


def test_objective_summary_needs_a_ci_that_excludes_zero_and_agreeing_seeds():
    import math

    import pandas as pd

    from lic.stages.distill import objective_summary

    def table(*d):
        return pd.DataFrame({"N": 64, "lmbda": 0.025, "seed": range(len(d)), "kd_vs_scratch_pct": d})

    (r,) = objective_summary(table(-1.8, -2.3, -1.3))
    assert r["resolved"] and r["mean_pct"] == pytest.approx(-1.8) and r["seeds"] == 3
    assert r["ci95"] == pytest.approx(4.303 * 0.5 / math.sqrt(3), rel=1e-3) and r["p"] < 0.05
    (r,) = objective_summary(table(-3.6, -4.4, 2.4))  # one seed reverses: not resolved
    assert not r["resolved"] and r["p"] > 0.05
    (r,) = objective_summary(table(-1.0, -9.0, -0.5))  # same sign, but the CI includes 0
    assert not r["resolved"]
    (r,) = objective_summary(table(-1.0, math.nan))
    assert not r["resolved"] and math.isnan(r["mean_pct"])


def test_released_log_is_the_models_own_phase(monkeypatch):
    from lic import zoo
    from lic.stages.distill import _released_log

    curve = [{"step": s, "mse": 0.01, "bpp": 1.0} for s in (100, 200, 300, 400)]
    monkeypatch.setattr(zoo, "available", lambda: {"m": {"curve": curve, "total_steps": 400,
                                                          "phases": [{"steps": 300}, {"steps": 100}]}})
    assert [r["step"] for r in _released_log("zoo:m")] == [100]  # the fine-tune: steps 301-400 of the chain
    assert _released_log("scratch") == [] and _released_log("zoo:other") == []


def test_kodak_cost_change_uses_mean_mse_and_mean_bpp():
    import math

    import pandas as pd

    from lic.stages.distill import _kodak_cost_change

    rows = [{"codec": k, "N": 64, "lmbda": 0.025, "seed": 0, "image": i, "psnr": p, "bpp": b}
            for k, ps, b in (("kd", (30.0, 20.0), 0.5), ("scratch", (30.0, 30.0), 0.6)) for i, p in enumerate(ps)]
    df = pd.DataFrame(rows)
    kd = 0.025 * 255**2 * (1e-3 + 1e-2) / 2 + 0.5  # mean MSE, not the MSE of the mean PSNR
    sc = 0.025 * 255**2 * 1e-3 + 0.6
    assert _kodak_cost_change(df, 64, 0.025, 0) == pytest.approx(100 * (kd / sc - 1))
    assert math.isnan(_kodak_cost_change(df, 64, 0.025, 1))  # no such seed
