"""fmd._solve_head_f64 / fit_head far from the optimum: after the loose L-BFGS stage (max |gradient| <= 1e-4) a
pure Newton step can overshoot (ill-conditioned lam = 1e-8, features of size 1e3); the solver must still reach the
optimum rather than return a point with a large gradient. Oracles: the float64 autograd gradient of the objective
and scipy's L-BFGS-B minimum of the same objective (computed independently here)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.optimize import minimize
from torch import nn

from paperworks.systems.fmd import fit_head


def _data(n, d, c, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, c, (n,), generator=g)
    mu = torch.randn(c, d, generator=g)
    return (torch.relu(mu[y] + torch.randn(n, d, generator=g)) * scale).double(), y


def _objective(x, y, W, b, lam):
    z = x @ W.T + b
    return F.cross_entropy(z, y) + 0.5 * lam * (W ** 2).sum()


def _grad_norm(x, y, head, lam):
    W = head.weight.detach().double().requires_grad_(True)
    b = head.bias.detach().double().requires_grad_(True)
    gW, gb = torch.autograd.grad(_objective(x, y, W, b, lam), [W, b])
    return float(torch.cat([gW.reshape(-1), gb - gb.mean()]).norm())


def _scipy_min(x, y, C, lam):
    d = x.shape[1]

    def fg(v):
        t = torch.as_tensor(v, dtype=torch.float64).requires_grad_(True)
        f = _objective(x, y, t[:C * d].view(C, d), t[C * d:], lam)
        (g,) = torch.autograd.grad(f, [t])
        return float(f), g.numpy()

    r = minimize(fg, np.zeros(C * d + C), jac=True, method="L-BFGS-B",
                 options={"maxiter": 50000, "maxfun": 100000, "gtol": 1e-13, "ftol": 0.0})
    return float(r.fun)


@pytest.mark.parametrize("lam,scale,gtol", [(1e-8, 1.0, 1e-12), (1e-3, 1e3, 1e-6)])
def test_fit_head_reaches_the_optimum_when_a_full_newton_step_overshoots(lam, scale, gtol):
    # before the fix: lam 1e-8 ended at gradient 1.2e-5 (loss 2.6e-5 above the minimum); features x 1e3 at
    # gradient 1.9 (loss 0.1326 where the minimum is 0.0166)
    n, d, c = 3000, 20, 5
    x, y = _data(n, d, c, scale=scale)
    torch.manual_seed(0)
    head = nn.Linear(d, c).double()
    fit_head(head, x, y, lam)
    assert torch.isfinite(head.weight).all() and torch.isfinite(head.bias).all()
    assert _grad_norm(x, y, head, lam) < gtol
    f = float(_objective(x, y, head.weight.detach(), head.bias.detach(), lam))
    # the same minimum value on unit features with lam * scale^2 (W -> W * scale): a well-conditioned scipy solve
    assert f <= _scipy_min(x / scale, y, c, lam * scale ** 2) + 1e-10
