import pytest
import torch

from lic.codec.models import build_model, load_checkpoint, save_checkpoint
from lic.data.images import CropSampler
from lic.errors import ArtifactError, ParameterError
from lic.eval.rd import decode_image, encode_image
from lic.train.kd import DistillationLoss, distill_student, fit, forward_features, normalize_weights, train_scratch
from lic.train.loop import TrainConfig
from lic.train.specs import StudentSpec


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
    from lic.study.runner import plan, resolve_params
    from lic.study.stages import distill as stage
    from lic.train.specs import released_student

    pl = plan("smoke", ["02"])
    with pytest.raises(ParameterError, match=r"stage 02 reads \['01'\].*given none.*pl\.inputs\('02'\)"):
        stage.run(resolve_params("02", "smoke"), progress=False)  # no inputs: the caller's plan gives them
    with pytest.raises(ArtifactError, match="01_teacher_baseline.ipynb"):
        pl.inputs("02")
    with pytest.raises(ArtifactError, match="01_teacher_baseline.ipynb"):
        stage.run(pl.cfg("02"), {"01": pl["01"]}, progress=False)  # stage 01 given, but not run
    assert plan("smoke", ["02"])["02"].inputs["01"] == plan("smoke", ["01"])["01"].key
    assert plan("smoke", ["02"], {"01": {"steps": 5}})["02"].key != plan("smoke", ["02"])["02"].key
    with pytest.raises(ArtifactError, match="init='auto'"):
        released_student(StudentSpec("kd", 8, M=24, lmbda=0.025), "zoo")
    with pytest.raises(ParameterError, match="widths"):
        stage.run(resolve_params("02", "smoke", widths=[0]), progress=False)


def test_one_student_spec_gives_every_name_and_its_train_config():
    spec = StudentSpec("kd", 64, M=192, lmbda=0.025, steps=6000, lr=3e-4, precision="bf16")
    assert spec.name == "student-kd-n64-m192-l0.0250"
    assert StudentSpec("kd", 64, M=192, lmbda=0.025, seed=1).name == "student-kd-n64-m192-l0.0250-s1"
    assert StudentSpec("kd-pruned", 64, seed=0, gpu=True).name == "student-kd-pruned-n64-m192-l0.0250-gpu"
    s1 = StudentSpec("scratch", 8, lmbda=0.0067, seed=1)
    assert (s1.tag(), s1.tag(main_seed=1)) == ("scratch/n8/l0.0067/s1", "scratch/n8/l0.0067")
    assert s1.file_name() == "student_scratch_n8_l0.0067_s1.pt"
    assert s1.file_name("train", main_seed=1) == "train_scratch_n8_l0.0067.pt"
    assert [StudentSpec(k, 8).loss for k in ("kd", "scratch", "kd-pruned", "rd-pruned", "abl-rd-only")] == [
        "kd", "rd", "kd", "rd", "kd"]
    assert StudentSpec("rd-pruned", 8).inherits and not StudentSpec("rd-pruned", 8, init="x").inherits
    assert not StudentSpec("scratch", 8).uses_teacher and StudentSpec("rd-pruned", 8).uses_teacher
    cfg = spec.train_config()
    assert (cfg.lmbda, cfg.steps, cfg.lr, cfg.batch_size, cfg.crop, cfg.seed, cfg.precision, cfg.ckpt_every) == (
        0.025, 6000, 3e-4, 8, 128, 0, "bf16", 200)
    assert spec.train_config(ckpt_every=100, precision="fp32").ckpt_every == 100
    assert StudentSpec.from_recipe(spec.recipe()) == spec and spec.recipe()["loss"] == "kd"
    assert StudentSpec("rd-pruned", 64, teacher="t").recipe()["inherit"] == "t"
    with pytest.raises(ParameterError, match="unknown student kind"):
        StudentSpec("rd", 8)


def test_fit_makes_the_kd_rd_only_and_pruned_teacher_choice(tmp_path):
    teacher, _ = _pair(8, 4, 12)
    cfg = TrainConfig(lmbda=0.01, steps=0, batch_size=1, crop=64)
    sampler = CropSampler(crop=64, seed=0, max_images=2)

    def same(a, b):
        return all(torch.equal(va, vb) for va, vb in zip(a.state_dict().values(), b.state_dict().values()))

    kd, _ = fit(StudentSpec("kd", 4, M=12), teacher, sampler, tmp_path / "kd.pt", cfg=cfg, latents=("y", "z"),
                progress=False)
    assert set(torch.load(tmp_path / "kd.pt", weights_only=False)["extra"]) == {"kd_proj"}  # distilled
    sc, _ = fit(StudentSpec("scratch", 4, M=12), None, sampler, tmp_path / "sc.pt", cfg=cfg, progress=False)
    assert torch.load(tmp_path / "sc.pt", weights_only=False)["extra"] == {} and same(kd, sc)  # RD only, same init
    from lic.train.prune import prune_to_width

    pruned = prune_to_width(teacher, 4)
    rd, _ = fit(StudentSpec("rd-pruned", 4, M=12), teacher, sampler, tmp_path / "rd.pt", cfg=cfg, progress=False)
    assert same(rd, pruned) and not same(rd, sc)  # the teacher's pruned weights, not the random init
    given, _ = fit(StudentSpec("rd-pruned", 4, M=12), teacher, sampler, tmp_path / "g.pt", cfg=cfg, init=sc,
                   progress=False)
    assert same(given, sc)  # weights given: nothing inherited
    with pytest.raises(ParameterError, match="needs a teacher"):
        fit(StudentSpec("kd", 4, M=12), None, sampler, tmp_path / "x.pt", cfg=cfg, progress=False)


def test_noise_seeds_validated():
    from lic.study.runner import resolve_params
    from lic.study.stages import distill as stage

    for bad in ([0], ["1"], [True]):
        with pytest.raises(ParameterError, match="noise_seeds"):
            stage.run(resolve_params("02", "smoke", noise_seeds=bad), progress=False)
