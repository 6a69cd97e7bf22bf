"""Mini-batch LiSSA (lissa_batch_size < n) runs with tol=0, so only the 1e12 blow-up test watched it. Its scale
is twice the full-batch top eigenvalue; a mini-batch holding an outlier sample whose own Hessian is far larger
makes I - (H_batch + damping I)/scale stretch the iterate, and the estimate came back 6.9x (batch 10) the true
(H + damping I)^{-1} v without a word. A step that stretches the iterate beyond rounding now warns (for a
symmetric H it proves an eigenvalue of (H_batch + damping I)/scale outside [0, 2])."""

import warnings

import pytest
import torch

from paperworks.curvature import InverseHVP, lissa


def _outlier_problem():
    torch.manual_seed(0)
    n, d = 100, 5
    X = torch.randn(n, d, dtype=torch.float64)
    X[0] *= 6                                  # its own Hessian's top eigenvalue 302, the full one's 3.9
    y = torch.randn(n, dtype=torch.float64)
    model = torch.nn.Linear(d, 1, bias=False).double()

    def loss(m, b):
        return 0.5 * ((m(b[0])[:, 0] - b[1]) ** 2).mean()

    v = torch.randn(d, dtype=torch.float64)
    want = torch.linalg.solve(X.T @ X / n + 0.1 * torch.eye(d, dtype=torch.float64), v)
    return model, loss, (X, y), v, want


def test_a_stretching_mini_batch_step_is_reported():
    model, loss, data, v, want = _outlier_problem()
    with pytest.warns(UserWarning, match="stretched the iterate"):
        x = InverseHVP(model, loss, data, damping=0.1, solver="lissa", lissa_batch_size=10, lissa_repeats=4,
                       lissa_depth=2000).solve(v)
    assert float((x - want).norm() / want.norm()) > 1.0          # what the warning is about (6.9 here)
    with warnings.catch_warnings():                               # a scale above every batch's: quiet
        warnings.simplefilter("error")
        x = InverseHVP(model, loss, data, damping=0.1, solver="lissa", lissa_batch_size=10, lissa_repeats=4,
                       lissa_depth=2000, lissa_scale=40.0).solve(v)
    assert float((x - want).norm() / want.norm()) < 0.5


def test_a_convergent_series_never_warns_of_stretching():
    g = torch.Generator().manual_seed(3)
    Q, _ = torch.linalg.qr(torch.randn(20, 20, generator=g, dtype=torch.float64))
    H = (Q * torch.logspace(-3, 0, 20, dtype=torch.float64)) @ Q.T
    b = torch.randn(20, generator=g, dtype=torch.float64)
    for scale in (1.0 / 1.999, 1.0, 10.0):         # eigenvalues/scale up to 1.999: a contraction every step
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lissa(lambda u: H @ u, b, scale=scale, depth=300, tol=0.0)
        assert not [m for m in w if "stretched" in str(m.message)]
