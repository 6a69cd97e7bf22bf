"""A model on the meta device (shapes, no values) is refused by name at parameter selection; before, hvp /
exact_hessian / influence failed deep in autograd with "Tensor on device meta is not on the expected device cpu!"."""

import pytest
import torch
from torch import nn

from paperworks.core.errors import PaperworksError
from paperworks.curvature import exact_hessian, hvp, select_params


def _loss(m, b):
    return nn.functional.cross_entropy(m(b[0]), b[1])


def test_s20_meta_model_is_named():
    m = nn.Linear(3, 2, device="meta")
    data = (torch.randn(4, 3), torch.tensor([0, 1, 1, 0]))
    for call in (lambda: select_params(m), lambda: hvp(m, _loss, data, torch.ones(8)),
                 lambda: exact_hessian(m, _loss, data)):
        with pytest.raises(PaperworksError, match="meta device"):
            call()


def test_s20_real_model_still_selected():
    m = nn.Linear(3, 2)
    assert select_params(m).numel == 8


def test_s20_kfac_meta_model_is_named():
    from paperworks.curvature import KFAC

    m = nn.Sequential(nn.Linear(3, 4, device="meta"))
    with pytest.raises(PaperworksError, match="meta device"):
        KFAC(m, _loss, (torch.randn(2, 3), torch.tensor([0, 1]))).fit()
