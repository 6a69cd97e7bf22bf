"""Session-18: planner settings that silently degraded the search are refused in one line; BNN data without rows
or without features. Oracles: the closed-form optimum of the PWA toy (cost 0 reachable) and brute force."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.mip import CEMPlanner, GDPlanner, MPPIPlanner, PlanCost
from paperworks.mip.bnn import brute_force_bnn, train_bnn_milp, train_bnn_ste


def _step(x, u):   # 1-D integrator: x' = x + u, goal 1.5 reachable in 3 steps of |u| <= 1
    return x + u


ARGS = (_step, [-1.0], [1.0], 3, PlanCost((0,)))


@pytest.mark.parametrize("cls, kw", [
    (MPPIPlanner, {"lam": 0.0}), (MPPIPlanner, {"lam": -0.01}), (MPPIPlanner, {"lam": float("nan")}),
    (MPPIPlanner, {"sigma": float("nan")}), (MPPIPlanner, {"samples": 0}),
    (CEMPlanner, {"elites": 1}), (CEMPlanner, {"elites": 0}), (CEMPlanner, {"samples": 1}),
    (GDPlanner, {"steps": -1}), (GDPlanner, {"restarts": 0}),
])
def test_bad_planner_settings_are_refused(cls, kw):
    # before: MPPI with lam <= 0 / NaN weighted samples by NaN or towards the worst and kept its first round,
    # sigma NaN returned the start plan (cost 1.5), CEM with one elite refit a NaN std, GD steps=-1 returned a
    # random plan of cost inf, samples=0 / restarts=0 raised IndexError
    name = next(iter(kw))
    with pytest.raises(ValueError, match=f"{cls.__name__}: {name} must be"):
        cls(*ARGS, **kw).plan(np.zeros(1), np.array([1.5]))


def test_valid_settings_still_plan():
    for p in (MPPIPlanner(*ARGS, samples=64, iters=3, sigma=0.0 + 0.5, lam=0.01), CEMPlanner(*ARGS, elites=2),
              GDPlanner(*ARGS, steps=0, restarts=1), MPPIPlanner(*ARGS, iters=0)):
        plan = p.plan(np.zeros(1), np.array([1.5]))
        assert np.isfinite(plan.objective) and plan.actions.shape == (3, 1)
        x = torch.zeros(1, 1, dtype=torch.float64)
        for u in plan.actions:
            x = _step(x, torch.tensor(u)[None])
        assert abs(abs(float(x[0, 0]) - 1.5) - plan.objective) < 1e-12   # reported cost = simulated cost


def test_bnn_without_samples_names_the_problem():
    for f in (lambda X, y: train_bnn_milp(X, y, 1), lambda X, y: brute_force_bnn(X, y, 1),
              lambda X, y: train_bnn_ste(X, y, 1, epochs=2)):
        with pytest.raises(DataError, match="no training samples"):
            f(np.zeros((0, 2)), np.zeros(0))


def test_bnn_without_features_is_a_bias_only_network():
    # X [N, 0]: the output is a constant, the optimum is the minority-class count (closed form), = brute force
    X, y = np.zeros((5, 0)), np.array([0, 1, 1, 0, 1])
    w, r, _ = train_bnn_milp(X, y, 1)
    assert r.status == "optimal" and round(r.objective) == 2
    assert brute_force_bnn(X, y, 1)[0] == 2
    assert train_bnn_ste(X, y, 1, epochs=5)[1] >= 2


def test_ste_counts_errors_with_the_step_of_bnn_forward():
    # seed 861 starts (rounded) at W = (1, -1, -1), b = 0, v = 1, c = -1. On x = (0.3, 0.1, 0.2) the hidden
    # pre-activation is 0 in exact arithmetic (step 1, output o = 0, predicted 1 = the label: 0 errors) but
    # -2.8e-17 in floats: the STE's step (a >= 0) said 0 and it reported 1 error for these weights
    from fractions import Fraction

    from paperworks.mip.bnn import bnn_errors

    X, y = np.array([[0.3, 0.1, 0.2]]), np.array([1])
    w, err = train_bnn_ste(X, y, 1, epochs=1, seed=861)
    assert w.W.tolist() == [[1.0, -1.0, -1.0]] and w.b.tolist() == [0.0]
    a = sum(Fraction(str(x)) * int(wi) for x, wi in zip(X[0], w.W[0])) + int(w.b[0])   # exact: 0
    assert a == 0
    assert err == bnn_errors(w, X, y) == 0
