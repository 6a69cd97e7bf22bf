"""Python-API QA of tame_bnn: inverse_optimization's input handling, and the MILP value layer it trains
through against brute-force enumeration and central finite differences (integer part locally constant)."""

import itertools

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.mip.duality import MILPValue
from paperworks.systems.tame_bnn import inverse_optimization

A = np.array([[2.0, 1.0, 3.0], [1.0, 3.0, 1.0]])
C = np.array([3.0, 2.0, 4.0])


def test_tame_bnn_api_qa_inverse_optimization_without_data_is_one_data_error():
    # an empty b_list used to end in ZeroDivisionError (loss / len(b_list)) after solving nothing
    with pytest.raises(DataError, match="b_list"):
        inverse_optimization(A, [], True, C, np.ones(3), steps=1, lr=0.1, ub=5.0)


def test_tame_bnn_api_qa_inverse_optimization_leaves_c0_and_global_rng_alone():
    c0 = torch.ones(3, dtype=torch.float64)
    state = torch.random.get_rng_state()
    losses, c_hat = inverse_optimization(A, [np.array([4.0, 3.0]), np.array([5.0, 2.0])], True, C, c0, steps=3,
                                         lr=0.1, ub=5.0)
    assert torch.equal(c0, torch.ones(3, dtype=torch.float64)) and c0.grad is None
    assert torch.equal(state, torch.random.get_rng_state())
    assert len(losses) == 3 and losses[-1] < losses[0] and not np.allclose(c_hat, 1.0)


@pytest.mark.parametrize("b", [[4.0, 3.0], [5.5, 2.0], [0.0, 0.0], [7.0, 6.0]])
def test_tame_bnn_api_qa_value_layer_equals_brute_force(b):
    grid = (np.array(x) for x in itertools.product(range(6), repeat=3))
    best = min(C @ x for x in grid if (A @ x >= np.array(b) - 1e-9).all())
    z = MILPValue.apply(torch.tensor(C), torch.tensor(b, dtype=torch.float64), A, True, 0.0, 5.0)
    assert float(z) == pytest.approx(best, abs=1e-7)


def test_tame_bnn_api_qa_value_layer_gradient_equals_finite_differences():
    integer = [False, True, True]            # x0 continuous: z is piecewise linear in b and c
    c = torch.tensor(C, requires_grad=True)
    b = torch.tensor([4.3, 3.1], dtype=torch.float64, requires_grad=True)
    MILPValue.apply(c, b, A, integer, 0.0, 5.0).backward()

    def z(cc, bb):
        return float(MILPValue.apply(cc, bb, A, integer, 0.0, 5.0))

    eps = 1e-5
    for t, grad, other in ((b, b.grad, c), (c, c.grad, b)):
        for i in range(t.numel()):
            e = torch.zeros_like(t)
            e[i] = eps
            args = [(t.detach() + e, other.detach()), (t.detach() - e, other.detach())]
            if t is b:
                args = [(a[1], a[0]) for a in args]
            fd = (z(*args[0]) - z(*args[1])) / (2 * eps)
            assert float(grad[i]) == pytest.approx(fd, abs=1e-6)


@pytest.mark.parametrize("per_class,classes", [(500, (0, 1)), (0, (0, 1)), (5, (0, 12)), (5, (3, 3)),
                                               (5, (0, 1, 2))])
def test_tame_bnn_api_qa_make_digits_small_refuses_empty_test_sets_and_missing_classes(per_class, classes):
    # per_class=500 returned every image for training and an EMPTY test set; classes (0, 12) a training set of
    # one class; (3, 3) labels all 1 -- all silently
    from paperworks.systems.tame_bnn import make_digits_small

    with pytest.raises(DataError, match="make_digits_small"):
        make_digits_small(per_class, classes)


def test_tame_bnn_api_qa_make_digits_small_default_split_is_balanced_and_disjoint():
    from paperworks.systems.tame_bnn import make_digits_small

    Xtr, ytr, Xte, yte = make_digits_small(10)
    assert Xtr.shape == (20, 16) and ytr.sum() == 10 and set(np.unique(Xtr)) <= {-1.0, 1.0}
    assert len(Xte) == 178 + 182 - 20 and yte.sum() == 182 - 10
