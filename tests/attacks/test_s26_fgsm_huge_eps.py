"""FGSM / the L2 fast gradient method with a huge but finite eps (probe /tmp/h26/p_fgsm_huge.py): an eps above the
images' largest value (1e39 on float32) became inf, and inf * 0 on a pixel with zero input gradient
gave NaN: "clip_to_ball: 'x_adv' contains NaN" from fgsm and evaluate_attack. It is the unbounded step now: the
same images as an eps already holding the whole [0, 1] box."""

import pytest
import torch
from torch import nn

from paperworks import attacks


def _setup(dtype=torch.float32):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Flatten(), nn.Linear(4, 3)).eval()
    with torch.no_grad():
        m[1].weight[:, 3] = 0        # the last pixel has an exactly zero input gradient
    return m.to(dtype), torch.rand(2, 1, 2, 2).to(dtype), torch.tensor([0, 1])


@pytest.mark.parametrize("targeted", [False, True])
@pytest.mark.parametrize("eps", [1e39, 1e300])
def test_fgsm_huge_eps_is_the_unbounded_step(eps, targeted):
    m, x, y = _setup()
    assert torch.equal(attacks.fgsm(m, x, y, eps=eps, targeted=targeted),
                       attacks.fgsm(m, x, y, eps=1.0, targeted=targeted))


@pytest.mark.parametrize("dtype,eps", [(torch.float32, 1e39), (torch.float64, 1e308)])
def test_fgm_l2_huge_eps_no_nan(dtype, eps):
    m, x, y = _setup(dtype)
    out = attacks.fgsm(m, x, y, eps=eps, norm=2)
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert torch.equal(out[..., 1, 1], x[..., 1, 1])      # the zero-gradient pixel does not move


def test_evaluate_attack_fgsm_huge_eps():
    m, x, y = _setup()
    rep = attacks.evaluate_attack(m, "fgsm", x, y, eps=1e39)
    ref = attacks.evaluate_attack(m, "fgsm", x, y, eps=1.0)
    assert torch.equal(rep.x_adv, ref.x_adv) and rep.success_rate == ref.success_rate


def test_fgsm_float16_eps_above_its_max():   # (passed before too: torch computes the product in float32)
    m, x, y = _setup(torch.float32)
    xh = x.half()
    mh = m.half()
    try:
        out = attacks.fgsm(mh, xh, y, eps=1e5)
    except RuntimeError as e:          # a CPU build without float16 matmul: nothing to check here
        pytest.skip(str(e))
    assert torch.equal(out, attacks.fgsm(mh, xh, y, eps=1.0))
