"""PGD on bfloat16 images with a step below half the image dtype's spacing.

The iterate was held in the images' dtype: bfloat16 spaces values 0.0039 apart on [0.5, 1), so with eps 0.03 in
40 steps (alpha 0.0019) every x + alpha * sign(g) rounded back to x and PGD returned x itself (the model looked
perfectly robust). The iterate is now held in float32 for float16 / bfloat16 images.
"""

import torch
from torch import nn

from paperworks import attacks


def test_bfloat16_pgd_moves_with_small_steps():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 5)).eval()
    x = 0.5 + 0.5 * torch.rand(8, 1, 8, 8)
    y = torch.randint(0, 5, (8,))
    ref = attacks.pgd(model, x, y, eps=0.03, steps=40, random_start=False)
    bmodel, bx = model.to(torch.bfloat16), x.to(torch.bfloat16)
    out = attacks.pgd(bmodel, bx, y, eps=0.03, steps=40, random_start=False)
    assert out.dtype == torch.bfloat16
    d = out.double() - bx.double()
    assert float(d.abs().max()) <= 0.03
    assert float(d.abs().flatten(1).amax(1).min()) > 0.025            # was 0: not one pixel moved
    # the same ascent direction as float32 on most pixels (sign of the perturbation)
    agree = (torch.sign(d) == torch.sign(ref.double() - x.double())).double().mean()
    assert float(agree) > 0.9
    ce = nn.functional.cross_entropy
    with torch.no_grad():
        assert float(ce(bmodel(out).float(), y)) > float(ce(bmodel(bx).float(), y)) + 0.05
