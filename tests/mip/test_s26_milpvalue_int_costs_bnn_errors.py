"""MILPValue with integer costs / right-hand sides, and bnn_errors' label checks (session 26, API helper)."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.mip.bnn import BNNWeights, bnn_errors
from paperworks.mip.duality import MILPValue, solve_value

# min x0 + x1, 2 x0 + x1 >= 3, x0 + 2 x1 >= 4: the LP vertex (2/3, 5/3), z = 7/3
A = np.array([[2.0, 1.0], [1.0, 2.0]])
INTEGER = [False, False]


def test_integer_cost_vector_keeps_the_fractional_value_and_the_b_gradient():
    exact = solve_value([1, 1], A, [3.0, 4.0], INTEGER).objective
    b = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    z = MILPValue.apply(torch.tensor([1, 1]), b, A, INTEGER)
    assert z.is_floating_point() and z.dtype == torch.float64   # b's dtype
    assert z.item() == pytest.approx(exact) and exact == pytest.approx(7 / 3)
    z.backward()   # the row duals
    np.testing.assert_allclose(b.grad.numpy(), [1 / 3, 1 / 3], atol=1e-9)


def test_integer_cost_and_rhs_use_the_default_dtype():
    z = MILPValue.apply(torch.tensor([1, 1]), torch.tensor([3, 4]), A, INTEGER)
    assert z.dtype == torch.get_default_dtype()
    assert z.item() == pytest.approx(7 / 3, rel=1e-6)


def test_integer_rhs_with_float_costs_gives_the_cost_gradient():
    c = torch.tensor([1.0, 1.0], requires_grad=True)
    z = MILPValue.apply(c, torch.tensor([3, 4]), A, INTEGER)
    assert z.dtype == torch.float32
    z.backward()
    np.testing.assert_allclose(c.grad.numpy(), [2 / 3, 5 / 3], rtol=1e-6)


def test_float_inputs_keep_their_dtypes():
    for dt in (torch.float32, torch.float64):
        c = torch.tensor([1.0, 1.0], dtype=dt, requires_grad=True)
        b = torch.tensor([[3.0, 4.0]], dtype=dt, requires_grad=True)
        z = MILPValue.apply(c, b, A, INTEGER)
        assert z.dtype == dt and z.shape == (1,)
        z.sum().backward()
        assert c.grad.dtype == dt and b.grad.dtype == dt


W = BNNWeights(np.array([[1.0, 1.0]]), np.array([-1.0]), np.array([1.0]), -1.0)
X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])   # predictions [1, 1, 1, 0]
Y = np.array([1, 1, 0, 0])


def test_bnn_errors_counts():
    assert bnn_errors(W, X, Y) == 1
    assert bnn_errors(W, X, Y.astype(bool)) == 1
    assert bnn_errors(W, X, list(Y)) == 1


@pytest.mark.parametrize("y", [Y[:, None], Y[:1], Y[:3], np.int64(1)])
def test_bnn_errors_refuses_labels_of_another_shape(y):
    with pytest.raises(DataError, match="bnn_errors: expected y of shape"):
        bnn_errors(W, X, y)


def test_bnn_errors_refuses_plus_minus_one_labels():
    with pytest.raises(DataError, match="labels must be 0 or 1"):
        bnn_errors(W, X, 2 * Y - 1)
