"""head_hessian: the closed form against autograd, and the chunk argument at its boundaries."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from paperworks.core.errors import PaperworksError
from paperworks.systems.fmd import head_hessian


def _setup():
    g = torch.Generator().manual_seed(0)
    head = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        head.weight.copy_(5 * torch.randn(3, 4, generator=g, dtype=torch.float64))   # saturated softmax too
    h = torch.randn(11, 4, generator=g, dtype=torch.float64)
    return head, h


@pytest.mark.parametrize("chunk", [1, 3, 11, 8192, np.int64(4)])
def test_head_hessian_matches_autograd_for_every_chunk(chunk):
    head, h = _setup()
    lam = 0.3
    y = torch.zeros(11, dtype=torch.long)     # the Hessian of the CE term does not depend on y

    def f(w):
        return F.cross_entropy(h @ w.T + head.bias.detach(), y) + 0.5 * lam * (w ** 2).sum()

    want = torch.autograd.functional.hessian(f, head.weight.detach().clone()).reshape(12, 12)
    torch.testing.assert_close(head_hessian(head, h, lam, chunk=chunk), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("chunk", [0, -1, -8192, 2.0, True])
def test_head_hessian_rejects_a_chunk_below_one(chunk):
    # chunk = -1 used to skip every row and return lam * I silently; 0 failed inside range()
    head, h = _setup()
    with pytest.raises(PaperworksError, match="chunk must be an integer >= 1"):
        head_hessian(head, h, 0.3, chunk=chunk)
