"""pgd's x_start must have x's dtype and device.

A float64 start for float32 images (on a model that accepts both) ran the attack in float64 and returned float64
images, against the attacks' promise of outputs in x's dtype; on a float32-only model it failed inside the model
with torch's bare 'mat1 and mat2 must have the same dtype'. Now one ConfigError naming x_start.
"""

import pytest
import torch
from torch import nn

from paperworks import attacks
from paperworks.core.errors import ConfigError


class _Cast(nn.Module):
    def forward(self, x):
        return x.float()


def test_x_start_of_another_dtype_is_refused():
    torch.manual_seed(0)
    model = nn.Sequential(_Cast(), nn.Flatten(), nn.Linear(64, 5)).eval()
    x, y = torch.rand(4, 1, 8, 8), torch.randint(0, 5, (4,))
    for xx, start in ((x, x.double()), (x.double(), x)):
        with pytest.raises(ConfigError, match="'x_start' must have x's dtype"):
            attacks.pgd(model, xx, y, eps=0.1, steps=2, x_start=start)
    plain = nn.Sequential(nn.Flatten(), nn.Linear(64, 5)).eval()
    with pytest.raises(ConfigError, match="'x_start' must have x's dtype"):
        attacks.pgd(plain, x, y, eps=0.1, steps=2, x_start=x.double())
    out = attacks.pgd(model, x, y, eps=0.1, steps=2, x_start=x.clone())      # same dtype: runs as before
    assert out.dtype == x.dtype
