"""λ / width sweeps of the study on Dask: one papermill run of the study per grid point.

The grid varies stage parameters (``{"02.widths": [[32], [64]], "01.lambdas": [...]}``). The
stages before the first varied one are the same for every point: they run once, here, and the
points then reuse their artifacts (keys match). The remaining stages of each point run as one
task on a Dask cluster — a local one by default, or any scheduler given by address — so the
same command scales from a laptop to a cluster without a scheduler of our own::

    python -m lic.study.sweep --preset smoke --stages 01 02 -g 02.widths '[[8], [12]]' --workers 2
    python -m lic.study.sweep --preset paper -g 01.lambdas '[[0.0018], [0.0035]]' --scheduler tcp://host:8786
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import pandas as pd

from lic.errors import ParameterError
from lic.study.runner import ROOT, STAGES, run_study

__all__ = ["grid_points", "sweep", "main"]


def grid_points(grid: dict[str, list]) -> list[dict[str, dict]]:
    """Cartesian product of ``{"STAGE.param": [values]}`` as per-stage override dicts."""
    for name, values in grid.items():
        if "." not in name or name.split(".", 1)[0] not in STAGES:
            raise ParameterError(f"grid key {name!r} must be STAGE.param with STAGE in {list(STAGES)}")
        if not isinstance(values, list) or not values:
            raise ParameterError(f"grid {name!r} needs a non-empty list of values")
    names = sorted(grid)
    points = []
    for combo in itertools.product(*(grid[n] for n in names)):
        ov: dict[str, dict] = {}
        for n, v in zip(names, combo):
            s, k = n.split(".", 1)
            ov.setdefault(s, {})[k] = v
        points.append(ov)
    return points


def _run_point(preset: str, stages: list[str], overrides: dict, out_dir: str) -> dict:
    t0 = time.monotonic()
    try:
        m = run_study(preset, stages, overrides, out_dir, progress=False)
        return {"status": "ok", "keys": {s: i.get("key") for s, i in m["stages"].items()},
                "seconds": time.monotonic() - t0, "out": out_dir}
    except Exception as exc:  # noqa: BLE001 - one failed point must not sink the sweep
        return {"status": f"failed: {exc}", "keys": {}, "seconds": time.monotonic() - t0, "out": out_dir}


def sweep(preset: str, grid: dict[str, list], stages: list[str] | None = None, workers: int = 2,
          scheduler: str | None = None, out_root: str | Path | None = None) -> pd.DataFrame:
    """Run every grid point of the study on Dask; one row per point (overrides, status, keys).

    Args:
        preset: base preset of every point.
        grid: ``{"STAGE.param": [values]}``.
        stages: stages to run (default all).
        workers: workers of the local cluster (ignored with ``scheduler``).
        scheduler: address of an existing Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
        out_root: folder of the points' executed notebooks (default ``runs/sweep-<time>``).
    """
    from dask.distributed import Client, LocalCluster

    stages = stages or list(STAGES)
    points = grid_points(grid)
    varied = sorted({n.split(".", 1)[0] for n in grid})
    shared = [s for s in stages if s < varied[0]]
    out_root = Path(out_root or ROOT / "runs" / f"sweep-{preset}-{time.strftime('%Y%m%d-%H%M%S')}")
    if shared:  # common upstream stages, once, before fanning out
        run_study(preset, shared, {}, out_root / "shared", progress=False)
    rest = [s for s in stages if s not in shared]
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        # one process a worker: papermill drives an asyncio loop that must not be shared by threads
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(_run_point, preset, rest, ov, str(out_root / f"point{i:03d}"), pure=False)
                   for i, ov in enumerate(points)]
        results = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    rows = [{"point": i, "overrides": json.dumps(ov, sort_keys=True), **r} for i, (ov, r) in enumerate(zip(points, results))]
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lic.study.sweep", description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--stages", nargs="*", default=None)
    ap.add_argument("-g", "--grid", nargs=2, action="append", default=[], metavar=("STAGE.NAME", "JSON_LIST"),
                    help="a grid axis, e.g. -g 02.widths '[[32], [64]]'")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", default=None, help="existing Dask scheduler address")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    try:
        if not a.grid:
            raise ParameterError("give at least one grid axis with -g STAGE.NAME JSON_LIST")
        grid = {}
        for name, values in a.grid:
            try:
                grid[name] = json.loads(values)
            except json.JSONDecodeError:
                raise ParameterError(f"grid values of {name} must be a JSON list, got {values!r}") from None
        df = sweep(a.preset, grid, a.stages, a.workers, a.scheduler, a.out)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(df.to_string(index=False))
    return 0 if (df.status == "ok").all() else 1


if __name__ == "__main__":
    sys.exit(main())
