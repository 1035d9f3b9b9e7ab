"""Atomic writers: whole-or-absent files whose mode honours the umask (not mkstemp's 0600)."""

import os
import stat

import pytest

from lic.fileio import atomic_write_bytes, current_umask, read_json, write_json


@pytest.fixture
def umask():
    """Set a umask for one test and restore the previous one."""
    old = os.umask(0o022)
    yield lambda m: os.umask(m)
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_write_honours_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    assert current_umask() == mask
    p = atomic_write_bytes(tmp_path / "a" / "x.bin", b"abc")
    assert stat.S_IMODE(p.stat().st_mode) == mode and p.read_bytes() == b"abc"
    j = write_json(tmp_path / "r.json", {"v": 1})
    assert stat.S_IMODE(j.stat().st_mode) == mode and read_json(j) == {"v": 1}


def test_atomic_write_leaves_no_temp_file_on_failure(tmp_path):
    target = tmp_path / "x.bin"
    atomic_write_bytes(target, b"old")
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # write() refuses str: the old file stays whole
    assert target.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["x.bin"]
