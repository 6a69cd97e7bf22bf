"""K-FAC factors against a peer library: ASDL (asdfghjkl, Osawa et al.), empirical Fisher, Kronecker shape.

ASDL keeps the weight's factors without the bias coordinate and, for a convolution, puts the 1/T of the T
spatial positions on A instead of G (A_asdl = A / T, G_asdl = T G): the Kronecker product G (x) A, which is
what K-FAC approximates the Fisher block with, is the same. Our A carries the bias as a homogeneous last
coordinate, so the weight block is A[:-1, :-1].
"""

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from paperworks.curvature.kfac import KFAC

asdl = pytest.importorskip("asdl")


def _asdl_kron(model, x, t):
    cfg = asdl.FisherConfig(fisher_type=asdl.FISHER_EMP, fisher_shapes=[asdl.SHAPE_KRON], data_size=len(t),
                            loss_type=asdl.LOSS_CROSS_ENTROPY)
    fm = asdl.get_fisher_maker(model, cfg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # ASDL registers non-full backward hooks (a torch deprecation)
        dummy = fm.setup_model_call(model, x)
        fm.setup_loss_call(F.cross_entropy, dummy, t)
        fm.forward_and_backward()
    return {name: (m.fisher.kron.A.clone(), m.fisher.kron.B.clone())
            for name, m in model.named_modules() if hasattr(m, "fisher")}


def _ours(model, x, t):
    kf = KFAC(model, lambda m, b: F.cross_entropy(m(b[0]), b[1]), (x, t), batch_size=7).fit()  # 3 batches
    return kf


def test_linear_factors_equal_asdl():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20, 5, generator=g, dtype=torch.float64)
    t = torch.randint(0, 3, (20,), generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3)).double()
    peer = _asdl_kron(model, x, t)
    kf = _ours(model, x, t)
    for name in ("0", "2"):
        A, G = kf.factors(name)
        A_p, G_p = peer[name]
        torch.testing.assert_close(A[:-1, :-1], A_p, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(G, G_p, rtol=1e-10, atol=1e-12)


def test_conv_kronecker_product_equals_asdl():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(12, 2, 6, 6, generator=g, dtype=torch.float64)
    t = torch.randint(0, 3, (12,), generator=g)
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 36, 3)).double()
    peer = _asdl_kron(model, x, t)
    kf = _ours(model, x, t)
    A, G = kf.factors("0")
    A_p, G_p = peer["0"]
    T = 36                                      # output positions of the 3x3 'same' convolution on 6x6
    torch.testing.assert_close(A[:-1, :-1], T * A_p, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(G, G_p / T, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(torch.kron(G, A[:-1, :-1]), torch.kron(G_p, A_p), rtol=1e-10, atol=1e-12)
