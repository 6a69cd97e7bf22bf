"""A ParamSubset built on a submodule of the model (select_params(model[2]) passed with model) must act as
params='2': its names are the submodule's ('weight'), and the functional paths (per-sample gradients by vmap,
hvp_func) looked those names up on the whole model, found nothing and returned zeros without a word."""

import torch
from torch import nn

from paperworks.curvature.hessian import hvp, hvp_func, per_sample_grads
from paperworks.curvature.params import select_params
from paperworks.influence import influence_scores


def _setup():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    X = torch.randn(6, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (6,))
    return m, (X, y)


def loss(mod, b):
    return nn.functional.cross_entropy(mod(b[0]), b[1])


def test_subset_of_a_submodule_equals_selection_by_name():
    m, data = _setup()
    sub, byname = select_params(m[2]), select_params(m, "2")
    v = torch.randn(sub.numel, dtype=torch.float64)
    ref = hvp_func(m, loss, data, v, byname)
    assert ref.norm() > 0
    assert torch.allclose(hvp_func(m, loss, data, v, sub), ref, atol=1e-12)
    assert torch.allclose(hvp(m, loss, data, v, sub), ref, atol=1e-12)
    for method in ("vmap", "auto"):
        g_ref = per_sample_grads(m, loss, data, byname, method=method)
        assert g_ref.abs().max() > 0
        assert torch.allclose(per_sample_grads(m, loss, data, sub, method=method), g_ref, atol=1e-12)
    obj = lambda mod: loss(mod, data)  # noqa: E731
    s_ref = influence_scores(m, loss, data, obj, byname, damping=0.1, solver="exact")
    assert s_ref.abs().max() > 0
    assert torch.allclose(influence_scores(m, loss, data, obj, sub, damping=0.1, solver="exact"), s_ref,
                          atol=1e-12)
    assert select_params(m, sub).names == byname.names == ["2.weight", "2.bias"]


def test_a_subset_of_the_model_itself_is_returned_as_given():
    m, _ = _setup()
    ps = select_params(m, "2")
    assert select_params(m, ps) is ps
    head = m[2]
    ps_head = select_params(head, [head.weight])
    assert select_params(head, ps_head) is ps_head
