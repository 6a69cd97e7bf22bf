"""fit_head holds a frozen head bias (requires_grad False) fixed and fits the weight alone: the optimum of the
weight with that bias, checked against a float64 L-BFGS over the weight only; a trainable bias is still fitted."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from paperworks.systems.fmd import fit_head


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.relu(torch.randn(300, 6, generator=g, dtype=torch.float64))
    y = torch.randint(0, 3, (300,), generator=g)
    return x, y


def _weight_only_optimum(x, y, b, lam):
    W = torch.zeros(3, 6, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([W], lr=1.0, max_iter=500, tolerance_grad=1e-14, tolerance_change=0,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(x @ W.T + b, y) + 0.5 * lam * (W ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return W.detach()


def test_frozen_bias_is_held_fixed_and_the_weight_is_optimal_given_it():
    x, y = _data()
    head = nn.Linear(6, 3).double()
    with torch.no_grad():
        head.bias.copy_(torch.tensor([0.7, -0.2, -0.5], dtype=torch.float64))
    head.bias.requires_grad_(False)
    b0 = head.bias.detach().clone()
    fit_head(head, x, y, lam=1e-2)
    assert torch.equal(head.bias.detach(), b0)
    W = _weight_only_optimum(x, y, b0, 1e-2)
    assert torch.allclose(head.weight.detach(), W, atol=1e-8, rtol=0)


def test_trainable_bias_is_fitted():
    x, y = _data()
    head = nn.Linear(6, 3).double()
    with torch.no_grad():
        head.bias.copy_(torch.tensor([0.7, -0.2, -0.5], dtype=torch.float64))
    b0 = head.bias.detach().clone()
    fit_head(head, x, y, lam=1e-2)
    assert not torch.allclose(head.bias.detach(), b0)
    th = torch.cat([head.weight.detach().flatten(), head.bias.detach()]).requires_grad_(True)
    loss = F.cross_entropy(x @ th[:18].view(3, 6).T + th[18:], y) + 0.5e-2 * (th[:18] ** 2).sum()
    (g,) = torch.autograd.grad(loss, th)
    assert g.norm() < 1e-10
