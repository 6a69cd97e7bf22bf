"""InverseHVP's exact and K-FAC solvers take their curvature once, at construction; CG and LiSSA apply H at the
current parameters. After an in-place change of the parameters (an optimizer or unlearning step) the exact
solver's answer was 69% off the current (H + damping I)^{-1} v while CG on the same kind of object followed the
new parameters, without a word. A solve after such a change now warns (once per change)."""

import warnings

import pytest
import torch
from torch import nn

from paperworks.curvature import InverseHVP, exact_hessian

D64 = torch.float64


def _problem():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    X = torch.randn(50, 3, dtype=D64)
    y = torch.randn(50, 2, dtype=D64)

    def loss(mm, b):
        return 0.5 * ((mm(b[0]) - b[1]) ** 2).sum(1).mean()

    return m, loss, (X, y)


@pytest.mark.parametrize("solver", ["exact", "kfac", "ekfac"])
def test_a_solve_after_an_in_place_update_warns(solver):
    m, loss, data = _problem()
    P = sum(p.numel() for p in m.parameters())
    v = torch.randn(P, dtype=D64)
    ih = InverseHVP(m, loss, data, damping=1.0, solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before = ih.solve(v)
        ih.solve(v)                                     # unchanged parameters: quiet
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.5 * torch.randn_like(p))
    with pytest.warns(UserWarning, match="parameters were written in place"):
        stale = ih.solve(v)
    assert torch.equal(stale, before)                   # the old curvature, as the warning says
    with warnings.catch_warnings():                     # once per change
        warnings.simplefilter("error")
        ih.solve(v)
    if solver == "exact":
        want = torch.linalg.solve(exact_hessian(m, loss, data) + torch.eye(P, dtype=D64), v)
        assert float((stale - want).norm() / want.norm()) > 0.3
        fresh = InverseHVP(m, loss, data, damping=1.0, solver="exact").solve(v)
        torch.testing.assert_close(fresh, want)


def test_cg_follows_the_parameters_and_never_warns():
    m, loss, data = _problem()
    P = sum(p.numel() for p in m.parameters())
    v = torch.randn(P, dtype=D64)
    ih = InverseHVP(m, loss, data, damping=1.0, solver="cg")
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.5 * torch.randn_like(p))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = ih.solve(v)
    want = torch.linalg.solve(exact_hessian(m, loss, data) + torch.eye(P, dtype=D64), v)
    torch.testing.assert_close(x, want, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver", ["exact", "kfac"])
def test_replaced_parameters_warn_too(solver):
    """load_state_dict(assign=True) replaces the Parameter objects: their versions are new tensors' and the exact
    solver used the old Hessian without a word (cg refuses: 'not parameters of this model')."""
    m, loss, data = _problem()
    P = sum(p.numel() for p in m.parameters())
    v = torch.randn(P, dtype=D64)
    ih = InverseHVP(m, loss, data, damping=1.0, solver=solver)
    m.load_state_dict({k: t + 0.5 for k, t in m.state_dict().items()}, assign=True)
    with pytest.warns(UserWarning, match="replaced by other tensors"):
        ih.solve(v)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ih.solve(v)
