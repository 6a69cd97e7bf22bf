"""A binary CIFAR-10 batch cut at a record boundary was loaded silently with fewer images. The binary format has
no header or count, so load_cifar10 compares the six batches, which all hold the same number of records (10,000
in the official files), and names the short one. The python version's pickle already fails when cut."""

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.data.cifar import load_cifar10

from test_cifar import _write_bin, _write_py  # noqa: E402  (tests/data is on sys.path under pytest's rootdir)


@pytest.mark.parametrize("name", ["data_batch_3.bin", "data_batch_1.bin", "test_batch.bin"])
def test_binary_batch_cut_at_a_record_boundary_is_named(tmp_path, name):
    d = _write_bin(tmp_path)
    p = d / name
    p.write_bytes(p.read_bytes()[:-3073])                     # 3 whole records of 4 left
    with pytest.raises(DataError, match=rf"{name}' holds 3 images but another batch holds 4 .*truncated"):
        load_cifar10(tmp_path)


def test_python_batch_cut_is_refused(tmp_path):
    d = _write_py(tmp_path)
    p = d / "data_batch_2"
    p.write_bytes(p.read_bytes()[:-3073])
    with pytest.raises(DataError, match="data_batch_2' is not a readable CIFAR-10 python batch"):
        load_cifar10(tmp_path)


def test_equal_batches_still_load(tmp_path):
    _write_bin(tmp_path / "b")
    _write_py(tmp_path / "p")
    for d in (load_cifar10(tmp_path / "b"), load_cifar10(tmp_path / "p")):
        assert d["x_train"].shape == (20, 3, 32, 32) and d["y_test"].shape == (4,)
        assert d["x_train"].dtype == np.uint8
