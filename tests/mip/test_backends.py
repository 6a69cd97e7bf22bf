"""Solver-agnostic encoding: the same MILP gives the same optimum on HiGHS, SCIP and a backend plugged in by
register_backend; the SCIP backend reports statuses, incumbents and nodes as HiGHS does."""

import sys

import numpy as np
import pytest
import torch
import torch.nn as nn

from paperworks.mip import MILP, MILPResult, MIPError, MILPPlanner, PlanCost, encode_layers, network_layers
from paperworks.mip import backends
from paperworks.mip.horizon import l1_cost_numpy


def _layers(seed=3, nx=2, nu=2, hidden=10):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(nx + nu, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                        nn.Linear(hidden, nx)).double()
    return net, network_layers(net)


class ScipyMilpBackend:
    """A third solver plugged in from outside the package (scipy.optimize.milp), to show that the encoding
    only talks to the solver through MILP and the backend protocol."""

    def solve(self, m, *, time_limit, mip_gap, warm_start, relax, threads, verbose, options):
        from scipy.optimize import Bounds, LinearConstraint, milp

        A = m.dense_matrix()
        cons = [LinearConstraint(A, m.row_lo, m.row_hi)] if m.num_rows else []
        integ = np.zeros(m.num_vars) if relax else np.asarray(m.integer, dtype=float)
        opts = {} if mip_gap is None else {"mip_rel_gap": mip_gap}
        r = milp(np.asarray(m.c), constraints=cons, integrality=integ, bounds=Bounds(m.lb, m.ub), options=opts)
        status = {0: "optimal", 2: "infeasible", 3: "unbounded"}.get(r.status, "error")
        x = r.x if status == "optimal" else None
        obj = float(r.fun) + m.c0 if x is not None else np.inf
        return MILPResult(status, x, obj, obj, 0.0 if x is not None else np.inf, 0.0, solver="scipy")


def test_a_plugged_in_backend_solves_the_same_encoding(monkeypatch):
    monkeypatch.setitem(backends._BACKENDS, "scipy_milp", ScipyMilpBackend())
    net, layers = _layers(3, hidden=8)
    cost = PlanCost((0, 1), stage_weight=0.5, final_weight=1.0, action_weight=0.01)
    x0, goal = np.array([0.3, -0.4]), np.array([1.0, 0.5])
    ref = MILPPlanner(layers, -np.ones(2), np.ones(2), 2, cost, mip_gap=0.0, time_limit=60).plan(x0, goal)
    pl = MILPPlanner(layers, -np.ones(2), np.ones(2), 2, cost, mip_gap=0.0, time_limit=60, solver="scipy_milp")
    p = pl.plan(x0, goal)
    assert ref.status == p.status == "optimal"
    assert abs(p.objective - ref.objective) < 1e-6
    assert abs(l1_cost_numpy(layers, x0, p.actions, goal, (0, 1), True, 0.5, 1.0, 0.01) - p.objective) < 1e-6


def test_scip_missing_gives_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyscipopt", None)   # import fails as if not installed
    m = MILP()
    m.add_vars(1, 0, 1)
    with pytest.raises(MIPError, match="pyscipopt"):
        m.solve("scip")


def test_scip_and_highs_agree_on_the_mpc_optimum_and_forward_pass():
    net, layers = _layers(3, hidden=8)
    cost = PlanCost((0, 1), stage_weight=0.5, final_weight=1.0, action_weight=0.01)
    x0, goal = np.array([0.3, -0.4]), np.array([1.0, 0.5])
    plans = [MILPPlanner(layers, -np.ones(2), np.ones(2), 2, cost, mip_gap=0.0, time_limit=60, solver=s).plan(x0, goal)
             for s in ("highs", "scip")]
    assert [p.status for p in plans] == ["optimal", "optimal"]
    assert abs(plans[0].objective - plans[1].objective) < 1e-6
    # fixed inputs: SCIP reproduces the torch forward pass too
    h = np.array([0.1, -0.5, 0.3, 0.9])
    m = MILP()
    x = m.add_vars(4, -1, 1)
    out, _ = encode_layers(m, layers, x, -np.ones(4), np.ones(4))
    m.fix(x, h)
    r = m.solve("scip")
    assert r.status == "optimal"
    np.testing.assert_allclose(r.x[out], net(torch.tensor(h)[None]).detach().numpy()[0], atol=1e-6)


def test_scip_reports_warm_start_incumbents_and_gap_limited_optimum():
    torch.manual_seed(0)
    layers = network_layers(nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2)).double())
    warm = np.zeros((3, 1))
    p = MILPPlanner(layers, [-1.0], [1.0], 3, PlanCost((0, 1)), mip_gap=0.0, solver="scip").plan([0.0, 0.0], [1.0, 1.0],
                                                                                                    warm=warm)
    assert p.status == "optimal" and p.info["nodes"] >= 1
    inc = p.info["incumbents"]
    assert abs(inc[0][1] - l1_cost_numpy(layers, [0, 0], warm, np.array([1.0, 1.0]), (0, 1))) < 1e-6
    assert abs(inc[-1][1] - p.objective) < 1e-6 and all(b[1] <= a[1] + 1e-9 for a, b in zip(inc, inc[1:]))
    # a solve stopped by the requested relative gap is 'optimal' (proved to that gap), as HiGHS reports it
    rng = np.random.default_rng(0)
    w = rng.integers(100000, 200000, 200)
    m = MILP()
    x = m.add_vars(200, 0, 1, integer=True)
    m.add_le(x, w, w.sum() / 2 + 0.5)
    m.set_objective(x, -(w + rng.integers(0, 500, 200)))
    r = m.solve("scip", time_limit=60, mip_gap=0.01)
    assert r.status == "optimal" and r.gap <= 0.01 + 1e-12


def test_bad_solver_options_are_refused_not_ignored():
    """HiGHS answers a rejected option with a status only and solves with its default: a typo in an option name
    (e.g. a node limit) or a negative gap used to pass silently, changing what was solved."""
    m = MILP()
    x = m.add_vars(2, 0, 1, integer=True)
    m.add_ge(x, [1, 1], 1)
    m.set_objective(x, [1, 2])
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(MIPError, match="mip_gap must be a finite relative gap >= 0"):
            m.solve(mip_gap=bad)
    with pytest.raises(MIPError, match="rejected the option mip_max_node=5"):
        m.solve(options={"mip_max_node": 5})
    with pytest.raises(MIPError, match="rejected the option mip_rel_gap='x'"):
        m.solve(options={"mip_rel_gap": "x"})
    assert m.solve(options={"mip_max_nodes": 5, "presolve": "off"}).status == "optimal"
    with pytest.raises(MIPError, match="SCIP rejected the parameter limits/node=5"):   # pyscipopt: test extra
        m.solve("scip", options={"limits/node": 5})
    assert m.solve("scip", options={"limits/nodes": 5}).status == "optimal"


def test_objective_and_fix_refuse_out_of_range_indices_and_non_finite_values():
    """add_objective / set_objective / fix indexed a Python list: index -1 silently put the cost on the LAST
    variable (and -n on the first), and a NaN coefficient or offset was solved to status 'optimal' with a NaN
    objective at an arbitrary point. Each is refused now; valid indices still give the closed-form optimum."""
    m = MILP()
    x = m.add_vars(3, 0.0, 10.0)
    for bad in (-1, 3):
        with pytest.raises(MIPError, match=f"index {bad} out of range"):
            m.set_objective([bad], [1.0])
        with pytest.raises(MIPError, match=f"index {bad} out of range"):
            m.add_objective([0, bad], [1.0, 1.0])
        with pytest.raises(MIPError, match=f"index {bad} out of range"):
            m.fix([bad], 1.0)
    assert m.c == [0.0, 0.0, 0.0] and m.lb == [0.0] * 3 and m.ub == [10.0] * 3   # nothing half-applied
    m.set_objective([1], [3.0], offset=2.0)
    with pytest.raises(MIPError, match="index -1 out of range"):
        m.set_objective([-1], [1.0])
    assert m.c == [0.0, 3.0, 0.0] and m.c0 == 2.0    # a refused set_objective keeps the old objective
    with pytest.raises(MIPError, match="finite"):
        m.set_objective(x, [1.0, np.nan, 1.0])
    with pytest.raises(MIPError, match="finite"):
        m.set_objective(x, 1.0, offset=np.inf)
    with pytest.raises(MIPError, match="finite"):
        m.add_objective(x, 1.0, offset=np.nan)
    with pytest.raises(MIPError, match="finite"):
        m.fix(x[0], np.nan)
    # closed form: min  -x0 + 2 x1 - x2 + 5  over the box [0, 10]^3 with x2 fixed to 4 -> x = (10, 0, 4), -9
    m.set_objective(x, [-1.0, 2.0, -1.0], offset=5.0)
    m.fix(x[2], 4.0)
    r = m.solve()
    assert r.status == "optimal"
    np.testing.assert_allclose(r.x, [10.0, 0.0, 4.0], atol=1e-9)
    assert r.objective == pytest.approx(-9.0, abs=1e-9)


def test_nan_row_bounds_are_refused():
    from paperworks.mip.model import MILP, MIPError
    m = MILP()
    x = m.add_vars(2, 0, 1)
    with pytest.raises(MIPError, match="row bounds must be numbers"):
        m.add_row(x, [1.0, 1.0], float("nan"), 1.0, name="r")
    assert m.num_rows == 0                 # nothing half-added


def test_highs_banner_is_not_printed_to_stdout():
    import subprocess
    code = ("import highspy\nfrom paperworks.mip.backends import new_highs\nh = new_highs()\nh2 = new_highs()\n"
            "print('only this', flush=True)\nimport os; os.write(1, b'fd1 ok\\n')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "only this\nfd1 ok\n"          # the banner is gone, and fd 1 works afterwards
    raw = subprocess.run([sys.executable, "-c", "import highspy; highspy.Highs()"], capture_output=True,
                         text=True, timeout=60)
    assert "HiGHS" in raw.stdout                          # what new_highs hides (the test can fail)
