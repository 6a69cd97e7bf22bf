"""DiffPoolNet / FlatDenseSAGE .forward_dense and DenseGNN took a node mask only as [B, N]: one graph's [N] mask,
which dense_diff_pool (and PyG's dense convs) take, was torch's IndexError inside MaskedBatchNorm ('The shape of
the mask [6] at index 0 does not match ...'), naming neither model nor mask, and a transposed [N, 1] mask the
same. Now [N] (one graph) and [B, N, 1] are viewed as [B, N] and give the [B, N] mask's result exactly; any other
shape is one DataError naming the model."""
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.dense_pool import DenseGNN, DiffPoolNet, FlatDenseSAGE

N, F = 6, 3
MODELS = {
    "DiffPoolNet": lambda: DiffPoolNet(F, 2, N),
    "DiffPoolNet official": lambda: DiffPoolNet(F, 2, N, variant="official"),
    "FlatDenseSAGE": lambda: FlatDenseSAGE(F, 2, N),
    "DenseGNN": lambda: DenseGNN(F, 8, 4),
}


def _graph():
    torch.manual_seed(0)
    x = torch.randn(1, N, F)
    a = (torch.rand(1, N, N) > 0.5).float()
    a = ((a + a.transpose(1, 2)) > 0).float()
    return x, a, torch.tensor([[True] * 4 + [False] * 2])


def _call(net, *args):
    out = net.forward_dense(*args) if hasattr(net, "forward_dense") else net(*args)
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("training", [False, True])
def test_one_graph_mask_equals_batched_mask(name, training):
    x, a, m = _graph()
    torch.manual_seed(1)
    net = MODELS[name]().train(training)
    want = _call(net, x, a, m)
    for other in (m[0], m[0].float(), m.unsqueeze(-1)):
        torch.manual_seed(1)
        net = MODELS[name]().train(training)
        assert torch.equal(_call(net, x, a, other), want)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_wrong_mask_shape_is_one_data_error(name):
    x, a, m = _graph()
    net = MODELS[name]().eval()
    label = name.split()[0]
    for bad in (m.T, torch.ones(N + 1, dtype=torch.bool), torch.ones(2, N, dtype=torch.bool)):
        with pytest.raises(DataError, match=f"{label}: expected 'mask' of shape \\[1, {N}\\]"):
            _call(net, x, a, bad)
