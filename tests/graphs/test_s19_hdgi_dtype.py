"""HDGIModel in float64 (session 19): normalized_metapath_adjacencies always built float32 adjacencies, so a
float64 model failed in torch.sparse.mm with "expected scalar type Float but found Double". The meta-path GCN now
casts the adjacency to its features' dtype, and normalized_metapath_adjacencies takes a ``dtype`` to build the
normalisation in float64. Oracle: a dense float64 computation of the HDGI-C equations. Each test but the last
fails on the code before the fix."""

import pytest
import torch
import torch.nn.functional as F

from paperworks.core.errors import DataError
from paperworks.graphs.hetero_infomax import HDGIModel, normalized_metapath_adjacencies

N = 7
DT = torch.float64


def _graphs():
    e1 = torch.tensor([[0, 1, 1, 2, 3, 4, 5, 6], [1, 0, 2, 1, 4, 3, 6, 5]])
    e2 = torch.tensor([[0, 3, 2, 6, 1, 5], [3, 0, 6, 2, 5, 1]])
    return [e1, e2]


def _dense_embed(model, x, edges):
    """H = sum_p beta_p PReLU(Â_p X W_p + b_p), Â_p = D^{-1/2}(A_p + I)D^{-1/2}, dense float64."""
    hs = []
    for g, ei in zip(model.encoder.gcns, edges):
        a = torch.zeros(N, N, dtype=DT)
        a[ei[0], ei[1]] = 1.0
        a = a + torch.eye(N, dtype=DT)
        d = a.sum(1).rsqrt()
        a_hat = d[:, None] * a * d[None, :]
        hs.append(F.prelu(a_hat @ x @ g.fc.weight.T + g.bias, g.act.weight))
    hs = torch.stack(hs)
    att = model.encoder.attention
    w = (torch.tanh(hs @ att.proj.weight.T + att.proj.bias) @ att.q.weight.T).squeeze(-1).mean(1)
    beta = torch.softmax(w, 0)
    return (beta[:, None, None] * hs).sum(0), beta


def _model():
    torch.manual_seed(0)
    return HDGIModel(4, 3, 2).double()


def test_float64_model_with_float64_adjacencies_matches_dense_oracle():
    m = _model()
    x = torch.rand(N, 4, dtype=DT, generator=torch.Generator().manual_seed(1))
    adjs = normalized_metapath_adjacencies(_graphs(), N, dtype=DT)
    assert all(a.dtype == DT for a in adjs)
    h, beta = m.embed(x, adjs)
    h_ref, beta_ref = _dense_embed(m, x, _graphs())
    assert h.dtype == DT and torch.allclose(h, h_ref, rtol=0, atol=1e-13)
    assert torch.allclose(beta, beta_ref, rtol=0, atol=1e-13)
    pos, neg, s, _ = m(x, adjs, torch.randperm(N, generator=torch.Generator().manual_seed(2)))
    loss = m.loss(pos, neg)
    assert loss.dtype == DT and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None and p.grad.dtype == DT for p in m.parameters())


def test_float64_model_with_default_float32_adjacencies_runs_in_float64():
    m = _model()
    x = torch.rand(N, 4, dtype=DT, generator=torch.Generator().manual_seed(1))
    h, _ = m.embed(x, normalized_metapath_adjacencies(_graphs(), N))       # float32 adjacencies, cast
    h_ref, _ = _dense_embed(m, x, _graphs())
    assert h.dtype == DT and torch.allclose(h, h_ref, rtol=0, atol=1e-6)   # float32-rounded normalisation


def test_adjacency_dtype_must_be_floating():
    with pytest.raises(DataError, match="dtype must be a floating-point torch dtype"):
        normalized_metapath_adjacencies(_graphs(), N, dtype=torch.int64)


def test_float32_default_is_unchanged():
    """float32 (the reproduction's dtype): the default and an explicit float32 give the same tensors."""
    for a, b in zip(normalized_metapath_adjacencies(_graphs(), N),
                    normalized_metapath_adjacencies(_graphs(), N, dtype=torch.float32)):
        assert a.dtype == torch.float32 and torch.equal(a.to_dense(), b.to_dense())
