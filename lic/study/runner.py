"""Presets, the study's plan and the papermill study runner.

Each stage reads its inputs from disk and writes ``artifacts/<stage>/<key>/``, where ``key``
hashes the stage's resolved parameters and the keys of its inputs. ``results.json`` is written
last (atomically): its presence marks a finished stage, which is then skipped unless forced.
:func:`plan` (from :mod:`lic.study.artifacts`) resolves the requested stages and what they read once:
each stage's typed config (:mod:`lic.study.config`), key and :class:`StageArtifact`; a stage back end
runs as ``run(cfg, inputs)`` with its inputs' finished artifacts.

Run the study (papermill executes ``notebooks/0N_*.ipynb`` in order)::

    python -m lic.study --preset quick
    python -m lic.study --preset smoke --stages 01 -p 01.steps 5

Every parameter, its type, meaning and preset values is in :mod:`lic.study.params` (``docs/PARAMETERS.md``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from lic.errors import DataError, ParameterError
from lic.fileio import write_json
from lic.progress import console_progress
from lic.provenance import ROOT, git_commit, md5_file, versions
from lic.study.artifacts import (Plan, StageArtifact, artifacts_root, load_model, plan, stage_dir, stage_key,
                                 stage_module)
from lic.study.config import config
from lic.study.params import NOTEBOOK_ONLY, NOTEBOOKS, PRESET_NAMES, STAGES, common_defaults, parse_value, stage_presets

__all__ = [
    "ROOT",
    "STAGES",
    "COMMON",
    "presets",
    "stage_module",
    "check_noise_seeds",
    "resolve_params",
    "config",
    "stage_key",
    "stage_dir",
    "artifacts_root",
    "StageArtifact",
    "Plan",
    "plan",
    "load_model",
    "git_commit",
    "data_manifest",
    "run_study",
    "render_html",
    "main",
]

#: parameters every stage has (:data:`lic.study.params.COMMON_PARAMS`); ``None`` data dirs fall back to
#: $LIC_TRAIN_DIR / $LIC_KODAK_DIR. ``eval_sets``: image folders evaluated beside Kodak (keyed by content)
COMMON = common_defaults()


def presets(stage: str) -> dict[str, dict[str, Any]]:
    """preset -> parameters of one stage (``COMMON`` included), from the table :mod:`lic.study.params`.

    Raises:
        ParameterError: unknown stage.
    """
    return {k: {**common_defaults(), **v} for k, v in stage_presets(stage).items()}


def check_noise_seeds(p) -> None:
    """``p["noise_seeds"]``: integer seeds, none equal to the main ``p["seed"]`` (stages 02 and 03).

    Raises:
        ParameterError: otherwise.
    """
    seeds = p.get("noise_seeds") or []
    if not isinstance(seeds, (list, tuple)) or any(
            not isinstance(s, int) or isinstance(s, bool) or s == p["seed"] for s in seeds):
        raise ParameterError(f"noise_seeds must list integer seeds other than seed={p['seed']}, got {seeds!r}")


def resolve_params(stage: str, preset: str, **overrides) -> dict[str, Any]:
    """The preset's parameters for ``stage`` with non-``None`` overrides applied, as a plain dict
    (:func:`lic.study.config.config` typed, then :meth:`~lic.study.config.StageConfig.as_dict`).

    Raises:
        ParameterError: unknown preset, stage or parameter name, or a value of the wrong type.
    """
    return config(stage, preset, **overrides).as_dict()


def data_manifest() -> dict:
    """Checksums of the data a run reads: Kodak (verified MD5 list) and the training photos."""
    from lic.data.images import list_images, resolve_dir
    from lic.errors import DataError

    out = {}
    for env, what in (("LIC_KODAK_DIR", "kodak"), ("LIC_TRAIN_DIR", "train")):
        try:
            d = resolve_dir(None, env, what)
            files = list_images(d)
        except DataError as exc:
            out[what] = {"error": str(exc)}
            continue
        digests = {f.name: md5_file(f) for f in files}
        out[what] = {"dir": str(d), "files": len(files),
                     "md5_of_md5s": hashlib.md5(json.dumps(digests, sort_keys=True).encode()).hexdigest(),
                     "md5": digests if what == "kodak" else None}
    return out


def _stage_params(overrides: dict) -> dict:
    return {k: v for k, v in overrides.items() if k not in NOTEBOOK_ONLY}


def render_html(notebook: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Executed notebook -> standalone HTML (figures embedded, code cells hidden), atomically."""
    import nbformat
    from nbconvert import HTMLExporter

    from lic.fileio import atomic_write_text

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:  # library warnings on stderr are not part of the report
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream"
                                                                      and o.get("name") == "stderr")]
    body, _ = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    return atomic_write_text(target, body)


def _say(enabled: bool, line: str) -> None:
    """One progress line of the runner on stderr (flushed: it interleaves with the kernel's bars)."""
    if enabled:
        print(line, file=sys.stderr, flush=True)


def run_study(
    preset: str = "quick",
    stages: list[str] | None = None,
    overrides: dict[str, dict] | None = None,
    out_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> dict:
    """Execute the stage notebooks in order with papermill; write a run manifest.

    Args:
        preset: ``smoke``, ``quick`` or ``paper``.
        stages: subset of :data:`STAGES` (default all, in order).
        overrides: ``{"01": {"steps": 10}}`` per-stage parameter overrides.
        out_dir: where executed notebooks and ``manifest.json`` go (default ``runs/<preset>-<time>``).
        progress: a line per stage on stderr, and the kernels' output streamed live: their prints on
            stdout, their loops' progress bars (training steps, images coded) as text on stderr.

    Raises:
        RuntimeError: a stage failed; the message names the stage and the failing cell.
        ParameterError, DataError: a bad parameter or evaluation set, before any stage runs.
    """
    import papermill as pm

    stages = stages or list(STAGES)
    overrides = overrides or {}
    pl = plan(preset, stages, {s: _stage_params(o) for s, o in overrides.items()})  # checks every parameter
    out = Path(out_dir or ROOT / "runs" / f"{preset}-{time.strftime('%Y%m%d-%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"preset": preset, "commit": git_commit(), "versions": versions(), "data": data_manifest(),
                "platform": platform.platform(), "cpus": os.cpu_count(), "overrides": overrides, "stages": {},
                "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    t_run = time.monotonic()
    for i, s in enumerate(stages, 1):
        folder, nb, _ = STAGES[s]
        t0 = time.monotonic()
        params = {"preset": preset, **overrides.get(s, {})}
        if s == "05":
            params.setdefault("interactive", False)  # no widget front end under papermill
        upstream = {u: _stage_params(o) for u, o in overrides.items() if u < s}
        if upstream and s != "01":
            params["upstream"] = upstream
        handle = pl[s]
        reused = handle.done and not params.get("force")
        _say(progress, f"[{i}/{len(stages)}] stage {s} · notebooks/{nb} · key {handle.key}"
                       + (" · artifact exists: reused" if reused else ""))
        try:
            with console_progress(progress):  # the kernel draws text bars; papermill streams them here
                pm.execute_notebook(str(NOTEBOOKS / nb), str(out / nb), parameters=params, cwd=str(NOTEBOOKS),
                                    progress_bar=False, kernel_name="python3",
                                    stdout_file=sys.stdout if progress else None,
                                    stderr_file=sys.stderr if progress else None)
        except pm.PapermillExecutionError as exc:
            manifest["stages"][s] = {"notebook": nb, "status": "failed", "cell": exc.exec_count,
                                     "error": f"{exc.ename}: {exc.evalue}", "seconds": time.monotonic() - t0}
            write_json(out / "manifest.json", manifest)
            _say(progress, f"[{i}/{len(stages)}] stage {s} FAILED in cell {exc.exec_count} after "
                           f"{time.monotonic() - t0:.1f} s")
            raise RuntimeError(f"stage {s} ({nb}) failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None
        info = {"notebook": nb, "status": "ok", "params": params, "seconds": round(time.monotonic() - t0, 1)}
        if handle.done:  # the stage's resolved parameters (seeds included), key, own wall time
            info.update(key=handle.key, resolved=handle.params, seed=handle.params.get("seed"), reused=reused,
                        stage_wall_s=handle.results().get("wall_s"))
        if s == "05" and "key" in info:  # the report: executed notebook -> HTML, code hidden
            info["html"] = [str(render_html(out / nb, out / "report.html")),
                            str(render_html(out / nb, handle.dir / "report.html"))]
        manifest["stages"][s] = info
        write_json(out / "manifest.json", manifest)
        _say(progress, f"[{i}/{len(stages)}] stage {s} ok in {info['seconds']} s"
                       f" (run so far {time.monotonic() - t_run:.0f} s)")
    manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    write_json(out / "manifest.json", manifest)
    return manifest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m lic.study", description="Run the study's notebooks with papermill.")
    p.add_argument("--preset", default="quick", choices=PRESET_NAMES)
    p.add_argument("--stages", nargs="*", default=None, help=f"subset of {list(STAGES)}")
    p.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("STAGE.NAME", "VALUE"),
                   help="override one parameter, e.g. -p 01.steps 10 (value read as the parameter's type: JSON, "
                        "text for a string; see docs/PARAMETERS.md)")
    p.add_argument("--out", default=None, help="folder for executed notebooks and manifest.json")
    p.add_argument("--quiet", action="store_true", help="no per-stage lines, no streamed kernel output")
    a = p.parse_args(argv)
    overrides: dict[str, dict] = {}
    try:
        for name, value in a.param:
            if "." not in name:
                raise ParameterError(f"override {name!r} must be STAGE.NAME, e.g. 01.steps")
            s, k = name.split(".", 1)
            overrides.setdefault(s, {})[k] = parse_value(s, k, value)
        m = run_study(a.preset, a.stages, overrides, a.out, progress=not a.quiet)
    except (ParameterError, DataError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for s, info in m["stages"].items():
        print(f"stage {s}: {info['status']} in {info['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
