"""A model that registers one module under two names (``self.c = self.a``: a layer applied twice).

torch.func.functional_call (torch 2.13, tie_weights=True) swapped the one parameter slot under both names and, on
exit, restored the second name with the already-swapped tensor: after influence_scores / per_sample_grads /
hvp_func / ggn_matrix the model held a detached copy in place of its Parameter. Probe: the first influence_scores
was right, every later one 93% off; an SGD step of an optimizer built before left the layer unchanged. The
oracles here are plain autograd on the model as written (no functional call)."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from paperworks.curvature import per_sample_grads
from paperworks.curvature.hessian import ggn_matrix, hvp_func
from paperworks.influence import influence_scores

D = 3


class SharedModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(D, D)
        self.b = nn.Linear(D, 2)
        self.c = self.a        # the same module under a second name

    def forward(self, x):
        return self.b(torch.tanh(self.c(torch.tanh(self.a(x)))))


class TiedParameter(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(D, D)
        self.c = nn.Linear(D, D)
        self.c.weight = self.a.weight   # one parameter in two modules (two slots)
        self.b = nn.Linear(D, 2)

    def forward(self, x):
        return self.b(torch.tanh(self.c(torch.tanh(self.a(x)))))


LAM = 0.05


def loss_fn(m, b):
    return F.cross_entropy(m(b[0]), b[1]) + LAM / 2 * sum((p ** 2).sum() for p in m.parameters())


def _data(n=9):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, D, generator=g, dtype=torch.float64), torch.randint(0, 2, (n,), generator=g)


def _flat(ts):
    return torch.cat([t.reshape(-1) for t in ts])


def _reference_scores(m, x, y, objective, damping):
    """(1/n) grad f^T (H + d I)^-1 grad l_k by plain autograd over all parameters."""
    ps = list(m.parameters())
    g = _flat(torch.autograd.grad(loss_fn(m, (x, y)), ps, create_graph=True))
    H = torch.stack([_flat(torch.autograd.grad(g[i], ps, retain_graph=True)) for i in range(len(g))])
    s = torch.linalg.solve(H + damping * torch.eye(len(g), dtype=H.dtype), _flat(torch.autograd.grad(objective(m), ps)))
    n = len(y)
    return torch.stack([_flat(torch.autograd.grad(loss_fn(m, (x[k:k + 1], y[k:k + 1])), ps)) @ s / n
                        for k in range(n)])


@pytest.mark.parametrize("solver", ["exact", "cg"])
def test_influence_on_a_shared_module_leaves_the_model_intact_and_repeats(solver):
    torch.manual_seed(0)
    m = SharedModule().double()
    x, y = _data()
    weight = m.a.weight

    def objective(mm):
        return mm(x[:2]).sum()

    ref = _reference_scores(copy.deepcopy(m), x, y, objective, 1.0)
    for _ in range(2):
        s = influence_scores(m, loss_fn, (x, y), objective, solver=solver, damping=1.0)
        assert m.a.weight is weight and m.c.weight is weight and isinstance(m.a.weight, nn.Parameter)
        assert torch.allclose(s, ref, rtol=1e-7, atol=1e-12)
    # an optimizer built before still moves the layer
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    w0 = weight.detach().clone()
    opt.zero_grad()
    loss_fn(m, (x, y)).backward()
    opt.step()
    assert not torch.equal(m.a.weight.detach(), w0)


@pytest.mark.parametrize("model_cls", [SharedModule, TiedParameter])
def test_functional_paths_keep_the_parameters_and_match_autograd(model_cls):
    torch.manual_seed(1)
    m = model_cls().double()
    x, y = _data()
    before = {n: p for n, p in m.named_parameters(remove_duplicate=False)}
    ps = list(m.parameters())
    ref = torch.stack([_flat(torch.autograd.grad(loss_fn(m, (x[k:k + 1], y[k:k + 1])), ps)) for k in range(len(y))])
    G = per_sample_grads(m, loss_fn, (x, y), method="vmap")
    assert torch.allclose(G, ref, rtol=1e-10, atol=1e-13)
    v = torch.randn(G.shape[1], dtype=torch.float64)
    g = _flat(torch.autograd.grad(loss_fn(m, (x, y)), ps, create_graph=True))
    hv_ref = _flat(torch.autograd.grad(g @ v, ps))
    assert torch.allclose(hvp_func(m, loss_fn, (x, y), v), hv_ref, rtol=1e-10, atol=1e-13)
    ggn_matrix(m, lambda mm, b: mm(b[0]), lambda z, b: F.cross_entropy(z, b[1]), (x, y))
    after = {n: p for n, p in m.named_parameters(remove_duplicate=False)}
    assert before.keys() == after.keys() and all(after[n] is before[n] for n in before)
    assert all(isinstance(p, nn.Parameter) for p in after.values())
