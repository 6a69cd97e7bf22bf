"""6ba0535's check for loss terms outside a layer's call compared two float32 sums of a conv's weight gradient
over b x positions terms (autograd's and sum_t g a^T) against a fixed 1e3 eps of their size. Their rounding grows
with the number of terms: a plain CNN on 128 x 128 inputs (1M terms per batch) gave gaps of 2e-4 to 2e-3 of that
size, and its first inverse_vp warned of "another term" it does not have. A gap must now exceed the rounding bound
of a sum of that many terms, unless it lies along the weights (an L2 term), which is still found at 1e3 eps."""

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from paperworks.curvature import KFAC


def _cnn(channels, lam=0.0):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(channels, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(4, 3))
    x = torch.rand(64, channels, 128, 128)
    y = torch.randint(0, 3, (64,))

    def loss(mod, b):
        return F.cross_entropy(mod(b[0]), b[1]) + 0.5 * lam * (mod[0].weight ** 2).sum()

    return m, loss, (x, y)


@pytest.mark.parametrize("channels", [1, 3])
def test_float32_conv_rounding_is_not_an_outside_term(channels):
    m, loss, data = _cnn(channels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        k = KFAC(m, loss, data).fit()
        k.inverse_vp(torch.ones(sum(L.out * L.inp for L in k.layers)), 1e-3)
    assert k.outside_terms == {}


def test_an_l2_term_on_the_same_conv_is_still_found():
    m, loss, data = _cnn(1, lam=1e-2)
    k = KFAC(m, loss, data).fit()
    assert set(k.outside_terms) == {"0"}
    assert k.outside_terms["0"][1] == pytest.approx(1e-2, rel=1e-3)
    with pytest.warns(UserWarning, match="pass damping >= 0.01"):
        k.inverse_vp(torch.ones(sum(L.out * L.inp for L in k.layers)), 1e-3)
