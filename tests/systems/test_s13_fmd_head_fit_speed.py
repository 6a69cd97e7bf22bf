"""The float64 head solver (fmd._solve_head_f64) after its speed-up (L-BFGS to a loose tolerance, then Newton steps
by CG preconditioned with a subsampled Hessian): every path still ends at the float64 optimum. Oracle: the gradient
evaluated independently by float64 autograd (and scikit-learn's multinomial LogisticRegression for the weights)."""

import warnings

import pytest
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from torch import nn

from paperworks.systems.fmd import _solve_head_f64, fit_head

LAM = 1e-3


def _data(n, d, c, seed=0, dead=()):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, c, (n,), generator=g)
    mu = torch.randn(c, d, generator=g)
    x = torch.relu(mu[y] + torch.randn(n, d, generator=g)).double()
    x[:, list(dead)] = 0.0          # dead ReLU units: a feature that is 0 on every row (the C-MNIST backbone has some)
    return x, y


def _grad(x, y, W, b=None, w=None, n=None, b_const=None):
    """Float64 autograd gradient of sum_i w_i CE_i / n + lam/2 ||W||^2 over W (and b unless it is held fixed)."""
    ps = [W.detach().double().requires_grad_(True)]
    if b is not None:
        ps.append(b.detach().double().requires_grad_(True))
    z = x.double() @ ps[0].T
    z = z + (ps[1] if b is not None else (0.0 if b_const is None else b_const.double()))
    ce = F.cross_entropy(z, y, reduction="none")
    loss = (ce if w is None else ce * w.double()).sum() / (len(y) if n is None else n) + 0.5 * LAM * (ps[0] ** 2).sum()
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, ps)])


def test_large_n_uses_a_subsampled_preconditioner_and_still_reaches_sklearn():
    # N > 8192: the preconditioner is built on every 2nd row only; the Newton systems use all rows
    n, d, c = 9000, 12, 4
    x, y = _data(n, d, c)
    torch.manual_seed(0)
    head = nn.Linear(d, c, bias=False).double()
    fit_head(head, x, y, LAM)
    assert float(_grad(x, y, head.weight).norm()) < 1e-13
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LogisticRegression(C=1.0 / (n * LAM), fit_intercept=False, solver="newton-cg", tol=1e-14,
                                 max_iter=10000).fit(x.numpy(), y.numpy())
    W_ref = torch.as_tensor(ref.coef_)
    assert float((head.weight.detach() - W_ref).norm() / W_ref.norm()) < 1e-10


def test_dead_feature_columns_get_zero_weights_and_the_bias_mean_is_kept():
    # a zero column leaves only lam in its Hessian block (the optimum there is exactly 0); the objective is flat
    # along all biases shifted alike, so the solver keeps the starting mean bias
    x, y = _data(2000, 15, 5, dead=(3, 7))
    torch.manual_seed(1)
    head = nn.Linear(15, 5).double()
    b_mean0 = float(head.bias.detach().mean())
    fit_head(head, x, y, LAM)
    assert float(_grad(x, y, head.weight, head.bias).norm()) < 1e-13
    assert float(head.weight.detach()[:, [3, 7]].abs().max()) < 1e-20
    assert abs(float(head.bias.mean()) - b_mean0) < 1e-14


def test_fallback_when_the_newton_steps_stop_short():
    # L-BFGS stopped at once (tolerance 10) from a far start and one Newton step allowed: the steps cannot reach the
    # float64 floor, so L-BFGS runs again to max_iter and the Newton steps follow; the result is the optimum all the same
    x, y = _data(1500, 10, 3, seed=2)
    head = nn.Linear(10, 3).double()
    with torch.no_grad():
        head.weight.fill_(3.0)
        head.bias.copy_(torch.tensor([5.0, -5.0, 0.0], dtype=torch.float64))
    _solve_head_f64(head, x, y, LAM, 200, newton_rounds=1, lbfgs_tol=10.0)
    assert float(_grad(x, y, head.weight, head.bias).norm()) < 1e-13


@pytest.mark.parametrize("with_bias", [False, True])
def test_negative_weights_with_fixed_bias_reach_the_optimum(with_bias):
    # the '_refit_replaced' objective: some rows enter with weight -1, the bias (if any) is held fixed, n = n_norm
    x, y = _data(1200, 10, 4, seed=3)
    w = torch.cat([torch.ones(1000), -torch.ones(100), torch.ones(100)]).double()
    torch.manual_seed(2)
    head = nn.Linear(10, 4, bias=with_bias).double()
    b0 = None if not with_bias else head.bias.detach().clone()
    _solve_head_f64(head, x, y, LAM, 300, weights=w, fit_bias=False, n_norm=1000)
    if with_bias:
        assert torch.equal(head.bias.detach(), b0)
    assert float(_grad(x, y, head.weight, w=w, n=1000, b_const=b0).norm()) < 1e-13
