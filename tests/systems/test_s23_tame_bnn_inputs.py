"""Session-23: tame_bnn's own helpers on bad input: make_xor(-1) failed in numpy, make_xor(2.5) / make_xor(True) in
a TypeError and make_xor(0) gave an empty training set; inverse_optimization(steps=-1) returned c0 and no loss
curve without a word, and a c0 of the wrong size was reported as "build_milp: A must be [3, 3]". Each is now one
DataError naming the input."""

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.systems.tame_bnn import _knapsack, inverse_optimization, make_xor


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_make_xor_refuses_a_bad_size(n):
    with pytest.raises(DataError, match="make_xor: n"):
        make_xor(n)


def test_make_xor_unchanged():
    X, y = make_xor(16, 0)
    assert X.shape == (16, 2) and ((X[:, 0] * X[:, 1] > 0) == y).all()


def _problem():
    A, c = _knapsack(0)
    A2 = np.hstack([A, np.eye(3)])
    c2 = np.concatenate([c, [1.7, 2.3, 2.9]])
    return A2, [np.array([5.0, 6.0, 7.0])], np.array([True] * 5 + [False] * 3), c2


def test_inverse_optimization_refuses_negative_steps():
    A, bs, integer, c = _problem()
    with pytest.raises(DataError, match="steps"):
        inverse_optimization(A, bs, integer, c, c.copy(), -1, 0.1, 50.0)


@pytest.mark.parametrize("which", ["c_true", "c0"])
def test_inverse_optimization_names_a_cost_vector_of_the_wrong_size(which):
    A, bs, integer, c = _problem()
    args = {"c_true": c, "c0": c.copy()}
    args[which] = c[:3]
    with pytest.raises(DataError, match=f"{which} has 3 values for the 8 columns of A"):
        inverse_optimization(A, bs, integer, args["c_true"], args["c0"], 2, 0.1, 50.0)


def test_inverse_optimization_takes_tensors_of_the_right_size_and_names_a_wrong_one():
    import torch

    A, bs, integer, c = _problem()
    losses, c_hat = inverse_optimization(A, bs, integer, torch.tensor(c), torch.tensor(c), 1, 0.1, 50.0)
    assert len(losses) == 1 and c_hat.shape == (8,)
    with pytest.raises(DataError, match="c0 has 3 values"):
        inverse_optimization(A, bs, integer, c, torch.ones(3, dtype=torch.float64), 1, 0.1, 50.0)
