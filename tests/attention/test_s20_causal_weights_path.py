"""Causal attention with more queries than keys is refused on every path: MultiHeadAttention(need_weights=True)
and build_attention_mask returned the first q_len - k_len queries as silent all-zero weight rows while the default
path (need_weights=False) refuses the same input."""

import pytest
import torch

from paperworks.attention import build_attention_mask
from paperworks.attention.layers import MultiHeadAttention


def test_s20_need_weights_path_refuses_causal_more_queries_than_keys():
    torch.manual_seed(0)
    m = MultiHeadAttention(8, 2)
    q, kv = torch.randn(1, 4, 8), torch.randn(1, 2, 8)
    with pytest.raises(ValueError, match="q_len <= k_len"):
        m(q, kv, kv, causal=True)
    with pytest.raises(ValueError, match="q_len <= k_len"):
        m(q, kv, kv, causal=True, need_weights=True)
    # q_len <= k_len (incremental decoding): both paths agree and the weights rows sum to 1
    out, w = m(q[:, :1], kv, kv, causal=True, need_weights=True)
    assert torch.allclose(out, m(q[:, :1], kv, kv, causal=True), atol=1e-6)
    assert torch.allclose(w.sum(-1), torch.ones(1, 1))


def test_s20_build_attention_mask_refuses_causal_more_queries_than_keys():
    with pytest.raises(ValueError, match="q_len <= k_len"):
        build_attention_mask(None, True, 4, 2)
    m = build_attention_mask(None, True, 2, 4)   # the last two positions of four
    assert m.tolist() == [[[[True, True, True, False], [True, True, True, True]]]]
    assert build_attention_mask(None, False, 4, 2) is None   # non-causal (cross-attention): any lengths
