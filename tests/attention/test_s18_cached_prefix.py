"""A cached decoding state belongs to the prefix it has seen: each ``decode_next`` call with the key/value (or
LSTM h/c) cache must extend that prefix. A call with the same or a shorter prefix crashed with an unrelated
error (IndexError "index -1 is out of bounds" / RuntimeError "Expected sequence length to be larger than 0 in
RNN"), and a call whose earlier tokens differ from the ones cached silently returned the log-probabilities of
the stale cached prefix (0.72 off the recomputed ones for the Transformer, 0.07 for the LSTM). The uncached
path recomputes everything and keeps accepting any prefix."""

import pytest
import torch

from paperworks.attention import LSTMSeq2Seq, Transformer, beam_search, greedy_search

V = 12


def _models():
    torch.manual_seed(0)
    tf = Transformer(vocab_size=V, d_model=16, n_heads=2, d_ff=32, n_encoder_layers=1, n_decoder_layers=1,
                     dropout=0.0).double().eval()
    torch.manual_seed(0)
    lstm = LSTMSeq2Seq(V, 16, 1, 0.0).double().eval()
    return {"transformer": tf, "lstm": lstm}


def _inputs():
    g = torch.Generator().manual_seed(1)
    src = torch.randint(3, V, (2, 5), generator=g)
    prefix = torch.randint(3, V, (2, 4), generator=g)
    prefix[:, 0] = 1
    return src, prefix


@pytest.mark.parametrize("name", ["transformer", "lstm"])
def test_cached_call_that_does_not_extend_the_prefix_is_one_clear_error(name):
    m = _models()[name]
    src, prefix = _inputs()
    for shorter in (3, 2):                       # the same prefix again, then a shorter one
        state = m.start_decoding(src)
        _, state = m.decode_next(prefix[:, :3], state)
        with pytest.raises(ValueError, match=r"decode_next: with the cache, the prefix must extend the one "
                                             r"decoded before \(length 3; got shape \[2, \d\]\)"):
            m.decode_next(prefix[:, :shorter], state)
    # uncached: any prefix is recomputed from scratch and equals a fresh state's answer
    state = m.start_decoding(src, use_cache=False)
    _, state = m.decode_next(prefix[:, :3], state)
    again, _ = m.decode_next(prefix[:, :2], state)
    fresh, _ = m.decode_next(prefix[:, :2], m.start_decoding(src, use_cache=False))
    assert torch.equal(again, fresh)


@pytest.mark.parametrize("name", ["transformer", "lstm"])
def test_cached_call_with_changed_earlier_tokens_is_refused_not_stale(name):
    m = _models()[name]
    src, prefix = _inputs()
    state = m.start_decoding(src)
    _, state = m.decode_next(prefix[:, :2], state)
    changed = prefix[:, :3].clone()
    changed[1, 1] = (changed[1, 1] - 2) % (V - 3) + 3      # another real token at an already decoded position
    with pytest.raises(ValueError, match=r"decode_next: with the cache, the prefix must extend the one decoded "
                                         r"before.*rows \[1\]"):
        m.decode_next(changed, state)


@pytest.mark.parametrize("name", ["transformer", "lstm"])
def test_extending_prefix_with_reordered_state_still_equals_recomputation(name):
    m = _models()[name]
    src, prefix = _inputs()
    cached, plain = m.start_decoding(src), m.start_decoding(src, use_cache=False)
    a, cached = m.decode_next(prefix[:, :2], cached)
    b, plain = m.decode_next(prefix[:, :2], plain)
    idx = torch.tensor([1, 0, 1])
    cached, plain, prefix, src = m.reorder_state(cached, idx), m.reorder_state(plain, idx), prefix[idx], src[idx]
    for t in (3, 4):
        a, cached = m.decode_next(prefix[:, :t], cached)
        b, plain = m.decode_next(prefix[:, :t], plain)
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    # the searches keep working on both models, cached = uncached
    for search in (lambda **kw: greedy_search(m, src, max_len_b=4, **kw),
                   lambda **kw: beam_search(m, src, 3, 0.6, max_len_b=4, **kw)):
        assert search(use_cache=True) == search(use_cache=False)
