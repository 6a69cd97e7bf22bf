"""dense_diff_pool checked only the number of entries of 'mask': a transposed [N, B] mask was reshaped to [B, N]
(PyG's mask.view) and masked other nodes without a word; a mask of 0.5s scaled x and S. Oracle: PyG's
dense_diff_pool with the intended [B, N] bool mask."""

import pytest
import torch
from torch_geometric.nn import dense_diff_pool as pyg_dense_diff_pool

from paperworks.core.errors import DataError
from paperworks.graphs import dense_diff_pool


def _inputs(b=2, n=3):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(b, n, 4, generator=g, dtype=torch.float64)
    adj = (torch.rand(b, n, n, generator=g) < 0.5).double()
    s = torch.randn(b, n, 2, generator=g, dtype=torch.float64)
    return x, adj, s


def test_a_transposed_mask_is_refused():
    x, adj, s = _inputs()
    mask = torch.tensor([[True, True, True], [True, False, False]])
    ref = pyg_dense_diff_pool(x, adj, s, mask)
    for a, b in zip(dense_diff_pool(x, adj, s, mask), ref):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    wrong = pyg_dense_diff_pool(x, adj, s, mask.T.contiguous())   # what the [3, 2] mask computed: other nodes masked
    assert not torch.allclose(wrong[0], ref[0])
    with pytest.raises(DataError, match=r"'mask' of shape \[2, 3\]"):
        dense_diff_pool(x, adj, s, mask.T)


def test_one_graph_takes_an_n_mask_and_masks_must_be_0_1():
    x, adj, s = _inputs(b=1)
    m = torch.tensor([True, False, True])
    for a, b in zip(dense_diff_pool(x[0], adj[0], s[0], m), pyg_dense_diff_pool(x[0], adj[0], s[0], m)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    for a, b in zip(dense_diff_pool(x, adj, s, m.long().view(1, 3)), pyg_dense_diff_pool(x, adj, s, m.view(1, 3))):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    with pytest.raises(DataError, match="0/1"):
        dense_diff_pool(x, adj, s, torch.full((1, 3), 0.5, dtype=torch.float64))
