"""K-FAC with layers of several dtypes, and its batch size through InverseHVP.

Mixed dtypes: inverse_vp / dense returned the first layer's dtype (a float64 layer after a float32 one came back
rounded to float32), and judged every layer's singular directions at the first layer's precision: a float32 layer
after a float64 one had its rounding-noise eigen-directions (~1e-8) inverted without a word (7.7e5 in the probe,
where the same float32 layer alone is refused). Now the result has the dtype the layers promote to and each layer
is judged at its own precision. InverseHVP(solver='kfac', batch_size=0) ran K-FAC in chunks of 256 (0 is the whole
data at once for every other solver and for KFAC itself); a negative batch_size was refused by KFAC only at fit()
and by InverseHVP without its name."""
import pytest
import torch
import torch.nn as nn

from paperworks.core.errors import PaperworksError
from paperworks.curvature import KFAC, InverseHVP
from paperworks.curvature.solvers import SingularHessianError


class _Net(nn.Module):
    def __init__(self, dtype_a, dtype_b, dup=True):
        super().__init__()
        torch.manual_seed(11)
        self.a = nn.Linear(3, 2).to(dtype_a)
        self.b = nn.Linear(4, 1).to(dtype_b)
        self.dup = dup

    def forward(self, x):
        h = torch.tanh(self.a(x.to(self.a.weight.dtype))).to(self.b.weight.dtype)
        h2 = h * 1.1 if self.dup else torch.cos(3 * h)    # dup: b's input has rank 2 of 4 (+ bias)
        return self.b(torch.cat([h, h2], 1))[:, 0]


def _loss(m, batch):
    x, t = batch
    return ((m(x) - t.to(m.b.weight.dtype)) ** 2).mean()


def _data():
    torch.manual_seed(11)
    return torch.randn(64, 3, dtype=torch.float64), torch.randn(64)


def test_float32_layer_after_float64_layer_judged_at_float32_precision():
    data = _data()
    alone = KFAC(_Net(torch.float32, torch.float32), _loss, data).fit()
    with pytest.raises(SingularHessianError, match="layer 'b'"):
        alone.inverse_vp(torch.ones(13), damping=0.0)
    mixed = KFAC(_Net(torch.float64, torch.float32), _loss, data).fit()
    assert mixed.layers[1].A.dtype == torch.float32
    with pytest.raises(SingularHessianError, match="layer 'b'"):     # returned 7.7e5 on layer b before
        mixed.inverse_vp(torch.ones(13, dtype=torch.float64), damping=0.0)


def test_float64_layer_after_float32_layer_keeps_float64():
    data = _data()
    net = _Net(torch.float32, torch.float64, dup=False)
    k = KFAC(net, _loss, data).fit()
    torch.manual_seed(0)
    v = torch.randn(13, dtype=torch.float64)
    out = k.inverse_vp(v, damping=1e-3)
    assert out.dtype == torch.float64 and k.dense().dtype == torch.float64
    # layer b's block equals the float64 solve of layer b alone (same factors), not its float32 rounding
    kb = KFAC(net, _loss, data, layers=["b"]).fit()
    assert torch.equal(kb.layers[0].A, k.layers[1].A)
    assert torch.equal(out[8:], kb.inverse_vp(v[8:], damping=1e-3))
    assert torch.equal(k.dense()[8:, 8:], kb.dense())


def test_single_dtype_unchanged():
    data = _data()
    k = KFAC(_Net(torch.float32, torch.float32, dup=False), _loss, data).fit()
    out = k.inverse_vp(torch.ones(13), damping=1e-3)
    assert out.dtype == torch.float32 and k.dense().dtype == torch.float32


def _toy():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    X, y = torch.randn(300, 3), torch.randint(0, 2, (300,))
    return m, (lambda mod, b: nn.functional.cross_entropy(mod(b[0]), b[1])), (X, y)


def test_inverse_hvp_kfac_batch_size_zero_is_the_whole_data():
    m, loss_fn, data = _toy()
    ih = InverseHVP(m, loss_fn, data, solver="kfac", damping=0.1, batch_size=0)
    assert ih._kfac.batch_size == 0
    ref = KFAC(m, loss_fn, data, batch_size=0).fit()
    for L, R in zip(ih._kfac.layers, ref.layers):
        assert torch.equal(L.A, R.A) and torch.equal(L.G, R.G)
    assert InverseHVP(m, loss_fn, data, solver="kfac", damping=0.1)._kfac.batch_size == 256   # None: as before


@pytest.mark.parametrize("bad", [-1, 2.5, True, "8"])
def test_bad_batch_size_refused_at_construction_by_name(bad):
    m, loss_fn, data = _toy()
    with pytest.raises(PaperworksError, match="^KFAC: batch_size"):
        KFAC(m, loss_fn, data, batch_size=bad)
    with pytest.raises(PaperworksError, match="^InverseHVP: batch_size"):
        InverseHVP(m, loss_fn, data, solver="kfac", damping=0.1, batch_size=bad)
