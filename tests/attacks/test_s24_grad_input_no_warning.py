"""fgsm / pgd / clip_to_ball on images that require grad: no UserWarning, caller's tensors and model untouched.

check_images reads a detached x since 78bf939, but clip_to_ball (the last step of fgsm and pgd) still read
float(x.min()) of the caller's x, so every call with an x that requires grad warned "Converting a tensor with
requires_grad=True to a scalar may lead to unexpected behavior".
"""

import warnings

import torch
from torch import nn

from paperworks import attacks


def test_inputs_that_require_grad_give_no_warning_and_stay_as_they_were():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 5)).eval()
    model[1].weight.requires_grad_(False)
    model[3].bias.grad = torch.ones(5)
    x = torch.rand(4, 1, 8, 8).requires_grad_(True)
    y = torch.randint(0, 5, (4,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outs = [attacks.fgsm(model, x, y, eps=0.1), attacks.fgsm(model, x, y, eps=0.5, norm=2),
                attacks.pgd(model, x, y, eps=0.1, steps=2, seed=0), attacks.pgd(model, x, y, eps=0.5, norm=2, steps=2),
                attacks.clip_to_ball(x.detach() + 0.2, x, 0.1), attacks.clip_to_ball(x.detach() + 0.2, x, 0.1, 2),
                attacks.cw_l2(model, x, y, steps=3, binary_search_steps=1)]
    for out in outs:
        assert not out.requires_grad
    assert x.requires_grad and x.grad is None and x.is_leaf
    assert [p.requires_grad for p in model.parameters()] == [False, True, True, True]
    assert [p.grad is None for p in model.parameters()] == [True, True, True, False]
    assert torch.equal(model[3].bias.grad, torch.ones(5))
    assert not model.training
