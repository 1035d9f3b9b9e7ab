"""Released reference weights (``weights/``), loaded by name, and the recipe that made them.

Like CompressAI's zoo, a table maps a name to its architecture, widths and λ; ``weights/
manifest.json`` records for each released file its SHA-256, the exact command, preset,
commit, steps and measured Kodak numbers; its training curve goes beside it, into ``weights/curves.json``.
Files are fp16 state dicts (half the bytes of fp32; the entropy models' CDF tables are rebuilt on load).

Train or continue a reference model (resumable across sessions)::

    python -m lic.release train teacher-n128-m192-l0.0250 --minutes 60
    python -m lic.release release teacher-n128-m192-l0.0250
    python -m lic.release intprior        # integer-entropy variants <name>-int (lic.release.intprior)

The ``reference`` preset is every recipe in dependency order (base teacher, its fine-tunes,
then the students); interrupted anywhere, the same command continues where it stopped::

    python -m lic.release train reference --threads 2 && python -m lic.release release reference
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

import torch

from lic.codec import zoo
from lic.errors import ArtifactError, ParameterError
from lic.fileio import atomic_write_bytes, atomic_write_text, file_lock, write_json
from lic.provenance import ROOT, git_commit, sha256_file
from lic.release import recipes
from lic.train.specs import StudentSpec

__all__ = ["WORK_DIR", "ckpt_path", "phases", "curve", "trained_model", "source_model", "train_reference",
           "released_log", "last_phase", "LOCK", "write_manifest", "kodak_means", "release", "main"]

GOLDEN_IMAGES = 3
#: the lock file beside a manifest that every release holds while it updates the manifest and the Kodak record
LOCK = ".release.lock"
#: training states of the recipes (``$LIC_ZOO_WORK`` moves them, e.g. into a GPU job's output folder)
WORK_DIR = Path(os.environ.get("LIC_ZOO_WORK") or ROOT / "artifacts" / "reference")


def _chain(name: str) -> list[tuple[str, dict | None]]:
    """(recipe name, training state) along the ``init`` chain of ``name``, first run first. A released
    model this checkout holds no training state of ends the chain with state ``None`` (its manifest
    entry then tells its own phases and curve)."""
    out = []
    while name:
        f = ckpt_path(name)
        if not f.exists() and out and name in zoo.available():
            out.append((name, None))
            break
        if not f.exists():
            raise ArtifactError(f"{name} has not been trained yet ({f}): python -m lic.release train {name}")
        out.append((name, torch.load(f, map_location="cpu", weights_only=False)))
        name = recipes.REFERENCE.get(name, {}).get("init")
    return out[::-1]


def phases(name: str, chain: list | None = None) -> list[dict]:
    """The training runs behind reference model ``name``, first to last: the ``init`` chain, each
    with its recipe name, steps done, precision, λ and lr (a released model's full provenance)."""
    out = []
    for n, state in chain or _chain(name):
        if state is None:  # released, trained elsewhere: its recorded phases
            out += zoo.available()[n]["phases"]
            continue
        tc = {"precision": "fp32", **state["train_config"]}
        out.append({"name": n, "steps": state["step"], "precision": tc["precision"], "lmbda": tc["lmbda"],
                    "lr": tc["lr"], "seconds": round(state.get("seconds", 0.0)), "batch_size": tc["batch_size"],
                    "crop": tc["crop"], "device": state.get("device"), "processes": state.get("world", 1)})
    return out


def curve(name: str, chain: list | None = None, points: int = 120) -> list[dict]:
    """Training curve over the whole ``init`` chain: ``step`` counted from scratch, loss, bpp and
    training-crop PSNR (from the logged MSE), averaged into at most ``points`` windows."""
    import numpy as np

    rows, offset = [], 0
    for n, state in chain or _chain(name):
        if state is None:  # released, trained elsewhere: its recorded (already windowed) curve
            rows += [dict(r) for r in zoo.released_curve(n)]
            offset += zoo.available()[n].get("total_steps", rows[-1]["step"] if rows else 0)
            continue
        rows += [{**h, "step": h["step"] + offset} for h in state["history"]]
        offset += state["step"]
    if not rows:
        return []
    keys = [k for k in ("loss", "bpp", "mse") if k in rows[0]]
    out = []
    for w in np.array_split(np.arange(len(rows)), min(points, len(rows))):
        r = {"step": int(rows[w[-1]]["step"]), **{k: float(np.mean([rows[i][k] for i in w])) for k in keys}}
        if "mse" in r:
            r["psnr_train"] = float(10 * np.log10(1.0 / r["mse"]))
        out.append({k: round(v, 5) if isinstance(v, float) else v for k, v in r.items()})
    return out


def ckpt_path(name: str) -> Path:
    """The resumable training state of recipe ``name`` (``$LIC_ZOO_WORK/<dir or name>/train.pt``)."""
    return WORK_DIR / recipes.REFERENCE.get(name, {}).get("dir", name) / "train.pt"


def trained_model(name: str) -> torch.nn.Module:
    """The latest training checkpoint of reference model ``name`` (not the released file)."""
    from lic.codec.models import build_model, load_state_dict_into

    f = ckpt_path(name)
    if not f.exists():
        raise ArtifactError(f"{name} has not been trained yet ({f}): python -m lic.release train {name}")
    state = torch.load(f, map_location="cpu", weights_only=False)
    return load_state_dict_into(build_model(**state["config"]), state["model"]).eval()


def source_model(name: str) -> torch.nn.Module:
    """The model a run starts from or distils: its training checkpoint where this checkout has one,
    else its released fp16 weights (a fresh clone continues the zoo from ``weights/``)."""
    if ckpt_path(name).exists() or name not in zoo.available():
        return trained_model(name)
    print(f"{name}: no training state in {WORK_DIR}; using the released weights/{zoo.available()[name]['file']}",
          flush=True)
    return zoo.load_pretrained(name).float()


def train_reference(name: str, minutes: float | None = None, threads: int | None = None, train_dir=None,
                    **overrides) -> dict:
    """Train (or continue) reference model ``name`` for up to ``minutes`` (resumable).

    ``overrides`` replace recipe fields (``steps``, ``batch_size``, ``crop``, ``workers``): dry runs of
    the GPU recipes on a CPU, a smaller GPU. A recipe with ``workers`` streams its crops
    (:class:`lic.data.streaming.StreamingCrops`); the others keep the in-memory sampler their batches came from.
    A student's recipe is trained by :func:`lic.train.kd.fit`, a teacher's with the RD loss.

    Returns:
        :func:`lic.train.loop.train`'s info.

    Raises:
        ParameterError: unknown recipe name.
        ArtifactError: a model it starts from or distils has been neither trained here nor released.
    """
    from lic.codec.models import build_model
    from lic.data.images import CropSampler
    from lic.data.streaming import StreamingCrops
    from lic.train.kd import fit
    from lic.train.loop import default_device, seed_everything, train, train_config

    if name not in recipes.REFERENCE:
        raise ParameterError(f"unknown reference model {name!r}; known: {sorted(recipes.REFERENCE)}")
    r = {**recipes.REFERENCE[name], **{k: v for k, v in overrides.items() if v is not None}}
    if threads:
        torch.set_num_threads(threads)
    cfg = train_config(r, ckpt_every=min(100, max(1, r["steps"] // 2)))
    seed_everything(cfg.seed)
    if r.get("workers") is not None:
        sampler = StreamingCrops(train_dir, crop=cfg.crop, seed=cfg.seed, workers=int(r["workers"]))
    else:
        sampler = CropSampler(train_dir, crop=cfg.crop, seed=cfg.seed)
    max_s = None if minutes is None else minutes * 60
    init = source_model(r["init"]).train() if "init" in r else None
    if init is not None and "kind" in r and int(init.N) < int(r["N"]):  # a narrower student grown to the recipe's N
        from lic.train.widen import widen_to_width

        print(f"{name}: {r['init']} (N={int(init.N)}) widened to N={r['N']}", flush=True)
        init = widen_to_width(init, int(r["N"]), seed=cfg.seed).train()
    if "kind" not in r:  # a teacher
        model = init if init is not None else build_model(N=r["N"], M=r["M"])
        return train(model.to(default_device()), cfg, sampler, ckpt_path(name), max_seconds=max_s, desc=name)
    spec = StudentSpec.from_recipe(r)
    teacher = source_model(spec.teacher) if spec.uses_teacher else None
    return fit(spec, teacher, sampler, ckpt_path(name), cfg=cfg, init=init, desc=name, max_seconds=max_s)[1]


def released_log(name: str) -> list[dict]:
    """Training log of released model ``name``'s own (last) phase, from its curve (``weights/curves.json``),
    steps counted from the start of that phase; empty when ``name`` is not released or has no curve."""
    return last_phase(zoo.available().get(name, {}), zoo.released_curve(name))


def last_phase(entry: dict, rows: list[dict]) -> list[dict]:
    """The rows of a whole-chain curve that belong to the manifest ``entry``'s own (last) phase, steps counted
    from its start (what :func:`released_log` gives for a released model); empty without a curve or phases."""
    if not rows or not entry.get("phases"):
        return []
    start = entry["total_steps"] - entry["phases"][-1]["steps"]
    return [{**r, "step": r["step"] - start} for r in rows if r["step"] > start]


def write_manifest(weights_dir: Path, models: dict[str, dict], curves: dict[str, list[dict]] | None = None) -> Path:
    """Write ``weights_dir/manifest.json`` and, beside it, ``curves.json`` (both atomically, the curves first).

    The curves file keeps what it holds for the models of ``models`` (a model left out of the manifest loses its
    curve too), updated by ``curves`` (name -> rows; an empty list drops that name's) and by any ``curve`` still
    inline in a manifest entry (as older manifests held them), which the manifest loses: called with a manifest as
    it is, this moves its curves out, numbers unchanged.
    """
    wdir = Path(weights_dir)
    cur = zoo.curves(wdir)
    cur.update({n: e["curve"] for n, e in models.items() if "curve" in e})
    cur.update(curves or {})
    lines = [f"  {json.dumps(n)}: [\n" + ",\n".join("    " + json.dumps(r, sort_keys=True) for r in rows) + "\n  ]"
             for n, rows in sorted(cur.items()) if rows and n in models]  # one row a line: small and diffable
    atomic_write_text(wdir / zoo.CURVES, '{\n"models": {\n' + ",\n".join(lines) + "\n}\n}\n")
    return write_json(wdir / "manifest.json", {"models": {n: {k: v for k, v in e.items() if k != "curve"}
                                                          for n, e in models.items()}})


def kodak_means(per_image) -> dict:
    """A manifest entry's Kodak fields from per-image rows (:func:`lic.eval.rd.evaluate_codec`): the means, and the
    first :data:`GOLDEN_IMAGES` rows that the golden test re-measures and compares."""
    mean = per_image[["bpp", "psnr", "ms_ssim"]].mean()
    return {"kodak": {k: round(float(v), 5) for k, v in mean.items()},
            "kodak_golden": per_image.head(GOLDEN_IMAGES)[["image", "bytes", "bpp", "psnr"]].to_dict("records"),
            "kodak_images": len(per_image)}


def release(name: str, eval_limit: int | None = None, command: str = "", weights_dir: Path | None = None) -> dict:
    """Export the trained checkpoint as fp16, measure it on Kodak, update the manifest of ``weights_dir``
    (default ``weights/``; a GPU job releases into its output folder)."""
    from lic.codec.models import load_checkpoint
    from lic.data.images import load_kodak
    from lic.eval.rd import evaluate_codec

    chain = _chain(name)  # the model's own training state last
    state = chain[-1][1]
    model = trained_model(name)
    sd = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    buf = io.BytesIO()
    torch.save({"config": model.config, "state_dict": sd}, buf)
    wdir = Path(weights_dir or zoo.WEIGHTS_DIR)
    wdir.mkdir(parents=True, exist_ok=True)
    # measured from a staged copy first: a failed evaluation leaves weights/ and its manifest as they were
    staged = atomic_write_bytes(wdir / f".{name}.pt.staged", buf.getvalue())
    try:
        released = load_checkpoint(staged)  # what users get: fp16 file, constant buffers rebuilt
        kodak = load_kodak(limit=eval_limit)
        res = evaluate_codec(released, kodak)
        path = wdir / f"{name}.pt"
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    with file_lock(wdir / LOCK):  # another release may write the manifest meanwhile: read, update, write at once
        return _record_release(name, wdir, path, model, state, chain, command, kodak, res)


def _record_release(name, wdir, path, model, state, chain, command, kodak, res) -> dict:
    """The manifest entry, curve and Kodak rows of a released file (under the release lock)."""
    from lic.eval.measured import store

    models = zoo.available(wdir)
    models[name] = {
        "file": path.name,
        "sha256": sha256_file(path),
        "config": model.config,
        "lmbda": state["train_config"]["lmbda"],
        "train_config": state["train_config"],
        "steps": state["step"],
        "train_seconds": round(state.get("seconds", 0.0)),
        # the whole init chain (a fine-tune's steps above are its own; total_steps counts from scratch)
        "phases": (ph := phases(name, chain)),
        "total_steps": sum(x["steps"] for x in ph),
        # weights inherited from a wider model (channel-pruned) before the first phase, if any
        **({"inherit": inh} if (inh := recipes.REFERENCE.get(chain[0][0], {}).get("inherit")) else {}),
        # where the model's own last phase trained (older states: not recorded)
        "hardware": {"device": state.get("device"), "processes": state.get("world", 1), "torch": torch.__version__},
        "commit": git_commit(dirty=False),
        "command": command or f"python -m lic.release train {name}",
        **kodak_means(res["per_image"]),
        "released": time.strftime("%Y-%m-%d"),
    }
    write_manifest(wdir, models, {name: curve(name, chain)})  # the curve beside the manifest (curves.json)
    # the per-image rows beside it: stages reuse them where a spot check reproduces them (lic.eval.measured)
    store(name, models[name]["sha256"], kodak, res["per_image"], wdir / "kodak_measured.json")
    return models[name]


def main(argv=None) -> int:
    """``python -m lic.release train|release|list`` (see the module docstring)."""
    p = argparse.ArgumentParser(prog="python -m lic.release", description=__doc__.splitlines()[0],
                                epilog="also 'python -m lic.release intprior NAME ...' (a released model's '-int' "
                                       "variant: integer entropy model, portable streams) and 'python -m lic.release "
                                       "fpga NAME ...' (its '-fpga' variant: the FPGA encoder's streams); each has -h")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train or continue a reference model (resumable)")
    t.add_argument("name", nargs="+", choices=[*recipes.PRESETS, *sorted(recipes.REFERENCE)],
                   help="one or more, trained in the order given; 'reference': all CPU recipes, in dependency "
                        "order; 'gpu': the GPU job (scripts/device_run.sh), 'gpu-l<λ>' its models at one λ")
    t.add_argument("--minutes", type=float, default=None, help="stop (checkpointed) after this wall time, per model")
    t.add_argument("--threads", type=int, default=None)
    t.add_argument("--train-dir", default=None)
    for flag in ("steps", "batch-size", "crop", "workers"):
        t.add_argument(f"--{flag}", type=int, default=None, help="override the recipe's (dry runs, smaller GPUs)")
    r = sub.add_parser("release", help="export fp16 weights, measure on Kodak, "
                                       "update weights/manifest.json and curves.json")
    r.add_argument("name", nargs="+", choices=[*recipes.PRESETS, *sorted(recipes.REFERENCE)])
    r.add_argument("--limit", type=int, default=None, help="Kodak images (default all 24)")
    r.add_argument("--weights-dir", type=Path, default=None, help="release there instead of weights/")
    sub.add_parser("list", help="released models")
    a = p.parse_args(argv)
    if a.cmd == "train":
        for name in recipes.expand(a.name):
            out = train_reference(name, a.minutes, a.threads, a.train_dir, steps=a.steps, batch_size=a.batch_size,
                                  crop=a.crop, workers=a.workers)
            last = out["history"][-1] if out["history"] else {}
            print(f"{name}: step {out['step']}, {out['seconds']:.0f} s, last {last}", flush=True)
    elif a.cmd == "release":
        for name in recipes.expand(a.name, release=True):
            print(name, release(name, a.limit, f"python -m lic.release train {name}", a.weights_dir)["kodak"], flush=True)
    else:
        for k, v in zoo.available().items():
            print(k, v["kodak"], v["steps"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
