"""CIFAR-10 python batches: labels stored as a numpy object array of Python / numpy integers loaded before
2680cef (as int64) but were then refused with "labels must be integers (got object values, e.g. [1, 3, 2])".
They load again, as before; an object array holding floats that are not whole, strings, bools or None is still
refused, with the offending items named, and a huge integer gets the range error."""

import pickle

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.data.cifar import read_python_batch


def _batch(tmp_path, labels):
    p = tmp_path / "data_batch_1"
    x = np.arange(3 * 3072, dtype=np.int64).astype(np.uint8).reshape(3, 3072)
    with open(p, "wb") as f:
        pickle.dump({b"batch_label": b"b", b"labels": labels, b"data": x}, f, protocol=2)
    return p


@pytest.mark.parametrize("labels", [np.array([1, 3, 2], dtype=object),
                                    np.array([np.int64(1), np.int32(3), np.uint8(2)], dtype=object),
                                    np.array([1, 3.0, 2], dtype=object)],
                         ids=["python-ints", "numpy-ints", "whole-float"])
def test_object_arrays_of_integers_load_as_int64(tmp_path, labels):
    x, y = read_python_batch(_batch(tmp_path, labels))
    ref_x, ref_y = read_python_batch(_batch(tmp_path, [1, 3, 2]))
    assert y.dtype == np.int64 and y.tolist() == [1, 3, 2] and np.array_equal(x, ref_x)


@pytest.mark.parametrize("labels,shown", [
    (np.array([1, 3.5, 2], dtype=object), "3.5"),
    (np.array([1, "3", 2], dtype=object), "'3'"),
    (np.array([1, True, 2], dtype=object), "True"),
    (np.array([1, np.bool_(False), 2], dtype=object), "False"),
    (np.array([1, None, 2], dtype=object), "None"),
    (np.array([1, float("nan"), 2], dtype=object), "nan"),
], ids=["float", "str", "bool", "numpy-bool", "none", "nan"])
def test_other_object_items_still_refused_and_named(tmp_path, labels, shown):
    p = _batch(tmp_path, labels)
    with pytest.raises(DataError, match="labels must be integers") as e:
        read_python_batch(p)
    assert str(p) in str(e.value) and shown in str(e.value) and "object values" not in str(e.value)


def test_a_huge_integer_gets_the_range_error(tmp_path):
    p = _batch(tmp_path, np.array([1, 2 ** 70, 2], dtype=object))
    with pytest.raises(DataError, match=r"labels must be in 0\.\.9") as e:
        read_python_batch(p)
    assert str(p) in str(e.value)
