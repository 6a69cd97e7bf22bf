"""fmd._solve_head_f64 on a wide head: the dense Cholesky preconditioner of 1313684 is [P, P] for P = C * (d + bias)
head parameters (P^2 memory in several copies, P^3 time); for d 1024 and 10 classes it took 3 GB and 76 s where
plain CG takes 0.35 GB and 3 s, and d 4096 would need > 13 GB per copy. Wide heads now skip it (plain CG) and still
reach the optimum (oracle: the float64 autograd gradient)."""

import torch
import torch.nn.functional as F
from torch import nn

from paperworks.systems.fmd import fit_head

LAM = 1e-3


def test_a_wide_head_builds_no_dense_factor_and_still_reaches_the_optimum(monkeypatch):
    n, d, c = 300, 260, 10          # P = 2600 head parameters
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, c, (n,), generator=g)
    x = torch.relu(torch.randn(c, d, generator=g)[y] + torch.randn(n, d, generator=g)).double()
    sizes = []
    real = torch.linalg.cholesky_ex

    def spy(A, *a, **k):
        sizes.append(A.shape[-1])
        return real(A, *a, **k)

    monkeypatch.setattr(torch.linalg, "cholesky_ex", spy)
    torch.manual_seed(0)
    head = nn.Linear(d, c, bias=False).double()
    fit_head(head, x, y, LAM)
    assert all(s <= 2048 for s in sizes), sizes
    W = head.weight.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(x @ W.T, y) + 0.5 * LAM * (W ** 2).sum()
    (gW,) = torch.autograd.grad(loss, [W])
    assert float(gW.norm()) < 1e-13
