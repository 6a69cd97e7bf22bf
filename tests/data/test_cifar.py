"""CIFAR-10 loader on small fixtures in both formats; malicious pickles are refused."""

import os
import pickle

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.data import load
from paperworks.data.cifar import load_cifar10, read_binary_batch

NAMES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def _fake(seed, n=4):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 3072), dtype=np.uint8), rng.integers(0, 10, n)


def _write_py(root):
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True)
    for i, name in enumerate(NAMES):
        x, y = _fake(i)
        with open(d / name, "wb") as f:  # same layout as the official files (bytes keys, protocol 2)
            pickle.dump({b"batch_label": name.encode(), b"labels": [int(v) for v in y], b"data": x,
                         b"filenames": [b"f%d.png" % j for j in range(len(y))]}, f, protocol=2)
    with open(d / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [c.encode() for c in CLASSES], b"num_vis": 3072}, f, protocol=2)
    return d


def _write_bin(root):
    d = root / "cifar-10-batches-bin"
    d.mkdir(parents=True)
    for i, name in enumerate(NAMES):
        x, y = _fake(i)
        np.concatenate([y.astype(np.uint8)[:, None], x], 1).tofile(d / f"{name}.bin")
    (d / "batches.meta.txt").write_text("\n".join(CLASSES) + "\n\n")
    return d


def test_python_and_binary_versions_agree_with_the_arrays_written(tmp_path):
    _write_py(tmp_path / "a")
    _write_bin(tmp_path / "b")
    a = load_cifar10(tmp_path / "a")
    b = load("cifar10", root=str(tmp_path / "b"))
    for d in (a, b):
        assert d["x_train"].shape == (20, 3, 32, 32) and d["x_test"].shape == (4, 3, 32, 32)
        assert d["x_train"].dtype == np.uint8 and d["y_train"].dtype == np.int64
        assert d["classes"] == CLASSES
    x0, y0 = _fake(0)
    # pixel layout: first 1024 bytes = red channel, row-major
    np.testing.assert_array_equal(a["x_train"][:4, 0].reshape(4, -1), x0[:, :1024])
    np.testing.assert_array_equal(a["y_train"][:4], y0)
    # every image and label in place: train = batches 1..5 in order, test = test_batch (not any train batch)
    xs, ys = zip(*(_fake(i) for i in range(6)))
    x_img = [x.reshape(-1, 3, 32, 32) for x in xs]
    for d in (a, b):
        np.testing.assert_array_equal(d["x_train"], np.concatenate(x_img[:5]))
        np.testing.assert_array_equal(d["y_train"], np.concatenate(ys[:5]))
        np.testing.assert_array_equal(d["x_test"], x_img[5])
        np.testing.assert_array_equal(d["y_test"], ys[5])
        assert d["x_train"][5, 1, 2, 3] == xs[1][1, 1024 + 2 * 32 + 3]   # green channel, row 2, column 3


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_malicious_pickle_is_refused(tmp_path):
    d = _write_py(tmp_path)
    with open(d / "data_batch_3", "wb") as f:
        pickle.dump({b"data": _Evil(), b"labels": [0]}, f, protocol=2)
    with pytest.raises(DataError, match="refusing to unpickle"):
        load_cifar10(tmp_path)


def test_missing_and_bad_files(tmp_path, monkeypatch):
    monkeypatch.delenv("PAPERWORKS_CIFAR10", raising=False)
    with pytest.raises(DataError, match="PAPERWORKS_CIFAR10"):
        load_cifar10()
    with pytest.raises(DataError, match="no CIFAR-10 batches"):
        load_cifar10(tmp_path)
    d = _write_bin(tmp_path)
    (d / "test_batch.bin").unlink()
    with pytest.raises(DataError, match="lacks test_batch.bin"):
        load_cifar10(tmp_path)
    (d / "bad.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(DataError, match="multiple of the 3073-byte"):
        read_binary_batch(d / "bad.bin")
