"""KFAC's eigen_correct check (a06f70b) refused a 0-d boolean tensor / numpy array, which KFAC took before (read
by truth value); they act as the bool they hold again. Other values are still refused."""

import numpy as np
import pytest
import torch
from torch import nn

import paperworks.curvature as C
from paperworks.core.errors import PaperworksError


def _setup():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    x = torch.randn(10, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (10,))
    return m, (lambda mm, b: nn.functional.cross_entropy(mm(b[0]), b[1])), (x, y)


@pytest.mark.parametrize("wrap", [torch.tensor, np.array], ids=["tensor", "ndarray"])
def test_zero_d_boolean_eigen_correct(wrap):
    m, lf, data = _setup()
    for v in (True, False):
        k = C.KFAC(m, lf, data, eigen_correct=wrap(v))
        assert k.eigen_correct is v
        assert torch.equal(k.fit().dense(), C.KFAC(m, lf, data, eigen_correct=v).fit().dense())


@pytest.mark.parametrize("bad", [torch.tensor(1), np.array([True]), np.array(0.0), "True"])
def test_non_boolean_arrays_still_refused(bad):
    m, lf, data = _setup()
    with pytest.raises(PaperworksError, match="eigen_correct must be True or False"):
        C.KFAC(m, lf, data, eigen_correct=bad)
