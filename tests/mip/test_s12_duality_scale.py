"""Session-12: the Chvatal dual function at large costs (oracles: weak duality against the MILP optimum, the LP
dual's feasibility in exact rational arithmetic)."""

from fractions import Fraction

import numpy as np

from paperworks.mip.duality import chvatal_dual_value, dual_feasible, lp_dual, solve_value


def test_chvatal_bound_stays_below_the_milp_optimum_at_large_costs():
    # costs ~1e7: y'b = 76392710.00000001 (LP round-off, one ulp) was rounded up to 76392711 by the absolute
    # 1e-9 tolerance, above the MILP optimum 76392710 (weak duality F(b) <= z broken)
    A = np.array([[7.0, 3.0, 4.0], [8.0, 7.0, 6.0], [4.0, 9.0, 5.0]])
    c = np.array([16563503.0, 27805487.0, 15278542.0])
    b = np.array([9.0, 28.0, 25.0])
    z = solve_value(c, A, b, True).objective
    zl, y = lp_dual(c, A, b)
    F = chvatal_dual_value(y, b)
    assert zl - 1e-6 <= F <= z
    assert F == 76392710.0


def test_lp_dual_is_chvatal_feasible_at_large_costs():
    # costs ~1e9: y'a_j - c_j = 2.4e-7 (round-off) made ceil(y'a_j) = c_j + 1 and dual_feasible False
    A = np.array([[8.0, 4.0, 1.0], [2.0, 9.0, 2.0], [6.0, 10.0, 11.0]])
    c = np.array([1535856895.0, 1132164993.0, 2682634558.0])
    b = np.array([25.0, 3.0, 26.0])
    _, y = lp_dual(c, A, b)
    # the LP dual is feasible (y'a_j <= c_j) up to its own round-off, checked exactly on the float values
    for j in range(3):
        exact = sum(Fraction(float(y[i])) * Fraction(float(A[i, j])) for i in range(3))
        assert exact <= Fraction(float(c[j])) * (1 + Fraction(1, 10 ** 12))
    assert dual_feasible(y, A, c)
    assert chvatal_dual_value(y, b) <= solve_value(c, A, b, True).objective
