"""Temp files of killed cache builds. Since 59e05d6 every build writes its own temp file
(.<key>.<pid>.<random>.tmp.npz) before renaming it into place; a build killed before the rename left its file
behind, hidden, and nothing removed it (probe: two killed builds and a good one left two such files next to
k.npz; at 6cd51b1 the one fixed temp name was reused and renamed by the next build). Stale temp files of a key
(older than an hour, so never a concurrent builder's) are now removed whenever the key is loaded."""

import os
import time

import numpy as np

from paperworks.data import images


def _touch(path, age_s):
    path.write_bytes(b"PK half-written")
    t = time.time() - age_s
    os.utime(path, (t, t))


def test_stale_temp_files_of_killed_builds_are_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path))
    d = tmp_path / "datasets"
    d.mkdir()
    stale = [d / ".k.111.aaaa0000.tmp.npz", d / ".k.222.bbbb1111.tmp.npz", d / "k.tmp.npz"]   # last: the old name
    for p in stale:
        _touch(p, 2 * 86400)
    fresh = d / ".k.333.cccc2222.tmp.npz"          # a builder of the same key writing right now: kept
    _touch(fresh, 1)
    other = d / ".kk.444.dddd3333.tmp.npz"         # another key's temp file: not this key's business
    _touch(other, 2 * 86400)
    out = images._cached("k", lambda: {"a": np.arange(5)})
    assert np.array_equal(out["a"], np.arange(5))
    assert sorted(p.name for p in d.iterdir()) == sorted(["k.npz", fresh.name, other.name])
    for p in stale:                                 # also on a cache hit (a kill right before the good build)
        _touch(p, 2 * 86400)
    assert np.array_equal(images._cached("k", lambda: {"a": np.zeros(1)})["a"], np.arange(5))
    assert sorted(p.name for p in d.iterdir()) == sorted(["k.npz", fresh.name, other.name])
