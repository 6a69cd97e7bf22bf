"""HierGCN's ratio is a fraction for every pool. PyG's TopKPooling / SAGPooling read a ratio >= 1 as a node count,
so ratio=1.0 (valid: HGP-SL keeps every node, and `hgp_sl ratio=1.0` passes the system's config check) kept ONE
node per graph in the topk / sag baselines, silently, and ratio=3.0 kept 3 nodes. Oracle: ceil(ratio * n) nodes
per graph (PyG's own rule for a fraction; n itself at ratio 1)."""

import math

import pytest
import torch
from torch_geometric.data import Batch, Data

from paperworks.core.errors import ConfigError
from paperworks.graphs import HierGCN


def _batch(sizes=(10, 7)):
    g = torch.Generator().manual_seed(0)
    graphs = []
    for n in sizes:
        ei = torch.stack([torch.arange(n - 1), torch.arange(1, n)])
        graphs.append(Data(x=torch.randn(n, 3, generator=g), edge_index=torch.cat([ei, ei.flip(0)], 1),
                           y=torch.tensor([0])))
    return Batch.from_data_list(graphs)


@pytest.mark.parametrize("pool", ["hgpsl", "hgpsl_nosl", "topk", "sag", "sag_graphconv"])
@pytest.mark.parametrize("ratio", [0.5, 1.0])
def test_every_pool_keeps_ceil_ratio_n_nodes(pool, ratio):
    torch.manual_seed(0)
    m = HierGCN(3, 2, hidden=8, blocks=2, pool=pool, ratio=ratio).eval()
    m(_batch())
    kept = torch.bincount(m.last_graphs[0][1]).tolist()
    assert kept == [math.ceil(ratio * 10), math.ceil(ratio * 7)]     # topk / sag at 1.0: [1, 1]


def test_ratio_outside_the_unit_interval_is_refused():
    for ratio in (3.0, 0.0, -0.5, float("nan")):
        with pytest.raises(ConfigError, match="'ratio' must be in"):
            HierGCN(3, 2, pool="topk", ratio=ratio)
