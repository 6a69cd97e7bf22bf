"""value_gradient's z is c'x* for the x* it returns as dz/dc (the fixed-integer LP's optimum), i.e. the value of
a feasible optimum as the paper's z(b) = min c'x over feasible x, and the value whose c-derivative is x* (Danskin).
It was the MILP's objective, that of HiGHS' x, which broke a row by up to ~6e-7 and sat 1e-6 below c'x* (s27)."""

import numpy as np
import torch

from paperworks.mip.duality import MILPValue, value_gradient
from paperworks.systems.tame_bnn import _knapsack


def _problems():
    """The tame_bnn reproduction's derivative problems (seed 0): A2 = [A I], 20 right-hand sides."""
    A, c = _knapsack(0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        rng.uniform(3, 20, A.shape[0])
    A2 = np.hstack([A, np.eye(3)])
    c2 = np.concatenate([c + rng.uniform(0, 0.3, c.size), [1.7, 2.3, 2.9]])
    integer = np.array([True] * c.size + [False] * 3)
    return c2, A2, [rng.uniform(3, 20, 3) for _ in range(20)], integer


def test_value_is_cost_of_returned_solution():
    c2, A2, bs, integer = _problems()
    for b in bs:
        z, _, x, _ = value_gradient(c2, A2, b, integer)
        assert abs(z - float(c2 @ x)) <= 1e-12 * max(1.0, abs(z))


def test_value_is_that_of_a_feasible_point():
    """Points 0, 12, 17, 18, 19 of the reproduction: the MILP's x broke a row and its objective was 1e-6 low."""
    c2, A2, bs, integer = _problems()
    for k in (0, 12, 17, 18, 19):
        z, _, x, _ = value_gradient(c2, A2, bs[k], integer)
        assert float(np.max(bs[k] - A2 @ x)) <= 1e-9
        assert abs(z - float(c2 @ x)) <= 1e-12 * abs(z)


def test_milpvalue_forward_equals_cost_of_its_c_gradient():
    c2, A2, bs, integer = _problems()
    c = torch.tensor(c2, requires_grad=True)
    z = MILPValue.apply(c, torch.tensor(bs[0]), A2, integer)
    z.backward()
    assert abs(float(z) - float(c.detach() @ c.grad)) <= 1e-12 * abs(float(z))
