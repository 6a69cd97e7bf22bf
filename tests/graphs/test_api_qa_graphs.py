"""Python-API QA of the graph engine against PyG on edge cases (weights, dtypes, tiny graphs)."""

import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.utils import to_dense_adj, to_dense_batch

from paperworks import graphs as G


def _weighted_batch(dtype=torch.float32):
    g = torch.Generator().manual_seed(0)
    d1 = Data(x=torch.randn(3, 2, generator=g, dtype=dtype), edge_index=torch.tensor([[0, 1, 1], [1, 2, 2]]),
              edge_weight=torch.tensor([0.5, 2.0, 0.25], dtype=dtype))       # a duplicate edge (1, 2)
    d2 = Data(x=torch.randn(1, 2, generator=g, dtype=dtype), edge_index=torch.zeros(2, 0, dtype=torch.long),
              edge_weight=torch.zeros(0, dtype=dtype))                      # one node, no edges
    return Batch.from_data_list([d1, d2])


def test_to_dense_keeps_edge_weights_like_pyg():
    # the validated edge_weight was dropped: a weighted graph became its 0/1 adjacency for DiffPoolNet
    for dtype in (torch.float32, torch.float64):
        b = _weighted_batch(dtype)
        x, adj, mask = G.to_dense(b)
        x_ref, mask_ref = to_dense_batch(b.x, b.batch)
        assert torch.equal(x, x_ref) and torch.equal(mask, mask_ref)
        assert torch.equal(adj, to_dense_adj(b.edge_index, b.batch, edge_attr=b.edge_weight))
        assert adj.dtype == dtype and float(adj[0, 1, 2]) == 2.25
    b = _weighted_batch()
    del b.edge_weight
    assert torch.equal(G.to_dense(b)[1], to_dense_adj(b.edge_index, b.batch))


def test_segment_sparsemax_many_entries_and_large_values_match_entmax():
    # prefix sums ran over ALL entries: with 20k float32 entries near 1000 a late segment's support test
    # failed and it came out as z + 1 (outputs near 1000, max error 1003 against entmax)
    entmax = pytest.importorskip("entmax")
    g = torch.Generator().manual_seed(0)
    for dtype, shift, e in ((torch.float32, 1000.0, 20000), (torch.float32, 0.0, 20000), (torch.float64, 1e9, 4000)):
        z = torch.randn(e, generator=g, dtype=dtype) + shift
        index = torch.arange(e) // 4
        perm = torch.randperm(e, generator=g)           # segments need not be contiguous
        ref = entmax.sparsemax(z.view(-1, 4).double(), dim=-1).view(-1)
        out = G.segment_sparsemax(z[perm], index[perm])
        assert out.dtype == dtype
        torch.testing.assert_close(out.double(), ref[perm], atol=torch.finfo(dtype).eps ** 0.5, rtol=0)
        sums = torch.zeros(e // 4, dtype=torch.float64).index_add_(0, index[perm], out.double())
        torch.testing.assert_close(sums, torch.ones_like(sums), atol=torch.finfo(dtype).eps ** 0.5, rtol=0)
    # segments of unequal sizes with an empty one (num_segments > max index + 1), in float64: exact per segment
    z = torch.randn(9, generator=g, dtype=torch.float64) * 3 + 1e8
    index = torch.tensor([0, 0, 0, 2, 2, 3, 3, 3, 3])
    out = G.segment_sparsemax(z, index, num_segments=5)
    for s in (0, 2, 3):
        torch.testing.assert_close(out[index == s], entmax.sparsemax(z[index == s] - z[index == s].max(), dim=-1))


def test_dense_models_take_integer_node_masks():
    # a 0/1 integer mask (what to_dense_batch users often carry as long) was used as row INDICES in the masked
    # batch norm (x[mask] picks rows 0 and 1) and died with a ValueError deep inside BatchNorm
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 5, 3, generator=g)
    a = (torch.rand(2, 5, 5, generator=g) > 0.5).float()
    a = ((a + a.transpose(1, 2)) > 0).float()
    m = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    for make in (lambda: G.DiffPoolNet(3, 2, max_nodes=5, hidden=8),
                 lambda: G.DiffPoolNet(3, 2, max_nodes=5, hidden=8, variant="official"),
                 lambda: G.FlatDenseSAGE(3, 2, max_nodes=5, hidden=8)):
        torch.manual_seed(0)
        net = make().train()
        ref = net.forward_dense(x, a, m.bool())[0]
        for dtype in (torch.long, torch.float32):
            torch.manual_seed(0)
            net = make().train()
            torch.testing.assert_close(net.forward_dense(x, a, m.to(dtype))[0], ref, rtol=0, atol=0)


def test_stratified_split_refuses_fractional_labels():
    from paperworks.core.errors import DataError
    from paperworks.graphs.hetero import stratified_split

    y = torch.tensor([0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
    ref = stratified_split(y, 0.4, 0.2, seed=3)
    got = stratified_split(y.double(), 0.4, 0.2, seed=3)          # integral floats: the same split
    assert all(torch.equal(a, b) for a, b in zip(ref, got))
    with pytest.raises(DataError, match="integer class ids"):
        stratified_split(y * 0.5, 0.4, 0.2)                     # 0.5 was truncated into class 0


def test_logreg_probe_takes_bool_masks_as_masks():
    # bool masks (HeteroData's train_mask / test_mask) were cast to the indices 0 / 1: the probe trained on
    # nodes 0 and 1 only and scored nodes 0 and 1 (the same two nodes), without a word
    from paperworks.core.errors import DataError
    from paperworks.graphs.node_eval import logreg_probe

    g = torch.Generator().manual_seed(0)
    y = torch.arange(60) % 3
    z = torch.randn(60, 4, generator=g) + 3 * torch.nn.functional.one_hot(y, 4).float()
    idx = torch.randperm(60, generator=g)
    tr, va, te = idx[:30].sort().values, idx[30:40].sort().values, idx[40:].sort().values
    mask = {k: torch.zeros(60, dtype=torch.bool).index_fill_(0, v, True) for k, v in (("tr", tr), ("va", va), ("te", te))}
    ref = logreg_probe(z, y, tr, te, va, cs=(0.1, 1.0))
    assert logreg_probe(z, y, mask["tr"], mask["te"], mask["va"], cs=(0.1, 1.0)) == ref
    assert logreg_probe(z, y, mask["tr"].numpy(), te.numpy(), mask["va"], cs=(0.1, 1.0)) == ref
    with pytest.raises(DataError, match="mask of length 60"):
        logreg_probe(z, y, mask["tr"][:50], te)
    with pytest.raises(DataError, match="outside"):
        logreg_probe(z, y, tr, torch.tensor([0, 60]))


def test_train_eval_split_masks():
    # a Split of bool masks indexed graphs 0 and 1 (True -> 1, False -> 0) for every part: train, val and test
    # were the same two graphs, silently
    import numpy as np

    from paperworks.core.errors import DataError

    g = torch.Generator().manual_seed(0)
    data = [Data(x=torch.randn(3, 2, generator=g), edge_index=torch.tensor([[0, 1], [1, 2]]), y=torch.tensor([i % 2]))
            for i in range(12)]
    idx = G.Split(np.arange(0, 8), np.arange(8, 10), np.arange(10, 12))
    masks = G.Split(*(np.isin(np.arange(12), p) for p in (idx.train, idx.val, idx.test)))

    def make():
        return G.HierGCN(2, 2, hidden=8, pool="none")

    a = G.train_eval(make, data, idx, epochs=2, batch_size=4, seed=0)
    b = G.train_eval(make, data, masks, epochs=2, batch_size=4, seed=0)
    assert (a.test_acc, a.val_loss, a.history) == (b.test_acc, b.val_loss, b.history)
    with pytest.raises(DataError, match="mask of length 12"):
        G.train_eval(make, data, G.Split(masks.train[:5], idx.val, idx.test), epochs=1)
    with pytest.raises(DataError, match="integer graph indices"):
        G.train_eval(make, data, G.Split(idx.train + 0.5, idx.val, idx.test), epochs=1)


def test_diffpool_nmi_restores_the_model_mode():
    from paperworks.data import load
    from paperworks.graphs.experiment import diffpool_nmi

    data = load("syn_community1v2", n_per_class=3, seed=0, feature="degree")
    torch.manual_seed(0)
    net = G.DiffPoolNet(data[0].x.size(1), 2, max_nodes=max(d.num_nodes for d in data), hidden=8).train()
    a = diffpool_nmi(net, data)
    assert net.training and all(m.training for m in net.modules())     # was left in eval mode
    assert diffpool_nmi(net.eval(), data) == a and not net.training
