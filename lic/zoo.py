"""Released reference weights (``weights/``), loaded by name, and the recipe that made them.

Like CompressAI's zoo, a table maps a name to its architecture, widths and λ; ``weights/
manifest.json`` records for each released file its SHA-256, the exact command, preset,
commit, steps and measured Kodak numbers. Files are fp16 state dicts (half the bytes of fp32;
the entropy models' CDF tables are rebuilt on load).

Train or continue a reference model (resumable across sessions)::

    python -m lic.zoo train teacher-n128-m192-l0.0250 --minutes 60
    python -m lic.zoo release teacher-n128-m192-l0.0250

The ``reference`` preset is every recipe in dependency order (base teacher, its fine-tunes,
then the students); interrupted anywhere, the same command continues where it stopped::

    python -m lic.zoo train reference --threads 2 && python -m lic.zoo release reference
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import time
from pathlib import Path

import torch

from .errors import ArtifactError, ParameterError
from .fileio import atomic_write_bytes, read_json, write_json

__all__ = ["WEIGHTS_DIR", "REFERENCE", "load_pretrained", "available", "release"]

GOLDEN_IMAGES = 3
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
WORK_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "reference"

_T = {"N": 128, "M": 192, "crop": 128, "batch_size": 8}
#: name -> recipe. ``init`` names the reference model a fine-tune starts from; ``dir`` the work folder.
REFERENCE: dict[str, dict] = {
    # the base teacher, from scratch at the paper's operating point
    "teacher-n128-m192-l0.0250": {**_T, "lmbda": 0.025, "lr": 3e-4, "steps": 10000, "dir": "teacher-n128-m192"},
    # the other RD points: fine-tuned from the base (rate moves within a few hundred steps); the two
    # lowest λ extend the teacher curve down to the students' PSNR so BD-rates vs the teacher exist.
    # Four points in all (11 MB each in fp16) keep weights/ near 80 MB.
    **{f"teacher-n128-m192-l{l:.4f}": {**_T, "lmbda": l, "lr": 1e-4, "steps": 300, "init": "teacher-n128-m192-l0.0250"}
       for l in (0.0067,)},
    **{f"teacher-n128-m192-l{l:.4f}": {**_T, "lmbda": l, "lr": 1e-4, "steps": 500, "init": "teacher-n128-m192-l0.0250"}
       for l in (0.0018, 0.0035)},
}
#: training steps of a student at the base λ (all students: the same budget)
STUDENT_STEPS = 4000
# students (paper: N is the only knob, M kept): KD and from-scratch at the same budget and seed,
# first at the base λ, then fine-tuned to a second λ so each has an RD curve (BD-rate needs two points).
# N=64 is trained with two seeds (init, crops and noise all change), which measures the run-to-run noise
# that the KD-vs-scratch difference has to exceed.
for _N, _kinds, _seeds in ((64, ("kd", "scratch"), (0, 1)), (32, ("kd",), (0,))):
    for _k in _kinds:
        for _s in _seeds:
            _sfx = f"-s{_s}" if _s else ""
            _base = f"student-{_k}-n{_N}-m192-l0.0250{_sfx}"
            REFERENCE[_base] = {**_T, "N": _N, "kind": _k, "lmbda": 0.025, "lr": 3e-4, "steps": STUDENT_STEPS,
                                "seed": _s, "teacher": "teacher-n128-m192-l0.0250"}
            REFERENCE[f"student-{_k}-n{_N}-m192-l0.0067{_sfx}"] = {
                **_T, "N": _N, "kind": _k, "lmbda": 0.0067, "lr": 1e-4, "steps": 300, "seed": _s, "init": _base,
                "teacher": "teacher-n128-m192-l0.0067"}


#: the ``reference`` preset: all recipes, each after the models it starts from or distils
PRESET_REFERENCE = list(REFERENCE)


def _expand(names: list[str]) -> list[str]:
    return [n for name in names for n in (PRESET_REFERENCE if name == "reference" else [name])]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def available() -> dict[str, dict]:
    """Released models: name -> manifest entry (empty if nothing is released)."""
    f = WEIGHTS_DIR / "manifest.json"
    return read_json(f)["models"] if f.exists() else {}


def load_pretrained(name: str, verify: bool = True) -> torch.nn.Module:
    """A released reference model by name (eval mode, CDFs built).

    Raises:
        ArtifactError: unknown name, missing file or checksum mismatch.
    """
    from .models import load_checkpoint

    models = available()
    if name not in models:
        raise ArtifactError(f"no released model {name!r} in {WEIGHTS_DIR}; released: {sorted(models)}")
    entry = models[name]
    path = WEIGHTS_DIR / entry["file"]
    if not path.exists():
        raise ArtifactError(f"{path} is listed in the manifest but missing")
    if verify and _sha256(path) != entry["sha256"]:
        raise ArtifactError(f"{path}: SHA-256 mismatch with weights/manifest.json")
    return load_checkpoint(path)


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=WEIGHTS_DIR.parent, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def ckpt_path(name: str) -> Path:
    return WORK_DIR / REFERENCE.get(name, {}).get("dir", name) / "train.pt"


def trained_model(name: str) -> torch.nn.Module:
    """The latest training checkpoint of reference model ``name`` (not the released file)."""
    from .models import build_model, load_state_dict_into

    f = ckpt_path(name)
    if not f.exists():
        raise ArtifactError(f"{name} has not been trained yet ({f}): python -m lic.zoo train {name}")
    state = torch.load(f, map_location="cpu", weights_only=False)
    return load_state_dict_into(build_model(**state["config"]), state["model"]).eval()


def train_reference(name: str, minutes: float | None = None, threads: int | None = None, train_dir=None) -> dict:
    """Train (or continue) reference model ``name`` for up to ``minutes`` (resumable)."""
    from .data import CropSampler
    from .models import build_model
    from .train import TrainConfig, seed_everything, train

    if name not in REFERENCE:
        raise ParameterError(f"unknown reference model {name!r}; known: {sorted(REFERENCE)}")
    r = REFERENCE[name]
    if threads:
        torch.set_num_threads(threads)
    cfg = TrainConfig(lmbda=r["lmbda"], steps=r["steps"], batch_size=r["batch_size"], crop=r["crop"], lr=r["lr"],
                      seed=r.get("seed", 0), ckpt_every=100)
    seed_everything(cfg.seed)
    sampler = CropSampler(train_dir, crop=cfg.crop, seed=cfg.seed)
    max_s = None if minutes is None else minutes * 60
    init = trained_model(r["init"]).train() if "init" in r else None
    kind = r.get("kind", "rd")
    if kind == "kd":
        from .distill import distill_student

        teacher = trained_model(r["teacher"])
        _, info = distill_student(teacher, r["N"], cfg, sampler, ckpt_path(name), init=init, desc=name)
        return info
    if kind == "scratch":
        from .distill import train_scratch

        _, info = train_scratch(r["N"], r["M"], cfg, sampler, ckpt_path(name), init=init, desc=name)
        return info
    model = init if init is not None else build_model(N=r["N"], M=r["M"])
    return train(model, cfg, sampler, ckpt_path(name), max_seconds=max_s, desc=name)


def release(name: str, eval_limit: int | None = None, command: str = "") -> dict:
    """Export the trained checkpoint as fp16, measure it on Kodak, update the manifest."""
    from .eval import evaluate_codec
    from .data import load_kodak

    state = torch.load(ckpt_path(name), map_location="cpu", weights_only=False)
    model = trained_model(name)
    sd = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    buf = io.BytesIO()
    torch.save({"config": model.config, "state_dict": sd}, buf)
    WEIGHTS_DIR.mkdir(exist_ok=True)
    path = atomic_write_bytes(WEIGHTS_DIR / f"{name}.pt", buf.getvalue())
    from .models import load_checkpoint

    released = load_checkpoint(path)  # what users get: fp16 file, constant buffers rebuilt
    res = evaluate_codec(released, load_kodak(limit=eval_limit))
    models = available()
    models[name] = {
        "file": path.name,
        "sha256": _sha256(path),
        "config": model.config,
        "lmbda": state["train_config"]["lmbda"],
        "train_config": state["train_config"],
        "steps": state["step"],
        "train_seconds": round(state.get("seconds", 0.0)),
        "commit": _git_commit(),
        "command": command or f"python -m lic.zoo train {name}",
        "kodak": {k: round(float(v), 5) for k, v in res["mean"].items() if k in ("bpp", "psnr", "ms_ssim")},
        # the golden test re-measures these images and compares
        "kodak_golden": res["per_image"].head(GOLDEN_IMAGES)[["image", "bytes", "bpp", "psnr"]].to_dict("records"),
        "kodak_images": len(res["per_image"]),
        "released": time.strftime("%Y-%m-%d"),
    }
    write_json(WEIGHTS_DIR / "manifest.json", {"models": models})
    return models[name]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m lic.zoo", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train or continue a reference model (resumable)")
    t.add_argument("name", nargs="+", choices=["reference", *sorted(REFERENCE)],
                   help="one or more, trained in the order given; 'reference': all, in dependency order")
    t.add_argument("--minutes", type=float, default=None, help="stop (checkpointed) after this wall time")
    t.add_argument("--threads", type=int, default=None)
    t.add_argument("--train-dir", default=None)
    r = sub.add_parser("release", help="export fp16 weights, measure on Kodak, update weights/manifest.json")
    r.add_argument("name", nargs="+", choices=["reference", *sorted(REFERENCE)])
    r.add_argument("--limit", type=int, default=None, help="Kodak images (default all 24)")
    sub.add_parser("list", help="released models")
    a = p.parse_args(argv)
    if a.cmd == "train":
        for name in _expand(a.name):
            out = train_reference(name, a.minutes, a.threads, a.train_dir)
            print(f"{name}: step {out['step']}, {out['seconds']:.0f} s, last {out['history'][-1] if out['history'] else {}}",
                  flush=True)
    elif a.cmd == "release":
        for name in _expand(a.name):
            print(name, release(name, a.limit, f"python -m lic.zoo train {name}")["kodak"], flush=True)
    else:
        for k, v in available().items():
            print(k, v["kodak"], v["steps"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
