"""Beam search on tied log-probabilities: candidates of equal score rank by beam, then token id (lower first),
so beam size 1 with stop="first_k" is greedy search (argmax: lowest token id) on ties too."""

import pytest
import torch

from paperworks.attention import beam_search, greedy_search


class _Flat:
    """pad 0, bos 1, eos 2; step 1: tokens 3..V-1 equally likely (EOS impossible); then EOS for sure."""

    pad_id, bos_id, eos_id = 0, 1, 2

    def __init__(self, vocab_size):
        self.vocab_size = vocab_size

    def start_decoding(self, src, src_padding_mask=None, use_cache=True):
        return {}

    def reorder_state(self, state, index):
        return state

    def decode_next(self, prefix, state):
        p = torch.zeros(prefix.shape[0], self.vocab_size, dtype=torch.float64)
        first = prefix.shape[1] == 1
        if first:
            p[:, 3:] = 1.0 / (self.vocab_size - 3)
        else:
            p[:, 2] = 1.0
        return p.log(), state


@pytest.mark.parametrize("V", [5, 8, 13, 40, 300])
def test_tied_first_step_picks_lowest_token_like_greedy(V):
    m, src = _Flat(V), torch.tensor([[3, 3], [3, 3]])
    assert greedy_search(m, src) == [[3], [3]]
    # old code (torch.topk): [[4]] for V = 5, [[6]] for V = 8, [[28]] for V = 40
    assert beam_search(m, src, beam_size=1, stop="first_k") == [[3], [3]]
    for k in (1, 2, 4):
        for stop in ("bound", "never", "first_k"):
            hyp, sc = beam_search(m, src, beam_size=k, stop=stop, return_scores=True)
            assert hyp == [[3], [3]], (k, stop)
