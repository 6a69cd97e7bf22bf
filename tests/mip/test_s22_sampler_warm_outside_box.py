"""Session-22: the sampling planners took a warm start outside the action box as it was: CEM and MPPI kept it as
their first best plan, GD as its first restart, so when no sample beat it the returned plan left the box (probe:
GD and CEM 1.9 outside on random 2-D problems). The warm start is now clipped to the box, as MILPPlanner does."""

import numpy as np
import pytest

from paperworks.mip import ID, RELU, AffineLayer, CEMPlanner, GDPlanner, MPPIPlanner, PlanCost, layers_step
from paperworks.mip.horizon import l1_cost_numpy

# x' = x + u exactly (a ReLU pair for each of +u and -u): the goal far beyond the box makes the warm start outside
# the box cheaper than any action inside it
W1 = np.array([[0, 0, 1, 0], [0, 0, -1, 0], [0, 0, 0, 1], [0, 0, 0, -1]], dtype=float)
LAYERS = [AffineLayer(W1, np.zeros(4), [RELU] * 4), AffineLayer([[1, -1, 0, 0], [0, 0, 1, -1]], np.zeros(2), [ID, ID])]
LO, HI = -np.ones(2), np.ones(2)


@pytest.mark.parametrize("planner", [MPPIPlanner, CEMPlanner, GDPlanner])
def test_a_warm_start_outside_the_box_never_comes_back_as_the_plan(planner):
    cost = PlanCost((0, 1))
    kw = {"steps": 0} if planner is GDPlanner else {"iters": 0}
    p = planner(layers_step(LAYERS), LO, HI, 2, cost, **kw)
    warm = np.full((2, 2), 5.0)
    plan = p.plan(np.zeros(2), np.full(2, 100.0), warm=warm)
    assert (plan.actions >= LO).all() and (plan.actions <= HI).all(), plan.actions    # old code: 5.0
    J = l1_cost_numpy(LAYERS, np.zeros(2), plan.actions, np.full(2, 100.0), (0, 1))
    assert plan.objective == pytest.approx(J, abs=1e-12)


@pytest.mark.parametrize("planner", [MPPIPlanner, CEMPlanner, GDPlanner])
def test_random_problems_with_wild_warm_starts_stay_in_the_box(planner):
    rng = np.random.default_rng(4)
    for _ in range(4):
        layers = [AffineLayer(rng.normal(size=(5, 4)), rng.normal(size=5), [RELU] * 5),
                  AffineLayer(rng.normal(size=(2, 5)) * .3, rng.normal(size=2) * .1, [ID, ID])]
        lo, hi = -rng.uniform(.1, 2, 2), rng.uniform(.1, 2, 2)
        plan = planner(layers_step(layers), lo, hi, 3, PlanCost((0, 1), 0.4, 1.0, 0.1)).plan(
            rng.normal(size=2), rng.normal(size=2), warm=rng.uniform(-3, 3, size=(3, 2)))
        assert (plan.actions >= lo).all() and (plan.actions <= hi).all()
