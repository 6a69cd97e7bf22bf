"""A MILP without variables: HiGHS answers 'Empty', which the backend reported as status 'error'. With no
variable every row has activity 0, so the model is optimal at x = [] with objective c0 when each row admits 0
and infeasible otherwise; models with variables keep HiGHS's statuses."""

import math

import numpy as np
import pytest

from paperworks.mip import MILP


@pytest.mark.parametrize("relax", [False, True])
def test_empty_model_is_optimal_with_objective_the_constant(relax):
    m = MILP("empty")
    r = m.solve(relax=relax)
    assert (r.status, r.objective, r.bound, r.gap) == ("optimal", 0.0, 0.0, 0.0)
    assert r.x is not None and r.x.shape == (0,) and r.has_solution and r.optimal
    m.set_objective((), (), offset=3.5)
    r = m.solve(relax=relax)
    assert (r.status, r.objective, r.bound, r.gap) == ("optimal", 3.5, 3.5, 0.0)
    assert r.objective == m.objective_value(r.x) and m.max_violation(r.x) == 0.0


def test_rows_without_variables_decide_feasibility():
    m = MILP()
    m.add_row([], [], -1.0, 2.0)          # 0 in [-1, 2]
    m.add_eq([], [], 0.0)                 # 0 == 0
    m.set_objective((), (), offset=-2.0)
    r = m.solve()
    assert (r.status, r.objective, r.bound) == ("optimal", -2.0, -2.0) and r.x.shape == (0,)
    np.testing.assert_array_equal(r.row_duals, [0.0, 0.0])
    assert r.col_duals.shape == (0,)
    m.add_ge([], [], 1e-9)                # 0 >= 1e-9: no point satisfies it
    r = m.solve()
    assert r.status == "infeasible" and r.x is None and r.objective == math.inf and not r.has_solution


def test_models_with_variables_keep_the_solver_statuses():
    m = MILP()
    x = m.add_var(0, 1, integer=True)
    m.set_objective([x], [-2.0], offset=1.0)
    r = m.solve()
    assert (r.status, r.objective, r.raw_status) == ("optimal", -1.0, "Optimal")
    m = MILP()
    m.add_var(0.2, 0.8, integer=True)     # no integer in [0.2, 0.8]
    assert m.solve().status == "infeasible"
    m = MILP()
    y = m.add_var()
    m.set_objective([y], [-1.0])
    assert m.solve().status == "unbounded"
