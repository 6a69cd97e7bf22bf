"""Review of f649208: the dense models' mask check took [B, N], [B, N, 1] and (for one graph) [N], but refused a
flat [B * N] mask for a batch of several graphs, which DenseGNN without batch norm had taken (the dense convs view
any mask as [B, N, 1]) and computed exactly as the [B, N] one. A flat [B * N] mask is viewed as [B, N] again (all
models, batch norm or not); a mask of another size is still one DataError naming the model."""
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.dense_pool import DenseGNN, DiffPoolNet, FlatDenseSAGE

B, N, F = 3, 6, 3
MODELS = {
    "DenseGNN no batch norm": lambda: DenseGNN(F, 8, 4, batch_norm=False),
    "DenseGNN": lambda: DenseGNN(F, 8, 4),
    "DiffPoolNet": lambda: DiffPoolNet(F, 2, N),
    "FlatDenseSAGE": lambda: FlatDenseSAGE(F, 2, N),
}


def _batch():
    torch.manual_seed(0)
    x = torch.randn(B, N, F)
    a = (torch.rand(B, N, N) > 0.5).float()
    a = ((a + a.transpose(1, 2)) > 0).float()
    m = torch.ones(B, N, dtype=torch.bool)
    m[1, 4:] = False
    m[2, 2:] = False
    return x, a, m


def _call(net, *args):
    out = net.forward_dense(*args) if hasattr(net, "forward_dense") else net(*args)
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_flat_batch_mask_equals_batched_mask(name):
    x, a, m = _batch()
    torch.manual_seed(1)
    net = MODELS[name]().eval()
    want = _call(net, x, a, m)
    assert torch.equal(_call(net, x, a, m.reshape(-1)), want)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_other_sizes_still_refused(name):
    x, a, m = _batch()
    net = MODELS[name]().eval()
    for bad in (m[0], m.reshape(-1)[:-1], m.t()):
        with pytest.raises(DataError, match=name.split()[0]):
            _call(net, x, a, bad)
