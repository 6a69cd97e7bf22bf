"""ggn_matrix and hvp_func returned tensors still attached to the forward graph through the model's parameters
outside the subset (requires_grad=True: G.numpy() refused, G.trace().backward() put gradients on the other
layers), unlike exact_hessian / hvp / empirical_fisher. Both are now detached; values unchanged (checked against
J^T H_out J and the dense Hessian)."""

import torch
import torch.nn.functional as F
from _curvature_toy import toy_loss as _loss
from _curvature_toy import toy_model_and_batch as _setup

import paperworks.curvature as C


def test_ggn_matrix_is_detached_and_leaks_no_gradient():
    m, data = _setup()
    G = C.ggn_matrix(m, lambda mm, b: mm(b[0]), lambda z, b: F.cross_entropy(z, b[1]), data, ["2.weight"])
    assert not G.requires_grad and G.grad_fn is None
    G.numpy()
    assert all(p.grad is None for p in m.parameters())
    # the value: for the last layer of a softmax cross-entropy model, the GGN equals the Hessian
    H = C.exact_hessian(m, _loss, data, ["2.weight"])
    assert torch.allclose(G, H, atol=1e-14)


def test_hvp_func_is_detached_and_equals_hvp():
    m, data = _setup()
    v = torch.randn(12, dtype=torch.float64)
    hv = C.hvp_func(m, _loss, data, v, ["2.weight"])
    assert not hv.requires_grad and hv.grad_fn is None
    assert torch.allclose(hv, C.hvp(m, _loss, data, v, ["2.weight"]), atol=1e-14)
