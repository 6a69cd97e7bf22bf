"""KFAC took every row of a layer's input for a sample. A model that flattens a [b, L, d] batch to [b*L, d]
before a Linear (the same function as applying the Linear to [b, L, d]) got G L times too large and an EK-FAC
diagonal 79% off the per-sample Fisher's, without a word; now such an input is refused with a message naming
the rows and the samples. Batch-first inputs ([b, in], [b, L, in], [b, C, H, W]) keep their exact results:
EK-FAC's diagonal equals the brute-force empirical Fisher's in its eigenbasis."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import paperworks.curvature as C
from paperworks.core.errors import PaperworksError


class _Seq(nn.Module):
    def __init__(self, flat):
        super().__init__()
        self.flat = flat
        self.l = nn.Linear(3, 4)
        self.o = nn.Linear(4, 3)

    def forward(self, x):
        b, L, d = x.shape
        h = self.l(x.reshape(b * L, d)).reshape(b, L, 4) if self.flat else self.l(x)
        return self.o(torch.tanh(h).mean(1))


def _loss(m, b):
    return F.cross_entropy(m(b[0]), b[1])


def _data(n=5, L=6):
    torch.manual_seed(0)
    return torch.randn(n, L, 3, dtype=torch.float64), torch.randint(0, 3, (n,))


def _diag_error(model, data, layer):
    """max relative gap between EK-FAC's diagonal and diag(Q^T F Q), F the brute-force per-sample Fisher."""
    k = C.KFAC(model, _loss, data, layers=layer, eigen_correct=True).fit()
    L = k.layers[0]
    Fe = C.empirical_fisher(model, _loss, data, k.params)
    p = L.perm()
    inv = torch.empty_like(p)
    inv[p] = torch.arange(len(p))
    Q = torch.kron(L.QG, L.QA)
    d = torch.diag(Q.T @ Fe[inv][:, inv] @ Q)
    return float((d - L.S.reshape(-1)).abs().max() / d.abs().max())


def test_flattened_sample_dimension_is_refused():
    torch.manual_seed(0)
    m = _Seq(True).double().eval()
    with pytest.raises(PaperworksError, match=r"input of 30 rows for a batch of 5 samples"):
        C.KFAC(m, _loss, _data(), layers="l", eigen_correct=True).fit()


def test_flattened_sample_dimension_is_refused_in_every_chunk():
    torch.manual_seed(0)
    m = _Seq(True).double().eval()
    with pytest.raises(PaperworksError, match=r"input of 12 rows for a batch of 2 samples"):
        C.KFAC(m, _loss, _data(), layers="l", batch_size=2).fit()


def test_batch_first_sequence_input_is_exact():
    torch.manual_seed(0)
    m = _Seq(False).double().eval()
    assert _diag_error(m, _data(), "l") < 1e-12


@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, padding="same"),
                                dict(kernel_size=(1, 3), stride=(1, 2), dilation=(2, 1), padding=(2, 1), bias=False)])
def test_conv_and_linear_inputs_still_fit(kw):
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, **kw).double()
    x = torch.randn(4, 2, 5, 6, dtype=torch.float64)
    T = conv(x).shape[-2] * conv(x).shape[-1]
    m = nn.Sequential(conv, nn.Flatten(), nn.Tanh(), nn.Linear(3 * T, 3).double()).eval()
    data = (x, torch.randint(0, 3, (4,)))
    assert _diag_error(m, data, "0") < 1e-12
    assert _diag_error(m, data, "3") < 1e-12
