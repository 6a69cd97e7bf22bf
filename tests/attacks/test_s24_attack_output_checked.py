"""evaluate_attack checks an attack function's images as it checks precomputed ones.

An attack that left the [0, 1] box (x + noise, unclipped) was measured as it came (success 0.75 on the probe),
while the same images passed as a tensor were refused; an attack returning fewer images failed in a bare
broadcasting RuntimeError. Both are one DataError now.
"""

import pytest
import torch
from torch import nn

from paperworks import attacks
from paperworks.core.errors import DataError


def _setup():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 5)).eval()
    x = torch.rand(8, 1, 8, 8)
    return model, x, attacks.predict(model, x)


def test_attack_functions_outside_the_box_or_of_another_shape_are_refused():
    model, x, y = _setup()
    with pytest.raises(DataError, match=r"'x_adv' must lie in \[0, 1\]"):
        attacks.evaluate_attack(model, lambda m, a, b, targeted=False: a + 3.0 * torch.randn_like(a), x, y)
    with pytest.raises(DataError, match="x_adv has shape"):
        attacks.evaluate_attack(model, lambda m, a, b, targeted=False: a[:4], x, y)
    with pytest.raises(DataError, match="NaN"):
        attacks.evaluate_attack(model, lambda m, a, b, targeted=False: a * float("nan"), x, y)


def test_valid_attack_functions_measure_as_before():
    model, x, y = _setup()
    r = attacks.evaluate_attack(model, "pgd", x, y, eps=0.2, steps=5, seed=0)
    assert torch.equal(r.x_adv, attacks.pgd(model, x, y, eps=0.2, steps=5, seed=0))
    same = attacks.evaluate_attack(model, r.x_adv, x, y)
    assert same.success_rate == r.success_rate and same.mean_l2 == r.mean_l2
