"""One rule for a checked real number as the solvers keep it (curvature.solvers.plain_real): a Python int / float
(np.float64 too, a float subclass) as given, another real as its Python float. It was written out three times
(_check_damping, influence_scores_loop's damping, fmd's lam); the three call sites now share it, same results."""
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

from paperworks.curvature.solvers import _check_damping, plain_real
from paperworks.influence import influence_scores_loop
from paperworks.systems.fmd import _check_lam


@pytest.mark.parametrize("x", [0, 3, 0.25, np.float64(0.25)])
def test_python_numbers_pass_as_given(x):
    for f in (plain_real, _check_damping, lambda v: _check_lam("t", v)):
        out = f(x)
        assert out is x


@pytest.mark.parametrize("x, want", [(np.float32(0.5), 0.5), (np.int64(2), 2.0), (Fraction(1, 4), 0.25),
                                     (np.float16(0.5), 0.5)])
def test_other_reals_as_python_float(x, want):
    for f in (plain_real, _check_damping, lambda v: _check_lam("t", v)):
        out = f(x)
        assert type(out) is float and out == want


def test_auto_kept():
    assert _check_damping("auto") == "auto"


def test_influence_scores_loop_fraction_damping_equals_float():
    torch.manual_seed(0)
    m = nn.Linear(3, 1).double()
    X, y = torch.randn(8, 3, dtype=torch.float64), torch.randn(8, dtype=torch.float64)
    loss = lambda mod, b: ((mod(b[0])[:, 0] - b[1]) ** 2).mean()
    obj = lambda mod: mod(X[:2]).sum()
    a = influence_scores_loop(m, loss, (X, y), obj, damping=Fraction(1, 10))
    b = influence_scores_loop(m, loss, (X, y), obj, damping=0.1)
    assert torch.equal(a, b)
