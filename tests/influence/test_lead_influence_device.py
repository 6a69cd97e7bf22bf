"""Influence scores were allocated on the CPU whatever the model's device (and the reference loop added a CPU
identity to a CUDA Hessian). Run by scripts/gpu-check.sh on a GPU machine; the CPU test pins the dtype rule."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from paperworks.influence import influence_scores, influence_scores_loop


def _problem(device, dtype=torch.float64):
    torch.manual_seed(0)
    x, y = torch.randn(12, 3, dtype=dtype, device=device), torch.randint(0, 2, (12,), device=device)
    model = nn.Linear(3, 2).to(device=device, dtype=dtype).eval()

    def loss_fn(m, batch):
        xb, yb = batch
        return F.cross_entropy(m(xb), yb) + 1e-2 * (m.weight.pow(2).sum() + m.bias.pow(2).sum())

    return model, loss_fn, (x, y), lambda m: F.cross_entropy(m(x[:2]), y[:2])


def _check(device):
    model, loss_fn, train, obj = _problem(device)
    s = influence_scores(model, loss_fn, train, obj, solver="exact")
    ref = influence_scores_loop(model, loss_fn, train, obj)
    assert s.device.type == ref.device.type == torch.device(device).type and s.dtype == torch.float64
    torch.testing.assert_close(s, ref, rtol=1e-9, atol=1e-12)


def test_influence_scores_on_cpu_follow_the_model():
    _check("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (run scripts/gpu-check.sh there)")
def test_influence_scores_on_cuda_stay_on_the_model_device():
    _check("cuda")
