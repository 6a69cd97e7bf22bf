"""Public-API QA of paperworks.influence: the reference loop's bad inputs and K-FAC influence on a bare layer,
against the closed form of ridge regression (each test fails on the code before its fix)."""

import pytest
import torch
from torch import nn

from paperworks.core.errors import PaperworksError
from paperworks.influence import influence_scores, influence_scores_loop


def _ridge(n=15, d=3, lam=0.1):
    torch.manual_seed(0)
    X = torch.randn(n, d, dtype=torch.float64)
    y = torch.randn(n, dtype=torch.float64)
    model = nn.Linear(d, 1, bias=False).double()
    with torch.no_grad():   # the exact minimiser, so the influence formula applies exactly
        model.weight.copy_(torch.linalg.solve(X.T @ X / n + lam * torch.eye(d, dtype=torch.float64), X.T @ y / n)[None])

    def loss_fn(m, b):
        return 0.5 * ((m(b[0]).squeeze(-1) - b[1]) ** 2).mean() + lam / 2 * sum((p ** 2).sum() for p in m.parameters())

    xt, yt = torch.randn(2, d, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
    return model, loss_fn, (X, y), xt, yt, lam


def test_loop_reference_matches_closed_form_and_names_bad_inputs():
    model, loss_fn, (X, y), xt, yt, lam = _ridge()
    n = X.shape[0]
    w = model.weight.detach()[0]
    H = X.T @ X / n + lam * torch.eye(3, dtype=torch.float64)
    gf = xt.T @ (xt @ w - yt) / 2
    ref = (X * (X @ w - y)[:, None] + lam * w) @ torch.linalg.solve(H, gf) / n       # closed form
    obj = lambda m: 0.5 * ((m(xt).squeeze(-1) - yt) ** 2).mean()  # noqa: E731
    assert torch.allclose(influence_scores_loop(model, loss_fn, (X, y), obj), ref, atol=1e-14)
    with pytest.raises(PaperworksError, match="empty"):               # old: range() arg 3 must not be zero
        influence_scores_loop(model, loss_fn, (X[:0], y[:0]), obj)
    Xn = X.clone()
    Xn[0, 0] = float("nan")
    with pytest.raises(PaperworksError, match="NaN"):                  # old: NaN scores
        influence_scores_loop(model, loss_fn, (Xn, y), obj)
    with pytest.raises(PaperworksError, match="scalar objective"):    # old: RuntimeError expand(...)
        influence_scores_loop(model, loss_fn, (X, y), lambda m: 0.5 * (m(xt).squeeze(-1) - yt) ** 2)


def test_kfac_influence_on_a_bare_linear_model():
    model, loss_fn, train, xt, yt, _ = _ridge()
    obj = lambda m: 0.5 * ((m(xt).squeeze(-1) - yt) ** 2).mean()  # noqa: E731
    for solver in ("kfac", "ekfac"):     # old: "KFAC: no submodule named 'weight'"
        a = influence_scores(model, loss_fn, train, obj, solver=solver, damping=0.1)
        b = influence_scores(nn.Sequential(model), loss_fn, train, obj, solver=solver, damping=0.1)
        assert torch.equal(a, b) and torch.isfinite(a).all()


def test_captum_peer_leaves_the_callers_rng_and_model_alone():
    pytest.importorskip("captum")
    from paperworks.influence.peers import captum_naive_influence

    model, loss_fn, (X, y), xt, yt, lam = _ridge()
    model.train()
    torch.manual_seed(7)
    state = torch.get_rng_state()
    mse = nn.MSELoss(reduction="none")
    scores, share = captum_naive_influence(nn.Sequential(model), "0", (X, y[:, None]), (xt, yt[:, None]),
                                           lambda out, t: 0.5 * mse(out, t).squeeze(-1), lam=lam)
    assert torch.equal(torch.get_rng_state(), state)       # old: Captum's DataLoaders drew from it
    assert model.training and all(p.requires_grad and p.grad is None for p in model.parameters())
    # on our scale it equals the exact influence (ridge: the Hessian is exact)
    obj = lambda m: 0.5 * ((m(xt).squeeze(-1) - yt) ** 2).mean()  # noqa: E731
    ours = influence_scores(model.eval(), loss_fn, (X, y), obj, solver="exact")
    assert torch.allclose(scores + share, ours, atol=1e-12)


def test_input_errors_name_the_function_called():
    # e29c843 gave influence_scores_loop influence_scores' input checks, and their messages: an empty or NaN
    # training set passed to the loop (or to upweight_influence) was reported as a problem of influence_scores
    from paperworks.influence import upweight_influence

    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1).double()
    X, y = torch.randn(5, 2, dtype=torch.float64), torch.randn(5, dtype=torch.float64)

    def loss_fn(m, b):
        return 0.5 * ((m(b[0]).squeeze(-1) - b[1]) ** 2).mean()

    def obj(m):
        return m.weight.sum()

    Xn = X.clone()
    Xn[1, 0] = float("nan")
    for fn, who in ((influence_scores_loop, "influence_scores_loop"), (upweight_influence, "upweight_influence"),
                    (influence_scores, "influence_scores")):
        with pytest.raises(PaperworksError, match=rf"^{who}: the training data is empty"):
            fn(model, loss_fn, (X[:0], y[:0]), obj)
        with pytest.raises(PaperworksError, match=rf"^{who}: the training data contain NaN"):
            fn(model, loss_fn, (Xn, y), obj)
