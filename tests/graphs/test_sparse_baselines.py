"""The SAGPool baseline of HierGCN scores nodes as its paper does (Lee et al. 2019, Eq. 3):
Z = tanh(D^-1/2 (A + I) D^-1/2 X Theta_att + b), keeps the top ceil(ratio * n) nodes per graph and gates their
features by Z (closed form written out with dense torch; PyG's default GraphConv scorer fails it).
Runs under both signs of PyG's fixed score sign (two seeds)."""

import math

import pytest
import torch
from torch_geometric.data import Batch, Data

from paperworks.graphs import HierGCN


def _graph(n, seed):
    g = torch.Generator().manual_seed(seed)
    e = torch.randint(0, n, (2, 2 * n), generator=g)
    e = e[:, e[0] != e[1]]
    e = torch.unique(torch.cat([e, e.flip(0)], 1), dim=1)
    return Data(x=torch.randn(n, 5, generator=g, dtype=torch.float64), edge_index=e)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_sag_scorer_is_the_papers_gcn_score(seed):
    torch.manual_seed(seed)
    model = HierGCN(5, 2, hidden=5, pool="sag", ratio=0.5, dropout=0.0).double().eval()
    pool = model.pools[0]
    graphs = [_graph(7, 0), _graph(10, 1)]
    b = Batch.from_data_list(graphs)
    x_out, _, _, batch_out, perm, score_out = pool(b.x, b.edge_index, None, b.batch)
    lin_w = pool.gnn.lin.weight  # [1, F]: GCNConv's projection; GraphConv has lin_rel/lin_root instead
    bias = pool.gnn.bias
    # PyG's SelectTopK multiplies the GNN score by w / |w| for a fixed-norm scalar w: a constant sign, the
    # same function class as the paper's (Theta_att, b) -> -(Theta_att, b)
    sign = torch.sign(pool.select.weight).view(())
    want_x, want_perm, off = [], [], 0
    for g in graphs:
        n = g.num_nodes
        a = torch.zeros(n, n, dtype=torch.float64)
        a[g.edge_index[0], g.edge_index[1]] = 1.0
        a = a + torch.eye(n, dtype=torch.float64)
        dinv = a.sum(1).rsqrt()
        z = (dinv[:, None] * a * dinv[None, :]) @ g.x @ lin_w.T + bias
        z = sign * z.view(-1)
        k = math.ceil(0.5 * n)
        top = torch.topk(z, k).indices
        want_perm.append(top + off)
        want_x.append(g.x[top] * torch.tanh(z[top]).unsqueeze(-1))
        off += n
    want_perm, want_x = torch.cat(want_perm), torch.cat(want_x)
    order, want_order = perm.argsort(), want_perm.argsort()  # compare as sets (PyG's order within a graph)
    torch.testing.assert_close(perm[order], want_perm[want_order])
    torch.testing.assert_close(x_out[order], want_x[want_order], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(batch_out, torch.tensor([0] * 4 + [1] * 5))


def test_sag_graphconv_comparison_uses_pygs_default_scorer():
    from torch_geometric.nn import GCNConv, GraphConv

    paper = HierGCN(5, 2, hidden=8, pool="sag")
    default = HierGCN(5, 2, hidden=8, pool="sag_graphconv")
    assert all(isinstance(p.gnn, GCNConv) for p in paper.pools) and len(paper.pools) == 2
    assert all(isinstance(p.gnn, GraphConv) for p in default.pools) and len(default.pools) == 2
