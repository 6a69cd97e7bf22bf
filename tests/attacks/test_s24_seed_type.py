"""Seeds of pgd, run_batched (evaluate_attack) and adversarial_loss must be integers.

pgd(seed=1.5) ran as seed 1 and seed=True as seed 1 (int() of them), without a word; seed=2**70 failed in a
bare "Overflow when unpacking long long" ValueError; adversarial_loss(seed=True) seeded 1. One ConfigError now.
"""

import numpy as np
import pytest
import torch
from torch import nn

from paperworks import attacks
from paperworks.core.errors import ConfigError


def _setup():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).eval()
    return model, torch.rand(6, 1, 4, 4), torch.randint(0, 3, (6,))


@pytest.mark.parametrize("seed", [1.5, True, 2 ** 70, "1"])
def test_non_integer_seeds_are_refused(seed):
    model, x, y = _setup()
    with pytest.raises(ConfigError, match="'seed' must be an integer"):
        attacks.pgd(model, x, y, eps=0.1, steps=1, seed=seed)
    with pytest.raises(ConfigError, match="'seed' must be an integer"):
        attacks.evaluate_attack(model, "pgd", x, y, eps=0.1, steps=1, seed=seed, batch_size=2)
    with pytest.raises(ConfigError, match="'seed' must be an integer"):
        attacks.adversarial_loss("pgd", eps=0.1, seed=seed)


def test_integer_seeds_run_as_before():
    model, x, y = _setup()
    a = attacks.pgd(model, x, y, eps=0.1, steps=1, seed=np.int64(3))
    g = torch.Generator().manual_seed(3)
    assert torch.equal(a, attacks.pgd(model, x, y, eps=0.1, steps=1, generator=g))
    b = attacks.evaluate_attack(model, "pgd", x, y, eps=0.1, steps=1, seed=3, batch_size=2).x_adv
    assert torch.equal(a, b)   # (L_inf: one uniform stream on CPU)
