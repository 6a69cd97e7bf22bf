"""The derivative check of tame_bnn's reproduction (section 3) takes every value of z from one function.

890c749 made ``value_gradient`` return z = c'x* of the fixed-integer LP; the check kept taking z(b +- h) from the MILP
solver's objective (up to ~1e-6 below c'x* within HiGHS' tolerance), so its affinity filter dropped points for that
offset (12 of 20 kept on the quick reproduction's problems, where the integer part is locally constant at all 20)."""
import numpy as np

from paperworks.mip.duality import solve_value, value_gradient
from paperworks.systems.tame_bnn import TameBNNConfig, _knapsack, value_derivative_errors


def _reproduction_problems():
    cfg = TameBNNConfig()
    A, c = _knapsack(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    for _ in range(cfg.n_duality):          # the weak-duality section draws first
        rng.uniform(3, 20, A.shape[0])
    A2 = np.hstack([A, np.eye(3)])
    c2 = np.concatenate([c + rng.uniform(0, 0.3, c.size), [1.7, 2.3, 2.9]])
    integer = np.array([True] * c.size + [False] * 3)
    bs = [rng.uniform(3, 20, 3) for _ in range(cfg.n_duality)]
    return c2, A2, integer, bs


def _locally_constant(c, A, integer, b, h=1e-4):
    x0 = np.round(solve_value(c, A, b, integer).x[integer])
    return all(np.array_equal(np.round(solve_value(c, A, b + s * h * e, integer).x[integer]), x0)
               for e in np.eye(b.size) for s in (-1, 1))


def test_every_locally_constant_point_is_kept_and_exact():
    c2, A2, integer, bs = _reproduction_problems()
    n_const = sum(_locally_constant(c2, A2, integer, b) for b in bs)
    errs = value_derivative_errors(c2, A2, integer, bs)
    assert n_const >= 15
    # z = c'x* is exactly affine where the integer part is fixed: no point may be dropped by the affinity filter
    assert len(errs) == n_const
    assert max(errs) < 1e-8


def test_values_come_from_value_gradient():
    c2, A2, integer, bs = _reproduction_problems()
    b, h = bs[0], 1e-4
    z, gb, _, _ = value_gradient(c2, A2, b, integer)
    zp = np.array([value_gradient(c2, A2, b + h * e, integer)[0] for e in np.eye(3)])
    zm = np.array([value_gradient(c2, A2, b - h * e, integer)[0] for e in np.eye(3)])
    errs = value_derivative_errors(c2, A2, integer, [b], h=h)
    assert errs == [float(np.abs((zp - zm) / (2 * h) - gb).max())]


def test_a_kink_is_skipped_and_an_affine_point_kept():
    # z(b) = min x + 1.5 w, x integer >= 0, w >= 0, x + w >= b: x = 2 on both sides of b = 2, but z is flat below
    # (w = 0) and rises with slope 1.5 above (w = b - 2): a kink with a fixed integer part, which the filter must skip
    c = np.array([1.0, 1.5])
    A = np.array([[1.0, 1.0]])
    integer = np.array([True, False])
    assert value_derivative_errors(c, A, integer, [np.array([2.0])]) == []
    errs = value_derivative_errors(c, A, integer, [np.array([2.5])])   # x = 2, w = 0.5: affine, dz/db = 1.5
    assert len(errs) == 1 and errs[0] < 1e-8
