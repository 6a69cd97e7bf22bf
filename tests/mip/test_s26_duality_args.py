"""duality: integer flags (not indices), MILPValue inputs that are not tensors, empty batches (session 26, API helper)."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.mip.duality import MILPValue, solution_jacobian, solve_value, value_gradient

A = np.array([[1.0, 2.0, 1.0], [3.0, 1.0, 2.0]])
C = np.array([2.3, 1.7, 1.1])
B = np.array([3.4, 4.1])


@pytest.mark.parametrize("integer", [[0, 1, 2], [2], np.array([2]), [0], [1], 2, [0.5, 0, 0], ["a", "b", "c"],
                                     [0, 1, np.nan]])
def test_indices_or_non_flags_are_refused(integer):
    with pytest.raises(DataError, match="integer must be True / False"):
        solve_value(C, A, B, integer)
    with pytest.raises(DataError, match="integer must be True / False"):
        value_gradient(C, A, B, integer)
    with pytest.raises(DataError, match="integer must be True / False"):
        MILPValue.apply(torch.tensor(C), torch.tensor(B), A, integer)
    with pytest.raises(DataError, match="integer must be True / False"):
        solution_jacobian(C, A, B, integer)


@pytest.mark.parametrize("flags, same_as", [
    ([True, False, False], [True, False, False]), ([1, 0, 0], [True, False, False]),
    (np.array([1.0, 0.0, 0.0]), [True, False, False]), (torch.tensor([True, False, False]), [True, False, False]),
    (True, [True] * 3), (1, [True] * 3), (False, [False] * 3), (0, [False] * 3), ([True], [True] * 3),
    (np.bool_(True), [True] * 3)])
def test_flags_are_read_as_before(flags, same_as):
    assert solve_value(C, A, B, flags).objective == solve_value(C, A, B, same_as).objective


def test_single_variable_takes_a_one_element_flag_list():
    for flag, z in (([1], 2.0), ([0], 1.7)):
        assert solve_value([1.0], [[2.0]], [3.4], flag).objective == pytest.approx(z)


@pytest.mark.parametrize("which", ["c", "b"])
@pytest.mark.parametrize("kind", [np.asarray, list])
def test_milpvalue_refuses_non_tensor_inputs_by_name(which, kind):
    c, b = torch.tensor(C, requires_grad=True), torch.tensor(B)
    args = {"c": c, "b": b}
    args[which] = kind(args[which].detach().numpy())
    with pytest.raises(DataError, match=f"MILPValue: {which} must be a torch tensor"):
        MILPValue.apply(args["c"], args["b"], A, [True, False, False])


@pytest.mark.parametrize("c, b", [(torch.zeros(0, 3), torch.tensor(B)), (torch.tensor(C), torch.zeros(0, 2)),
                                  (torch.zeros(0, 3), torch.zeros(0, 2))])
def test_milpvalue_refuses_an_empty_batch(c, b):
    with pytest.raises(DataError, match="MILPValue: empty batch"):
        MILPValue.apply(c, b, A, [True, False, False])


def test_milpvalue_batch_of_one_matches_unbatched():
    c = torch.tensor(C, requires_grad=True)
    cb = torch.tensor(C[None], requires_grad=True)
    b = torch.tensor(B, requires_grad=True)
    z = MILPValue.apply(c, b, A, [True, False, False])
    zb = MILPValue.apply(cb, b.detach().clone().requires_grad_(), A, [True, False, False])
    assert zb.shape == (1,) and zb.item() == z.item()
    z.backward()
    zb.sum().backward()
    assert torch.equal(cb.grad[0], c.grad)
