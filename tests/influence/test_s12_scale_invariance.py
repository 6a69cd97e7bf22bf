"""Influence scores are scale-free: multiplying the training loss by c > 0 multiplies H and every grad l_k by
c, so (1/n) grad f' H^-1 grad l_k does not change. With damping='auto' on a singular Hessian the added damping
had an absolute floor of 1e-8, so a loss of scale 1e-8 (say a near-perfectly fit logistic model, whose
Hessian p (1 - p) x x' is that small) got scores 0.53 x the unscaled ones (1% off at 1e-6). Session 12."""

import warnings

import pytest
import torch
from torch import nn

from paperworks.influence import influence_scores


@pytest.mark.parametrize("c", [1e-6, 1e-8])
def test_auto_damped_influence_does_not_depend_on_the_loss_scale(c):
    g = torch.Generator().manual_seed(0)
    X = torch.zeros(20, 3, dtype=torch.float64)
    X[:, :2] = torch.randn(20, 2, generator=g, dtype=torch.float64)     # third feature always 0: H singular
    y = torch.randn(20, generator=g, dtype=torch.float64)
    m = nn.Linear(3, 1, bias=False).double()
    with torch.no_grad():
        m.weight.copy_(torch.linalg.lstsq(X, y[:, None]).solution.T)

    def objective(mm):
        return mm.weight.sum() + (mm.weight ** 2).sum()

    def scores(scale):
        def loss(mm, b):
            return scale * 0.5 * ((mm(b[0]).squeeze(-1) - b[1]) ** 2).mean()

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return influence_scores(m, loss, (X, y), objective, solver="exact", damping="auto")

    torch.testing.assert_close(scores(c), scores(1.0), rtol=1e-9, atol=1e-12)
