"""fmd.fit_head's max_iter: 0 / -3 / 2.5 / True were taken by L-BFGS without a word (0 and -3 ran no L-BFGS
iteration), None was a bare TypeError inside torch's L-BFGS. Now one PaperworksError naming the argument."""
import numpy as np
import pytest
import torch
from torch import nn

from paperworks.core.errors import PaperworksError
from paperworks.systems.fmd import fit_head


def _data():
    torch.manual_seed(0)
    return torch.randn(60, 5, dtype=torch.float64), torch.randint(0, 3, (60,))


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, None, "200"])
def test_bad_max_iter_refused(bad):
    X, y = _data()
    with pytest.raises(PaperworksError, match="fit_head: max_iter must be an integer >= 1"):
        fit_head(nn.Linear(5, 3).double(), X, y, 0.01, max_iter=bad)


@pytest.mark.parametrize("good", [1, 200, np.int64(50)])
def test_integer_max_iter_fits(good):
    X, y = _data()
    head = nn.Linear(5, 3).double()
    fit_head(head, X, y, 0.01, max_iter=good)
    assert torch.isfinite(head.weight).all()
