"""InverseHVP.solve of a [P, 0] block (no right-hand side) returned the empty [P, 0] solution with the exact
solver but failed with "stack expects a non-empty TensorList" with cg / lissa / kfac / ekfac (and
KFAC.inverse_vp itself)."""

import pytest
import torch
from torch import nn

import paperworks.curvature as C


def _setup():
    torch.manual_seed(0)
    m = nn.Linear(3, 2).double().eval()
    x = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))
    lf = lambda mm, b: nn.functional.cross_entropy(mm(b[0]), b[1])   # noqa: E731
    return m, lf, (x, y)


@pytest.mark.parametrize("solver", ["exact", "cg", "lissa", "kfac", "ekfac"])
def test_empty_block_gives_an_empty_solution(solver):
    m, lf, data = _setup()
    ih = C.InverseHVP(m, lf, data, damping=0.1, solver=solver)
    out = ih.solve(torch.zeros(8, 0, dtype=torch.float32))
    assert out.shape == (8, 0) and out.dtype == torch.float64
    one = torch.randn(8, 1, dtype=torch.float64)
    assert ih.solve(one).shape == (8, 1)


def test_kfac_inverse_vp_empty_block():
    m, lf, data = _setup()
    k = C.KFAC(m, lf, data).fit()
    assert k.inverse_vp(torch.zeros(8, 0, dtype=torch.float64), 0.1).shape == (8, 0)
