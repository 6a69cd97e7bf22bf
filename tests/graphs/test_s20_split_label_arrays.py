"""The split helpers read a graph's NumPy label as they read a tensor one (session 20 review of fb01779).

fb01779 refused a fractional tensor y instead of truncating it, but a NumPy y still went through int(): probe,
labels [np.array(v) for v in (0.2, 0.7, 1.4, 1.9)] became classes [0 0 1 1] silently, and a 1-element array
[np.array([0.7])] was NumPy's bare TypeError ("only 0-dimensional arrays can be converted to Python scalars")."""

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.graphs.harness import random_splits, stratified_folds

VALS = [0.2, 0.7, 1.4, 1.9, 0.4, 0.9, 1.1, 1.6, 0.3, 1.2]


@pytest.mark.parametrize("wrap", [np.array, lambda v: np.array([v]), lambda v: np.array([[v]], dtype=np.float32)])
def test_fractional_numpy_labels_are_refused(wrap):
    with pytest.raises(DataError, match="class labels must be integer class ids"):
        stratified_folds([wrap(v) for v in VALS], 3)


def test_a_numpy_label_with_several_values_is_named():
    with pytest.raises(DataError, match=r"one class label per graph.*shape \[2\]"):
        random_splits([np.array([0, 1])] * 10, 2)


def test_integer_numpy_labels_split_as_the_array_does():
    ints = [int(v) for v in np.random.default_rng(0).permutation(np.arange(30) % 3)]
    ref = stratified_folds(np.array(ints), 3, seed=4)
    for ys in ([np.array(v) for v in ints], [np.array([v], dtype=np.int32) for v in ints],
               [np.array(float(v)) for v in ints]):
        got = stratified_folds(ys, 3, seed=4)
        assert all(np.array_equal(getattr(a, f), getattr(b, f)) for a, b in zip(got, ref)
                   for f in ("train", "val", "test"))
