"""01.init = "compressai": the paper's teacher from CompressAI's zoo, offline from the torch hub cache.

No network here: CompressAI's file names are filled with our released teacher's weights in a temporary
TORCH_HOME, which is exactly how ``compressai.zoo`` finds a file it downloaded before.
"""

import urllib.error

import pytest
import torch

from lic.codec.pretrained import compressai_cache_file, compressai_quality, load_compressai
from lic.codec.zoo import available, load_pretrained
from lic.data.images import CropSampler
from lic.errors import ArtifactError, ParameterError
from lic.study.runner import load_model, plan, resolve_params
from lic.study.stages import teacher as stage01
from lic.train.kd import distill_student
from lic.train.loop import TrainConfig

RELEASED = "teacher-n128-m192-l0.0250"


def test_lambda_to_quality_follows_compressai_table():
    assert [compressai_quality(l) for l in (0.0018, 0.0035, 0.0067, 0.013, 0.025, 0.0483, 0.0932, 0.18)] == list(
        range(1, 9))
    with pytest.raises(ParameterError, match="not one of CompressAI"):
        compressai_quality(0.02)


def test_missing_file_without_network_is_one_clear_error(tmp_path, monkeypatch):
    import compressai.zoo.image as zi

    def offline(url, **_):
        raise urllib.error.URLError("no network")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(zi, "load_state_dict_from_url", offline)
    with pytest.raises(ArtifactError, match="bmshj2018-hyperprior-5-f8b614e1.pth.tar"):
        load_compressai(0.025)


@pytest.fixture()
def hub_cache(tmp_path, monkeypatch):
    """Our released λ=0.025 teacher stored as CompressAI's quality-5 file in a fresh torch hub cache."""
    if RELEASED not in available():
        pytest.skip("released teacher not in weights/")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    f = compressai_cache_file(5)
    assert f.is_relative_to(tmp_path) and f.name == "bmshj2018-hyperprior-5-f8b614e1.pth.tar"
    f.parent.mkdir(parents=True)
    ours = load_pretrained(RELEASED).float()
    torch.save(ours.state_dict(), f)  # a bare state dict, as CompressAI publishes them
    return ours


def test_teacher_from_compressai_zoo_then_one_distilled_student_step(hub_cache, kodak_dir, tmp_path):
    ov = dict(N=128, M=192, lambdas=[0.025], init="compressai", steps=0, kodak_limit=1, jpeg_qualities=[50],
              kodak_dir=str(kodak_dir), artifacts=str(tmp_path / "art"))
    res = stage01.run(resolve_params("01", "smoke", **ov), progress=False)
    assert res["init"]["0.0250"] == "compressai:bmshj2018-hyperprior-q5"
    golden = available()[RELEASED]["kodak_golden"][0]  # kodim01, measured at release from the same weights
    assert res["rd"][0]["psnr"] == pytest.approx(golden["psnr"], abs=1e-3)
    assert res["rd"][0]["bpp"] == pytest.approx(golden["bpp"], rel=1e-3)
    teacher = load_model(plan("smoke", ["01"], {"01": ov})["01"], 0.025)  # the artifact the run wrote
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(teacher(x)["x_hat"], hub_cache.eval()(x)["x_hat"])
    cfg = TrainConfig(lmbda=0.025, steps=1, batch_size=1, crop=64, ckpt_every=1)
    student, info = distill_student(teacher, 16, cfg, CropSampler(crop=64, max_images=1), tmp_path / "kd.pt",
                                    progress=False)
    assert info["done"] and torch.isfinite(torch.tensor(info["history"][0]["loss"]))
    assert (student.N, student.M) == (16, 192) and info["history"][0]["latent"] > 0


def test_widths_must_match_stage_01(hub_cache, kodak_dir, tmp_path):
    p = resolve_params("01", "smoke", lambdas=[0.025], init="compressai", steps=0, kodak_limit=1,
                       kodak_dir=str(kodak_dir), artifacts=str(tmp_path / "art"))
    with pytest.raises(ParameterError, match="N=128, M=192, stage 01 has N=16, M=24"):
        stage01.run(p, progress=False)
