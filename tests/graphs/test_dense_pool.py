"""Oracles for dense_diff_pool and DiffPoolNet (DiffPool brief, 'Correctness oracles' 1-7)."""

import math

import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.nn import dense_diff_pool as pyg_dense_diff_pool

from paperworks.core.errors import ConfigError, DataError
from paperworks.graphs import DiffPoolNet, FlatDenseSAGE, dense_diff_pool


def _random_dense(b=3, n=7, f=4, c=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, n, f, generator=g, dtype=torch.float64)
    a = (torch.rand(b, n, n, generator=g) < 0.4).double()
    adj = ((a + a.transpose(1, 2)) > 0).double() * torch.rand(b, n, n, generator=g, dtype=torch.float64)
    s = torch.randn(b, n, c, generator=g, dtype=torch.float64) * 2
    mask = torch.arange(n).unsqueeze(0) < torch.tensor([[n], [n - 2], [3]])[:b]
    return x, adj, s, mask


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("use_mask", [True, False])
def test_matches_pyg_dense_diff_pool(normalize, use_mask):
    x, adj, s, mask = _random_dense()
    m = mask if use_mask else None
    ours = dense_diff_pool(x, adj, s, m, normalize=normalize)
    ref = pyg_dense_diff_pool(x, adj, s, m, normalize=normalize)
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)


def test_two_dim_inputs_are_one_graph():
    x, adj, s, _ = _random_dense(b=1)
    ours = dense_diff_pool(x[0], adj[0], s[0])
    ref = pyg_dense_diff_pool(x[0], adj[0], s[0])
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)


def test_mass_conservation():
    x, adj, s, mask = _random_dense()
    out, out_adj, _, _ = dense_diff_pool(x, adj, s, mask)
    mx = x * mask.unsqueeze(-1)
    madj = adj * mask.unsqueeze(1) * mask.unsqueeze(2)
    torch.testing.assert_close(out.sum(1), mx.sum(1))
    torch.testing.assert_close(out_adj.sum((1, 2)), madj.sum((1, 2)))


def _two_triangles():
    adj = torch.zeros(6, 6, dtype=torch.float64)
    for i, j in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)]:
        adj[i, j] = adj[j, i] = 1
    return adj


def test_hard_assignment_closed_form_two_triangles():
    adj = _two_triangles()
    x = torch.arange(12, dtype=torch.float64).view(6, 2)
    s = torch.tensor([[1.0, 0]] * 3 + [[0, 1.0]] * 3, dtype=torch.float64) * 1e4
    out, out_adj, _, ent = dense_diff_pool(x, adj, s)
    torch.testing.assert_close(out_adj[0], torch.tensor([[6.0, 1], [1, 6]], dtype=torch.float64))
    torch.testing.assert_close(out[0], torch.stack([x[:3].sum(0), x[3:].sum(0)]))
    assert float(ent) == pytest.approx(0.0, abs=1e-9)


def test_uniform_assignment_entropy_is_log_c():
    x, adj, _, _ = _random_dense(b=2, c=5)
    s = torch.zeros(2, 7, 5, dtype=torch.float64)
    _, _, _, ent = dense_diff_pool(x, adj, s)
    assert float(ent) == pytest.approx(math.log(5), rel=1e-12)


def test_link_loss_zero_for_cliques_with_their_membership():
    blocks = [3, 4, 2]
    n = sum(blocks)
    adj = torch.block_diag(*[torch.ones(k, k, dtype=torch.float64) for k in blocks])
    s = torch.block_diag(*[torch.ones(k, 1, dtype=torch.float64) for k in blocks]) * 1e4
    x = torch.randn(n, 3, dtype=torch.float64)
    _, _, link, _ = dense_diff_pool(x, adj, s, normalize=False)
    assert float(link) == pytest.approx(0.0, abs=1e-9)
    # and a wrong membership is penalised
    _, _, link2, _ = dense_diff_pool(x, adj, s.roll(1, dims=0), normalize=False)
    assert float(link2) > 1.0


def test_single_cluster_is_sum_pooling():
    x, adj, _, mask = _random_dense()
    s = torch.zeros(3, 7, 1, dtype=torch.float64)
    out, out_adj, _, ent = dense_diff_pool(x, adj, s, mask)
    torch.testing.assert_close(out[:, 0], (x * mask.unsqueeze(-1)).sum(1))
    assert float(ent) == pytest.approx(0.0, abs=1e-12)


def test_permutation_invariance_of_pooling():
    x, adj, s, _ = _random_dense(b=1)
    p = torch.randperm(7, generator=torch.Generator().manual_seed(3))
    a = dense_diff_pool(x, adj, s)
    b = dense_diff_pool(x[:, p], adj[:, p][:, :, p], s[:, p])
    for u, v in zip(a, b):
        torch.testing.assert_close(u, v)


def _graphs(seed=0, sizes=(5, 9, 7)):
    g = torch.Generator().manual_seed(seed)
    out = []
    for n in sizes:
        e = torch.randint(0, n, (2, 3 * n), generator=g)
        e = e[:, e[0] != e[1]]
        out.append(Data(x=torch.randn(n, 4, generator=g), edge_index=torch.cat([e, e.flip(0)], 1)))
    return out


@pytest.mark.parametrize("variant", ["paper", "official"])
@pytest.mark.parametrize("levels", [1, 2])
def test_model_permutation_invariance_and_padding(variant, levels):
    torch.manual_seed(0)
    graphs = _graphs()
    model = DiffPoolNet(4, 3, max_nodes=12, hidden=8, levels=levels, ratio=0.5, variant=variant).double().eval()
    for g in graphs:
        g.x = g.x.double()
    batch = Batch.from_data_list(graphs)
    logits, aux = model(batch)
    assert logits.shape == (3, 3) and torch.isfinite(aux)
    for i, g in enumerate(graphs):
        p = torch.randperm(g.num_nodes, generator=torch.Generator().manual_seed(i))
        inv = torch.empty_like(p)
        inv[p] = torch.arange(p.numel())
        gp = Data(x=g.x[p], edge_index=inv[g.edge_index])
        alone, _ = model(Batch.from_data_list([gp]))
        torch.testing.assert_close(alone[0], logits[i], rtol=1e-9, atol=1e-9)


def test_flat_baseline_permutation_invariant():
    graphs = _graphs(1)
    model = FlatDenseSAGE(4, 2, max_nodes=12, hidden=8).eval()
    out, _ = model(Batch.from_data_list(graphs))
    g = graphs[1]
    p = torch.randperm(g.num_nodes, generator=torch.Generator().manual_seed(0))
    inv = torch.empty_like(p)
    inv[p] = torch.arange(p.numel())
    alone, _ = model(Batch.from_data_list([Data(x=g.x[p], edge_index=inv[g.edge_index])]))
    torch.testing.assert_close(alone[0], out[1], rtol=1e-5, atol=1e-5)


def test_aux_losses_are_the_papers():
    """Paper variant: aux = ||A - S S^T||_F + H(S) at the one level; recompute from the stored S."""
    graphs = _graphs(2, sizes=(6,))
    model = DiffPoolNet(4, 2, max_nodes=6, hidden=8, ratio=0.5).double().eval()
    graphs[0].x = graphs[0].x.double()
    b = Batch.from_data_list(graphs)
    _, aux = model(b)
    s = model.assignments[0][0]
    from torch_geometric.utils import to_dense_adj

    a = to_dense_adj(b.edge_index)[0].double()
    want = torch.linalg.matrix_norm(a - s @ s.T) - (s * (s + 1e-15).log()).sum(-1).mean()
    torch.testing.assert_close(aux, want)


def test_bad_inputs_raise_one_clear_error():
    x, adj, s, mask = _random_dense()
    with pytest.raises(DataError, match="'adj' of shape"):
        dense_diff_pool(x, adj[:, :5, :5], s, mask)
    with pytest.raises(DataError, match="'s' of shape"):
        dense_diff_pool(x, adj, s[:, :4], mask)
    x2 = x.clone()
    x2[0, 0, 0] = float("nan")
    with pytest.raises(DataError, match="NaN"):
        dense_diff_pool(x2, adj, s, mask)
    with pytest.raises(DataError, match="empty graph"):
        dense_diff_pool(x[:, :0], adj[:, :0, :0], s[:, :0])
    with pytest.raises(ConfigError, match="variant"):
        DiffPoolNet(4, 2, 10, variant="offical")
    model = DiffPoolNet(4, 2, max_nodes=5, hidden=8, ratio=0.5)
    with pytest.raises(DataError, match="max_nodes=5"):
        model(Batch.from_data_list(_graphs()))
    wide = Data(x=torch.randn(3, 5), edge_index=torch.tensor([[0, 1], [1, 0]]))
    with pytest.raises(DataError, match="in_channels=4"):
        model(Batch.from_data_list([wide]))
    nan = Data(x=torch.full((3, 4), float("nan")), edge_index=torch.tensor([[0, 1], [1, 0]]))
    with pytest.raises(DataError, match="NaN"):
        model(Batch.from_data_list([nan]))


def test_edge_cases_no_edges_single_node_isolated():
    model = DiffPoolNet(4, 2, max_nodes=8, hidden=8, ratio=0.5).eval()
    graphs = [Data(x=torch.randn(1, 4), edge_index=torch.zeros(2, 0, dtype=torch.long)),
              Data(x=torch.randn(5, 4), edge_index=torch.zeros(2, 0, dtype=torch.long)),
              Data(x=torch.randn(4, 4), edge_index=torch.tensor([[0, 1], [1, 0]]))]
    out, aux = model(Batch.from_data_list(graphs))
    assert torch.isfinite(out).all() and torch.isfinite(aux)


def test_official_variant_forward_written_out():
    """variant="official" equals RexYing/diffpool's SoftPoolingGcnEncoder written out with dense torch: every
    conv is A X W + b then L2 normalisation (normalize_embedding=True), ReLU + batch norm between convs,
    layer outputs concatenated; assignment = softmax(Linear(concat of the assignment convs)) masked;
    readout = max over (real) nodes of each level's embedding, concatenated, then the MLP."""
    import torch.nn.functional as F

    torch.manual_seed(0)
    graphs = _graphs(4, sizes=(5, 9, 7))
    for g in graphs:
        g.x = g.x.double()
    model = DiffPoolNet(4, 3, max_nodes=10, hidden=6, levels=1, ratio=0.3, variant="official").double().eval()
    batch = Batch.from_data_list(graphs)
    logits, _ = model(batch)

    from torch_geometric.utils import to_dense_adj, to_dense_batch

    x, mask = to_dense_batch(batch.x, batch.batch, max_num_nodes=10)
    adj = to_dense_adj(batch.edge_index, batch.batch, max_num_nodes=10).double()

    def gnn(net, h, a, m):
        outs = []
        for i, conv in enumerate(net.convs):
            h = F.normalize(conv.lin(a @ h), p=2, dim=-1)
            if m is not None:
                h = h * m.unsqueeze(-1)
            if i < len(net.convs) - 1:
                h = net.bns[i](F.relu(h), m)
            outs.append(h)
        return torch.cat(outs, -1)

    z = gnn(model.embed[0], x, adj, mask)
    assign = model.pool[0]
    s = torch.softmax(assign.lin(gnn(assign.gnn, x, adj, mask)), -1) * mask.unsqueeze(-1)
    r1 = z.masked_fill(~mask.unsqueeze(-1), -1e9).max(1).values
    x2, a2 = s.transpose(1, 2) @ z, s.transpose(1, 2) @ adj @ s
    r2 = gnn(model.final, x2, a2, None).max(1).values
    want = model.mlp(torch.cat([r1, r2], -1))
    torch.testing.assert_close(logits, want, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(model.assignments[0], s)


@pytest.mark.parametrize("make", [
    lambda: DiffPoolNet(4, 2, max_nodes=5, hidden=8, ratio=0.5),
    lambda: DiffPoolNet(4, 2, max_nodes=5, hidden=8, ratio=0.5, variant="official"),
    lambda: FlatDenseSAGE(4, 2, max_nodes=5, hidden=8),
])
def test_training_batch_of_one_single_node_graph(make):
    """A training batch whose only graph has one node (B3DB has single-atom molecules) has one real row for
    the batch norms before pooling: it is normalised with the running statistics, as in evaluation, which stay
    unchanged (raised 'Expected more than 1 value per channel when training' before)."""
    torch.manual_seed(0)
    model = make().train()
    before_pool = [model.gnn] if isinstance(model, FlatDenseSAGE) else [model.embed[0], model.pool[0]]
    bns = [m for net in before_pool for m in net.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert bns
    for bn in bns:
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    before = [(bn.running_mean.clone(), bn.running_var.clone()) for bn in bns]
    one = Data(x=torch.randn(1, 4), edge_index=torch.zeros(2, 0, dtype=torch.long))
    out, aux = model(Batch.from_data_list([one]))
    (out.sum() + aux).backward()
    assert torch.isfinite(out).all() and torch.isfinite(aux)
    for bn, (m, v) in zip(bns, before):
        assert torch.equal(bn.running_mean, m) and torch.equal(bn.running_var, v)
    if isinstance(model, FlatDenseSAGE):  # every BN saw one row: exactly the evaluation-mode output
        torch.testing.assert_close(model.eval()(Batch.from_data_list([one]))[0], out)


def test_training_batch_of_one_graph_pooled_to_one_cluster():
    """int(0.1 * 5) -> 1 cluster: one graph in the batch gives one row to the post-pooling batch norm."""
    torch.manual_seed(0)
    model = DiffPoolNet(4, 2, max_nodes=5, hidden=8, ratio=0.1).train()
    assert model.clusters == [1]
    g = Data(x=torch.randn(3, 4), edge_index=torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]))
    out, aux = model(Batch.from_data_list([g]))
    (out.sum() + aux).backward()
    assert torch.isfinite(out).all() and all(torch.isfinite(p.grad).all() for p in model.parameters()
                                             if p.grad is not None)


def test_masked_batch_norm_single_row_closed_form():
    from paperworks.graphs.dense_pool import MaskedBatchNorm

    bn = MaskedBatchNorm(3).double().train()
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0]))
        bn.running_var.copy_(torch.tensor([4.0, 1.0, 0.25]))
        bn.weight.copy_(torch.tensor([2.0, 1.0, -1.0]))
        bn.bias.copy_(torch.tensor([0.0, 1.0, 3.0]))
    x = torch.zeros(2, 3, 3, dtype=torch.float64)
    x[0, 1] = torch.tensor([2.5, 0.0, 3.0], dtype=torch.float64)
    mask = torch.zeros(2, 3, dtype=torch.bool)
    mask[0, 1] = True
    out = bn(x, mask)
    want = (x[0, 1] - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
    torch.testing.assert_close(out[0, 1], want)
    assert float(out.abs().sum() - out[0, 1].abs().sum()) == 0.0  # padding stays 0
    # two real rows: ordinary batch statistics (training), running stats updated
    mask[1, 0] = True
    x[1, 0] = torch.tensor([0.5, 2.0, -1.0], dtype=torch.float64)
    out2 = bn(x, mask)
    rows = x[mask]
    ref = (rows - rows.mean(0)) / torch.sqrt(rows.var(0, unbiased=False) + bn.eps) * bn.weight + bn.bias
    torch.testing.assert_close(out2[mask], ref)


def test_flat_baseline_names_a_wrong_feature_width():
    model = FlatDenseSAGE(4, 2, max_nodes=8, hidden=8)
    wide = Data(x=torch.randn(3, 5), edge_index=torch.tensor([[0, 1], [1, 0]]))
    with pytest.raises(DataError, match="in_channels=4"):
        model(Batch.from_data_list([wide]))


def test_default_cluster_ratio_is_the_papers_for_the_number_of_levels():
    """Paper Sec. 4.1: 10 % of the nodes with one DiffPool level, 25 % with two."""
    from paperworks.core import get_system

    assert DiffPoolNet(3, 2, max_nodes=40).clusters == [4]
    assert DiffPoolNet(3, 2, max_nodes=40, levels=2).clusters == [10, 2]
    assert DiffPoolNet(3, 2, max_nodes=40, ratio=0.5).clusters == [20]
    cls = get_system("diffpool")
    assert cls(cls.make_config({})).ratio == 0.1
    assert cls(cls.make_config({"levels": "2"})).ratio == 0.25
    assert cls(cls.make_config({"levels": "2", "ratio": "0.3"})).ratio == 0.3


def test_paper_variant_forward_written_out():
    """variant="paper", two levels, written out with dense torch: GraphSAGE-mean convs (mean of neighbours
    through lin_rel + lin_root), L2-normalised outputs (not the assignment logits), ReLU then batch norm between
    convs; S = softmax(GNN_pool) masked; X' = S^T Z, A' = S^T A S; 3 convs after the last level; sum readout;
    aux = sum over levels of mean_g ||A - S S^T||_F + mean_g (1/n_g) sum_i H(S_i) (the paper's L_E per graph;
    the mean over all real nodes of the batch until s27)."""
    import torch.nn.functional as F
    from torch_geometric.utils import to_dense_adj, to_dense_batch

    torch.manual_seed(0)
    graphs = _graphs(4, sizes=(5, 8, 6))
    for g in graphs:
        g.x = g.x.double()
    model = DiffPoolNet(4, 3, max_nodes=8, hidden=6, levels=2, ratio=0.5).double().eval()
    for bn in [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]:
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-1, 1)
    b = Batch.from_data_list(graphs)
    logits, aux = model(b)

    def gnn(net, h, a, m, last_norm=True):
        for i, conv in enumerate(net.convs):
            h = conv.lin_rel(a @ h / a.sum(-1, keepdim=True).clamp(min=1)) + conv.lin_root(h)
            if i < len(net.convs) - 1 or last_norm:
                h = F.normalize(h, p=2, dim=-1)
            if m is not None:
                h = h * m.unsqueeze(-1)
            if i < len(net.convs) - 1:
                bn = net.bns[i]
                h = (F.relu(h) - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
                if m is not None:
                    h = h * m.unsqueeze(-1)
        return h

    x, m = to_dense_batch(b.x, b.batch, max_num_nodes=8)
    adj = to_dense_adj(b.edge_index, b.batch, max_num_nodes=8).double()
    want_aux = 0
    for lvl in range(2):
        z = gnn(model.embed[lvl], x, adj, m)
        s = torch.softmax(gnn(model.pool[lvl], x, adj, m, last_norm=False), -1)
        if m is not None:
            s = s * m.unsqueeze(-1)
        h = -(s * torch.log(s + 1e-15)).sum(-1)
        want_aux = want_aux + torch.linalg.matrix_norm(adj - s @ s.transpose(1, 2)).mean()
        want_aux = want_aux + (((h * m).sum(-1) / m.sum(-1)).mean() if m is not None else h.mean())
        x, adj, m = s.transpose(1, 2) @ z, s.transpose(1, 2) @ adj @ s, None
    assert model.clusters == [4, 2]
    torch.testing.assert_close(logits, model.mlp(gnn(model.final, x, adj, None).sum(1)), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(aux, want_aux, rtol=1e-10, atol=1e-12)


def test_gradients_match_pyg_dense_diff_pool():
    x, adj, s, mask = _random_dense()
    grads = []
    for fn in (dense_diff_pool, pyg_dense_diff_pool):
        xs = [t.clone().requires_grad_(True) for t in (x, adj, s)]
        out, out_adj, link, ent = fn(*xs, mask)
        g = torch.Generator().manual_seed(1)
        (out * torch.randn(out.shape, generator=g, dtype=out.dtype)).sum().add(
            (out_adj * torch.randn(out_adj.shape, generator=g, dtype=out.dtype)).sum() + 3 * link + 2 * ent
        ).backward()
        grads.append([t.grad for t in xs])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)


def test_official_variant_aux_is_the_official_masked_link_bce_written_out():
    """variant="official": aux = the official SoftPoolingGcnEncoder.loss link term, written out with loops: for
    every graph and every pair (i, j) of its REAL nodes, -A_ij log(P_ij + 1e-7) - (1 - A_ij) log(1 - P_ij + 1e-7)
    with P = min(S S^T, 1), summed and divided by sum_g n_g^2 (no entropy term). Before, no test looked at the
    official variant's aux."""
    import math as m_

    torch.manual_seed(0)
    graphs = _graphs(5, sizes=(4, 7, 6))
    for g in graphs:
        g.x = g.x.double()
    model = DiffPoolNet(4, 3, max_nodes=8, hidden=6, levels=1, ratio=0.5, variant="official").double().eval()
    _, aux = model(Batch.from_data_list(graphs))
    s_all = model.assignments[0]
    total, entries = 0.0, 0
    for b, g in enumerate(graphs):
        n = g.num_nodes
        a = [[0.0] * n for _ in range(n)]
        for i, j in g.edge_index.t().tolist():
            a[i][j] = 1.0
        s = s_all[b, :n].tolist()
        for i in range(n):
            for j in range(n):
                p = min(sum(u * v for u, v in zip(s[i], s[j])), 1.0)
                total += -a[i][j] * m_.log(p + 1e-7) - (1 - a[i][j]) * m_.log(1 - p + 1e-7)
        entries += n * n
    assert float(aux) == pytest.approx(total / entries, rel=1e-10)
    assert float(s_all[0, 4:].abs().sum()) == 0.0   # padding rows of the assignment are zero


@pytest.mark.parametrize("readout", ["sum", "mean"])
def test_flat_baseline_forward_written_out(readout):
    """The flat GraphSAGE baseline graph by graph (no padding): 6 mean-aggregation SAGE convs with L2-normalised
    outputs, ReLU then batch norm (running statistics, eval) between convs, sum or mean over the graph's nodes,
    then Linear-ReLU-Linear. (Before: permutation invariance only, which a readout averaged over the padded size
    passes.)"""
    import torch.nn.functional as F

    torch.manual_seed(0)
    graphs = _graphs(6, sizes=(4, 9, 6))
    for g in graphs:
        g.x = g.x.double()
    model = FlatDenseSAGE(4, 3, max_nodes=10, hidden=5, readout=readout).double().eval()
    for bn in model.gnn.bns:
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    out, _ = model(Batch.from_data_list(graphs))
    for i, g in enumerate(graphs):
        n = g.num_nodes
        a = torch.zeros(n, n, dtype=torch.float64)
        a.index_put_((g.edge_index[0], g.edge_index[1]), torch.ones(g.edge_index.size(1), dtype=torch.float64),
                     accumulate=True)   # a repeated edge counts twice, as in to_dense_adj
        h = g.x
        for k, conv in enumerate(model.gnn.convs):
            h = F.normalize(conv.lin_rel(a @ h / a.sum(-1, keepdim=True).clamp(min=1)) + conv.lin_root(h), dim=-1)
            if k < len(model.gnn.convs) - 1:
                bn = model.gnn.bns[k]
                h = (F.relu(h) - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
        r = h.sum(0) if readout == "sum" else h.mean(0)
        torch.testing.assert_close(out[i], model.mlp(r), rtol=1e-10, atol=1e-12)
