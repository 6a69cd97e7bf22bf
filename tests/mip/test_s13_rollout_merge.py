"""MILPPlanner._simulate simulates the network once (horizon.rollout_numpy) for both its cost and its state-box
check, and l1_cost_numpy is rollout_numpy + l1_cost_rollout. Costs, box violations and the plans chosen from
them equal, bit for bit, those of the old code (copied below as the oracle), on random networks."""

import numpy as np
import pytest

from paperworks.mip import ID, RELU, AffineLayer, MILPPlanner, PlanCost, forward_layers
from paperworks.mip.horizon import l1_cost_numpy, l1_cost_rollout, rollout_numpy


# ---- oracle: the two functions as they stood before the merge (commit b2c025e)
def _old_l1_cost_numpy(layers, x0, actions, goal, dims, residual=True, stage_weight=0.0, final_weight=1.0,
                       action_weight=0.0):
    x = np.asarray(x0, dtype=np.float64)
    dims = np.asarray(dims)
    c, T = 0.0, len(actions)
    for t in range(T):
        u = np.asarray(actions[t], dtype=np.float64)
        out = forward_layers(layers, np.concatenate([x, u])[None])[0]
        x = x + out if residual else out
        c += (final_weight if t == T - 1 else stage_weight) * np.abs(x[dims] - goal).sum()
        c += action_weight * np.abs(u).sum()
    return float(c)


def _old_simulate(self, x0, goal, actions):
    c = self.cost
    J = _old_l1_cost_numpy(self.layers, x0, actions, goal, c.goal_dims, self.residual, c.stage_weight,
                           c.final_weight, c.action_weight)
    out = 0.0
    if self.x_lo is not None or self.x_hi is not None:
        lo = -np.inf if self.x_lo is None else np.asarray(self.x_lo, dtype=np.float64).reshape(-1)
        hi = np.inf if self.x_hi is None else np.asarray(self.x_hi, dtype=np.float64).reshape(-1)
        x = np.asarray(x0, dtype=np.float64)
        for u in np.asarray(actions, dtype=np.float64):
            f = forward_layers(self.layers, np.concatenate([x, u])[None])[0]
            x = x + f if self.residual else f
            s = 1.0 + np.abs(x)
            out = max(out, float(np.max((lo - x) / s, initial=0.0)), float(np.max((x - hi) / s, initial=0.0)))
    return J, out


class _OldPlanner(MILPPlanner):
    _simulate = _old_simulate


def _bits(a):
    return np.asarray(a, dtype=np.float64).tobytes()


def _net(rng, nx, nu, hidden):
    sizes = [nx + nu] + hidden + [nx]
    out = []
    for i in range(len(sizes) - 1):
        W = rng.normal(size=(sizes[i + 1], sizes[i])) * rng.choice([0.1, 1.0, 10.0])
        kinds = np.full(sizes[i + 1], RELU if i < len(sizes) - 2 else ID)
        out.append(AffineLayer(W, rng.normal(size=sizes[i + 1]), kinds))
    return out


def _case(rng):
    nx, nu, T = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 5))
    layers = _net(rng, nx, nu, [int(rng.integers(2, 6))])
    dims = tuple(sorted(rng.choice(nx, size=int(rng.integers(1, nx + 1)), replace=False).tolist()))
    cost = PlanCost(dims, float(rng.choice([0.0, 0.5])), float(rng.choice([1.0, 1.7])),
                    float(rng.choice([0.0, 0.01])))
    r = rng.random()
    x_lo = None if r < 0.3 else -rng.random(nx) * 3
    x_hi = None if 0.3 <= r < 0.6 else rng.random(nx) * 3
    return layers, nx, nu, T, cost, bool(rng.random() < 0.7), x_lo, x_hi


@pytest.mark.parametrize("seed", range(4))
def test_simulate_and_l1_cost_equal_the_old_code_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        layers, nx, nu, T, cost, residual, x_lo, x_hi = _case(rng)
        args = (layers, -np.ones(nu), np.ones(nu), T, cost)
        new = MILPPlanner(*args, residual=residual, x_lo=x_lo, x_hi=x_hi)
        old = _OldPlanner(*args, residual=residual, x_lo=x_lo, x_hi=x_hi)
        x0, goal = rng.normal(size=nx), rng.normal(size=len(cost.goal_dims))
        for scale in (1.0, 1e-8, 1e3):
            U = rng.uniform(-1, 1, size=(T, nu)) * scale
            assert _bits(new._simulate(x0, goal, U)) == _bits(old._simulate(x0, goal, U))
            c = (cost.goal_dims, residual, cost.stage_weight, cost.final_weight, cost.action_weight)
            want = _old_l1_cost_numpy(layers, x0, U.tolist(), goal, *c)
            assert _bits(l1_cost_numpy(layers, x0, U.tolist(), goal, *c)) == _bits(want)
            steps = rollout_numpy(layers, x0, U, residual)
            assert len(steps) == T
            assert _bits(l1_cost_rollout(steps, goal, *c[:1], *c[2:])) == _bits(want)


def test_empty_action_sequence_costs_zero_as_before():
    layers = _net(np.random.default_rng(0), 2, 1, [3])
    assert l1_cost_numpy(layers, [0.0, 0.0], [], [1.0], (0,)) == _old_l1_cost_numpy(layers, [0.0, 0.0], [], [1.0],
                                                                                    (0,)) == 0.0


def test_plans_equal_the_old_code_with_and_without_a_state_box():
    rng = np.random.default_rng(7)
    n = 0
    for _ in range(10):
        layers, nx, nu, T, cost, residual, x_lo, x_hi = _case(rng)
        T = min(T, 3)
        x_lo, x_hi = (None if x_lo is None else 4 * x_lo), (None if x_hi is None else 4 * x_hi)   # mostly feasible
        args = (layers, -np.ones(nu), np.ones(nu), T, cost)
        kw = dict(residual=residual, x_lo=x_lo, x_hi=x_hi, time_limit=120.0, node_limit=500)
        new, old = MILPPlanner(*args, **kw), _OldPlanner(*args, **kw)
        x0, goal = rng.normal(size=nx), rng.normal(size=len(cost.goal_dims))
        try:
            a = new.plan(x0, goal)
        except Exception as e:   # noqa: BLE001 - an infeasible box must fail the same way
            a = repr(e)
        try:
            b = old.plan(x0, goal)
        except Exception as e:   # noqa: BLE001
            b = repr(e)
        if isinstance(a, str) or isinstance(b, str):
            assert a == b
            continue
        n += 1
        assert _bits(a.actions) == _bits(b.actions) and _bits(a.objective) == _bits(b.objective)
        assert a.status == b.status and _bits(a.gap) == _bits(b.gap)
    assert n >= 5
