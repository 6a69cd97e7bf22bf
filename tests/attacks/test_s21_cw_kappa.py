"""cw_l2 accepted kappa = inf (the check was kappa >= 0): no margin ever reaches -inf, so the clean images came
back as the 'adversarial' ones without a word."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from paperworks import attacks as A
from paperworks.core.errors import ConfigError


def _setup():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Flatten(), nn.Linear(4, 3)).eval()
    return m, torch.rand(2, 1, 2, 2, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1])


@pytest.mark.parametrize("kappa", [math.inf, np.inf, math.nan, -1.0])
def test_nonfinite_or_negative_kappa_refused(kappa):
    m, x, y = _setup()
    with pytest.raises(ConfigError, match="'kappa' must be a finite number >= 0"):
        A.cw_l2(m, x, y, kappa=kappa, steps=2, binary_search_steps=1)


def test_finite_kappa_still_runs():
    m, x, y = _setup()
    assert A.cw_l2(m, x, y, kappa=np.float64(0.5), steps=2, binary_search_steps=1).shape == x.shape
