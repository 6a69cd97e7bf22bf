"""conjugate_gradient / lissa / top_eigenvalue called directly: a [P, k] or integer right-hand side, an operator
of the wrong size and dim=0 gave bare torch errors ("Boolean value of Tensor with more than one value is
ambiguous", "linalg.vector_norm: Expected a floating point ...", a broadcast size mismatch); now one message each."""

import pytest
import torch

from paperworks.core.errors import PaperworksError
from paperworks.curvature import conjugate_gradient, lissa, top_eigenvalue

A = torch.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
b = torch.tensor([1.0, 2.0], dtype=torch.float64)


@pytest.mark.parametrize("solve", [lambda op, rhs: conjugate_gradient(op, rhs),
                                   lambda op, rhs: lissa(op, rhs, scale=10.0, depth=50)])
def test_s20_bad_rhs_and_operator_named(solve):
    with pytest.raises(PaperworksError, match="1-D floating tensor"):
        solve(lambda v: A @ v, torch.stack([b, b], 1))
    with pytest.raises(PaperworksError, match="1-D floating tensor"):
        solve(lambda v: A @ v, torch.tensor([1, 2]))
    with pytest.raises(PaperworksError, match="input's shape"):
        solve(lambda v: torch.cat([A @ v, v]), b)


def test_s20_valid_solves_match_closed_form():
    ref = torch.linalg.solve(A, b)
    assert torch.allclose(conjugate_gradient(lambda v: A @ v, b), ref, atol=1e-12)
    assert torch.allclose(lissa(lambda v: A @ v, b, scale=10.0, depth=2000), ref, atol=1e-8)
    assert abs(top_eigenvalue(lambda v: A @ v, 2) - float(torch.linalg.eigvalsh(A)[-1])) < 1e-9
    with pytest.raises(PaperworksError, match="dim"):
        top_eigenvalue(lambda v: A @ v, 0)
