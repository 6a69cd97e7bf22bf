"""Session-25: the SCIP backend listed any warm start as the first incumbent, a row-violating one too (probe: the
warm start 0 of min x0 + 2 x1 + 3 x2, x0 + x1 + x2 >= 4.5, x0 + x1 <= 3, x integer in [0, 10], came first with
objective 0.0, below the optimum 9); only a warm start that SCIP's check finds feasible is an incumbent now. A NaN warm start is one MIPError (HiGHS
ignored it without a word, SCIP listed an incumbent of value NaN)."""

import numpy as np
import pytest

from paperworks.mip import MILP, MIPError


def _model():
    m = MILP()
    x = m.add_vars(3, 0, 10, integer=True)
    m.add_ge(x, [1, 1, 1], 4.5)
    m.add_le(x[:2], [1, 1], 3)
    m.set_objective(x, [1, 2, 3])
    return m


def test_scip_lists_no_infeasible_warm_start_as_incumbent():
    pytest.importorskip("pyscipopt")
    m = _model()
    r = m.solve("scip", warm_start=np.zeros(3))
    assert r.status == "optimal" and r.objective == pytest.approx(9.0)
    assert all(v >= r.objective - 1e-9 for _, v in r.incumbents)   # no incumbent below the optimum
    assert r.incumbents and r.incumbents[0][1] == pytest.approx(9.0)


def test_scip_still_lists_a_feasible_warm_start_first():
    pytest.importorskip("pyscipopt")
    r = _model().solve("scip", warm_start=[0.0, 0.0, 5.0])
    assert r.incumbents[0][1] == pytest.approx(15.0) and r.objective == pytest.approx(9.0)


@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_a_nan_warm_start_is_refused(solver):
    with pytest.raises(MIPError, match="warm_start holds NaN .entry 0."):
        _model().solve(solver, warm_start=[np.nan, 0.0, 5.0])
