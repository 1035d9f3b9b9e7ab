"""The GPU job's round trip (lic.release.gpujob): slimmed states back, released at home, adopted under the released name."""

import pytest
import torch

from lic.codec import zoo
from lic.codec.models import build_model
from lic.data.images import CropSampler
from lic.errors import ArtifactError, ParameterError
from lic.fileio import read_json, write_json
from lic.release import campaign, gpujob, recipes
from lic.train.loop import TrainConfig, train


@pytest.fixture
def tiny_zoo(tmp_path, monkeypatch, kodak_dir):
    """A recipe table with one GPU teacher that replaces a released one, in a temporary zoo and weights/."""
    work, weights = tmp_path / "work", tmp_path / "weights"
    monkeypatch.setattr(campaign, "WORK_DIR", work)
    monkeypatch.setattr(zoo, "WEIGHTS_DIR", weights)
    monkeypatch.setenv("LIC_KODAK_DIR", str(kodak_dir))
    monkeypatch.setattr(recipes, "REFERENCE", {"t-gpu": {"N": 8, "M": 12, "lmbda": 0.01, "steps": 3, "replaces": "t"}})
    cfg = TrainConfig(lmbda=0.01, steps=3, batch_size=1, crop=64, ckpt_every=1)
    train(build_model(N=8, M=12), cfg, CropSampler(crop=64, seed=0, max_images=1), campaign.ckpt_path("t-gpu"),
          progress=False)
    return tmp_path


def test_pack_release_adopt(tiny_zoo):
    full = torch.load(campaign.ckpt_path("t-gpu"), weights_only=False)
    (tar,) = gpujob.pack(["t-gpu"], tiny_zoo / "out")
    assert tar.name == "gpu-l0.0100.tar"
    import tarfile

    with tarfile.open(tar) as t:
        t.extractall(tiny_zoo / "home", filter="data")
    slim_path = tiny_zoo / "home" / "zoo" / "t-gpu" / "train.pt"
    slim = torch.load(slim_path, weights_only=False)
    assert "optimizer" not in slim and slim["step"] == 3 and slim["history"] == full["history"]
    assert all(v.dtype == torch.float16 for v in slim["model"].values() if v.is_floating_point())
    # a slimmed state is not a resumable one
    with pytest.raises(ParameterError, match="not resumable"):
        train(build_model(N=8, M=12), TrainConfig(lmbda=0.01, steps=4, batch_size=1, crop=64, ckpt_every=1),
              CropSampler(crop=64, seed=0, max_images=1), slim_path, progress=False)
    # released at home from the slimmed state (the weights were fp16 in the release anyway)
    campaign.WORK_DIR = tiny_zoo / "home" / "zoo"
    entry = campaign.release("t-gpu", eval_limit=1, weights_dir=tiny_zoo / "gpuw")
    assert entry["steps"] == 3 and entry["kodak_images"] == 1
    with pytest.raises(ArtifactError, match="replaces"):
        gpujob.adopt("other", tiny_zoo / "gpuw")
    zoo.WEIGHTS_DIR.mkdir()
    # the replaced model's integer variants (calibrated on its old weights) are withdrawn with their files
    variants = {"t-int": {"file": "t.pt", "base": "t", "int_prior": {"file": "t.int.npz"}},
                "t-fpga": {"file": "t.pt", "base": "t", "int_prior": {"file": "t.int.npz"},
                           "int_ga": {"file": "t.ga.npz"}}}
    write_json(zoo.WEIGHTS_DIR / "manifest.json", {"models": {"keep": {"file": "keep.pt"}, **variants}})
    write_json(zoo.WEIGHTS_DIR / "kodak_measured.json", {"models": {"t-int": {}, "keep": {}}})
    for f in ("t.int.npz", "t.ga.npz", "keep.int.npz"):
        (zoo.WEIGHTS_DIR / f).write_bytes(b"x")
    adopted = gpujob.adopt("t-gpu", tiny_zoo / "gpuw")
    assert sorted(p.name for p in zoo.WEIGHTS_DIR.glob("*.npz")) == ["keep.int.npz"]
    assert sorted(read_json(zoo.WEIGHTS_DIR / "kodak_measured.json")["models"]) == ["keep", "t"]
    assert adopted["file"] == "t.pt" and adopted["recipe"] == "t-gpu" and adopted["kodak"] == entry["kodak"]
    assert (zoo.WEIGHTS_DIR / "t.pt").read_bytes() == (tiny_zoo / "gpuw" / "t-gpu.pt").read_bytes()
    assert sorted(zoo.available()) == ["keep", "t"]
    # the curve comes along into curves.json; the manifest holds none
    assert zoo.released_curve("t") == zoo.released_curve("t-gpu", tiny_zoo / "gpuw") != []
    assert "curve" not in zoo.available()["t"] and "curve" not in adopted
    rec = read_json(zoo.WEIGHTS_DIR / "kodak_measured.json")["models"]["t"]
    assert rec["sha256"] == adopted["sha256"]
    assert zoo.load_pretrained("t").N == 8  # checksum verified


def test_adopt_if_better_compares_kodak_costs_on_the_same_images_only(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(recipes, "REFERENCE", {"t-p2": {"replaces": "t"}})
    entry = lambda bpp, psnr, n=24, **kw: {"lmbda": 0.01, "kodak": {"bpp": bpp, "psnr": psnr}, "kodak_images": n, **kw}
    zoos = {"new": {"t-p2": entry(0.5, 30.0)}, "old": {"t": entry(0.5, 29.0)}}
    monkeypatch.setattr(zoo, "available", lambda d=None: zoos["new" if d else "old"])
    adopted = []
    monkeypatch.setattr(gpujob, "adopt", lambda name, src: adopted.append(name))
    assert gpujob.adopt_if_better("t-p2", tmp_path) and adopted == ["t-p2"]  # lower cost: adopted
    assert "RD cost" in capsys.readouterr().out
    zoos["old"]["t"] = entry(0.5, 31.0)
    assert not gpujob.adopt_if_better("t-p2", tmp_path) and adopted == ["t-p2"]  # higher cost: kept
    zoos["old"]["t"] = entry(0.5, 29.0, n=8)
    with pytest.raises(ArtifactError, match="Kodak images"):  # Kodak-24 against Kodak-8: refused
        gpujob.adopt_if_better("t-p2", tmp_path)
    zoos["old"]["t"] = entry(0.5, 29.0, recipe="t-p2")
    assert not gpujob.adopt_if_better("t-p2", tmp_path)  # already adopted: not again
