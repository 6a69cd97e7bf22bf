"""cw_l2's kappa is compared with the margin in the logits' dtype, which the model chooses: 56be023 checked it
against the images' dtype, so float16 images fed to a model returning float32 logits refused kappa=1e5 ("exceeds
the largest torch.float16 value"), which ran before (probe /tmp/r_cw_kappa.py). Now kappa is checked against the
logits' dtype; beyond it, still one ConfigError naming kappa."""

import pytest
import torch
from torch import nn

from paperworks import attacks
from paperworks.core.errors import ConfigError


class _Up(nn.Module):
    def forward(self, x):
        return x.float()


def _data():
    torch.manual_seed(0)
    return torch.rand(2, 1, 2, 2).half(), torch.tensor([0, 1])


def test_float16_images_float32_logits_take_a_kappa_beyond_float16():
    x, y = _data()
    m = nn.Sequential(_Up(), nn.Flatten(), nn.Linear(4, 3)).eval()
    out = attacks.cw_l2(m, x, y, kappa=1e5, steps=3, binary_search_steps=1)
    assert out.dtype == torch.float16 and torch.equal(out, x)   # no margin reaches -1e5: the clean images


def test_kappa_beyond_the_logits_dtype_still_refused():
    x, y = _data()
    m = nn.Sequential(nn.Flatten(), nn.Linear(4, 3)).eval().half()
    with pytest.raises(ConfigError, match="'kappa'.*largest torch.float16"):
        attacks.cw_l2(m, x, y, kappa=1e5, steps=3, binary_search_steps=1)
    m32 = nn.Sequential(nn.Flatten(), nn.Linear(4, 3)).eval()
    with pytest.raises(ConfigError, match="'kappa'.*largest torch.float32"):
        attacks.cw_l2(m32, x.float(), y, kappa=1e39, steps=3, binary_search_steps=1)
