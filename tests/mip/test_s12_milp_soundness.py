"""Session-12: an MPC plan's reported cost is its actions' simulated cost (oracle: simulating the network)."""

import numpy as np

from paperworks.mip import ID, RELU, AffineLayer, MILPPlanner, PlanCost
from paperworks.mip.horizon import l1_cost_numpy


def _tiny_dynamics(seed):
    rng = np.random.default_rng(seed)
    L1 = AffineLayer(rng.normal(size=(3, 2)) * 3, rng.normal(size=3), np.full(3, RELU))
    L2 = AffineLayer(rng.normal(size=(1, 3)), np.zeros(1), np.full(1, ID))
    return [L1, L2], rng.normal(size=1), rng.normal(size=1)


def test_milp_plan_objective_is_the_simulated_cost_of_its_actions_under_a_wide_action_box():
    # action box +-1e5 over 3 steps: big-M of ~1e11, so a binary at HiGHS' integrality tolerance (1e-6) lets a
    # ReLU output drift by far more than 1. The old planner reported 'optimal', objective 0.0, for actions
    # whose simulated cost is 10.65 (a dense grid over the box finds nothing below 12.5).
    layers, x0, goal = _tiny_dynamics(102)
    cost = PlanCost((0,))
    pl = MILPPlanner(layers, [-1e5], [1e5], 3, cost, time_limit=5, mip_gap=0.0)
    p = pl.plan(x0, goal)
    sim = l1_cost_numpy(layers, x0, p.actions, goal, (0,), True, 0.0, 1.0, 0.0)
    assert abs(p.objective - sim) <= 1e-9 * (1 + sim)
    assert np.all(np.abs(p.actions) <= 1e5)
    assert p.bound <= p.objective + 1e-9
    # a plan whose cost is not certified by the bound is not 'optimal'
    if p.objective - p.bound > 1e-6:
        assert p.status == "feasible" and p.gap > 0
    assert p.info["milp_objective"] < sim - 1.0   # the MILP's own value, kept for inspection


def test_milp_plan_status_optimal_only_when_the_simulated_cost_meets_the_bound():
    for seed in (89, 102, 124):
        layers, x0, goal = _tiny_dynamics(seed)
        p = MILPPlanner(layers, [-1e5], [1e5], 3, PlanCost((0,)), time_limit=5, mip_gap=0.0).plan(x0, goal)
        sim = l1_cost_numpy(layers, x0, p.actions, goal, (0,), True, 0.0, 1.0, 0.0)
        assert abs(p.objective - sim) <= 1e-9 * (1 + sim)
        if p.status == "optimal":
            assert sim - p.bound <= 1e-6

