"""The GPU job's round trip: what comes back from the device machine, and how a result is adopted.

A GPU machine sends back a few files of limited size, so :func:`pack` slims each training state there
(fp16 weights, the logged history and provenance; no optimizer) into one tar per λ. At home the tars are
extracted into the job's folder, released with Kodak measured on the CPU
(``LIC_ZOO_WORK=OUT/zoo python -m lic.release release gpu --weights-dir OUT/weights``), compared with the
released weights (``python -m lic.release.runlog``), and a result that beats its released model is adopted under
that model's name (:func:`adopt`)::

    python -m lic.release.gpujob pack gpu --out OUT                       # on the GPU machine
    python -m lic.release.gpujob adopt teacher-n128-m192-l0.0250-gpu --from OUT/weights

The CPU phases after it (``cpu-p3``: released students continued by KD on a CPU; ``cpu-p4``: then annealed by the
RD loss) are released and adopted the same way (``python -m lic.release release cpu-p4 --weights-dir DIR``, then
``python -m lic.release.gpujob adopt cpu-p4 --from DIR``). What each of them ran and changed: docs/CAMPAIGN.md.
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import time
from pathlib import Path

import torch

from lic.codec import zoo
from lic.errors import ArtifactError
from lic.fileio import atomic_write_bytes, file_lock, read_json, write_json
from lic.release import campaign, recipes
from lic.release.runlog import kodak_rd_cost
from lic.train.specs import lambda_tag

__all__ = ["pack", "adopt", "adopt_if_better", "main"]

#: the parts of a training state only a resumed run needs (left out of :func:`pack`)
_RESUME_ONLY = ("optimizer", "aux_optimizer", "scaler", "rng", "extra")


def pack(names: list[str], out_dir: Path) -> list[Path]:
    """The training states of ``names`` slimmed for the trip back from a GPU machine (fp16 weights, the logged
    history, config and provenance; no optimizer: not resumable), one tar per λ and seed,
    ``out_dir/gpu-l<λ>[-s<seed>].tar`` (each under the device tool's 16 MiB a file), holding
    ``zoo/<dir>/train.pt``: extracted into a folder, its ``zoo/`` is a ``LIC_ZOO_WORK`` that :func:`release` reads."""
    groups: dict[str, list[str]] = {}
    for n in names:
        r = recipes.REFERENCE[n]
        groups.setdefault(lambda_tag(r["lmbda"]) + (f"-s{r['seed']}" if r.get("seed") else ""), []).append(n)
    out = []
    for tag, group in groups.items():
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for n in group:
                state = torch.load(campaign.ckpt_path(n), map_location="cpu", weights_only=False)
                slim = {k: v for k, v in state.items() if k not in _RESUME_ONLY}
                slim["model"] = {k: (v.half() if v.is_floating_point() else v) for k, v in state["model"].items()}
                b = io.BytesIO()
                torch.save({**slim, "slim": True}, b)
                info = tarfile.TarInfo(f"zoo/{recipes.REFERENCE[n].get('dir', n)}/train.pt")
                info.size, info.mtime = b.tell(), int(time.time())
                b.seek(0)
                tar.addfile(info, b)
        out.append(atomic_write_bytes(Path(out_dir) / f"gpu-l{tag}.tar", buf.getvalue()))
    return out


def adopt(name: str, src_dir: Path) -> dict:
    """Adopt ``name``, released into ``src_dir`` (``release --weights-dir``), as the released model its recipe
    ``replaces``: the file copied into ``weights/`` under that name, its manifest entry (``recipe``: ``name``),
    its training curve (``curves.json``) and its Kodak record with it. The replaced model's integer variants
    (``<target>-int``, ``<target>-fpga``: priors and g_a calibrated on the old weights) are withdrawn, entries, files
    and record rows, and named on stderr: release them again (``python -m lic.release intprior``, ``fpga``).
    Returns the new manifest entry.

    Raises:
        ArtifactError: ``name`` is not released in ``src_dir`` or replaces nothing.
    """
    target, src = recipes.REFERENCE.get(name, {}).get("replaces"), zoo.available(src_dir).get(name)
    if not target or not src:
        raise ArtifactError(f"{name} is not released in {src_dir} or its recipe replaces no released model")
    with file_lock(zoo.WEIGHTS_DIR / campaign.LOCK):  # read, update and write the manifest and the record at once
        return _adopt(name, target, src, Path(src_dir))


def adopt_if_better(name: str, src_dir: Path) -> bool:
    """:func:`adopt` ``name`` (released into ``src_dir``) only where its Kodak RD cost (bpp + λ·255²·MSE of the means,
    :func:`lic.release.runlog.kodak_rd_cost`) is lower than the released model's it replaces, and not again once
    adopted; prints both costs; refuses costs measured on different Kodak image counts. Returns whether it adopted."""
    target = recipes.REFERENCE.get(name, {}).get("replaces")
    new, old = zoo.available(Path(src_dir)).get(name), zoo.available().get(target)
    if not new or not old:
        raise ArtifactError(f"{name} is not released in {src_dir} or its recipe replaces no released model")
    if new.get("kodak_images") != old.get("kodak_images"):
        raise ArtifactError(f"{name} was measured on {new.get('kodak_images')} Kodak images, {target} on "
                            f"{old.get('kodak_images')}: release it on the same set to compare")
    cost_new, cost_old = kodak_rd_cost(new, new["lmbda"]), kodak_rd_cost(old, old["lmbda"])
    print(f"{name}: Kodak-{new.get('kodak_images', '?')} RD cost {cost_new:.5f} vs released {cost_old:.5f}", flush=True)
    if old.get("recipe") == name or cost_new >= cost_old:
        return False
    adopt(name, Path(src_dir))
    print(f"adopted as {target}", flush=True)
    return True


def _adopt(name: str, target: str, src: dict, src_dir: Path) -> dict:
    atomic_write_bytes(zoo.WEIGHTS_DIR / f"{target}.pt", (Path(src_dir) / src["file"]).read_bytes())
    models = zoo.available()
    models[target] = {k: v for k, v in src.items() if k != "curve"} | {"file": f"{target}.pt", "recipe": name}
    stale = [v for v in (f"{target}{zoo.INT_SUFFIX}", f"{target}{zoo.FPGA_SUFFIX}") if v in models]
    files = [models[v][k]["file"] for v in stale for k in ("int_prior", "int_ga") if k in models[v]]
    for v in stale:
        del models[v]
    # the curve comes along (inline in an older manifest's entry); none recorded: the replaced model's goes
    campaign.write_manifest(zoo.WEIGHTS_DIR, models, {target: src.get("curve") or zoo.released_curve(name, src_dir)})
    record = zoo.WEIGHTS_DIR / "kodak_measured.json"  # lic.eval.measured.RECORD
    rec, mine = read_json(record), read_json(Path(src_dir) / record.name)
    rec["models"][target] = mine["models"][name]
    for v in stale:
        rec["models"].pop(v, None)
    write_json(record, rec)
    for f in dict.fromkeys(files):  # the same prior file may serve -int and -fpga
        (zoo.WEIGHTS_DIR / f).unlink(missing_ok=True)
    if stale:
        print(f"adopt: withdrew {stale}, calibrated on the weights {name} replaces; release them again",
              file=sys.stderr)
    return models[target]


def _choices(*presets: str) -> list[str]:
    """The command-line names of these zoo presets: the presets, then their recipes."""
    return [*presets, *sorted(n for p in presets for n in recipes.PRESETS[p])]


def main(argv=None) -> int:
    """``python -m lic.release.gpujob pack|adopt`` (see the module docstring)."""
    p = argparse.ArgumentParser(prog="python -m lic.release.gpujob", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("pack", help="slim training states for the trip back from a GPU machine (one tar per λ and seed)")
    k.add_argument("name", nargs="+", choices=_choices("gpu", "gpu-p2", "gpu-kdrd"))
    k.add_argument("--out", type=Path, required=True)
    d = sub.add_parser("adopt", help="adopt results released into --from as the released models they replace "
                                     "(the GPU job's, and the CPU phases cpu-p3, cpu-p4 after it)")
    d.add_argument("name", nargs="+", choices=_choices("gpu", "gpu-p2", "cpu-p3", "cpu-p4"))
    d.add_argument("--from", dest="src", type=Path, required=True, help="the weights folder they were released into")
    a = p.parse_args(argv)
    names = recipes.expand(a.name)  # the presets as the zoo's commands read them
    if a.cmd == "pack":
        print(*pack(names, a.out), sep="\n")
    else:
        for name in names:
            print(recipes.REFERENCE[name]["replaces"], "<-", name, adopt(name, a.src)["kodak"], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
