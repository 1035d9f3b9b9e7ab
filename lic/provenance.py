"""Where things come from: the repository root, its commit, package versions and file digests.

The one place the library reads the checkout's identity, so that every record (released weights,
measured rows, run manifests, benchmark records) states it the same way.
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
from pathlib import Path

__all__ = ["ROOT", "git_commit", "versions", "sha256_file", "md5_file"]

#: the repository root (editable install): weights/, data/, hls/, benchmarks/ and docs/ lie here
ROOT = Path(__file__).resolve().parents[1]

_PACKAGES = ("torch", "compressai", "brevitas", "numpy", "papermill", "pytorch-msssim", "bjontegaard", "hls4ml")


def git_commit(dirty: bool = True) -> str:
    """The checkout's short commit, ``-dirty`` when tracked files differ (if ``dirty``), ``unknown`` outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        if dirty and subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                    capture_output=True, text=True).stdout.strip():
            out += "-dirty"
        return out
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions() -> dict[str, str]:
    """Python's version and those of the packages a result depends on (the ones installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in _PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def _digest(path: Path, h) -> str:
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    return _digest(Path(path), hashlib.sha256())


def md5_file(path: str | Path) -> str:
    """MD5 of a file's bytes (hex), as in Kodak's MD5SUMS."""
    return _digest(Path(path), hashlib.md5())
