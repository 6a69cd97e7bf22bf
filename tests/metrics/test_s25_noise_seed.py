"""gaussian_noise (and apply_shift / evaluate_under_shift with shift='noise') read its seed with int(): seed=1.5
and seed=True ran as seed 1 and seed='3' as 3 without a word, seed=2**70 failed in a bare "Overflow when
unpacking long long" ValueError and seed=None in a TypeError. It now takes the attacks engine's seed rule
(an integer, NumPy integers too, bool refused, in manual_seed's range; else one ConfigError naming the
function); integer seeds draw the same noise as before."""

import hashlib

import numpy as np
import pytest
import torch

from paperworks.core.errors import ConfigError
from paperworks.metrics import apply_shift, gaussian_noise


@pytest.mark.parametrize("seed", [1.5, True, "3", 2 ** 70, None])
def test_a_seed_that_is_not_an_integer_is_one_error(seed):
    x = torch.rand(2, 1, 4, 4)
    with pytest.raises(ConfigError, match=r"gaussian_noise: 'seed' must be an integer"):
        gaussian_noise(x, 0.1, seed=seed)
    with pytest.raises(ConfigError, match=r"gaussian_noise: 'seed' must be an integer"):
        apply_shift(x, "noise", 0.1, seed=seed)


def test_integer_seeds_draw_the_same_noise_as_before():
    g = torch.Generator().manual_seed(123)
    x = torch.rand(3, 1, 8, 8, generator=g)
    h = hashlib.sha256()
    for s in (0, 7, np.int64(3), -5, 2 ** 63 + 5):
        h.update(gaussian_noise(x, 0.2, seed=s).numpy().tobytes())
    h.update(apply_shift(x, "noise", 0.3, seed=0).numpy().tobytes())
    # sha256 taken on the code before the check
    assert h.hexdigest() == "55819da24cc9cc2ec1e81f90add93c09eb4e9749c85f7c988b4992636d8cdca7"
