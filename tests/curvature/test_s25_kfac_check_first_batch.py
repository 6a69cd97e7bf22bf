"""KFAC.fit's check for loss terms outside the layers' calls (6ba0535, 65734ce) compared the loss gradient with
the part through the outputs on every batch: fit() cost +22 % for a 512 x 512 MLP on 2048 samples in batches of
256 and +50 % for a small CNN (512 samples, batches of 128; process time, one thread). Such a term (a
regulariser, another use of the weights) is in every batch's loss, so the first batch shows it: the check runs
there only (+3 % / +10 % now), with the same factors, and still finds an L2 term's curvature and warns."""

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from paperworks.curvature import KFAC
from paperworks.curvature import kfac as kfac_module

D64 = torch.float64


def _data(n=400):
    torch.manual_seed(0)
    X = torch.randn(n, 8, dtype=D64) * torch.logspace(-1.5, 0, 8, dtype=D64)
    y = torch.randint(0, 3, (n,))
    m = nn.Sequential(nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 3)).double().eval()
    return m, (X, y)


def _l2_loss(lam):
    def loss(m, b):
        return F.cross_entropy(m(b[0]), b[1]) + 0.5 * lam * (m[2].weight ** 2).sum()
    return loss


def test_the_check_looks_at_the_first_batch_only(monkeypatch):
    m, data = _data()
    calls = []
    orig = kfac_module.KFAC._gap_batch

    def counting(*args):
        calls.append(args[0].name)
        return orig(*args)

    monkeypatch.setattr(kfac_module.KFAC, "_gap_batch", staticmethod(counting))
    KFAC(m, _l2_loss(0.0), data, batch_size=50).fit()      # 8 batches, 2 layers
    assert sorted(calls) == ["0", "2"]


@pytest.mark.parametrize("eigen_correct", [False, True])
def test_an_l2_term_is_still_found_on_many_batches(eigen_correct):
    m, data = _data()
    k = KFAC(m, _l2_loss(2e-2), data, batch_size=7, eigen_correct=eigen_correct).fit()   # 58 batches, the last of 1
    assert set(k.outside_terms) == {"2"}
    assert k.outside_terms["2"][1] == pytest.approx(2e-2, rel=1e-9)
    P = sum(L.out * L.inp for L in k.layers)
    with pytest.warns(UserWarning, match=r"L2 term .* pass damping >= 0.02 \(got 0.001\)"):
        k.inverse_vp(torch.ones(P, dtype=D64), 1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KFAC(m, _l2_loss(0.0), data, batch_size=7, eigen_correct=eigen_correct).fit().inverse_vp(
            torch.ones(P, dtype=D64), 1e-3)


def test_the_factors_do_not_depend_on_the_check():
    m, data = _data()
    k = KFAC(m, _l2_loss(2e-2), data, batch_size=50, eigen_correct=True).fit()
    ref = KFAC(m, _l2_loss(2e-2), data, batch_size=50, eigen_correct=True)
    ref._pass = lambda on_batch, gaps=None, _p=ref._pass: _p(on_batch, None)      # no check at all
    ref.fit()
    for L, R in zip(k.layers, ref.layers):
        for a, b in ((L.A, R.A), (L.G, R.G), (L.S, R.S)):
            assert torch.equal(a, b)
