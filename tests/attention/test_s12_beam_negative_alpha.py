"""The official early stop ("bound") with a negative length penalty exponent: lp((5+|Y|)/6)^alpha then
DEcreases with |Y|, so the best an alive hypothesis can still reach is log P / lp(t + 1), not / lp(limit)."""

import math

import pytest
import torch

from paperworks.attention import beam_search, length_penalty


class _Table:
    """pad 0, bos 1, eos 2, a 3: first token EOS .1 / a .9; after a: EOS 1."""

    pad_id, bos_id, eos_id, vocab_size = 0, 1, 2, 4

    def start_decoding(self, src, src_padding_mask=None, use_cache=True):
        return {}

    def reorder_state(self, state, index):
        return state

    def decode_next(self, prefix, state):
        rows = []
        for toks in prefix[:, 1:].tolist():
            rows.append([0.0, 0.0, 0.1, 0.9] if not toks else [0.0, 0.0, 1.0, 0.0])
        return torch.tensor(rows, dtype=torch.float64).log(), state


@pytest.mark.parametrize("alpha", [-0.5, -2.0])
def test_bound_stop_with_negative_alpha_matches_full_search_closed_form(alpha):
    # [a] + EOS: log .9 / lp(2) beats [] + EOS: log .1 / lp(1) = log .1 for any alpha <= 0
    best = math.log(0.9) / float(length_penalty(2, alpha))
    assert best > math.log(0.1)
    src = torch.tensor([[3] * 4])
    for stop in ("never", "bound"):  # old code: "bound" stopped at step 1 and returned [] (score log .1)
        hyp, sc = beam_search(_Table(), src, beam_size=1, alpha=alpha, return_scores=True, stop=stop)
        assert hyp == [[3]] and sc[0] == pytest.approx(best, abs=1e-12)
