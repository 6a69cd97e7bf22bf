"""Python-API QA of train_hdgi / the HDGI engine: bad input is one DataError (NaN features used to train to
a model with best_loss = inf and no word), and the semantic attention's closed form."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.hetero_infomax import SemanticAttention, normalized_metapath_adjacencies
from paperworks.systems.hdgi import train_hdgi

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

N = 12


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(N, 5, generator=g)
    ei = torch.randint(0, N, (2, 30), generator=g)
    return x, normalized_metapath_adjacencies([ei, ei.flip(0)], N), ei


@pytest.mark.parametrize("bad", ["nan", "inf", "no_adjs", "one_dim", "rows", "float64"])
def test_hdgi_api_qa_train_hdgi_bad_input_is_one_data_error(bad):
    x, adjs, _ = _data()
    if bad == "nan":
        x[2, 3] = float("nan")
    elif bad == "inf":
        x[0, 0] = float("inf")
    elif bad == "no_adjs":
        adjs = []
    elif bad == "one_dim":
        x = x[:, 0]
    elif bad == "rows":
        x = x[:5]
    else:
        x = x.double()
    with pytest.raises(DataError, match="train_hdgi"):
        train_hdgi(x, adjs, dim=4, max_epochs=2, patience=1)


def test_hdgi_api_qa_float_edge_index_is_refused():
    _, _, ei = _data()
    with pytest.raises(DataError, match="integer node ids"):
        normalized_metapath_adjacencies([ei.float() + 0.5], N)


def test_hdgi_api_qa_semantic_attention_matches_its_closed_form():
    torch.manual_seed(0)
    att = SemanticAttention(3, hidden=4)
    hs = torch.randn(2, 5, 3)
    out, beta = att(hs)
    W, b, q = att.proj.weight, att.proj.bias, att.q.weight[0]
    w = torch.stack([torch.stack([q @ torch.tanh(W @ hs[p, i] + b) for i in range(5)]).mean() for p in range(2)])
    e = torch.exp(w - w.max())
    beta_ref = e / e.sum()
    assert torch.allclose(beta, beta_ref, atol=1e-6)
    assert torch.allclose(out, beta_ref[0] * hs[0] + beta_ref[1] * hs[1], atol=1e-6)
    # swapping the meta-paths swaps the weights and leaves the fused embedding unchanged
    out2, beta2 = att(hs.flip(0))
    assert torch.allclose(beta2, beta.flip(0), atol=1e-6) and torch.allclose(out2, out, atol=1e-6)


@pytest.mark.parametrize("bad", ["short", "negative", "float"])
def test_hdgi_api_qa_forward_refuses_a_perm_that_is_not_one_index_per_node(bad):
    # a perm of 5 indices for 12 nodes gave 5 negatives against 12 positives, an unbalanced loss, silently;
    # a negative index wrapped around
    from paperworks.graphs.hetero_infomax import HDGIModel

    x, adjs, _ = _data()
    perm = {"short": torch.arange(5), "negative": torch.arange(N) - 1, "float": torch.arange(N).float()}[bad]
    with pytest.raises(DataError, match="perm"):
        HDGIModel(5, 4, 2)(x, adjs, perm)
