"""InverseHVP(solver='lissa') with lissa_batch_size=n (or only lissa_repeats given) draws the whole data as its
"mini-batch": the full-batch Hessian, one deterministic series. It ran that series with tol=0, which turns off
lissa's truncation warning and divergence check: a series cut at depth 1000 came back 61% off
(H + damping I)^{-1} v without a word, while lissa_batch_size=None warned for the same series. Now it runs once,
with the full-batch run's stopping test and warnings."""

import warnings

import pytest
import torch

from paperworks.curvature import InverseHVP


def _problem(spread):
    torch.manual_seed(0)
    n, d = 200, 10
    X = torch.randn(n, d, dtype=torch.float64) * torch.logspace(0, spread, d, dtype=torch.float64)
    y = torch.randn(n, dtype=torch.float64)
    model = torch.nn.Linear(d, 1, bias=False).double()

    def loss(m, b):
        return 0.5 * ((m(b[0])[:, 0] - b[1]) ** 2).mean()

    v = torch.randn(d, dtype=torch.float64)
    H = X.T @ X / n
    return model, loss, (X, y), v, torch.linalg.solve(H, v)


@pytest.mark.parametrize("kw", [{"lissa_batch_size": 200}, {"lissa_repeats": 2}, {"lissa_batch_size": 200,
                                                                                   "lissa_repeats": 3}])
def test_a_truncated_full_batch_series_is_reported(kw):
    model, loss, data, v, want = _problem(1.5)                 # condition 1.1e3: depth 1000 is too short
    with pytest.warns(UserWarning, match="stopped at depth=1000 before converging"):
        x = InverseHVP(model, loss, data, solver="lissa", **kw).solve(v)
    assert float((x - want).norm() / want.norm()) > 0.3       # what the warning is about


def test_a_converged_full_batch_series_stops_early_and_is_accurate():
    model, loss, data, v, want = _problem(0.5)                 # condition 12
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = InverseHVP(model, loss, data, solver="lissa", lissa_batch_size=200, lissa_repeats=4).solve(v)
    torch.testing.assert_close(x, want, rtol=1e-8, atol=1e-10)


def test_true_mini_batches_still_run_the_full_depth():
    model, loss, data, v, want = _problem(0.5)
    calls = []
    ih = InverseHVP(model, loss, data, solver="lissa", lissa_batch_size=50, lissa_repeats=2, lissa_depth=30)
    op, repeats, full = ih._stochastic
    assert repeats == 2 and not full

    def counting(u):
        calls.append(1)
        return op(u)

    ih._stochastic = (counting, repeats, full)
    ih.solve(v)
    assert len(calls) == 2 * 30
