"""HDGI engine oracles: loss = 0.5 x PyG DeepGraphInfomax loss, log 2 at init, attention, corruption."""

import math

import pytest
import torch

from paperworks.graphs.hetero_infomax import (BilinearDiscriminator, HDGIEncoder, HDGIModel,
                                              SemanticAttention, corrupt_features,
                                              normalized_metapath_adjacencies)
from paperworks.core.errors import DataError

pytest.importorskip("torch_geometric")
from torch_geometric.nn import DeepGraphInfomax, GCNConv  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def random_graph(n=30, e=80, seed=0):
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, e), generator=g)
    ei = ei[:, ei[0] != ei[1]]
    ei = torch.unique(torch.cat([ei, ei.flip(0)], 1), dim=1)
    x = torch.rand(n, 8, generator=g)
    return x / x.sum(1, keepdim=True), ei


def test_loss_is_half_of_pyg_dgi_loss_with_one_metapath():
    x, ei = random_graph()
    torch.manual_seed(0)
    model = HDGIModel(8, 16, 1)
    adjs = normalized_metapath_adjacencies([ei], 30)
    perm = torch.randperm(30, generator=torch.Generator().manual_seed(1))
    pos, neg, s, beta = model(x, adjs, perm)
    assert torch.allclose(beta, torch.ones(1))
    ours = model.loss(pos, neg)

    dgi = DeepGraphInfomax(16, encoder=lambda x_, _ei: model.encoder(x_, adjs)[0],
                           summary=lambda z, *a, **k: torch.sigmoid(z.mean(0)),
                           corruption=lambda x_, ei_: (x_[perm], ei_))
    with torch.no_grad():
        dgi.weight.copy_(model.discriminator.bilinear.weight[0])
    p, n_, s2 = dgi(x, ei)
    torch.testing.assert_close(s2, s)
    torch.testing.assert_close(2 * ours, dgi.loss(p, n_, s2), rtol=1e-5, atol=1e-6)


def test_metapath_gcn_matches_pyg_gcnconv():
    x, ei = random_graph(seed=2)
    torch.manual_seed(0)
    enc = HDGIEncoder(8, 5, 1)
    conv = GCNConv(8, 5)
    with torch.no_grad():
        conv.lin.weight.copy_(enc.gcns[0].fc.weight)
        conv.bias.copy_(torch.randn(5))
        enc.gcns[0].bias.copy_(conv.bias)
    adj = normalized_metapath_adjacencies([ei], 30)[0]
    h = enc.gcns[0](x, adj)
    torch.testing.assert_close(h, enc.gcns[0].act(conv(x, ei)), rtol=1e-5, atol=1e-6)


def test_discriminator_loss_at_init_is_log2():
    x, ei = random_graph(n=200, e=800)
    _, ei2 = random_graph(n=200, e=800, seed=3)
    for seed in range(3):
        torch.manual_seed(seed)
        model = HDGIModel(8, 64, 2)
        adjs = normalized_metapath_adjacencies([ei, ei2], 200)
        pos, neg, _, _ = model(x, adjs, torch.randperm(200))
        assert abs(float(model.loss(pos, neg)) - math.log(2)) < 0.01


def test_semantic_attention_sums_to_one_and_is_uniform_on_identical_inputs():
    att = SemanticAttention(6, 4)
    hs = torch.randn(3, 10, 6)
    out, beta = att(hs)
    assert float(beta.sum()) == pytest.approx(1.0, abs=1e-6) and (beta > 0).all()
    same = hs[:1].expand(4, 10, 6)
    out, beta = att(same)
    torch.testing.assert_close(beta, torch.full((4,), 0.25))
    torch.testing.assert_close(out, hs[0])
    # identical meta-path graphs with shared GCN weights -> uniform beta, H = h^1
    x, ei = random_graph()
    enc = HDGIEncoder(8, 6, 3)
    for g in enc.gcns[1:]:
        g.load_state_dict(enc.gcns[0].state_dict())
    adjs = normalized_metapath_adjacencies([ei] * 3, 30)
    h, beta = enc(x, adjs)
    torch.testing.assert_close(beta, torch.full((3,), 1 / 3))
    torch.testing.assert_close(h, enc.gcns[0](x, adjs[0]))


def test_corruption_only_permutes_feature_rows_and_keeps_graph():
    x, ei = random_graph()
    adjs = normalized_metapath_adjacencies([ei], 30)
    before = adjs[0].to_dense().clone()
    xc, perm = corrupt_features(x, torch.Generator().manual_seed(0))
    assert torch.equal(torch.sort(perm).values, torch.arange(30))
    torch.testing.assert_close(xc, x[perm])
    key = lambda m: m[torch.argsort(m[:, 0] * 1e6 + m[:, 1])]   # noqa: E731
    torch.testing.assert_close(key(xc), key(x))          # same multiset of rows
    model = HDGIModel(8, 4, 1)
    model(x, adjs, perm)
    torch.testing.assert_close(adjs[0].to_dense(), before)


def test_encoder_is_permutation_equivariant_and_summary_invariant():
    x, ei = random_graph(seed=4)
    _, ei2 = random_graph(seed=5)
    torch.manual_seed(0)
    model = HDGIModel(8, 12, 2)
    perm = torch.randperm(30, generator=torch.Generator().manual_seed(2))
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(30)
    adjs = normalized_metapath_adjacencies([ei, ei2], 30)
    adjs_p = normalized_metapath_adjacencies([inv[ei], inv[ei2]], 30)   # node i -> inv[i]
    h, b = model.encoder(x, adjs)
    hp, bp = model.encoder(x[perm], adjs_p)
    torch.testing.assert_close(hp, h[perm], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(bp, b)
    torch.testing.assert_close(model.readout(hp), model.readout(h))


def test_bilinear_discriminator_is_h_m_s_plus_b():
    d = BilinearDiscriminator(5)
    h, s = torch.randn(7, 5), torch.randn(5)
    want = h @ d.bilinear.weight[0] @ s + d.bilinear.bias
    torch.testing.assert_close(d(h, s), want)


def test_bad_metapath_edges_are_errors():
    with pytest.raises(DataError, match="outside"):
        normalized_metapath_adjacencies([torch.tensor([[0, 40], [1, 2]])], 30)
    with pytest.raises(DataError, match=r"shape \[2, E\]"):
        normalized_metapath_adjacencies([torch.zeros(3, 4, dtype=torch.long)], 30)
    with pytest.raises(DataError, match="built for 2"):
        HDGIEncoder(8, 4, 2)(torch.rand(30, 8), normalized_metapath_adjacencies([random_graph()[1]], 30))


def _perms(n, count, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randperm(n, generator=g) for _ in range(count)]


def test_hdgi_early_stopping_restores_the_weights_that_gave_the_best_loss():
    """Official execute.py checks the loss before the update: the kept weights reproduce best_loss."""
    from paperworks.systems.hdgi import train_hdgi

    x, ei = random_graph()
    _, ei2 = random_graph(seed=6)
    adjs = normalized_metapath_adjacencies([ei, ei2], 30)
    model, info = train_hdgi(x, adjs, dim=8, lr=0.01, patience=50, max_epochs=12, seed=3)
    perm = _perms(30, info["epochs"], 3)[info["best_epoch"]]
    with torch.no_grad():
        pos, neg, _, _ = model(x, adjs, perm)
        loss = float(model.loss(pos, neg))
    assert loss == pytest.approx(info["best_loss"], rel=1e-6, abs=1e-7)


def test_dgi_baseline_early_stopping_restores_the_weights_that_gave_the_best_loss():
    from paperworks.graphs.hetero_baselines import dgi_embeddings

    x, ei = random_graph(seed=7)
    z, info = dgi_embeddings(x, ei, 8, lr=0.01, patience=50, max_epochs=12, seed=4)
    model = info["model"]
    perm = _perms(30, info["epochs"], 4)[info["best_epoch"]]
    with torch.no_grad():
        pos, neg = model.encoder(x, ei), model.encoder(x[perm], ei)
        loss = float(model.loss(pos, neg, torch.sigmoid(pos.mean(0))))
        torch.testing.assert_close(z, pos)
    assert loss == pytest.approx(info["best_loss"], rel=1e-6, abs=1e-7)


def test_semantic_attention_init_follows_official_xavier_gain_1414():
    """Official SemanticAttentionLayer: W [d, h], b [1, h], q [1, h] all Xavier-uniform, gain 1.414."""
    torch.manual_seed(0)
    att = SemanticAttention(128, 16)
    for t, fan_in, fan_out in ((att.proj.weight, 128, 16), (att.proj.bias, 1, 16), (att.q.weight, 1, 16)):
        bound = 1.414 * math.sqrt(6.0 / (fan_in + fan_out))
        assert float(t.abs().max()) <= bound
        assert float(t.abs().max()) > 0.8 * bound          # PyTorch's default init stays far below


def test_semantic_attention_written_out_on_distinct_metapaths():
    """HAN/HDGI semantic attention with numpy loops: w_p = (1/N) sum_i q . tanh(W h_i^p + b), beta = softmax_p(w),
    H = sum_p beta_p h^p. (Sums to one / uniform on identical inputs holds for any scoring of the meta-paths.)"""
    import numpy as np

    g = torch.Generator().manual_seed(11)
    att = SemanticAttention(4, 3).double()
    with torch.no_grad():
        for prm in att.parameters():
            prm.copy_(torch.randn(prm.shape, generator=g, dtype=torch.float64))
    hs = 0.3 * torch.randn(3, 5, 4, generator=g, dtype=torch.float64) + torch.randn(3, 1, 4, generator=g,
                                                                                  dtype=torch.float64)
    out, beta = att(hs)
    W, b, q = (t.detach().numpy() for t in (att.proj.weight, att.proj.bias, att.q.weight[0]))
    h = hs.numpy()
    w = np.array([np.mean([q @ np.tanh(W @ h[p, i] + b) for i in range(5)]) for p in range(3)])
    want_beta = np.exp(w) / np.exp(w).sum()
    np.testing.assert_allclose(beta.detach().numpy(), want_beta, rtol=1e-12)
    np.testing.assert_allclose(out.detach().numpy(), np.einsum("p,pnd->nd", want_beta, h), rtol=1e-12)
    assert want_beta.max() - want_beta.min() > 0.05   # the meta-paths really get different weights
