"""Peer-library oracle for paperworks.influence: Captum 0.9.0's ``NaiveInfluenceFunction``.

The relation between Captum's scores and ours (same sign; Captum's summed Hessian with hessian_reg =
n (lam + damping) absorbs our 1/n; the mean over the test points; plus the regulariser's share, which Captum's
loss cannot express) is derived in :mod:`paperworks.influence.peers`, which reads Captum on our scale. The
tests below also check that the comparison could not pass with a wrong sign, scale or regulariser share.
"""

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from paperworks.influence import influence_scores

pytest.importorskip("captum.influence")
from paperworks.influence.peers import captum_naive_influence  # noqa: E402

N_TRAIN, N_TEST = 40, 5
# (rtol, atol relative to max |score|): the dense solve agrees to ~1e-14, CG (relative residual 1e-10) to ~1e-10
TOL = {"exact": (1e-10, 1e-12), "cg": (1e-7, 1e-9)}


def _mlp_problem():
    """2-layer MLP (3 -> 6 tanh -> 3 classes), float64, partly trained; influence over its last Linear layer."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(N_TRAIN, 3, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (N_TRAIN,), generator=g)
    Xt = torch.randn(N_TEST, 3, generator=g, dtype=torch.float64)
    yt = torch.randint(0, 3, (N_TEST,), generator=g)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(200):
        opt.zero_grad()
        F.cross_entropy(net(X), y).backward()
        opt.step()
    return net, (X, y), (Xt, yt)


def _assert_mapping_discriminates(ours, ref, n):
    """The comparison below could not pass with the wrong sign or without the 1/n."""
    assert ref.abs().max() > 1e-3
    assert not torch.allclose(-ours, ref, rtol=1e-2, atol=0.0)
    assert not torch.allclose(ours * n, ref, rtol=1e-2, atol=0.0)
    assert not torch.allclose(ours / n, ref, rtol=1e-2, atol=0.0)


@pytest.mark.parametrize("damping", [0.1, 0.01])
@pytest.mark.parametrize("solver", ["exact", "cg"])
def test_mlp_last_layer_matches_captum_naive_influence(solver, damping):
    """No regulariser: ours = mean over test points of Captum's scores with hessian_reg = n * damping.
    (Softmax makes the last-layer Hessian singular along 'shift all logits', so damping > 0 here.)"""
    net, train, test = _mlp_problem()

    def loss_fn(m, b):
        return F.cross_entropy(m(b[0]), b[1])

    def objective(m):
        return F.cross_entropy(m(test[0]), test[1])

    ours = influence_scores(net, loss_fn, train, objective, params="2", damping=damping, solver=solver)
    ref, reg_share = captum_naive_influence(net, "2", train, test, nn.CrossEntropyLoss(reduction="none"),
                                            damping=damping)
    assert not reg_share.any()   # no regulariser: no share
    rtol, atol = TOL[solver]
    torch.testing.assert_close(ours, ref, rtol=rtol, atol=atol * float(ref.abs().max()))
    _assert_mapping_discriminates(ours, ref, N_TRAIN)


def _fit_logreg(X, y, lam):
    """Exact minimiser (Newton, float64) of mean BCE + lam/2 |w|^2 (no intercept)."""
    w = torch.zeros(X.shape[1], dtype=torch.float64)
    for _ in range(50):
        p = torch.sigmoid(X @ w)
        grad = X.T @ (p - y) / len(y) + lam * w
        hess = (X.T * (p * (1 - p))) @ X / len(y) + lam * torch.eye(len(w), dtype=torch.float64)
        w = w - torch.linalg.solve(hess, grad)
    return w


@pytest.mark.parametrize("damping", [0.0, 0.05])
@pytest.mark.parametrize("solver", ["exact", "cg"])
def test_regularised_logistic_regression_matches_captum(solver, damping):
    """L2 regulariser lam/2 |w|^2 in our loss: hessian_reg = n (lam + damping), plus the regulariser's share
    of the per-sample gradient, lam (grad f' R)(R' w), from Captum's own factor R."""
    lam, d = 0.02, 4
    g = torch.Generator().manual_seed(1)
    X = torch.randn(N_TRAIN, d, generator=g, dtype=torch.float64)
    w0 = torch.randn(d, generator=g, dtype=torch.float64)
    y = (torch.rand(N_TRAIN, generator=g, dtype=torch.float64) < torch.sigmoid(X @ w0)).double()
    Xt = torch.randn(N_TEST, d, generator=g, dtype=torch.float64)
    yt = (torch.rand(N_TEST, generator=g, dtype=torch.float64) < torch.sigmoid(Xt @ w0)).double()
    model = nn.Sequential(nn.Linear(d, 1, bias=False), nn.Flatten(0)).double()  # logits [B]
    with torch.no_grad():
        model[0].weight.copy_(_fit_logreg(X, y, lam)[None])

    def loss_fn(m, b):
        return F.binary_cross_entropy_with_logits(m(b[0]), b[1]) + lam / 2 * (m[0].weight ** 2).sum()

    def objective(m):
        return F.binary_cross_entropy_with_logits(m(Xt), yt)

    ours = influence_scores(model, loss_fn, (X, y), objective, params="0", damping=damping, solver=solver)
    mean_scores, reg_share = captum_naive_influence(model, "0", (X, y), (Xt, yt),
                                                    nn.BCEWithLogitsLoss(reduction="none"), lam=lam, damping=damping)
    ref = mean_scores + reg_share
    assert abs(float(reg_share)) > 1e-3 * float(ref.abs().max())  # dropping the regulariser's share would fail
    rtol, atol = TOL[solver]
    torch.testing.assert_close(ours, ref, rtol=rtol, atol=atol * float(ref.abs().max()))
    _assert_mapping_discriminates(ours, ref, N_TRAIN)
    # at the exact optimum sum_k grad l_k = n grad J = 0, so the shares cancel the mean of Captum's scores
    torch.testing.assert_close(reg_share, -mean_scores.mean(), rtol=1e-8, atol=0.0)
    assert float(ours.sum().abs()) < 1e-10 * float(ours.abs().sum())


@pytest.mark.parametrize("solver", ["exact", "cg", "kfac"])
def test_vector_objective_gives_captums_test_by_train_matrix(solver):
    """objective(model) returning the m test losses -> [m, n]: row j = the scalar objective of test point j
    (every solver), and for exact / CG Captum's per-test-example influence matrix."""
    net, train, test = _mlp_problem()

    def loss_fn(m, b):
        return F.cross_entropy(m(b[0]), b[1])

    mat = influence_scores(net, loss_fn, train, lambda m: F.cross_entropy(m(test[0]), test[1], reduction="none"),
                           params="2", damping=0.1, solver=solver)
    assert mat.shape == (N_TEST, N_TRAIN)
    for j in range(N_TEST):
        row = influence_scores(net, loss_fn, train, lambda m: F.cross_entropy(m(test[0][j:j + 1]), test[1][j:j + 1]),
                               params="2", damping=0.1, solver=solver)
        torch.testing.assert_close(mat[j], row, rtol=1e-9, atol=1e-12 * float(row.abs().max()))
    if solver != "kfac":
        ref, _ = captum_naive_influence(net, "2", train, test, nn.CrossEntropyLoss(reduction="none"), damping=0.1,
                                        per_test=True)
        rtol, atol = TOL[solver]
        torch.testing.assert_close(mat, ref, rtol=rtol, atol=atol * float(ref.abs().max()))
        assert not torch.allclose(mat, ref.mean(0).expand_as(mat), rtol=1e-2, atol=0.0)   # rows really differ


def test_mean_regulariser_share_keeps_its_original_order_of_operations(monkeypatch):
    """per_test=False (the fmd bench) must give the regulariser's share exactly as before per_test existed:
    lam * mean_j(grad L_test(j)' R) . (R' theta), the formula of docs/systems/fmd.md; averaging the per-test
    shares afterwards rounds differently and moved the bench's float32 disagreement figure."""
    import captum.influence as ci

    made = []

    class Recording(ci.NaiveInfluenceFunction):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)

    monkeypatch.setattr(ci, "NaiveInfluenceFunction", Recording)
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(40, 6, generator=g), torch.randint(0, 3, (40,), generator=g)        # float32, as fmd
    Xt, yt = torch.randn(9, 6, generator=g), torch.randint(0, 3, (9,), generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 3, bias=False))
    lam = 0.3
    shares = []
    for per_test in (False, True):
        _, share = captum_naive_influence(model, "0", (X, y), (Xt, yt), nn.CrossEntropyLoss(reduction="none"),
                                          lam=lam, per_test=per_test)
        shares.append(share)
    inst = made[0]
    emb = inst.compute_intermediate_quantities((Xt, yt), test=True)
    u = inst.R.T @ model[0].weight.detach().reshape(-1)
    assert torch.equal(shares[0], lam * emb.mean(0) @ u)
    assert shares[1].shape == (9,) and torch.allclose(shares[1].mean(0), shares[0], rtol=1e-5, atol=0)
