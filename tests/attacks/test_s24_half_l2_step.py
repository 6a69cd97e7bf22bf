"""L2 steps of fgsm(norm=2) / pgd(norm=2) on float16 / bfloat16 models with tiny input gradients.

The unit direction g / ||g||_2 was taken in the gradient's own dtype with the norm clamped at finfo.tiny; for
float16 that is 6.1e-5, so a confident model (input-gradient norms ~4e-6) got steps ~17 times shorter than eps
(0.029 instead of ~0.48 at eps 0.5). The direction is now taken in float32 for half-precision gradients.
"""

import pytest
import torch
from torch import nn

from paperworks import attacks


def _confident(dtype):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Flatten(), nn.Linear(64, 3)).eval()
    with torch.no_grad():
        m[1].weight.normal_(0, 0.02)
        m[1].bias.copy_(torch.tensor([11.0, 0.0, 0.0]))   # class 0 leads by ~11 logits: CE gradients ~1e-5
    x = (0.25 + 0.5 * torch.rand(4, 1, 8, 8)).to(dtype)  # away from the box: a full step stays inside [0, 1]
    return m.to(dtype), x, torch.zeros(4, dtype=torch.long)


def _l2(a, x):
    return (a.double() - x.double()).flatten(1).norm(dim=1)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_l2_steps_have_size_eps(dtype):
    model, x, y = _confident(dtype)
    g = attacks.input_gradient(model, x, y)
    assert float(g.float().flatten(1).norm(dim=1).max()) < torch.finfo(torch.float16).tiny   # the case at hand
    eps = 0.5
    for out in (attacks.fgsm(model, x, y, eps=eps, norm=2),
                attacks.fgsm(model, x, y, eps=eps, norm=2, targeted=True),
                attacks.pgd(model, x, y, eps=eps, norm=2, steps=1, alpha=eps, random_start=False)):
        assert out.dtype == dtype
        size = _l2(out, x)
        assert bool((size <= eps).all())
        assert bool((size >= 0.95 * eps).all()), size          # was ~0.03 for float16 (bfloat16: a guard)


def test_float32_l2_steps_unchanged_and_zero_gradient_rows_stay():
    model, x, y = _confident(torch.float32)
    g = attacks.input_gradient(model, x, y)
    a = attacks.fgsm(model, x, y, eps=0.5, norm=2)
    torch.testing.assert_close(a, (x + 0.5 * g / g.flatten(1).norm(dim=1).view(-1, 1, 1, 1)).clamp(0, 1),
                               rtol=0, atol=1e-6)
    flat = nn.Sequential(nn.Flatten(), nn.Linear(64, 3)).eval()
    with torch.no_grad():
        flat[1].weight.zero_()
    for dtype in (torch.float32, torch.float16):
        f, xx = flat.to(dtype), x.to(dtype)
        assert torch.equal(attacks.fgsm(f, xx, y, eps=0.5, norm=2), xx)
        assert torch.equal(attacks.pgd(f, xx, y, eps=0.5, norm=2, steps=2, random_start=False), xx)
