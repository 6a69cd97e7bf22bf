"""Session-18: solver statuses of models whose relaxation has an improving ray, and HiGHS' confirmation of a
presolve infeasibility. Oracles: a parity argument (2 (x0 - x1) is even, never 1), SCIP, and a subprocess clock."""

import subprocess
import sys

import numpy as np
import pytest

from paperworks.mip import MILP


def _parity_with_ray():
    # min -x0  s.t.  2 x0 - 2 x1 = 1,  x >= 0 integer: infeasible (the left side is even); the LP relaxation is
    # unbounded along x0 = x1 + 1/2 -> inf, so HiGHS says only 'primal infeasible or unbounded'
    m = MILP()
    x = m.add_vars(2, 0, np.inf, integer=True)
    m.add_eq(x, [2.0, -2.0], 1.0)
    m.set_objective(x, [-1.0, 0.0])
    return m


def test_infeasible_model_with_an_improving_ray_is_reported_infeasible_not_unbounded():
    r = _parity_with_ray().solve()
    assert r.status == "infeasible", (r.status, r.raw_status)      # was 'unbounded'
    assert r.x is None


def test_feasible_model_with_an_improving_ray_stays_unbounded():
    m = MILP()
    x = m.add_vars(2, 0, np.inf, integer=True)
    m.add_eq(x, [2.0, -2.0], 2.0)                                   # x0 = x1 + 1: feasible, -x0 -> -inf
    m.set_objective(x, [-1.0, 0.0])
    assert m.solve().status == "unbounded"


def test_scip_infeasible_or_unbounded_is_decided():
    pytest.importorskip("pyscipopt")
    for integer in (False, True):
        # x0 >= 1 and x0 <= 0 (infeasible) and a free column x1 with cost -1: SCIP says 'inforunbd'
        m = MILP()
        x = m.add_vars(2, -np.inf, np.inf, integer=integer)
        m.add_ge([x[0]], [1.0], 1.0)
        m.add_le([x[0]], [1.0], 0.0)
        m.set_objective([x[1]], [-1.0])
        assert m.solve("scip").status == "infeasible"               # was 'unbounded'
        assert m.solve("highs").status == "infeasible"
        m2 = MILP()                                                  # the same without the contradiction
        x = m2.add_vars(2, -np.inf, np.inf, integer=integer)
        m2.add_ge([x[0]], [1.0], 1.0)
        m2.set_objective([x[1]], [-1.0])
        assert m2.solve("scip").status == "unbounded"


_HANG = """
import numpy as np
from paperworks.mip import MILP
m = MILP()
x = m.add_vars(2, -np.inf, np.inf, integer=True)   # free integers: 2 x0 + 2 x1 = 1 has no solution
m.add_eq(x, [2.0, 2.0], 1.0)
r = m.solve()
print(r.status)
"""


def test_presolve_infeasibility_confirmation_ends():
    # HiGHS' presolve proves this infeasible at once; its confirmation without presolve (branch and bound over
    # free integers) never ended. Now it has a node budget and ends without claiming anything it did not prove.
    out = subprocess.run([sys.executable, "-c", _HANG], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip().splitlines()[-1] in ("infeasible", "no_solution")
