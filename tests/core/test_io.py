"""Atomic writes: content replaced in one step, no temp file left, and the file mode a plain open() gives."""

import os

import pytest

from paperworks.core.io import atomic_write_json, atomic_write_text


def test_new_file_gets_the_umask_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        p = atomic_write_text(tmp_path / "report.md", "hello")
        q = tmp_path / "plain.md"
        q.write_text("hello")
    finally:
        os.umask(old)
    # the module reads the umask once at import; the test process runs with the usual 022 or stricter
    assert (p.stat().st_mode & 0o777) == (0o666 & ~_import_umask())
    if _import_umask() == 0o022:
        assert (p.stat().st_mode & 0o777) == (q.stat().st_mode & 0o777) == 0o644


def test_existing_file_keeps_its_mode_and_no_temp_file_is_left(tmp_path):
    p = tmp_path / "config.json"
    p.write_text("{}")
    p.chmod(0o640)
    atomic_write_json(p, {"a": 1})
    assert (p.stat().st_mode & 0o777) == 0o640
    assert p.read_text().strip().startswith("{")
    assert [f.name for f in tmp_path.iterdir()] == ["config.json"]


def test_failed_write_leaves_the_old_content(tmp_path):
    p = atomic_write_text(tmp_path / "x.txt", "old")
    with pytest.raises(TypeError):
        atomic_write_json(p, {"bad": object()})
    assert p.read_text() == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["x.txt"]


def _import_umask() -> int:
    from paperworks.core import io

    return io._UMASK
