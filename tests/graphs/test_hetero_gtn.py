"""GTN engine oracles: one-hot selection = meta-path product, dense == sparse, equivariance, gradcheck."""

import math

import pytest
import torch

from paperworks.graphs.hetero import adjacency_stack, compose_metapath, node_offsets
from paperworks.graphs.hetero_gtn import GTNModel, rank_metapaths

pytest.importorskip("torch_geometric")
from torch_geometric.data import HeteroData  # noqa: E402
import torch_geometric.transforms as T  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def graph(seed=0, n_p=10, n_a=6, n_s=3, perm=None):
    g = torch.Generator().manual_seed(seed)
    pa = torch.unique(torch.stack([torch.randint(0, n_p, (18,), generator=g),
                                   torch.randint(0, n_a, (18,), generator=g)]), dim=1)
    ps = torch.stack([torch.arange(n_p), torch.randint(0, n_s, (n_p,), generator=g)])
    x = {"paper": torch.rand(n_p, 4, generator=g), "author": torch.rand(n_a, 4, generator=g),
         "subject": torch.rand(n_s, 4, generator=g)}
    if perm is not None:   # relabel nodes within each type: new id of old node i is perm[t][i]
        pa = torch.stack([perm["paper"][pa[0]], perm["author"][pa[1]]])
        ps = torch.stack([perm["paper"][ps[0]], perm["subject"][ps[1]]])
        for t in x:
            xn = torch.empty_like(x[t])
            xn[perm[t]] = x[t]
            x[t] = xn
    d = HeteroData()
    for t in ("paper", "author", "subject"):
        d[t].x = x[t]
    d["paper", "pa", "author"].edge_index = pa.contiguous()
    d["author", "ap", "paper"].edge_index = pa.flip(0).contiguous()
    d["paper", "ps", "subject"].edge_index = ps.contiguous()
    d["subject", "sp", "paper"].edge_index = ps.flip(0).contiguous()
    return d


def one_hot_(model, choices):
    """Set every GTConv's logits so that softmax is exactly one-hot on choices[i] (all channels)."""
    convs = []
    for layer in model.layers:
        convs += [layer.conv1] + ([layer.conv2] if layer.first else [])
    with torch.no_grad():
        for conv, k in zip(convs, choices):
            conv.weight.fill_(-1e4)
            conv.weight[:, k] = 0.0


def features(d):
    return torch.cat([d[t].x for t in d.node_types])


@pytest.mark.parametrize("a,b", [("pa", "ap"), ("ps", "sp"), ("ap", "pa"), ("ps", "I")])
def test_one_hot_selection_equals_metapath_product(a, b):
    d = graph()
    st = adjacency_stack(d)
    m = GTNModel(st.num_relations, 4, 8, 3, channels=2, num_layers=1)
    one_hot_(m, [st.names.index(a), st.names.index(b)])
    got = [h.to_dense() for h in m.metapath_graphs(st)]
    dense = st.dense()
    want = dense[st.names.index(a)] @ dense[st.names.index(b)]
    for h in got:
        torch.testing.assert_close(h, want)
    if a == "pa":   # and equals PyG AddMetaPaths path counts on the paper block
        out = T.AddMetaPaths([[("paper", "pa", "author"), ("author", "ap", "paper")]], weighted=True)(d.clone())
        ei = out["paper", "metapath_0", "paper"].edge_index
        w = out["paper", "metapath_0", "paper"].edge_weight.float()
        blk = torch.zeros(10, 10)
        blk[ei[0], ei[1]] = w
        torch.testing.assert_close(got[0][:10, :10], blk)
        torch.testing.assert_close(got[0][:10, :10], compose_metapath(d, [("paper", "pa", "author"),
                                                                          ("author", "ap", "paper")]).to_dense())


def test_uniform_selection_is_mean_adjacency_squared():
    d = graph()
    st = adjacency_stack(d)
    m = GTNModel(st.num_relations, 4, 8, 3, channels=1, num_layers=1)
    with torch.no_grad():
        for p in m.layers.parameters():
            p.zero_()
    k = st.num_relations
    s = st.dense().sum(0)
    torch.testing.assert_close(m.metapath_graphs(st)[0].to_dense(), (s @ s) / k ** 2)


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_dense_and_sparse_give_same_logits_and_gradients(layers):
    d = graph(seed=1)
    st = adjacency_stack(d).to(torch.float64)
    torch.manual_seed(0)
    m = GTNModel(st.num_relations, 4, 6, 3, channels=2, num_layers=layers).double()
    with torch.no_grad():
        for p in m.layers.parameters():
            p.normal_(0, 1.0)
    x = features(d).double()
    ti = torch.arange(10)
    outs, grads = [], []
    for dense in (False, True):
        m.zero_grad()
        out = m(x, st, ti, dense=dense)
        (out ** 2).sum().backward()
        outs.append(out.detach())
        grads.append([p.grad.clone() for p in m.parameters()])
    torch.testing.assert_close(outs[0], outs[1])
    for gs, gd in zip(*grads):
        torch.testing.assert_close(gs, gd)
    # restricting to target columns is exact: same as all nodes then indexing
    torch.testing.assert_close(m(x, st, ti), m(x, st)[ti])


def test_permutation_equivariance():
    g = torch.Generator().manual_seed(5)
    perm = {"paper": torch.randperm(10, generator=g), "author": torch.randperm(6, generator=g),
            "subject": torch.randperm(3, generator=g)}
    d, dp = graph(seed=2), graph(seed=2, perm=perm)
    st, stp = adjacency_stack(d), adjacency_stack(dp)
    torch.manual_seed(0)
    m = GTNModel(st.num_relations, 4, 8, 3, channels=2, num_layers=2)
    with torch.no_grad():
        for p in m.layers.parameters():
            p.normal_(0, 1.0)
    out, outp = m(features(d), st), m(features(dp), stp)
    off = node_offsets(d)
    gperm = torch.cat([perm[t] + off[t][0] for t in d.node_types])
    torch.testing.assert_close(outp[gperm], out, rtol=1e-5, atol=1e-5)


def test_gradcheck_wrt_selection_logits_and_nonzero_gradients():
    d = graph(seed=3, n_p=6, n_a=4, n_s=2)
    st = adjacency_stack(d).to(torch.float64)
    torch.manual_seed(0)
    m = GTNModel(st.num_relations, 4, 8, 2, channels=1, num_layers=2).double()
    with torch.no_grad():
        m.gcn_weight.abs_()   # positive features x positive weights: every ReLU is active
    x = features(d).double()
    names = ["layers.0.conv1.weight", "layers.0.conv2.weight", "layers.1.conv1.weight"]

    def f(a, b, c):
        return torch.func.functional_call(m, dict(zip(names, (a, b, c))), (x, st, torch.arange(6)))

    g = torch.Generator().manual_seed(1)
    inputs = tuple((torch.randn(1, st.num_relations, generator=g, dtype=torch.float64) * 0.5).requires_grad_()
                   for _ in names)
    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-5)
    grads = torch.autograd.grad(f(*inputs).pow(2).sum(), inputs)
    assert all(float(gr.abs().sum()) > 0 for gr in grads)   # the selection logits are not frozen


def test_identity_selection_reduces_to_mlp():
    d = graph()
    st = adjacency_stack(d)
    torch.manual_seed(0)
    m = GTNModel(st.num_relations, 4, 8, 3, channels=2, num_layers=2)
    i = st.names.index("I")
    one_hot_(m, [i, i, i])
    x = features(d)
    z = torch.relu(x @ m.gcn_weight)
    want = m.linear2(torch.relu(m.linear1(torch.cat([z, z], 1))))
    torch.testing.assert_close(m(x, st), want)


def test_rank_metapaths_reads_one_hot_weights():
    d = graph()
    st = adjacency_stack(d)
    m = GTNModel(st.num_relations, 4, 8, 3, channels=2, num_layers=1)
    one_hot_(m, [st.names.index("ps"), st.names.index("sp")])
    top = rank_metapaths(m.alphas(), st, source="paper", target="paper")
    assert top[0]["name"] == "P-S-P" and math.isclose(top[0]["score"], 1.0, rel_tol=1e-6)


def test_learned_top_metapath_is_the_planted_one():
    """Train on a small generated graph: the top paper->paper meta-path must be P-S-P."""
    from paperworks.data.hetero import make_academic_hetero
    from paperworks.systems.gtn import GTN, prepare_hetero

    torch.manual_seed(0)
    cfg = GTN.make_config({"epochs": "50", "hidden": "16"})
    sysm = GTN(cfg)
    data = make_academic_hetero(n_papers=200, n_authors=80, n_subjects=8, n_terms=40, vocab=16,
                                feature_signal=0.1, seed=0)
    res = sysm.train_gtn(prepare_hetero(data), seed=0)
    assert res["metapaths"][0]["name"] == "P-S-P", res["metapaths"][:3]


def test_two_layer_forward_equals_the_official_sparse_formula_written_out_densely():
    """Independent of the engine's helpers: Q = sum_k alpha_k A_k; H1 = Q1 Q2; between layers diagonal
    dropped and every column divided by its sum (model_sparse.py); H2 = H1n Q3; GCN on Ã = H2 with
    diagonal 1, column-normalised, aggregated along i -> j (Ã^T X W); shared W; Linear-ReLU-Linear."""
    d = graph(seed=4)
    st = adjacency_stack(d).to(torch.float64)
    torch.manual_seed(1)
    m = GTNModel(st.num_relations, 4, 5, 3, channels=2, num_layers=2).double()
    with torch.no_grad():
        for p in m.layers.parameters():
            p.normal_(0, 1.0)
    x = features(d).double()
    a = st.dense()
    n = a.size(1)
    eye = torch.eye(n, dtype=torch.float64)

    def colnorm(h):
        s = h.sum(0)
        return h / torch.where(s == 0, torch.ones_like(s), s)[None, :]

    sel = [torch.softmax(w, 1) for w in (m.layers[0].conv1.weight, m.layers[0].conv2.weight,
                                         m.layers[1].conv1.weight)]
    zs = []
    for c in range(2):
        q1, q2, q3 = (torch.einsum("k,kij->ij", s[c], a) for s in sel)
        h = colnorm((q1 @ q2) * (1 - eye)) @ q3
        h = colnorm(h * (1 - eye) + eye)
        zs.append(torch.relu(h.t() @ x @ m.gcn_weight))
    want = m.linear2(torch.relu(m.linear1(torch.cat(zs, 1))))
    torch.testing.assert_close(m(x, st), want)


def test_rank_metapaths_scores_by_hand_with_soft_weights():
    """Soft selections, relations [pa, ap, ps, sp, I]: a meta-path's weight in a channel is the product of its
    steps' alphas, summed over the sequences that collapse to it once identity steps are dropped; its score is the
    best channel. By hand: channel 0 gives P-S-P 0.3*0.4 = 0.12, P-A-P 0.1*0.1 = 0.01 and P-S = ps.I + I.ps =
    0.3*0.2 + 0.3*0.1 = 0.09; channel 1 gives P-A-P 0.5*0.5 = 0.25. (Before, only one-hot weights were ranked,
    where no product, sum or channel maximum is visible.)"""
    d = graph()
    st = adjacency_stack(d)
    assert st.names == ["pa", "ap", "ps", "sp", "I"]
    a1 = torch.tensor([[0.1, 0.2, 0.3, 0.1, 0.3], [0.5, 0.1, 0.1, 0.1, 0.2]])
    a2 = torch.tensor([[0.2, 0.1, 0.1, 0.4, 0.2], [0.1, 0.5, 0.1, 0.1, 0.2]])
    top = rank_metapaths([a1, a2], st, source="paper", target="paper")
    assert [(t["name"], t["channel"]) for t in top] == [("P-A-P", 1), ("P-S-P", 0)]
    assert top[0]["score"] == pytest.approx(0.25) and top[1]["score"] == pytest.approx(0.12)
    ps = [t for t in rank_metapaths([a1, a2], st, source="paper", target="subject") if t["name"] == "P-S"]
    assert len(ps) == 1 and ps[0]["score"] == pytest.approx(0.09) and ps[0]["channel"] == 0
