"""PGD with a huge but finite eps / alpha (probe /tmp/h26/p_pgd_huge.py): eps above float32's largest value on
float32 images failed in clamp ("value cannot be converted to type float without overflow"), and an alpha above
it (given, or 2.5 * eps / steps, inf in Python for eps > 7e307 on float64) made pixels with zero gradient NaN
(inf * 0): "clip_to_ball: 'x_adv' contains NaN". Such an eps is the unbounded ball: the same images as an eps
that already holds the whole [0, 1] box."""

import pytest
import torch
from torch import nn

from paperworks import attacks


def _setup(dtype=torch.float32):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Flatten(), nn.Linear(4, 3)).eval()
    with torch.no_grad():
        m[1].weight[:, 3] = 0        # the last pixel has an exactly zero input gradient
    x = torch.rand(2, 1, 2, 2)
    return m.to(dtype), x.to(dtype), torch.tensor([0, 1])


@pytest.mark.parametrize("norm,eps_box", [("inf", 1.0), (2, 2.0)])   # 2 = sqrt(4 pixels): the whole box
@pytest.mark.parametrize("eps", [1e39, 1e300])
def test_huge_eps_is_the_unbounded_ball(norm, eps_box, eps):
    m, x, y = _setup()
    got = attacks.pgd(m, x, y, eps=eps, alpha=0.1, steps=5, norm=norm, random_start=False)
    ref = attacks.pgd(m, x, y, eps=eps_box, alpha=0.1, steps=5, norm=norm, random_start=False)
    assert torch.equal(got, ref)


@pytest.mark.parametrize("norm", ["inf", 2])
@pytest.mark.parametrize("kw", [dict(eps=0.5, alpha=1e39), dict(eps=1e40)])
def test_huge_alpha_gives_no_nan(norm, kw):
    m, x, y = _setup()
    out = attacks.pgd(m, x, y, steps=3, norm=norm, random_start=False, **kw)
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert torch.equal(out[..., 1, 1], x[..., 1, 1])      # the zero-gradient pixel stays where it was
    d = (out.double() - x.double()).flatten(1)
    assert ((d.abs().amax(1) if norm == "inf" else d.norm(dim=1)) <= kw["eps"]).all()


def test_float64_eps_whose_default_alpha_overflows():
    m, x, y = _setup(torch.float64)
    out = attacks.pgd(m, x, y, eps=1e308, random_start=False)      # alpha = 2.5 * 1e308 / 40 = inf in Python
    ref = attacks.pgd(m, x, y, eps=1.0, alpha=1.0, steps=40, random_start=False)
    assert torch.equal(out, ref)   # any step >= 1 sends a moving pixel to its box corner, as alpha = inf meant

