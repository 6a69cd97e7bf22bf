"""Session-22: an 'unbounded' result reported a finite or positive objective: HiGHS 0.0 for an LP (the objective
of the last point), +inf for a MIP, SCIP -1e5 or -1e20 with a bound of -1e20. The value of an unbounded
minimisation is now -inf from every backend, its bound -inf."""

import math

import numpy as np
import pytest

from paperworks.mip import MILP


def _lp():
    m = MILP()
    x = m.add_vars(2, 0.0, np.inf)
    m.set_objective(x, [-1.0, 0.0])
    return m


def _mip():
    m = MILP()
    x = m.add_vars(2, 0.0, np.inf, integer=True)
    m.add_le(x, [1.0, -1.0], 0.5)
    m.set_objective(x, [-1.0, 0.0])
    return m


@pytest.mark.parametrize("solver", ["highs", "scip"])
@pytest.mark.parametrize("build", [_lp, _mip])
def test_unbounded_minimisation_has_value_minus_infinity(solver, build):
    if solver == "scip":
        pytest.importorskip("pyscipopt")
    r = build().solve(solver)
    assert r.status == "unbounded"
    assert r.objective == -math.inf and r.bound == -math.inf and r.gap == math.inf
