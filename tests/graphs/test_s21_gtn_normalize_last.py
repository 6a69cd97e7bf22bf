"""GTN normalisation placement: between layers only (default, official dense model.py) or after every layer
(``normalize_last``, official prev_GTN/model_sparse.py), each checked against the formula written out densely."""

import pytest
import torch

from paperworks.graphs.hetero import adjacency_stack, drop_diagonal, restrict_columns
from paperworks.graphs.hetero_gtn import GTNModel

pytest.importorskip("torch_geometric")
from torch_geometric.data import HeteroData  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def tiny(seed=3, n_p=9, n_a=5, n_s=3):
    g = torch.Generator().manual_seed(seed)
    pa = torch.unique(torch.stack([torch.randint(0, n_p, (16,), generator=g),
                                   torch.randint(0, n_a, (16,), generator=g)]), dim=1)
    ps = torch.stack([torch.arange(n_p), torch.randint(0, n_s, (n_p,), generator=g)])
    d = HeteroData()
    for t, n in (("paper", n_p), ("author", n_a), ("subject", n_s)):
        d[t].x = torch.rand(n, 4, generator=g)
    d["paper", "pa", "author"].edge_index = pa
    d["paper", "pa", "author"].edge_weight = torch.rand(pa.size(1), generator=g) + 0.5   # weighted type
    d["author", "ap", "paper"].edge_index = pa.flip(0).contiguous()
    d["paper", "ps", "subject"].edge_index = ps
    d["subject", "sp", "paper"].edge_index = ps.flip(0).contiguous()
    return d, torch.cat([d[t].x for t in d.node_types]).double()


def oracle(m, stack, x, last_norm):
    """Q = sum_k softmax(W)_k A_k; H = Q1 Q2, then H <- colnorm(H (1 - I)) Q_l per further layer (and once
    more after the last layer when last_norm); GCN on colnorm(H (1 - I) + I), aggregated along i -> j;
    ReLU, concatenation over channels, Linear-ReLU-Linear."""
    a = stack.dense()
    n = a.size(1)
    eye = torch.eye(n, dtype=torch.float64)

    def colnorm(h):
        s = h.sum(0)
        return h / torch.where(s == 0, torch.ones_like(s), s)[None, :]

    ws = []
    for layer in m.layers:
        ws += [layer.conv1.weight] + ([layer.conv2.weight] if layer.first else [])
    sel = [torch.softmax(w, 1) for w in ws]
    zs = []
    for c in range(m.channels):
        q = [torch.einsum("k,kij->ij", s[c], a) for s in sel]
        h = q[0] @ q[1]
        for ql in q[2:]:
            h = colnorm(h * (1 - eye)) @ ql
        if last_norm:
            h = colnorm(h * (1 - eye))
        zs.append(torch.relu(colnorm(h * (1 - eye) + eye).t() @ x @ m.gcn_weight))
    return m.linear2(torch.relu(m.linear1(torch.cat(zs, 1))))


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("last_norm", [False, True])
def test_forward_equals_the_formula_for_both_normalisation_placements(layers, last_norm):
    d, x = tiny()
    st = adjacency_stack(d).to(torch.float64)
    torch.manual_seed(layers)
    m = GTNModel(st.num_relations, 4, 5, 3, channels=2, num_layers=layers, normalize_last=last_norm).double()
    with torch.no_grad():
        for p in m.layers.parameters():
            p.normal_(0, 1.0)
    want = oracle(m, st, x, last_norm)
    cols = torch.tensor([0, 2, 3, 7])   # target columns only (exact for both placements)
    for dense in (False, True):
        torch.testing.assert_close(m(x, st, dense=dense), want)
        torch.testing.assert_close(m(x, st, cols, dense=dense), want[cols])
    if last_norm:   # the placements are different models already for L = 1
        m.normalize_last = False
        assert (m(x, st) - want).abs().max() > 1e-3


def test_normalize_last_trains_and_reaches_the_selection_weights():
    d, x = tiny()
    st = adjacency_stack(d)
    torch.manual_seed(0)
    m = GTNModel(st.num_relations, 4, 5, 3, channels=2, num_layers=2, normalize_last=True)
    m(x.float(), st, torch.arange(9)).sum().backward()
    assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in m.layers.parameters())


@pytest.mark.parametrize("sparse", [True, False])
def test_drop_diagonal_of_a_column_restricted_matrix(sparse):
    g = torch.Generator().manual_seed(0)
    full = torch.rand(6, 6, generator=g, dtype=torch.float64) * (torch.rand(6, 6, generator=g) < 0.6)
    full.fill_diagonal_(2.0)
    cols = torch.tensor([1, 3, 4])
    a = full.to_sparse() if sparse else full
    got = drop_diagonal(restrict_columns(a, cols), rows=cols)
    got = got.to_dense() if sparse else got
    want = (full * (1 - torch.eye(6, dtype=torch.float64)))[:, cols]
    torch.testing.assert_close(got, want)
    assert bool((got[cols, torch.arange(3)] == 0).all())
    from paperworks.core.errors import DataError
    with pytest.raises(DataError, match="rows"):
        drop_diagonal(restrict_columns(a, cols), rows=torch.tensor([1, 3]))
