"""CIFAR-10 python batches: labels that are not integers are refused with one DataError naming the file.

A cast to int64 truncated 3.5 to 3 and read the strings "3" as 3 silently, and NaN / None / an integer beyond int64
failed with numpy's error, which named no file. Whole numbers stay accepted (also stored as floats)."""

import pickle

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.data.cifar import read_python_batch


def _batch(tmp_path, labels):
    p = tmp_path / "data_batch_1"
    x = np.zeros((3, 3072), np.uint8)
    with open(p, "wb") as f:
        pickle.dump({b"batch_label": b"b", b"labels": labels, b"data": x}, f, protocol=2)
    return p


@pytest.mark.parametrize("labels", [[1, 3.5, 2], np.array([1.0, 3.5, 2.0]), [1, float("nan"), 2],
                                    ["1", "3", "2"], [True, False, True], [1, None, 2], [1, 2 ** 70, 2],
                                    [[1], [2, 3], [4]]],
                         ids=["float", "float-array", "nan", "str", "bool", "none", "huge", "ragged"])
def test_non_integer_labels_are_refused_naming_the_file(tmp_path, labels):
    p = _batch(tmp_path, labels)
    with pytest.raises(DataError, match="labels must be") as e:
        read_python_batch(p)
    assert str(p) in str(e.value)


@pytest.mark.parametrize("labels", [[1, 3, 2], [1.0, 3.0, 2.0], np.array([1, 3, 2], np.uint8),
                                    np.array([1, 3, 2], np.int32)], ids=["list", "whole-floats", "uint8", "int32"])
def test_integer_labels_still_load_as_int64(tmp_path, labels):
    x, y = read_python_batch(_batch(tmp_path, labels))
    assert y.dtype == np.int64 and y.tolist() == [1, 3, 2] and x.shape == (3, 3, 32, 32)


def test_a_label_out_of_range_is_still_named(tmp_path):
    with pytest.raises(DataError, match=r"labels must be in 0\.\.9"):
        read_python_batch(_batch(tmp_path, [1, 10, 2]))
