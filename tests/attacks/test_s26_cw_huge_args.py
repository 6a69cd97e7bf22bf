"""cw_l2 with c, lr or kappa above the largest value of the dtype it computes them in (probe
/tmp/h26/p_cw_huge.py: 1e39 on float32 images) ended in torch's bare "value cannot be converted to type float
without overflow"; now one ConfigError naming the argument. Values up to that limit run as before."""

import pytest
import torch
from torch import nn

from paperworks import attacks
from paperworks.core.errors import ConfigError


def _setup(dtype=torch.float32):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Flatten(), nn.Linear(4, 3)).eval().to(dtype)
    return m, torch.rand(2, 1, 2, 2).to(dtype), torch.tensor([0, 1])


@pytest.mark.parametrize("name", ["c", "lr", "kappa"])
def test_beyond_float32_refused_by_name(name):
    m, x, y = _setup()
    with pytest.raises(ConfigError, match=f"'{name}'.*largest torch.float32"):
        attacks.cw_l2(m, x, y, steps=2, binary_search_steps=1, **{name: 1e39})


@pytest.mark.parametrize("name", ["c", "kappa"])
def test_large_values_in_range_still_run(name):
    m, x, y = _setup()
    out = attacks.cw_l2(m, x, y, steps=2, binary_search_steps=1, **{name: 1e30})
    assert out.shape == x.shape and torch.isfinite(out).all()
    m64, x64, _ = _setup(torch.float64)
    out = attacks.cw_l2(m64, x64, y, steps=2, binary_search_steps=1, **{name: 1e39})   # float64 holds it
    assert torch.isfinite(out).all()
