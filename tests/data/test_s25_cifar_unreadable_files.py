"""CIFAR-10 local copies with a file that cannot be read: a batch that is a folder was a bare IsADirectoryError (python
and binary versions alike, batches.meta too), a batches.meta.txt that is not text a bare UnicodeDecodeError. Each
is one DataError naming the file now; good files load as before."""

import pickle

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.data.cifar import TEST, TRAIN, load_cifar10


def _binary(root, n=3):
    d = root / "cifar-10-batches-bin"
    d.mkdir()
    rng = np.random.default_rng(0)
    for name in TRAIN + TEST:
        rec = rng.integers(0, 256, (n, 3073), dtype=np.uint8)
        rec[:, 0] %= 10
        rec.tofile(d / f"{name}.bin")
    return d


def _python(root, n=3):
    d = root / "cifar-10-batches-py"
    d.mkdir()
    rng = np.random.default_rng(0)
    for name in TRAIN + TEST:
        with open(d / name, "wb") as f:
            pickle.dump({b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"labels": [0, 1, 2][:n]}, f)
    return d


def test_binary_batch_that_is_a_folder(tmp_path):
    d = _binary(tmp_path)
    (d / "test_batch.bin").unlink()
    (d / "test_batch.bin").mkdir()
    with pytest.raises(DataError, match=r"cannot read the CIFAR-10 file '.*test_batch\.bin'"):
        load_cifar10(tmp_path)


def test_python_batch_that_is_a_folder(tmp_path):
    d = _python(tmp_path)
    (d / "data_batch_3").unlink()
    (d / "data_batch_3").mkdir()
    with pytest.raises(DataError, match=r"cannot read the CIFAR-10 file '.*data_batch_3'"):
        load_cifar10(tmp_path)


def test_python_meta_that_is_a_folder(tmp_path):
    d = _python(tmp_path)
    (d / "batches.meta").mkdir()
    with pytest.raises(DataError, match=r"cannot read the CIFAR-10 file '.*batches\.meta'"):
        load_cifar10(tmp_path)


def test_binary_meta_that_is_not_text(tmp_path):
    d = _binary(tmp_path)
    (d / "batches.meta.txt").write_bytes(b"\xff\xfeairplane\n")
    with pytest.raises(DataError, match=r"batches\.meta\.txt' is not a readable text file"):
        load_cifar10(tmp_path)


def test_good_copies_load_as_before(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "p").mkdir()
    d = _binary(tmp_path / "b")
    (d / "batches.meta.txt").write_text("\n".join(f"c{i}" for i in range(10)) + "\n")
    b = load_cifar10(tmp_path / "b")
    assert b["x_train"].shape == (15, 3, 32, 32) and b["classes"] == [f"c{i}" for i in range(10)]
    raw = np.fromfile(d / "data_batch_1.bin", np.uint8).reshape(-1, 3073)
    assert np.array_equal(b["x_train"][:3].reshape(3, -1), raw[:, 1:]) and b["y_train"][:3].tolist() == raw[:, 0].tolist()
    _python(tmp_path / "p")
    p = load_cifar10(tmp_path / "p")
    assert p["x_test"].shape == (3, 3, 32, 32) and p["y_test"].tolist() == [0, 1, 2]
