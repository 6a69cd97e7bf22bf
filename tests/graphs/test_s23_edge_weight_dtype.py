"""``relation_block`` / ``relation_adjacency`` cast every ``edge_weight`` to float32, so float64 weights lost their
last digits in ``compose_metapath`` / ``metapath_graph`` (a weight 2**24 + 1 became 2**24; a product of float64
weights was 1.4e-7 off the float64 product) although nothing downstream needs float32. Float32 and float64 weights
now keep their dtype (a meta-path over both is computed in float64); integer / half weights and unweighted edge
types stay float32 as before; ``adjacency_stack(dtype=torch.float64)`` keeps float64 weights exact (GTN's default
float32 stack is unchanged). Oracle: dense float64 products."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.hetero import (adjacency_stack, compose_metapath, metapath_graph, relation_adjacency,
                                      relation_block)

pytest.importorskip("torch_geometric")
from torch_geometric.data import HeteroData  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

PA, AP = ("paper", "pa", "author"), ("author", "ap", "paper")
BIG = float(2 ** 24 + 1)       # exact in float64, rounds to 2**24 in float32


def _graph(w_pa=torch.float64, w_ap=torch.float64):
    d = HeteroData()
    d["paper"].num_nodes, d["author"].num_nodes = 3, 2
    ei = torch.tensor([[0, 0, 1, 2], [0, 1, 1, 0]])
    d[PA].edge_index, d[AP].edge_index = ei, ei.flip(0)
    w = torch.tensor([BIG, 0.1, 1 + 1e-9, 3.0], dtype=torch.float64)
    if w_pa is not None:
        d[PA].edge_weight = w.to(w_pa)
    if w_ap is not None:
        d[AP].edge_weight = w.flip(0).to(w_ap)
    return d


def _dense(d, et):
    ei = d[et].edge_index
    w = getattr(d[et], "edge_weight", None)
    w = torch.ones(ei.size(1)) if w is None else w
    return torch.zeros(d[et[0]].num_nodes, d[et[2]].num_nodes, dtype=torch.float64).index_put_(
        (ei[0], ei[1]), w.double(), accumulate=True)


def test_float64_weights_keep_their_dtype_and_digits():
    d = _graph()
    blk = relation_block(d, PA)
    assert blk.dtype == torch.float64
    assert torch.equal(blk.to_dense(), _dense(d, PA))
    adj = relation_adjacency(d, PA)
    assert adj.dtype == torch.float64 and float(adj.to_dense()[0, 3]) == BIG


def test_compose_metapath_is_the_float64_product():
    d = _graph()
    got = compose_metapath(d, [PA, AP]).to_dense()
    assert got.dtype == torch.float64
    assert torch.equal(got, _dense(d, PA) @ _dense(d, AP))
    ei, w = metapath_graph(d, [PA, AP], binarize=False, drop_self_loops=False)
    assert w.dtype == torch.float64


@pytest.mark.parametrize("w_ap", [torch.float32, None])
def test_mixed_dtypes_are_promoted(w_ap):
    """float64 on one edge type, float32 (or no weights) on the other: the product in float64, not a dtype error."""
    d = _graph(w_ap=w_ap)
    got = compose_metapath(d, [PA, AP]).to_dense()
    assert got.dtype == torch.float64
    assert torch.equal(got, _dense(d, PA) @ _dense(d, AP))


@pytest.mark.parametrize("dtype", [None, torch.float32, torch.int64, torch.float16])
def test_other_weights_stay_float32(dtype):
    d = _graph(w_pa=None, w_ap=None)
    if dtype is not None:
        d[PA].edge_weight = torch.tensor([1, 2, 3, 4]).to(dtype)
        d[AP].edge_weight = torch.tensor([4, 3, 2, 1]).to(dtype)
    assert relation_block(d, PA).dtype == torch.float32
    assert compose_metapath(d, [PA, AP]).dtype == torch.float32


def test_adjacency_stack_dtype():
    d = _graph()
    assert adjacency_stack(d).values.dtype == torch.float32          # GTN's stack: unchanged
    st = adjacency_stack(d, dtype=torch.float64)
    assert st.values.dtype == torch.float64
    k = st.names.index("pa")
    n_p = 3
    assert torch.equal(st.dense()[k][:n_p, n_p:], _dense(d, PA))
    with pytest.raises(DataError, match="dtype must be torch.float32 or torch.float64"):
        adjacency_stack(d, dtype=torch.float16)
