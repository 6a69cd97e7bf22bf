"""Session-22: MILPPlanner returned the solver's action values unclipped, which may leave the action box by HiGHS's
primal tolerance (probe: 3.3e-9 below u_lo on this 1-step problem; 5 of 112 random plans outside the box). The
returned plan's actions now lie in [u_lo, u_hi] exactly and its cost is their simulated cost."""

import numpy as np

from paperworks.mip import ID, RELU, ZERO, AffineLayer, MILPPlanner, PlanCost
from paperworks.mip.horizon import l1_cost_numpy

W1 = [[-11.486594687868854, 5.0588840392929635], [-14.365228316630338, 0.03699434963609657]]
B1 = [13.380214607912158, -18.151702223784184]
W2 = [[-0.5891058414679577, 0.04607021085107795]]
B2 = [-0.09235818667769104]
U_LO, U_HI = np.array([-1.4713073195680249]), np.array([1.3334191280698695])


def test_plan_actions_lie_in_the_action_box_exactly():
    layers = [AffineLayer(W1, B1, [RELU, ID]), AffineLayer(W2, B2, [ID])]
    cost = PlanCost((0,), 0.9208275530222458, 1.0, 0.1699664470157748)
    x0, goal = np.array([-0.8345226613634754]), np.array([1.0962863023306697])
    for tighten in ("interval", "lp"):
        plan = MILPPlanner(layers, U_LO, U_HI, 1, cost, time_limit=20, tighten=tighten).plan(x0, goal)
        assert plan.status == "optimal"
        # old code: 3.3e-9 below u_lo
        assert (plan.actions >= U_LO).all() and (plan.actions <= U_HI).all(), plan.actions - U_LO
        J = l1_cost_numpy(layers, x0, plan.actions, goal, (0,), True, cost.stage_weight, 1.0, cost.action_weight)
        assert abs(J - plan.objective) <= 1e-6 * (1 + abs(J))


def test_random_plans_stay_in_the_box():
    rng = np.random.default_rng(3)
    for case in range(12):
        nx, nu, h = 2, 2, 4
        s = [1.0, 10.0, 0.1][case % 3]
        layers = [AffineLayer(rng.normal(size=(h, nx + nu)) * s, rng.normal(size=h) * s,
                              rng.choice([RELU, RELU, ID, ZERO], h)),
                  AffineLayer(rng.normal(size=(nx, h)) * 0.3, rng.normal(size=nx) * 0.1, [ID, ID])]
        lo, hi = -rng.uniform(0.1, 2, nu), rng.uniform(0.1, 2, nu)
        plan = MILPPlanner(layers, lo, hi, 2, PlanCost((0, 1), 0.5, 1.0, 0.1), time_limit=20).plan(
            rng.normal(size=nx), rng.normal(size=nx))
        assert (plan.actions >= lo).all() and (plan.actions <= hi).all()
