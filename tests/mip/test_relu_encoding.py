"""Oracles of the ReLU MILP encoding: exact forward pass, binaries = 1[z > 0], binary count, global optimality."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn as nn

from paperworks.mip import (ID, MILP, RELU, ZERO, AffineLayer, CEMPlanner, GDPlanner, InfeasibleError,
                            MILPPlanner, MPPIPlanner, PlanCost, UnboundedInputError,
                            UnsupportedLayerError, count_unstable, encode_layers, encode_rollout, fold_identity,
                            forward_layers, interval_bounds, layers_step, network_layers)
from paperworks.mip.horizon import l1_cost_numpy

TIGHT = {"primal_feasibility_tolerance": 1e-9, "mip_feasibility_tolerance": 1e-9}


def _net(seed, sizes=(4, 12, 12, 3)):
    torch.manual_seed(seed)
    mods = []
    for i in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods).double()


@pytest.mark.parametrize("tighten", ["interval", "lp"])
def test_fixed_inputs_reproduce_forward_pass_and_binaries(tighten):
    net = _net(0)
    layers = network_layers(net)
    rng = np.random.default_rng(0)
    lo, hi = -np.ones(4), np.ones(4)
    for _ in range(4):
        h = rng.uniform(lo, hi)
        m = MILP()
        x = m.add_vars(4, lo, hi)
        out, info = encode_layers(m, layers, x, lo, hi, tighten=tighten)
        m.fix(x, h)
        r = m.solve(options=TIGHT)
        assert r.status == "optimal"
        want = net(torch.tensor(h)[None]).detach().numpy()[0]
        np.testing.assert_allclose(r.x[out], want, atol=1e-6, rtol=0)
        # every binary equals 1[z > 0] of the torch forward pass (ties at 0 allowed)
        hh = torch.tensor(h)
        for k, lin in enumerate([m_ for m_ in net if isinstance(m_, nn.Linear)][:-1]):
            z = lin(hh).detach().numpy()
            hh = torch.relu(lin(hh))
            d = info.d_idx[k]
            sel = d >= 0
            got = np.round(r.x[d[sel]])
            ok = (got == (z[sel] > 0)) | (np.abs(z[sel]) < 1e-9)
            assert ok.all()


def test_binary_count_equals_unstable_relus_times_horizon():
    net = _net(1, (3, 10, 10, 2))
    layers = network_layers(net)
    x0 = np.array([0.1, -0.2])
    T = 3
    m = MILP()
    ro = encode_rollout(m, layers, x0, T, [-1.0], [1.0])
    # per-step count from the same interval bounds the encoder used
    want = 0
    for t in range(T):
        lo, hi = ro.x_bounds[t]
        want += count_unstable(layers, np.concatenate([lo, [-1.0]]), np.concatenate([hi, [1.0]]))
    assert m.num_integer == ro.n_binaries == want
    # and it is T x (#ReLU not stably on/off) for a fixed input box, counted by columns
    m2 = MILP()
    x = m2.add_vars(3, -1, 1)
    _, info = encode_layers(m2, layers, x, -np.ones(3), np.ones(3))
    unstable = count_unstable(layers, -np.ones(3), np.ones(3))
    assert m2.num_integer == unstable == info.n_binaries
    assert info.n_binaries + info.n_stable_active + info.n_stable_inactive == 20


def test_stable_neurons_get_no_binary():
    W1 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    b1 = np.array([5.0, -5.0, 0.0])   # neuron 0 always on, neuron 1 always off, neuron 2 unstable on [-1,1]^2
    layers = [AffineLayer(W1, b1, [RELU] * 3), AffineLayer(np.ones((1, 3)), [0.0], [ID])]
    m = MILP()
    x = m.add_vars(2, -1, 1)
    _, info = encode_layers(m, layers, x, -np.ones(2), np.ones(2))
    assert (info.n_binaries, info.n_stable_active, info.n_stable_inactive) == (1, 1, 1)
    assert m.num_integer == 1


@pytest.mark.parametrize("nu,T", [(1, 2), (2, 1)])
def test_grid_search_never_beats_milp_optimum(nu, T):
    torch.manual_seed(3)
    net = nn.Sequential(nn.Linear(2 + nu, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2)).double()
    layers = network_layers(net)
    x0, goal = np.array([0.3, -0.4]), np.array([1.0, 0.5])
    cost = PlanCost((0, 1), stage_weight=0.5, final_weight=1.0, action_weight=0.01)
    p = MILPPlanner(layers, -np.ones(nu), np.ones(nu), T, cost, time_limit=30, mip_gap=0.0).plan(x0, goal)
    assert p.status == "optimal"
    # objective of the MILP equals the model cost of its plan
    assert abs(l1_cost_numpy(layers, x0, p.actions, goal, (0, 1), True, 0.5, 1.0, 0.01) - p.objective) < 1e-6
    grid = np.linspace(-1, 1, 41 if nu * T == 2 else 401)
    step = layers_step(layers)
    U = torch.tensor(list(itertools.product(grid, repeat=nu * T))).reshape(-1, T, nu)
    from paperworks.mip import rollout_cost
    J = rollout_cost(step, torch.tensor(x0), U, torch.tensor(goal), cost)
    assert float(J.min()) >= p.objective - 1e-7
    # and no baseline planner beats it on the same model
    for pl in (MPPIPlanner(step, -np.ones(nu), np.ones(nu), T, cost),
               CEMPlanner(step, -np.ones(nu), np.ones(nu), T, cost),
               GDPlanner(step, -np.ones(nu), np.ones(nu), T, cost, steps=20)):
        assert pl.plan(x0, goal).objective >= p.objective - 1e-7


def test_fold_identity_and_zero_neurons_is_exact():
    rng = np.random.default_rng(0)
    layers = [AffineLayer(rng.normal(size=(8, 3)), rng.normal(size=8), rng.integers(0, 3, 8)),
              AffineLayer(rng.normal(size=(6, 8)), rng.normal(size=6), [ID] * 6),
              AffineLayer(rng.normal(size=(2, 6)), rng.normal(size=2), [ID] * 2)]
    h = rng.normal(size=(50, 3))
    folded = fold_identity(layers)
    assert len(folded) == 2 and folded[0].W.shape[0] == int((layers[0].kinds != ZERO).sum())
    np.testing.assert_allclose(forward_layers(folded, h), forward_layers(layers, h), atol=1e-10)


def test_interval_bounds_contain_samples():
    net = _net(2)
    layers = network_layers(net)
    bnds = interval_bounds(layers, -np.ones(4), np.ones(4))
    h = np.random.default_rng(1).uniform(-1, 1, (500, 4))
    for L, (zl, zu) in zip(layers, bnds):
        z = h @ L.W.T + L.b
        assert (z >= zl - 1e-9).all() and (z <= zu + 1e-9).all()
        h = np.where(L.kinds == RELU, np.maximum(z, 0), z)


def test_interval_bounds_are_the_box_extremes_by_vertex_enumeration():
    """Soundness alone (above) passes for any looser bounds. Interval arithmetic is exact for one affine map
    of a box: the extremes of w'h + b over a box sit at its vertices. So layer 1's bounds equal the min / max
    over the 2^4 input vertices, and layer k's equal the min / max over the vertices of the box
    [act(l_{k-1}), act(u_{k-1})] (ReLU monotone: the exact per-neuron range of the previous layer's outputs
    over that layer's pre-activation box). The unstable-neuron count is recounted from these bounds."""
    net = _net(2, (4, 6, 5, 3))
    with torch.no_grad():
        net[0].bias.add_(torch.tensor([4.0, -4.0, 0.0, 0.0, 0.0, 0.0], dtype=torch.float64))  # stable on / off
    layers = network_layers(net)
    lo, hi = np.array([-1.0, -0.5, 0.0, -2.0]), np.array([1.0, 0.5, 0.3, 1.0])
    bnds = interval_bounds(layers, lo, hi)
    box_lo, box_hi, unstable = lo, hi, 0
    for L, (zl, zu) in zip(layers, bnds):
        V = np.array(list(itertools.product(*zip(box_lo, box_hi))))     # all vertices of the current box
        Z = V @ L.W.T + L.b
        np.testing.assert_allclose(zl, Z.min(0), rtol=0, atol=1e-12)
        np.testing.assert_allclose(zu, Z.max(0), rtol=0, atol=1e-12)
        relu = L.kinds == RELU
        unstable += int((relu & (Z.min(0) < 0) & (Z.max(0) > 0)).sum())
        box_lo = np.where(relu, np.maximum(Z.min(0), 0), Z.min(0))
        box_hi = np.where(relu, np.maximum(Z.max(0), 0), Z.max(0))
    assert 0 < unstable < 11 and count_unstable(layers, lo, hi) == unstable
    m = MILP()
    _, info = encode_layers(m, layers, m.add_vars(4, lo, hi), lo, hi)
    assert m.num_integer == info.n_binaries == unstable
    assert info.n_stable_active >= 1 and info.n_stable_inactive >= 1


def test_bad_inputs_give_clear_errors():
    with pytest.raises(UnsupportedLayerError, match="Tanh"):
        network_layers(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)))
    layers = network_layers(_net(0))
    m = MILP()
    x = m.add_vars(4)
    with pytest.raises(UnboundedInputError, match="finite box"):
        encode_layers(m, layers, x, [-1, -1, -np.inf, -1], np.ones(4))
    with pytest.raises(UnboundedInputError):
        encode_rollout(MILP(), network_layers(_net(0, (3, 4, 2))), np.zeros(2), 2, [-np.inf], [1.0])


def test_infeasible_and_timeout_are_reported():
    m = MILP()
    x = m.add_vars(2, 0, 1, integer=True)
    m.add_ge(x, [1, 1], 3)
    assert m.solve().status == "infeasible"
    # MPC with a state box the dynamics cannot reach -> InfeasibleError
    layers = [AffineLayer(np.array([[0.0, 1.0]]), [0.0], [ID])]   # x' = x + u
    pl = MILPPlanner(layers, [-0.1], [0.1], 2, PlanCost((0,)), x_lo=[5.0], x_hi=[6.0])
    with pytest.raises(InfeasibleError, match="infeasible"):
        pl.plan([0.0], [5.0])


def test_time_limit_returns_incumbent_or_raises():
    # a knapsack hard enough to hit a tiny time limit
    rng = np.random.default_rng(0)
    n = 60
    w = rng.integers(1000, 2000, n)
    m = MILP()
    x = m.add_vars(n, 0, 1, integer=True)
    m.add_le(x, w, w.sum() / 2 + 0.5)
    m.set_objective(x, -(w + rng.integers(0, 5, n)))
    r = m.solve(time_limit=1e-3, options={"presolve": "off"})
    assert r.status in ("feasible", "no_solution", "optimal")
    if r.status == "feasible":
        assert r.x is not None and r.gap >= 0 and m.max_violation(r.x) < 1e-6
    if r.status == "no_solution":
        assert r.x is None
    with pytest.raises(Exception, match="time_limit"):
        m.solve(time_limit=-1)


def test_warm_start_incumbent_is_reported_first():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2)).double()
    layers = network_layers(net)
    pl = MILPPlanner(layers, [-1.0], [1.0], 3, PlanCost((0, 1)), mip_gap=0.0)
    warm = np.zeros((3, 1))
    p = pl.plan([0.0, 0.0], [1.0, 1.0], warm=warm)
    assert p.status == "optimal"
    # the warm start is accepted as the first incumbent, and its value is the model cost of the warm plan
    first = p.info["incumbents"][0][1]
    assert abs(first - l1_cost_numpy(layers, [0, 0], warm, np.array([1.0, 1.0]), (0, 1))) < 1e-6
    assert p.objective <= first


def test_node_limit_is_a_deterministic_budget():
    # the node budget (unlike wall-clock time) gives the same plan on every run; a limit that stops the
    # search returns the incumbent with status 'feasible' and a gap, never silently a non-optimal 'optimal'
    torch.manual_seed(4)
    net = nn.Sequential(nn.Linear(4, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(), nn.Linear(12, 2)).double()
    layers = network_layers(net)
    cost = PlanCost((0, 1), stage_weight=0.5, final_weight=1.0, action_weight=0.01)
    x0, goal = np.array([0.3, -0.4]), np.array([1.0, 0.5])
    full = MILPPlanner(layers, -np.ones(2), np.ones(2), 2, cost, time_limit=60, mip_gap=0.0).plan(x0, goal)
    assert full.status == "optimal" and full.info["nodes"] >= 1
    runs = [MILPPlanner(layers, -np.ones(2), np.ones(2), 2, cost, time_limit=60, mip_gap=0.0,
                        node_limit=1).plan(x0, goal) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].actions, runs[1].actions)
    assert runs[0].objective == runs[1].objective and runs[0].info["nodes"] == runs[1].info["nodes"]
    for r in runs:
        assert r.objective >= full.objective - 1e-7
        assert r.status == "optimal" or (r.status == "feasible" and r.gap > 0)
    with pytest.raises(ValueError, match="node_limit"):
        MILPPlanner(layers, -np.ones(2), np.ones(2), 2, cost, node_limit=0)


def _mixed_layers(seed=5, nx=2, nu=2):
    rng = np.random.default_rng(seed)
    return [AffineLayer(rng.normal(size=(10, nx + nu)) * 0.8, rng.normal(size=10) * 0.3, rng.integers(0, 3, 10)),
            AffineLayer(rng.normal(size=(8, 10)) * 0.5, rng.normal(size=8) * 0.3, rng.integers(0, 3, 8)),
            AffineLayer(rng.normal(size=(nx, 8)) * 0.3, rng.normal(size=nx) * 0.1, [ID] * nx)]


@pytest.mark.parametrize("tighten", ["interval", "lp"])
def test_milp_objective_equals_sampler_cost_for_any_fixed_plan(tighten):
    """Two-sided 'same cost' oracle: with the actions fixed to any sequence, the MILP's objective equals
    rollout_cost (what MPPI/CEM/GD minimise) for that sequence, for stage, final and action weights all
    non-zero. (The grid checks above are one-sided: a sampler cost that over-counts would pass them.)"""
    from paperworks.mip import rollout_cost
    layers, T = _mixed_layers(), 3
    cost = PlanCost((0, 1), stage_weight=0.3, final_weight=1.7, action_weight=0.05)
    x0, goal = np.array([0.2, -0.1]), np.array([0.6, 0.4])
    pl = MILPPlanner(layers, -np.ones(2), np.ones(2), T, cost, tighten=tighten)
    U = np.random.default_rng(1).uniform(-1, 1, (4, T, 2))
    want = rollout_cost(layers_step(layers), torch.tensor(x0), torch.tensor(U), torch.tensor(goal), cost).numpy()
    for u, w in zip(U, want):
        m, ro, _ = pl.build(x0, goal)
        m.fix(ro.U.ravel(), u.ravel())
        r = m.solve(options=TIGHT)
        assert r.status == "optimal"
        assert abs(r.objective - w) < 1e-6
        assert abs(l1_cost_numpy(layers, x0, u, goal, (0, 1), True, 0.3, 1.7, 0.05) - w) < 1e-9
    # and the free MILP's plan is scored identically by the sampler cost
    p = pl.plan(x0, goal)
    J = rollout_cost(layers_step(layers), torch.tensor(x0), torch.tensor(p.actions)[None], torch.tensor(goal), cost)
    assert abs(float(J[0]) - p.objective) < 1e-6


@pytest.mark.parametrize("residual, want", [(True, 1.725), (False, 1.6)])
def test_plan_cost_of_a_scripted_rollout_is_the_hand_computed_value(residual, want):
    """The three cost implementations above agree with each other; this pins them to numbers worked out by
    hand. Dynamics f(p, q, u) = (u, relu(u)), x' = x + f (residual) or f; goal (1, 0.5), U = (0.5, -0.25, 0.75):
    residual states (0.5, 0.5), (0.25, 0.5), (1, 1.25): 0.3 (0.5 + 0.75) + 1.7 (0.75) + 0.05 (1.5) = 1.725;
    direct states (0.5, 0.5), (-0.25, 0), (0.75, 0.75): 0.3 (0.5 + 1.75) + 1.7 (0.5) + 0.05 (1.5) = 1.6."""
    from paperworks.mip import rollout_cost
    layers = [AffineLayer(np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]), [0.0, 0.0], [ID, RELU])]
    cost = PlanCost((0, 1), stage_weight=0.3, final_weight=1.7, action_weight=0.05)
    x0, goal, U = np.zeros(2), np.array([1.0, 0.5]), np.array([[0.5], [-0.25], [0.75]])
    assert l1_cost_numpy(layers, x0, U, goal, (0, 1), residual, 0.3, 1.7, 0.05) == pytest.approx(want, abs=1e-12)
    J = rollout_cost(layers_step(layers, residual=residual), torch.tensor(x0), torch.tensor(U)[None],
                     torch.tensor(goal), cost)
    assert float(J[0]) == pytest.approx(want, abs=1e-12)
    pl = MILPPlanner(layers, [-1.0], [1.0], 3, cost, residual=residual)
    m, ro, _ = pl.build(x0, goal)
    m.fix(ro.U.ravel(), U.ravel())
    r = m.solve(options=TIGHT)
    assert r.status == "optimal" and r.objective == pytest.approx(want, abs=1e-7)


def test_lp_tightened_horizon_keeps_the_global_optimum():
    """The reproduction plans with LP-tightened state boxes (tighten='lp'); they must not cut off the optimum:
    same objective as plain interval bounds, and a dense action grid never beats it."""
    from paperworks.mip import rollout_cost
    layers = _mixed_layers(7, nx=2, nu=1)
    cost = PlanCost((0, 1), stage_weight=0.5, final_weight=1.0, action_weight=0.01)
    x0, goal = np.array([0.1, 0.3]), np.array([-0.5, 0.8])
    a = MILPPlanner(layers, [-1.0], [1.0], 2, cost, tighten="lp", mip_gap=0.0, time_limit=30).plan(x0, goal)
    b = MILPPlanner(layers, [-1.0], [1.0], 2, cost, tighten="interval", mip_gap=0.0, time_limit=30).plan(x0, goal)
    assert a.status == b.status == "optimal"
    assert abs(a.objective - b.objective) < 1e-7
    grid = np.linspace(-1, 1, 201)
    U = torch.tensor(list(itertools.product(grid, repeat=2))).reshape(-1, 2, 1)
    J = rollout_cost(layers_step(layers), torch.tensor(x0), U, torch.tensor(goal), cost)
    assert float(J.min()) >= a.objective - 1e-7


def test_planners_reject_bad_queries_in_one_line():
    from paperworks.core.errors import DataError
    layers = _mixed_layers(3, nx=2, nu=1)
    cost = PlanCost((1,), 0.5, 1.0, 0.01)
    makers = [lambda **k: MILPPlanner(layers, k.get("lo", [-1.0]), k.get("hi", [1.0]), k.get("T", 2), cost),
              lambda **k: MPPIPlanner(layers_step(layers), k.get("lo", [-1.0]), k.get("hi", [1.0]), k.get("T", 2), cost),
              lambda **k: CEMPlanner(layers_step(layers), k.get("lo", [-1.0]), k.get("hi", [1.0]), k.get("T", 2), cost),
              lambda **k: GDPlanner(layers_step(layers), k.get("lo", [-1.0]), k.get("hi", [1.0]), k.get("T", 2), cost)]
    for make in makers:
        pl = make()
        with pytest.raises(DataError, match="goal contains NaN"):
            pl.plan([0.0, 0.0], [np.nan])
        with pytest.raises(DataError, match="x0 contains NaN"):
            pl.plan([np.nan, 0.0], [1.0])
        with pytest.raises(DataError, match="goal has 2 values"):
            pl.plan([0.0, 0.0], [1.0, 2.0])
        with pytest.raises(DataError, match="warm start must be"):
            pl.plan([0.0, 0.0], [1.0], warm=np.zeros(5))
        with pytest.raises(DataError, match="warm start contains NaN"):
            pl.plan([0.0, 0.0], [1.0], warm=np.array([np.nan, 0.0]))
        with pytest.raises(DataError, match="horizon T"):
            make(T=0)
        with pytest.raises(DataError, match="u_lo > u_hi"):
            make(lo=[1.0], hi=[-1.0])
    with pytest.raises(DataError, match="dynamics reject a 3-D state"):
        makers[1]().plan([0.0, 0.0, 0.0], [1.0])


def test_more_bad_inputs_name_the_problem():
    """NaN weights, an empty input box, a misshaped state box and negative cost weights each get one error naming
    the problem (before: 'bounds contain NaN' / 'lower bound > upper bound' for an internal variable 'net.z0',
    a numpy broadcast error, and a negative final weight reached HiGHS as an 'unbounded' MPC problem)."""
    net = _net(0, (3, 4, 2))
    net[0].weight.data[1, 2] = float("nan")
    with pytest.raises(ValueError, match="weights and biases must be finite"):
        network_layers(net)
    layers = network_layers(_net(0))
    m = MILP()
    x = m.add_vars(4, -1, 1)
    with pytest.raises(InfeasibleError, match=r"input box is empty \(lo 1 > hi -1 for input 2\)"):
        encode_layers(m, layers, x, [-1, -1, 1, -1], [1, 1, -1, 1])
    small = network_layers(_net(0, (3, 4, 2)))
    with pytest.raises(ValueError, match="state box x_lo / x_hi must have 2 entries"):
        encode_rollout(MILP(), small, np.zeros(2), 2, [-1.0], [1.0], x_lo=[-5.0], x_hi=[5.0, 5.0])
    with pytest.raises(ValueError, match="state box"):
        encode_rollout(MILP(), small, np.zeros(2), 2, [-1.0], [1.0], x_lo=[-5.0, np.nan])
    for kw in ({"final_weight": -1.0}, {"stage_weight": -0.5}, {"action_weight": np.nan}, {"final_weight": np.inf}):
        with pytest.raises(ValueError, match=f"{list(kw)[0]} must be a finite number >= 0"):
            PlanCost((0, 1), **kw)
    for dims in ((), (-1,), (0.5,)):
        with pytest.raises(ValueError, match="goal_dims"):
            PlanCost(dims)


def test_network_layers_merges_affine_maps_and_skips_eval_no_ops():
    """Linear -> Linear (no bias) merges into one affine map; Flatten / Identity / Dropout (eval) add nothing; a
    final ReLU is kept: the numpy forward of the translated layers equals the torch network."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(3, 5), nn.Linear(5, 4, bias=False), nn.ReLU(), nn.Identity(),
                        nn.Dropout(0.3), nn.Linear(4, 2), nn.ReLU()).double().eval()
    layers = network_layers(net)
    assert [(L.W.shape, L.kinds.tolist()) for L in layers] == [((4, 3), [RELU] * 4), ((2, 4), [RELU] * 2)]
    h = np.random.default_rng(0).normal(size=(20, 3))
    np.testing.assert_allclose(forward_layers(layers, h), net(torch.tensor(h)).detach().numpy(), atol=1e-12)
