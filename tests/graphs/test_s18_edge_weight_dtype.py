"""Graphs whose edge_weight is float64 beside float32 features pass check_dataset, and DiffPoolNet takes them
(to_dense casts the adjacency to x's dtype), but HierGCN crashed on them for every pool ("expected m1 and m2 to
have the same dtype", "addmv input tensors must have the same dtype") and HGPSLPool in index_add_. Oracle: the
same model on the weights cast to float32 beforehand (exact)."""

import pytest
import torch
from torch_geometric.data import Batch, Data

from paperworks.graphs import HGPSLPool, HierGCN


def _batch(dtype):
    g = torch.Generator().manual_seed(0)
    ei = torch.stack([torch.arange(9), torch.arange(1, 10)])
    ei = torch.cat([ei, ei.flip(0)], 1)
    w = torch.rand(18, generator=g, dtype=torch.float64)
    graphs = [Data(x=torch.randn(10, 3, generator=g), edge_index=ei, edge_weight=w.to(dtype), y=torch.tensor([i]))
              for i in range(2)]
    return Batch.from_data_list(graphs)


@pytest.mark.parametrize("pool", ["hgpsl", "hgpsl_nosl", "topk", "sag", "none"])
def test_hiergcn_takes_float64_edge_weights(pool):
    outs = []
    for dtype in (torch.float32, torch.float64):
        torch.manual_seed(0)
        m = HierGCN(3, 2, hidden=8, pool=pool).eval()
        outs.append(m(_batch(dtype))[0])
    torch.testing.assert_close(outs[1], outs[0], rtol=0, atol=0)


def test_hgpsl_pool_takes_float64_edge_weights():
    b32, b64 = _batch(torch.float32), _batch(torch.float64)
    torch.manual_seed(0)
    pool = HGPSLPool(3, ratio=0.5)
    ref = pool(b32.x, b32.edge_index, b32.edge_weight, b32.batch)
    got = pool(b64.x, b64.edge_index, b64.edge_weight, b64.batch)
    for a, b in zip(got, ref):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("norm", ["rw", "sym"])
def test_information_score_takes_float64_edge_weights(norm):
    from paperworks.graphs.structure_pool import node_information_score

    b32, b64 = _batch(torch.float32), _batch(torch.float64)
    ref = node_information_score(b32.x, b32.edge_index, b32.edge_weight, norm=norm)
    got = node_information_score(b64.x, b64.edge_index, b64.edge_weight, norm=norm)   # was index_add_'s dtype error
    torch.testing.assert_close(got, ref, rtol=0, atol=0)
