"""Python-API QA of the attack engine: side effects on the user's model and tensors, label dtypes, masks."""

import torch
from torch import nn

from paperworks import attacks


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)).eval()


def _data():
    g = torch.Generator().manual_seed(1)
    return torch.rand(5, 1, 8, 8, generator=g), torch.tensor([0, 1, 2, 0, 1])


def test_cw_leaves_model_gradients_alone():
    # the attack differentiates w.r.t. its own variable only: .grad of the model's parameters stays as it was
    # (loss.backward() accumulated the attack's gradients into every parameter, 5 steps x 2 searches)
    model, (x, y) = _model(), _data()
    model[4].weight.grad = torch.ones_like(model[4].weight)
    attacks.cw_l2(model, x, y, steps=5, binary_search_steps=2)
    assert all(p.grad is None for n, p in model.named_parameters() if n != "4.weight")
    assert torch.equal(model[4].weight.grad, torch.ones_like(model[4].weight))
