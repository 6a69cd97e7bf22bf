"""solution_jacobian promises a MIPError where x* is not unique (only a conservative Jacobian exists there). A
dual-degenerate LP (a zero multiplier of the active set at a primal-nondegenerate vertex) returned one vertex of
the optimal face and its derivative without a word."""

import numpy as np
import pytest

from paperworks.mip.duality import solution_jacobian, value_gradient
from paperworks.mip.model import MIPError


def test_zero_reduced_cost_means_non_unique_solution_is_refused():
    # min x0 + x1, x0 + x1 >= 2.5, x >= 0: every point of the segment x0 + x1 = 2.5 is optimal
    with pytest.raises(MIPError, match="not unique"):
        solution_jacobian(np.array([1.0, 1.0]), np.array([[1.0, 1.0]]), np.array([2.5]), [False, False])


def test_zero_row_multiplier_means_non_unique_solution_is_refused():
    # min x0 + 0 x1, x0 >= 1.5, x1 >= 0.5: x1 can take any value >= 0.5
    with pytest.raises(MIPError, match="not unique"):
        solution_jacobian(np.array([1.0, 0.0]), np.eye(2), np.array([1.5, 0.5]), [False, False])


def test_unique_mixed_integer_solution_still_differentiated():
    # min 3.5 x0 + x1 + 2 x2, x0 + x1 >= 2.3, x0 + x2 >= 1.4, x0 integer: x* = (0, 2.3, 1.4) (5.1; x0 = 1: 5.6)
    c, A, b = np.array([3.5, 1.0, 2.0]), np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]), np.array([2.3, 1.4])
    x, J = solution_jacobian(c, A, b, [True, False, False])
    np.testing.assert_allclose(x, [0.0, 2.3, 1.4], atol=1e-9)
    np.testing.assert_allclose(J, [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], atol=1e-12)
    np.testing.assert_allclose(c @ J, value_gradient(c, A, b, [True, False, False])[1], atol=1e-9)


def test_a_variable_fixed_by_its_bounds_does_not_make_x_non_unique():
    # x1 with lb = ub = 0 cannot move: its zero multiplier opens no edge (the check first refused this unique x*)
    import math

    x, J = solution_jacobian([1.0, 0.0], [[1.0, 0.0]], [2.5], [False, False], lb=[0.0, 0.0], ub=[math.inf, 0.0])
    assert x.tolist() == [2.5, 0.0] and J.ravel().tolist() == [1.0, 0.0]
