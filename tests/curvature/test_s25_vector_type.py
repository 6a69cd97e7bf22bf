"""A vector that is not a torch tensor: InverseHVP.solve of a list or a NumPy array failed with "AttributeError:
'list' object has no attribute 'detach'", KFAC.inverse_vp of a NumPy array with "TypeError: isfinite(): argument
'input' (position 1) must be Tensor, not numpy.ndarray"; hvp already named it. Now one PaperworksError each."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import paperworks.curvature as C
from paperworks.core.errors import PaperworksError


def _setup():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    x = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))
    return m, (lambda mm, b: F.cross_entropy(mm(b[0]), b[1])), (x, y)


@pytest.mark.parametrize("v", [[1.0] * 26, np.ones(26), (1.0,) * 26, None])
def test_a_vector_that_is_not_a_tensor_is_named(v):
    m, lf, data = _setup()
    for solver in ("exact", "cg", "kfac"):
        with pytest.raises(PaperworksError, match=r"InverseHVP.solve: v must be a torch tensor of 26 entries"):
            C.InverseHVP(m, lf, data, damping=1.0, solver=solver).solve(v)
    with pytest.raises(PaperworksError, match=r"KFAC.inverse_vp: v must be a torch tensor of 26 entries"):
        C.KFAC(m, lf, data).fit().inverse_vp(v, 0.1)
    ok = C.InverseHVP(m, lf, data, damping=1.0, solver="exact").solve(torch.as_tensor(np.ones(26)))
    assert ok.shape == (26,)
