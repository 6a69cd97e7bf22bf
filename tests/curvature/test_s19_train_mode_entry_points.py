"""Every public curvature entry point that takes a model refuses dropout / batch norm in train mode, as InverseHVP,
KFAC and influence already did (session 19). Before, hvp / exact_hessian / ggn_matrix ran on a train-mode dropout
model and two identical calls disagreed (max |diff| 2.59 for hvp, 3.22 for exact_hessian, 1.85 for ggn_matrix on a
3-4-1 tanh net with Dropout(0.5)); with batch norm in train mode hvp depended on batch_size (max |diff| 4.58 between
batch_size None and 4). Each test fails on the code before the fix."""

import pytest
import torch
from torch import nn

from paperworks.core.errors import DataError
from paperworks.curvature import (data_grad, empirical_fisher, exact_hessian, ggn_matrix, hvp, hvp_func,
                                  iter_per_sample_grads, make_hvp_operator, per_sample_grads)

DT = torch.float64


def _mse(m, b):
    return ((m(b[0]) - b[1]) ** 2).mean()


def _data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(8, 3, generator=g, dtype=DT), torch.randn(8, 1, generator=g, dtype=DT)


def _nets():
    torch.manual_seed(0)
    return {"dropout": nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Dropout(0.5), nn.Linear(4, 1)).double(),
            "batchnorm": nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 1)).double()}


def _calls(m, data):
    P = sum(p.numel() for p in m.parameters())
    v = torch.linspace(-1, 1, P, dtype=DT)
    return {
        "hvp": lambda: hvp(m, _mse, data, v),
        "hvp_func": lambda: hvp_func(m, _mse, data, v),
        "make_hvp_operator": lambda: make_hvp_operator(m, _mse, data)(v),
        "exact_hessian": lambda: exact_hessian(m, _mse, data),
        "ggn_matrix": lambda: ggn_matrix(m, lambda mod, b: mod(b[0]), lambda z, b: ((z - b[1]) ** 2).mean(), data),
        "empirical_fisher": lambda: empirical_fisher(m, _mse, data),
        "per_sample_grads": lambda: per_sample_grads(m, _mse, data, method="loop"),
        "iter_per_sample_grads": lambda: list(iter_per_sample_grads(m, _mse, data, method="loop")),
        "data_grad": lambda: data_grad(m, _mse, data),
    }


NAMES = list(_calls(nn.Linear(1, 1), (torch.zeros(1, 1), torch.zeros(1, 1))))


@pytest.mark.parametrize("kind", ["dropout", "batchnorm"])
@pytest.mark.parametrize("name", NAMES)
def test_train_mode_is_refused_and_eval_mode_is_deterministic(kind, name):
    data = _data()
    m = _nets()[kind]
    who = "per_sample_grads" if name == "iter_per_sample_grads" else name
    with pytest.raises(DataError, match=f"{who}: .*train mode.*model.eval"):
        _calls(m, data)[name]()
    m.eval()
    a, b = _calls(m, data)[name](), _calls(m, data)[name]()
    if isinstance(a, list):
        a, b = torch.cat(a), torch.cat(b)
    assert torch.equal(a, b)


def test_eval_mode_hvp_matches_finite_differences_and_does_not_depend_on_batch_size():
    """The refused cases were also wrong, not only random: in eval mode H v is one number, equal to a central
    difference of the gradient and the same for every batch_size."""
    data = _data()
    m = _nets()["batchnorm"]
    with torch.no_grad():                    # non-trivial running statistics
        m[1].running_mean.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0], dtype=DT))
        m[1].running_var.copy_(torch.tensor([0.5, 2.0, 1.5, 1.0], dtype=DT))
    m.eval()
    P = sum(p.numel() for p in m.parameters())
    v = torch.linspace(-1, 1, P, dtype=DT)
    hv = hvp(m, _mse, data, v)
    assert torch.allclose(hv, hvp(m, _mse, data, v, batch_size=3), atol=1e-12)
    theta = torch.nn.utils.parameters_to_vector(m.parameters()).detach().clone()
    eps = 1e-5
    grads = []
    for s in (1, -1):
        torch.nn.utils.vector_to_parameters(theta + s * eps * v, m.parameters())
        grads.append(data_grad(m, _mse, data))
    torch.nn.utils.vector_to_parameters(theta, m.parameters())
    assert torch.allclose(hv, (grads[0] - grads[1]) / (2 * eps), atol=1e-7)
