"""MultiHeadAttention's query and key/value must have the same batch size, as torch.nn.MultiheadAttention
requires: query [1, T, D] with key/value [3, S, D] used to broadcast silently to an output of 3 rows (query batch 2
with key batch 1 likewise), and 2 vs 3 failed inside with torch's bare size message."""

import pytest
import torch

from paperworks.attention import MultiHeadAttention


@pytest.mark.parametrize("qb,kb", [(1, 3), (2, 1), (2, 3)])
@pytest.mark.parametrize("need_weights", [False, True])
def test_batch_sizes_must_agree(qb, kb, need_weights):
    m = MultiHeadAttention(8, 2).eval()
    q, k = torch.randn(qb, 3, 8), torch.randn(kb, 4, 8)
    with pytest.raises(ValueError, match="expected query"):
        m(q, k, k, need_weights=need_weights)


def test_equal_batch_sizes_still_run():
    m = MultiHeadAttention(8, 2).eval()
    q, k = torch.randn(2, 3, 8), torch.randn(2, 4, 8)
    assert m(q, k, k).shape == (2, 3, 8)
    out, w = m(q, k, k, need_weights=True)
    assert out.shape == (2, 3, 8) and w.shape == (2, 3, 4)
