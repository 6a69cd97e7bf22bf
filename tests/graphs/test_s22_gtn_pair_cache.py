"""GTN's first-layer pair basis (``AdjacencyStack.pair_basis``) is cached on the stack. The cache was kept when the
stack's adjacencies changed (``stack.values`` replaced, or written in place, e.g. an edge-type ablation), so the
sparse first GT layer kept multiplying the old adjacencies: logits 0.012 off the dense path (which reads the current
values) on a small graph, without a word. The basis must always be that of the current indices and values."""

import pytest
import torch

from paperworks.graphs.hetero import adjacency_stack
from paperworks.graphs.hetero_gtn import GTNModel

pytest.importorskip("torch_geometric")
from torch_geometric.data import HeteroData  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _graph():
    g = torch.Generator().manual_seed(0)
    d = HeteroData()
    d["paper"].x = torch.rand(5, 3, generator=g)
    d["author"].x = torch.rand(4, 3, generator=g)
    d["subject"].x = torch.rand(2, 3, generator=g)
    pa = torch.tensor([[0, 0, 1, 2, 3, 4, 4], [0, 1, 1, 2, 3, 0, 3]])
    ps = torch.tensor([[0, 1, 2, 3, 4], [0, 0, 1, 1, 1]])
    d["paper", "pa", "author"].edge_index = pa
    d["author", "ap", "paper"].edge_index = pa.flip(0)
    d["paper", "ps", "subject"].edge_index = ps
    d["subject", "sp", "paper"].edge_index = ps.flip(0)
    return d


def _model(k, layers=1):
    torch.manual_seed(0)
    m = GTNModel(k, 3, 4, 2, channels=2, num_layers=layers).double()
    with torch.no_grad():
        for p in m.parameters():
            p.normal_()
    return m


def _edit_in_place(st):
    st.values[0] = 0.0            # drop edge type 0 (an ablation) on the same tensor


def _replace(st):
    v = st.values.clone()
    v[2] *= 3.0                   # reweight an edge type, as a new tensor
    st.values = v


def _replace_pattern(st):
    keep = st.values[0] == 0      # drop every entry of edge type 0 from the pattern
    st.indices, st.values = st.indices[:, keep].clone(), st.values[:, keep].clone()


@pytest.mark.parametrize("edit", [_edit_in_place, _replace, _replace_pattern])
@pytest.mark.parametrize("target", [None, torch.tensor([0, 2, 4])])
def test_pair_basis_follows_the_stack_after_edits(edit, target):
    d = _graph()
    st = adjacency_stack(d).to(torch.float64)
    m = _model(st.num_relations)
    x = torch.rand(st.num_nodes, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        m(x, st, target)                      # builds and caches the basis of the original stack
        edit(st)
        sparse, dense = m(x, st, target), m(x, st, target, dense=True)
        fresh = adjacency_stack(d).to(torch.float64)
        edit(fresh)
        uncached = m(x, fresh, target)
    torch.testing.assert_close(sparse, dense, rtol=1e-12, atol=1e-12)
    assert torch.equal(sparse, uncached)      # the same numbers as a stack that never held the old values


def test_pair_basis_still_cached_when_nothing_changes():
    st = adjacency_stack(_graph())
    first = st.pair_basis()
    st.matrix(0), st.select(torch.full((st.num_relations,), 0.2)), st.dense()   # reads do not invalidate
    assert st.pair_basis() is first
    cols = torch.tensor([1, 3])
    assert st.pair_basis(cols) is st.pair_basis(cols)
    st.values[1] *= 1.0           # a write, even of the same numbers, rebuilds (equal contents)
    again = st.pair_basis()
    assert again is not first
    for a, b in zip(again[:3], first[:3]):
        assert torch.equal(a, b)
