"""Session-25: infinite bounds came back as numbers, differently per backend. SCIP reported its infinity 1e20 as a
bound: a feasible result stopped before any bound was proved had bound -1e20 and gap 6.7e18 (HiGHS: -inf, inf), an
infeasible model bound 1e20; HiGHS gave an infeasible LP the bound -inf (no bound at all) and an infeasible MIP
+inf. SCIP's infinity is read as inf now, and an infeasible minimisation has objective and bound +inf from every
backend (as an unbounded one has -inf)."""

import math

import numpy as np
import pytest

from paperworks.mip import MILP


def _infeasible(integer):
    m = MILP()
    x = m.add_vars(2, 0, 1, integer=integer)
    m.add_ge(x, [1, 1], 3)
    m.set_objective(x, [1, 1])
    return m


@pytest.mark.parametrize("solver", ["highs", "scip"])
@pytest.mark.parametrize("integer,relax", [(False, False), (True, False), (True, True)])
def test_infeasible_gives_inf_objective_and_bound(solver, integer, relax):
    if solver == "scip":
        pytest.importorskip("pyscipopt")
    r = _infeasible(integer).solve(solver, relax=relax)
    assert r.status == "infeasible" and r.x is None
    assert r.objective == math.inf and r.bound == math.inf and r.gap == math.inf


def test_scip_without_a_proved_bound_reports_minus_inf():
    pytest.importorskip("pyscipopt")
    m = MILP()
    x = m.add_vars(3, 0, 10, integer=True)
    m.add_ge(x, [1, 1, 1], 4.5)
    m.add_le(x[:2], [1, 1], 3)
    m.set_objective(x, [1, 2, 3])
    # SCIP stops at its first solution (the warm start), before its root LP proves any bound
    r = m.solve("scip", warm_start=[0, 0, 5], options={"limits/solutions": 1})
    assert r.status == "feasible" and r.objective == pytest.approx(15.0)
    assert r.bound == -math.inf and r.gap == math.inf
