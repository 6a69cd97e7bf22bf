"""Heterograph utilities: meta-path composition vs scipy and PyG AddMetaPaths, stacks, bad input."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.hetero import (adjacency_stack, check_hetero, compose_metapath,
                                      homogeneous_projection, metapath_name, node_offsets,
                                      normalize_columns, relation_block, restrict_columns, set_diagonal,
                                      sparse_propagate, stratified_split, SpMat)

torch_geometric = pytest.importorskip("torch_geometric")
from torch_geometric.data import HeteroData  # noqa: E402
import torch_geometric.transforms as T  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def tiny_graph(seed=0, n_p=12, n_a=7, n_s=3):
    g = torch.Generator().manual_seed(seed)
    d = HeteroData()
    d["paper"].x = torch.rand(n_p, 5, generator=g)
    d["author"].x = torch.rand(n_a, 5, generator=g)
    d["subject"].num_nodes = n_s
    pa = torch.stack([torch.randint(0, n_p, (20,), generator=g), torch.randint(0, n_a, (20,), generator=g)])
    pa = torch.unique(pa, dim=1).contiguous()   # simple graph (PyG AddMetaPaths coalesces multi-edges)
    ps = torch.stack([torch.arange(n_p), torch.randint(0, n_s, (n_p,), generator=g)])
    d["paper", "pa", "author"].edge_index = pa
    d["author", "ap", "paper"].edge_index = pa.flip(0)
    d["paper", "ps", "subject"].edge_index = ps
    d["subject", "sp", "paper"].edge_index = ps.flip(0)
    return d


def scipy_block(d, et):
    ei = d[et].edge_index.numpy()
    n_src, n_dst = d[et[0]].num_nodes, d[et[2]].num_nodes
    return sp.coo_matrix((np.ones(ei.shape[1]), (ei[0], ei[1])), shape=(n_src, n_dst)).tocsr()


PAP = [("paper", "pa", "author"), ("author", "ap", "paper")]
PSP = [("paper", "ps", "subject"), ("subject", "sp", "paper")]


@pytest.mark.parametrize("mp", [PAP, PSP, PAP + PSP])
def test_compose_metapath_equals_scipy_product(mp):
    d = tiny_graph()
    want = scipy_block(d, mp[0])
    for et in mp[1:]:
        want = want @ scipy_block(d, et)
    got = compose_metapath(d, mp).to_dense().numpy()
    np.testing.assert_allclose(got, want.toarray())


def test_compose_metapath_matches_pyg_addmetapaths_counts():
    d = tiny_graph()
    out = T.AddMetaPaths([PAP], weighted=True)(d.clone())
    ei, w = out["paper", "metapath_0", "paper"].edge_index, out["paper", "metapath_0", "paper"].edge_weight
    want = torch.zeros(12, 12)
    want[ei[0], ei[1]] = w.float()
    torch.testing.assert_close(compose_metapath(d, PAP).to_dense(), want)


def test_binarize_and_drop_self_loops():
    d = tiny_graph()
    a = compose_metapath(d, PSP, binarize=True, drop_self_loops=True).to_dense()
    full = compose_metapath(d, PSP).to_dense()
    want = (full > 0).float()
    want.fill_diagonal_(0)
    torch.testing.assert_close(a, want)


def test_adjacency_stack_blocks_and_identity():
    d = tiny_graph()
    st = adjacency_stack(d)
    off = node_offsets(d)
    assert st.names == ["pa", "ap", "ps", "sp", "I"] and st.num_nodes == 22
    dense = st.dense()
    torch.testing.assert_close(dense[-1], torch.eye(22))
    for k, et in enumerate(d.edge_types):
        blk = relation_block(d, et).to_dense()
        (s0, s1), (t0, t1) = off[et[0]], off[et[2]]
        torch.testing.assert_close(dense[k][s0:s1, t0:t1], blk)
        assert float(dense[k].sum()) == float(blk.sum())   # nothing outside the block
    # soft selection = weighted sum of the dense stack
    alpha = torch.softmax(torch.randn(5), 0)
    torch.testing.assert_close(st.select(alpha).to_dense(), torch.einsum("k,kij->ij", alpha, dense))


def test_pair_basis_equals_products():
    d = tiny_graph()
    st = adjacency_stack(d)
    pairs, idx, vals, shape = st.pair_basis()
    dense = st.dense()
    x, y = torch.softmax(torch.randn(5), 0), torch.softmax(torch.randn(5), 0)
    got = torch.zeros(shape).index_put((idx[0], idx[1]), (x[pairs[:, 0]] * y[pairs[:, 1]]) @ vals)
    want = torch.einsum("a,aij->ij", x, dense) @ torch.einsum("b,bij->ij", y, dense)
    torch.testing.assert_close(got, want)


def test_normalisation_and_diagonal_helpers_sparse_equal_dense():
    d = tiny_graph()
    a = adjacency_stack(d).select(torch.full((5,), 0.2))
    dense = a.to_dense()
    n = normalize_columns(a).to_dense()
    colsum = n.sum(0)
    nonempty = dense.sum(0) != 0
    torch.testing.assert_close(colsum[nonempty], torch.ones(int(nonempty.sum())))
    torch.testing.assert_close(n, normalize_columns(dense))
    cols = torch.tensor([1, 4, 9])
    r = restrict_columns(a, cols)
    torch.testing.assert_close(r.to_dense(), dense[:, cols])
    torch.testing.assert_close(set_diagonal(r, 1.0, rows=cols).to_dense(), set_diagonal(dense[:, cols], 1.0, rows=cols))
    h = torch.randn(22, 3)
    torch.testing.assert_close(sparse_propagate(a, h), dense.t() @ h)


def test_sparse_propagate_gradients_match_dense():
    idx = torch.tensor([[0, 0, 1, 2, 3], [1, 2, 2, 0, 3]])
    v = torch.rand(5, dtype=torch.float64, requires_grad=True)
    h = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(lambda v, h: sparse_propagate(SpMat(idx, v, (4, 4)), h), (v, h))


def test_stratified_split_is_disjoint_and_stratified():
    y = torch.arange(100) % 4
    tr, va, te = stratified_split(y, 0.2, 0.1, seed=3)
    allidx = torch.cat([tr, va, te])
    assert allidx.unique().numel() == 100
    for c in range(4):
        assert int((y[tr] == c).sum()) == 5 and int((y[va] == c).sum()) == 2
    tr2, _, _ = stratified_split(y, 0.2, 0.1, seed=3)
    assert torch.equal(tr, tr2)


def test_homogeneous_projection_counts_and_padding():
    d = tiny_graph()
    x, ei, nt, off = homogeneous_projection(d)
    assert x.shape == (22, 5) and ei.size(1) == sum(d[et].edge_index.size(1) for et in d.edge_types)
    assert float(x[off["subject"][0]:].abs().sum()) == 0.0   # featureless type -> zeros
    assert metapath_name(PSP) == "P-S-P"


# ---------------------------------------------------------------------------------- bad input
def test_edge_type_with_missing_node_type_is_an_error():
    d = HeteroData()
    d["paper"].x = torch.randn(3, 2)
    d["paper", "pa", "author"].edge_index = torch.tensor([[0, 1], [0, 1]])
    with pytest.raises(DataError, match="refers to node type 'author'"):
        adjacency_stack(d)


def test_out_of_range_float_and_nan_are_errors():
    d = tiny_graph()
    d["paper", "pa", "author"].edge_index = torch.tensor([[0], [99]])
    with pytest.raises(DataError, match="outside"):
        check_hetero(d)
    d = tiny_graph()
    d["paper", "pa", "author"].edge_index = torch.zeros(2, 3)
    with pytest.raises(DataError, match="integer dtype"):
        check_hetero(d)
    d = tiny_graph()
    d["paper"].x[0, 0] = float("nan")
    with pytest.raises(DataError, match="NaN"):
        check_hetero(d)
    with pytest.raises(DataError, match="target node type 'movie'"):
        check_hetero(tiny_graph(), target="movie")
    with pytest.raises(DataError, match="breaks"):
        compose_metapath(tiny_graph(), [PAP[0], PSP[1]])



@pytest.mark.parametrize("bad,match", [
    (lambda d: setattr(d["paper"], "y", torch.arange(12).float() % 3 + 0.5), "integer class ids"),
    (lambda d: setattr(d["paper"], "y", torch.arange(12) % 3 - 1), "negative class ids"),
    (lambda d: setattr(d["paper"], "y", torch.zeros(5, dtype=torch.long)), r"y of shape \[12\]"),
    (lambda d: setattr(d["paper"], "train_mask", torch.ones(5, dtype=torch.bool)), "train_mask to be a bool vector of length 12"),
    (lambda d: setattr(d["paper"], "test_mask", torch.ones(12)), "test_mask to be a bool vector"),
])
def test_bad_target_labels_and_split_masks_are_errors(bad, match):
    d = tiny_graph()
    d["paper"].y = torch.arange(12) % 3
    d["paper"].train_mask = torch.arange(12) < 6
    check_hetero(d, target="paper")          # the well-formed graph passes
    bad(d)
    with pytest.raises(DataError, match=match):
        check_hetero(d, target="paper")

def test_empty_edge_type_and_isolated_nodes_are_defined():
    d = tiny_graph(n_s=5)   # some subjects isolated
    d["author", "cites", "author"].edge_index = torch.zeros(2, 0, dtype=torch.long)
    st = adjacency_stack(d)
    k = st.names.index("cites")
    assert float(st.dense()[k].abs().sum()) == 0.0
    n = normalize_columns(st.select(torch.full((st.num_relations,), 1.0 / st.num_relations))).to_dense()
    assert torch.isfinite(n).all()


def test_homogeneous_projection_matches_pyg_to_homogeneous():
    """Peer: PyG's HeteroData.to_homogeneous() (same node-type order): identical node types and the same edge
    multiset; feature rows are each type's own rows at its offset. (Before, only the edge COUNT and the zero
    padding were checked, so edges wired to the wrong type's offset passed.)"""
    d = tiny_graph()
    x, ei, nt, off = homogeneous_projection(d)
    h = d.to_homogeneous(add_node_type=True, add_edge_type=False)
    assert torch.equal(nt, h.node_type)
    key = lambda e: sorted(map(tuple, e.t().tolist()))  # noqa: E731
    assert key(ei) == key(h.edge_index)
    for t in ("paper", "author"):
        s, e = off[t]
        torch.testing.assert_close(x[s:e], d[t].x)
