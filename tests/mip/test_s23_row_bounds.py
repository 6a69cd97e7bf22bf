"""Session-23: a row or column whose bounds admit no value (a lower bound of +inf, an upper bound of -inf, NaN
written into the bound lists, a bound beyond HiGHS' infinity 1e20 on the wrong side) or a coefficient HiGHS
refuses (|a| >= 1e15) gave "HiGHS rejected the model 't' (2 columns, 1 rows)" without naming the row; lp_bounds
ignored the rejection (every bound stayed infinite) and SCIP read a lower bound of +inf as none ('unbounded',
x = -1e5). Now one MIPError (a PaperworksError) names the row or column."""

import math
import re

import numpy as np
import pytest

from paperworks.core.errors import PaperworksError
from paperworks.mip.model import MILP, MIPError
from paperworks.mip.relu import lp_bounds


def _model():
    m = MILP("t")
    x = m.add_vars(2, 0.0, 1.0)
    m.add_row(x, [1.0, 1.0], 0.0, 2.0, name="fine")
    return m, x


@pytest.mark.parametrize("add", [
    lambda m, x: m.add_row(x, [1, 1], math.inf, math.inf, name="r_bad"),
    lambda m, x: m.add_row(x, [1, 1], -math.inf, -math.inf, name="r_bad"),
    lambda m, x: m.add_ge(x, [1, 1], math.inf, name="r_bad"),
    lambda m, x: m.add_le(x, [1, 1], -math.inf, name="r_bad"),
    lambda m, x: m.add_eq(x, [1, 1], math.inf, name="r_bad"),
])
def test_an_infinite_row_bound_on_the_wrong_side_names_the_row(add):
    m, x = _model()
    with pytest.raises(MIPError, match=r"row 1 .*\[-?inf, -?inf\]") as e:   # old: only at solve, no row named
        add(m, x)
        m.solve()
    assert "r_bad" in str(e.value) and isinstance(e.value, PaperworksError)


@pytest.mark.parametrize("lo, hi", [(None, 1.0), ("1", 2.0), (np.array([1.0]), 2.0)])
def test_a_row_bound_that_is_not_a_number_is_one_mip_error(lo, hi):
    m, x = _model()
    with pytest.raises(MIPError, match="r_odd.*row 1"):   # old: a bare TypeError (None, '1') or accepted later
        m.add_row(x, [1, 1], lo, hi, name="r_odd")
        m.solve()


@pytest.mark.parametrize("edit, where", [
    (lambda m: m.row_lo.__setitem__(0, math.inf), "row 0 'fine'"),
    (lambda m: m.row_hi.__setitem__(0, math.nan), "row 0 'fine'"),
    (lambda m: m.ub.__setitem__(1, -math.inf), "variable 1 'x[1]'"),
    (lambda m: m.lb.__setitem__(0, math.nan), "variable 0 'x[0]'"),
])
def test_bounds_written_into_the_lists_are_named_at_solve(edit, where):
    m, _ = _model()
    edit(m)
    with pytest.raises(MIPError, match=re.escape(where)):
        m.solve()


def test_a_variable_bound_of_plus_inf_is_refused_at_add_vars():
    m = MILP("t")
    with pytest.raises(MIPError, match="'v'.*entry 1"):
        m.add_vars(2, [0.0, math.inf], math.inf, name="v")


@pytest.mark.parametrize("lo, hi", [(1e20, math.inf), (1e30, 5e30), (-math.inf, -1e21)])
def test_a_row_bound_beyond_highs_infinity_is_named(lo, hi):
    m, x = _model()
    m.add_row(x, [1, 1], lo, hi, name="far")
    with pytest.raises(MIPError, match=r"HiGHS rejected the model 't'.*row 1 'far'"):
        m.solve()


def test_a_row_bound_below_highs_infinity_still_solves():
    m, x = _model()
    m.add_row(x, [1, 1], 1e19, math.inf, name="far")
    assert m.solve().status == "infeasible"


def test_a_coefficient_highs_refuses_is_named_with_its_row_and_column():
    m, x = _model()
    m.add_row(x, [1.0, 1e16], -1.0, 1.0, name="huge")
    with pytest.raises(MIPError, match=r"row 1 'huge' has the coefficient 1e\+16 on column 1"):
        m.solve()


def test_lp_bounds_raises_on_a_rejected_model_instead_of_infinite_bounds():
    m, x = _model()
    m.add_row(x, [1.0, 1e16], -1.0, 1.0, name="huge")
    with pytest.raises(MIPError, match="lp_bounds.*'huge'"):   # old: (-inf, -inf), (inf, inf) without a word
        lp_bounds(m, x)


def test_scip_no_longer_reads_a_lower_bound_of_plus_inf_as_none():
    pytest.importorskip("pyscipopt")
    m = MILP("t")
    x = m.add_vars(1, 0.0, 5.0)
    m.set_objective(x, [1.0])
    m.lb[0] = math.inf
    with pytest.raises(MIPError, match="variable 0"):   # old: 'unbounded' with x = -1e5
        m.solve("scip")


def test_scip_names_the_row_it_rejects():
    pytest.importorskip("pyscipopt")
    m, x = _model()
    m.add_row(x, [1.0, 1e21], -1.0, 1.0, name="huge")
    with pytest.raises(MIPError, match="SCIP rejected row 1 'huge'"):   # old: a bare Exception
        m.solve("scip")
