"""lissa of an empty right-hand side (a 0 x 0 system) returned the empty solution, as conjugate_gradient does; the
operator-size check of eeb91e0 made it fail inside top_eigenvalue, naming its argument 'dim' that the caller never
gave. The empty solution again; a 0-length operator dimension given to top_eigenvalue itself stays refused."""

import pytest
import torch

from paperworks.core.errors import PaperworksError
from paperworks.curvature.solvers import conjugate_gradient, lissa, top_eigenvalue


def test_s20_lissa_of_an_empty_rhs_is_the_empty_solution():
    b = torch.zeros(0, dtype=torch.float64)
    x = lissa(lambda v: v, b, 0.1)
    assert x.shape == (0,) and x.dtype == torch.float64
    assert torch.equal(x, conjugate_gradient(lambda v: v, b, 0.1))
    assert lissa(lambda v: v, b, 0.1, 2.0).shape == (0,)


def test_s20_lissa_nonempty_unchanged_and_top_eigenvalue_dim_checked():
    H = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    b = torch.tensor([1.0, -1.0], dtype=torch.float64)
    x = lissa(lambda v: H @ v, b, 0.1, depth=2000, tol=1e-14)
    assert torch.allclose(x, torch.linalg.solve(H + 0.1 * torch.eye(2, dtype=torch.float64), b), atol=1e-9)
    with pytest.raises(PaperworksError, match="dim"):
        top_eigenvalue(lambda v: v, 0)
