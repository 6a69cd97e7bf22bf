"""KFAC(layers=['c', ...]) for a module registered under two names (self.c = self.a) said "no submodule named 'c'"
(named_modules lists it once, as 'a'), though model.c is that layer and select_params accepts 'c'. The second
name now selects the module under its first name: the same factors and parameter names as layers=['a', ...]."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import paperworks.curvature as C
from paperworks.core.errors import PaperworksError


class _M(nn.Module):
    def __init__(self, twice=False):
        super().__init__()
        self.a = nn.Linear(3, 3)
        self.c = self.a
        self.o = nn.Linear(3, 2)
        self.twice = twice

    def forward(self, x):
        h = torch.tanh(self.a(x))
        if self.twice:
            h = torch.tanh(self.c(h))
        return self.o(h)


def _loss(m, b):
    return F.cross_entropy(m(b[0]), b[1])


def _data():
    torch.manual_seed(0)
    return torch.randn(6, 3, dtype=torch.float64), torch.randint(0, 2, (6,))


def test_second_name_selects_the_module():
    torch.manual_seed(0)
    m = _M().double().eval()
    by_alias = C.KFAC(m, _loss, _data(), layers=["c", "o"], eigen_correct=True).fit()
    by_name = C.KFAC(m, _loss, _data(), layers=["a", "o"], eigen_correct=True).fit()
    assert by_alias.params == ["a.weight", "a.bias", "o.weight", "o.bias"] == by_name.params
    assert torch.equal(by_alias.dense(), by_name.dense())


def test_unknown_name_and_weight_sharing_still_refused():
    torch.manual_seed(0)
    with pytest.raises(PaperworksError, match="no submodule named 'x'"):
        C.KFAC(_M().double().eval(), _loss, _data(), layers=["x"])
    with pytest.raises(PaperworksError, match="called more than once"):
        C.KFAC(_M(twice=True).double().eval(), _loss, _data(), layers=["c", "o"]).fit()
