import pytest
import torch
from compressai.models import ScaleHyperprior

from lic.codec.models import build_model, load_checkpoint, save_checkpoint
from lic.data.images import CropSampler
from lic.errors import ArtifactError, ParameterError
from lic.train.loop import TrainConfig, train


def test_registry_and_bad_params():
    with pytest.raises(ParameterError, match="unknown architecture"):
        build_model("nope")
    with pytest.raises(ParameterError):
        build_model(N=0, M=8)
    with pytest.raises(ParameterError):
        TrainConfig(lmbda=-1)
    with pytest.raises(ParameterError, match="multiple of 64"):
        TrainConfig(crop=100)


def test_train_config_builds_a_run_from_parameters_recipes_and_arguments():
    from lic.train.loop import train_config

    p = {"lmbda": 0.0067, "steps": 40, "batch_size": 2, "crop": 64, "lr": 3e-4, "seed": 1, "precision": None,
         "widths": [8], "kodak_limit": 2}  # stage parameters: the unrelated ones and None values are ignored
    assert train_config(p) == TrainConfig(lmbda=0.0067, steps=40, batch_size=2, crop=64, lr=3e-4, seed=1, ckpt_every=40)
    assert train_config(p, steps=1000, precision="bf16").ckpt_every == 200  # every 200 steps, at most once a run
    assert train_config(p, steps=0).ckpt_every == 1 and train_config(p, ckpt_every=7).ckpt_every == 7
    with pytest.raises(ParameterError, match="steps"):
        train_config({"lmbda": 0.01})
    with pytest.raises(ParameterError, match="multiple of 64"):
        train_config(p, crop=100)


def test_loads_compressai_format_checkpoint(tmp_path):
    torch.manual_seed(0)
    ref = ScaleHyperprior(8, 12).eval()
    ref.update(force=True)
    torch.save(ref.state_dict(), tmp_path / "zoo.pth.tar")  # CompressAI zoo files are bare state dicts
    m = load_checkpoint(tmp_path / "zoo.pth.tar")
    assert (m.N, m.M) == (8, 12)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(m(x)["x_hat"], ref(x)["x_hat"])
    save_checkpoint(tmp_path / "ours.pt", m)
    with torch.no_grad():
        assert torch.allclose(load_checkpoint(tmp_path / "ours.pt")(x)["x_hat"], ref(x)["x_hat"])


def test_bad_checkpoints(tmp_path):
    with pytest.raises(ArtifactError, match="does not exist"):
        load_checkpoint(tmp_path / "none.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ArtifactError, match="unreadable"):
        load_checkpoint(tmp_path / "junk.pt")


def _sampler():
    return CropSampler(crop=64, seed=0, max_images=2)


def test_resume_equals_uninterrupted(tmp_path):
    cfg = TrainConfig(lmbda=0.01, steps=4, batch_size=2, crop=64, ckpt_every=2)
    torch.manual_seed(0)
    a = build_model(N=8, M=12)
    train(a, cfg, _sampler(), tmp_path / "a.pt", progress=False)

    torch.manual_seed(0)
    b = build_model(N=8, M=12)
    out = train(b, cfg, _sampler(), tmp_path / "b.pt", progress=False, max_seconds=0)  # stops after step 1
    assert out["step"] == 1 and not out["done"]
    torch.manual_seed(123)  # a resumed process starts with another RNG state
    c = build_model(N=8, M=12)
    out = train(c, cfg, _sampler(), tmp_path / "b.pt", progress=False)
    assert out["step"] == 4 and out["done"]
    for (k, va), vc in zip(a.state_dict().items(), c.state_dict().values()):
        assert torch.allclose(va, vc, atol=1e-6), k


def test_resume_into_a_model_whose_cdf_tables_have_another_size(tmp_path):
    # regression: a run started from a released model (a zoo recipe's ``init``: CDF tables built by update())
    # could not resume in a new process whose starting model's tables had another size than the checkpoint's
    cfg = TrainConfig(lmbda=0.01, steps=3, batch_size=2, crop=64, ckpt_every=1)

    def released():
        torch.manual_seed(0)
        m = build_model(N=8, M=12)
        m.update(force=True)
        return m

    a = released()
    train(a, cfg, _sampler(), tmp_path / "a.pt", progress=False)
    assert not train(released(), cfg, _sampler(), tmp_path / "b.pt", progress=False, max_seconds=0)["done"]
    c = released()
    with torch.no_grad():
        c.entropy_bottleneck.quantiles.mul_(4)  # another model's ranges: wider tables
    c.update(force=True)
    saved = torch.load(tmp_path / "b.pt", weights_only=False)["model"]["entropy_bottleneck._quantized_cdf"]
    assert c.entropy_bottleneck._quantized_cdf.shape != saved.shape
    assert train(c, cfg, _sampler(), tmp_path / "b.pt", progress=False)["done"]
    for (k, pa), pc in zip(a.named_parameters(), c.parameters()):
        assert torch.allclose(pa, pc, atol=1e-6), k


def test_max_seconds_counts_from_the_start_of_the_call_not_the_last_checkpoint(tmp_path):
    # regression: the wall-time budget used to restart at every checkpoint, so with checkpoints more
    # frequent than max_seconds a `--minutes` run never stopped
    import time

    from lic.train.loop import rd_loss_fn

    rd = rd_loss_fn(0.01)

    def slow_loss(model, x):
        time.sleep(0.05)
        return rd(model, x)

    cfg = TrainConfig(lmbda=0.01, steps=200, batch_size=1, crop=64, ckpt_every=1)
    out = train(build_model(N=4, M=6), cfg, _sampler(), tmp_path / "t.pt", loss_fn=slow_loss, progress=False,
                max_seconds=0.4)
    assert not out["done"] and 1 <= out["step"] < 50
    assert torch.load(tmp_path / "t.pt", weights_only=False)["step"] == out["step"]  # checkpointed where it stopped


def test_resume_refuses_other_config(tmp_path):
    cfg = TrainConfig(lmbda=0.01, steps=1, batch_size=1, crop=64)
    train(build_model(N=8, M=12), cfg, _sampler(), tmp_path / "a.pt", progress=False)
    with pytest.raises(ParameterError, match="another training config"):
        train(build_model(N=8, M=12), TrainConfig(lmbda=0.02, steps=1, batch_size=1, crop=64), _sampler(),
              tmp_path / "a.pt", progress=False)


def test_forward_equals_compressai_in_float32_and_keeps_entropy_models_float_under_bf16():
    torch.manual_seed(0)
    m = build_model(N=8, M=12).train()
    x = torch.rand(2, 3, 64, 64)
    torch.manual_seed(1)
    ref = ScaleHyperprior.forward(m, x)
    torch.manual_seed(1)
    out = m(x)
    assert torch.equal(ref["x_hat"], out["x_hat"])
    assert all(torch.equal(ref["likelihoods"][k], out["likelihoods"][k]) for k in ("y", "z"))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        amp = m(x)
    assert amp["x_hat"].dtype == torch.float32
    assert all(v.dtype == torch.float32 for v in amp["likelihoods"].values())
    # bf16 transforms move the output, but only at bf16's resolution (8 mantissa bits)
    assert 0 < (amp["x_hat"] - out["x_hat"]).abs().max() < 0.1


def test_bf16_training_runs_and_is_a_separate_config(tmp_path):
    with pytest.raises(ParameterError, match="precision"):
        TrainConfig(precision="int8")
    cfg = TrainConfig(lmbda=0.01, steps=2, batch_size=2, crop=64, ckpt_every=1, precision="bf16")
    torch.manual_seed(0)
    m = build_model(N=8, M=12)
    before = m.g_a[0].weight.detach().clone()
    out = train(m, cfg, _sampler(), tmp_path / "a.pt", progress=False)
    assert out["done"] and all(torch.isfinite(torch.tensor(h["loss"])) for h in out["history"])
    assert m.g_a[0].weight.dtype == torch.float32 and not torch.equal(before, m.g_a[0].weight)
    with pytest.raises(ParameterError, match="another training config"):  # fp32 never resumes a bf16 run
        train(build_model(N=8, M=12), TrainConfig(lmbda=0.01, steps=2, batch_size=2, crop=64, ckpt_every=1),
              _sampler(), tmp_path / "a.pt", progress=False)


def test_checkpoint_from_before_precision_existed_resumes_as_fp32(tmp_path):
    cfg = TrainConfig(lmbda=0.01, steps=2, batch_size=1, crop=64, ckpt_every=1)
    train(build_model(N=8, M=12), TrainConfig(lmbda=0.01, steps=1, batch_size=1, crop=64, ckpt_every=1),
          _sampler(), tmp_path / "a.pt", progress=False)
    state = torch.load(tmp_path / "a.pt", weights_only=False)
    del state["train_config"]["precision"]
    state["train_config"]["steps"] = 2
    torch.save(state, tmp_path / "a.pt")
    assert train(build_model(N=8, M=12), cfg, _sampler(), tmp_path / "a.pt", progress=False)["step"] == 2


def test_time_schedule_drops_the_lr_after_its_share_of_the_time_box(tmp_path):
    import time

    from lic.train.loop import rd_loss_fn

    rd = rd_loss_fn(0.01)

    def slow_loss(model, x):
        time.sleep(0.05)
        return rd(model, x)

    cfg = TrainConfig(lmbda=0.01, steps=10_000, batch_size=1, crop=64, ckpt_every=1, lr=1e-3, lr_schedule="time",
                      lr_drop=0.5)
    with pytest.raises(ParameterError, match="max_seconds"):
        train(build_model(N=4, M=6), cfg, _sampler(), tmp_path / "a.pt", progress=False)
    out = train(build_model(N=4, M=6), cfg, _sampler(), tmp_path / "t.pt", loss_fn=slow_loss, progress=False,
                max_seconds=1.0)
    lrs = [h["lr"] for h in out["history"]]  # logged every step (ckpt_every=1)
    assert not out["done"] and lrs[0] == 1e-3 and lrs[-1] == pytest.approx(1e-4)
    assert lrs == sorted(lrs, reverse=True)  # dropped once, never raised again
    steps = TrainConfig(lmbda=0.01, steps=10_000, batch_size=1, crop=64, ckpt_every=1, lr=1e-3)
    out = train(build_model(N=4, M=6), steps, _sampler(), tmp_path / "s.pt", loss_fn=slow_loss, progress=False,
                max_seconds=1.0)
    assert {h["lr"] for h in out["history"]} == {1e-3}  # the step schedule ignores the time box
    with pytest.raises(ParameterError, match="lr_schedule"):
        TrainConfig(lr_schedule="cosine")
