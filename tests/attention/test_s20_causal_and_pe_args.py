"""Causal attention with more queries than keys (the first queries sat before every key and came back as silent
zero rows) and a non-integer positional-encoding size (a bare TypeError from torch.zeros) are refused by name."""

import pytest
import torch

from paperworks.attention import scaled_dot_product_attention, sinusoidal_positional_encoding


def test_s20_causal_more_queries_than_keys_refused():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 1, n, 4, generator=g) for n in (3, 2, 2))
    with pytest.raises(ValueError, match="q_len <= k_len"):
        scaled_dot_product_attention(q, k, v, causal=True)
    # q_len <= k_len (incremental decoding) still matches the closed form
    out = scaled_dot_product_attention(q[..., :1, :], k, v, causal=True)
    ref = torch.softmax(q[..., :1, :] @ k.transpose(-1, -2) / 2.0, -1) @ v
    assert torch.allclose(out, ref, atol=1e-6)


def test_s20_positional_encoding_needs_integers():
    with pytest.raises(ValueError, match="must be integers"):
        sinusoidal_positional_encoding(3.5, 4)
    pe = sinusoidal_positional_encoding(3, 5)
    assert pe.shape == (3, 5) and abs(float(pe[2, 0]) - torch.sin(torch.tensor(2.0)).item()) < 1e-6
