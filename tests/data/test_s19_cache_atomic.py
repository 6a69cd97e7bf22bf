"""The dataset cache (data.images._cached) is written by core.io.atomic_write_bytes: the temp file is flushed to
disk (fsync) before it is renamed into place, so a crash right after the rename cannot leave an empty or partial
k.npz (the old writer renamed an un-synced file). No partial file is ever visible under the cache name, a failed
write leaves nothing behind, and the writer's temp files (.k.npz.<random>.tmp) of killed builds are removed once
stale, like the earlier versions' names (test_s18_cache_temp_leftovers)."""

import os
import time

import numpy as np
import pytest

from paperworks.data import images


def _ls(d):
    return sorted(p.name for p in d.iterdir())


def test_cache_file_is_synced_before_it_appears(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path))
    d = tmp_path / "datasets"
    synced = []
    real_fsync = os.fsync

    def spy(fd):
        target = os.readlink(f"/proc/self/fd/{fd}")
        if target.endswith(".tmp"):
            # the whole npz is on disk under the temp name while the cache name does not exist yet
            synced.append((os.path.basename(target), os.fstat(fd).st_size, (d / "k.npz").exists()))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    data = {"a": np.arange(1000, dtype=np.int64), "b": np.ones((3, 4), np.uint8)}
    images._cached("k", lambda: data)
    assert len(synced) == 1
    name, size, visible = synced[0]
    assert name.startswith(".k.npz.") and not visible
    assert size == (d / "k.npz").stat().st_size
    assert _ls(d) == ["k.npz"]
    with np.load(d / "k.npz") as z:
        assert all(np.array_equal(z[k], v) and z[k].dtype == v.dtype for k, v in data.items())


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path))

    def crash(*a):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)      # killed between the write and the rename
    with pytest.raises(KeyboardInterrupt):
        images._cached("k", lambda: {"a": np.arange(5)})
    assert _ls(tmp_path / "datasets") == []


def test_stale_temp_files_of_the_atomic_writer_are_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path))
    d = tmp_path / "datasets"
    d.mkdir()
    old = time.time() - 2 * 86400
    stale, fresh, other = d / ".k.npz.ab12cd34.tmp", d / ".k.npz.ef56gh78.tmp", d / ".kk.npz.ij90kl12.tmp"
    for p in (stale, fresh, other):
        p.write_bytes(b"PK half-written")
    for p in (stale, other):
        os.utime(p, (old, old))
    images._cached("k", lambda: {"a": np.arange(5)})
    assert _ls(d) == sorted(["k.npz", fresh.name, other.name])
