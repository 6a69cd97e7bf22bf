"""33b6d5c made the damping check take any finite real (core.config.is_real: NumPy scalars, Fractions), but
InverseHVP kept the value as given: a Fraction then failed in influence_scores' own message format
("unsupported format string passed to Fraction.__format__") for the cg / lissa / kfac solvers, and
influence_scores_loop failed in ``damping * torch.eye`` ("unsupported operand type(s) for *"). Such a damping is
now used as the Python float of its value: the same scores as damping=0.1."""

from fractions import Fraction

import pytest
import torch
from torch import nn

from paperworks.curvature.solvers import InverseHVP
from paperworks.influence import influence_scores, influence_scores_loop

D64 = torch.float64


def _setup():
    torch.manual_seed(0)
    m = nn.Linear(3, 1).double()
    X = torch.randn(20, 3, dtype=D64)
    y = torch.randn(20, 1, dtype=D64)

    def loss_fn(model, b):
        return ((model(b[0]) - b[1]) ** 2).mean()

    def obj(model):
        return ((model(X[:2]) - y[:2]) ** 2).mean()

    return m, loss_fn, (X, y), obj


@pytest.mark.parametrize("solver", ["exact", "cg", "lissa", "kfac"])
def test_a_fraction_damping_gives_the_float_damping_scores(solver):
    m, loss_fn, data, obj = _setup()
    got = influence_scores(m, loss_fn, data, obj, damping=Fraction(1, 10), solver=solver)
    ref = influence_scores(m, loss_fn, data, obj, damping=0.1, solver=solver)
    assert torch.equal(got, ref)


def test_the_reference_loop_takes_a_fraction_damping():
    m, loss_fn, data, obj = _setup()
    got = influence_scores_loop(m, loss_fn, data, obj, damping=Fraction(1, 10))
    assert torch.equal(got, influence_scores_loop(m, loss_fn, data, obj, damping=0.1))


def test_damping_used_is_a_python_number():
    m, loss_fn, data, _ = _setup()
    assert type(InverseHVP(m, loss_fn, data, damping=Fraction(1, 4)).damping_used) is float
    # Python ints and floats are kept as given (fmd's path)
    assert type(InverseHVP(m, loss_fn, data, damping=2).damping_used) is int
    assert InverseHVP(m, loss_fn, data, damping=0.1).damping_used == 0.1
