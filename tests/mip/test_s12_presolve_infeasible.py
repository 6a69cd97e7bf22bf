"""Session-12: an infeasibility claimed by HiGHS' presolve is confirmed before it is reported (oracle: simulating
the network gives a point that violates no row by more than 3e-14)."""

import numpy as np

from paperworks.mip import ID, MILP, RELU, AffineLayer, MILPPlanner, PlanCost, encode_rollout
from paperworks.mip.horizon import l1_cost_numpy


def _model(seed=20):
    rng = np.random.default_rng(seed)
    layers = [AffineLayer(rng.normal(size=(6, 3)) * 3, rng.normal(size=6) * 3, np.full(6, RELU)),
              AffineLayer(rng.normal(size=(6, 6)) * 3, rng.normal(size=6) * 3, np.full(6, RELU)),
              AffineLayer(rng.normal(size=(2, 6)) * 3, rng.normal(size=2), np.full(2, ID))]
    x0 = rng.normal(size=2) * 10 ** rng.integers(0, 4)
    goal = rng.normal(size=2)
    return layers, x0, goal, rng.normal(size=1)


def test_one_point_action_box_rollout_is_feasible():
    # u_lo == u_hi: every neuron is stable, the bounds of the pre-activations are 1e-8 wide; HiGHS' presolve
    # called this one-step rollout infeasible (without presolve: optimal)
    layers, x0, _, u = _model()
    m = MILP()
    ro = encode_rollout(m, layers, x0, 1, u, u)
    v = ro.assignment(m, layers, x0, u[None])
    assert m.max_violation(v) < 1e-12          # the simulated rollout is a feasible point
    r = m.solve()
    assert r.status == "optimal"
    assert m.max_violation(r.x) < 1e-6
    np.testing.assert_allclose(r.x[ro.X[1]], v[ro.X[1]], rtol=1e-9)


def test_planner_with_a_one_point_action_box_returns_that_action():
    layers, x0, goal, u = _model()
    p = MILPPlanner(layers, u, u, 4, PlanCost((0, 1)), time_limit=10).plan(x0, goal)
    np.testing.assert_array_equal(p.actions, np.tile(u, (4, 1)))
    sim = l1_cost_numpy(layers, x0, p.actions, goal, (0, 1), True, 0.0, 1.0, 0.0)
    assert abs(p.objective - sim) <= 1e-6 * (1 + sim)
