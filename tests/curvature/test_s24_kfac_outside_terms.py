"""K-FAC's Fisher is built from the gradients through each layer's outputs, so a loss term on the layer's
parameters outside its call (the L2 regulariser the influence docs ask loss_fn to include) has no share in it:
InverseHVP(solver='kfac' / 'ekfac') used (F~ + damping I) for the Hessian of the whole loss without a word
(probe: lam = 0.01 left out, influence scores' Pearson with the exact ones 0.88 / 0.91, norm x1.64; with
damping = lam 0.9996). KFAC.fit now compares the loss gradient with the part through the outputs; the first
inverse_vp whose damping does not cover the gap's curvature warns (an L2 term: 'pass damping >= c')."""

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from paperworks.curvature import KFAC, InverseHVP
from paperworks.influence import influence_scores

D64 = torch.float64


def _regression(lam, on="weight", dtype=D64):
    torch.manual_seed(0)
    X = (torch.randn(400, 8, dtype=D64) * torch.logspace(-1.5, 0, 8, dtype=D64)).to(dtype)
    y = torch.randn(400, 2, dtype=D64).to(dtype)
    head = nn.Linear(8, 2).to(dtype)

    def loss(m, b):
        return 0.5 * ((m(b[0]) - b[1]) ** 2).sum(1).mean() + 0.5 * lam * (getattr(m, on) ** 2).sum()

    opt = torch.optim.LBFGS(head.parameters(), max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        v = loss(head, (X, y))
        v.backward()
        return v

    opt.step(closure)
    return head, loss, (X, y)


@pytest.mark.parametrize("solver", ["kfac", "ekfac"])
def test_a_left_out_l2_term_is_reported_with_its_curvature(solver):
    head, loss, data = _regression(1e-2)
    obj = lambda m: ((m(data[0][:20]) - data[1][:20]) ** 2).mean()    # noqa: E731
    exact = influence_scores(head, loss, data, obj, solver="exact")
    with pytest.warns(UserWarning, match=r"L2 term .* pass damping >= 0.01 \(got 0\)"):
        off = influence_scores(head, loss, data, obj, solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = influence_scores(head, loss, data, obj, solver=solver, damping=1e-2)
    pearson = lambda u: float(torch.corrcoef(torch.stack([u, exact]))[0, 1])   # noqa: E731
    assert pearson(off) < 0.95 < 0.99 < pearson(ok)         # what the warning is about


def test_the_curvature_of_an_l2_term_is_estimated_per_parameter():
    for on in ("weight", "bias"):
        head, loss, data = _regression(3e-2, on)
        k = KFAC(head, loss, data).fit()
        rel, c = k.outside_terms[""]
        assert c == pytest.approx(3e-2, rel=1e-9)
        with pytest.warns(UserWarning, match="pass damping >= 0.03"):
            k.inverse_vp(torch.ones(18, dtype=D64), 1e-3)
        with warnings.catch_warnings():       # once per fit
            warnings.simplefilter("error")
            k.inverse_vp(torch.ones(18, dtype=D64), 1e-3)


def test_another_term_on_the_weights_is_reported():
    head, _, data = _regression(0.0)

    def loss(m, b):     # an L1 term: not c/2 |theta|^2
        return 0.5 * ((m(b[0]) - b[1]) ** 2).sum(1).mean() + 1e-2 * m.weight.abs().sum()

    with pytest.warns(UserWarning, match="another term on 'the model'"):
        InverseHVP(head, loss, data, solver="kfac", damping=0.1).solve(torch.ones(18, dtype=D64))


@pytest.mark.parametrize("dtype", [torch.float32, D64])
def test_no_warning_without_outside_terms(dtype):
    torch.manual_seed(1)
    m = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(100, 6), nn.Tanh(),
                      nn.Linear(6, 3)).to(dtype).eval()
    X = torch.randn(37, 2, 5, 5, dtype=dtype)
    y = torch.randint(0, 3, (37,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        k = KFAC(m, lambda mm, b: F.cross_entropy(mm(b[0]), b[1]), (X, y), eigen_correct=True, batch_size=10).fit()
        k.inverse_vp(torch.ones(sum(L.out * L.inp for L in k.layers), dtype=dtype), 0.1)
    assert k.outside_terms == {}
    head, loss, data = _regression(0.0, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        InverseHVP(head, loss, data, solver="kfac", damping=1e-3).solve(torch.ones(18, dtype=dtype))
