"""Search oracles: beam 1 == greedy (first_k rule), cache == no cache, beam finds the exact best on a tiny
space, the official early stop never changes the result, a closed-form case where the two stop rules differ."""

import itertools
import math

import pytest
import torch

from paperworks.attention import LSTMSeq2Seq, Transformer, beam_search, greedy_search, length_penalty, max_lengths


def _model(seed):
    torch.manual_seed(seed)
    m = Transformer(vocab_size=9, d_model=16, n_heads=2, d_ff=32, n_encoder_layers=1, n_decoder_layers=2,
                    dropout=0.0).double().eval()
    with torch.no_grad():  # make EOS likely enough that hypotheses end at different lengths
        m.embedding.weight[m.eos_id] *= 3
    return m


def _src(seed, B=5, L=6):
    g = torch.Generator().manual_seed(seed)
    s = torch.randint(3, 9, (B, L), generator=g)
    s[1, 4:] = 0
    s[3, 2:] = 0
    return s


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_size_one_equals_greedy(seed):
    m, src = _model(seed), _src(seed)
    assert beam_search(m, src, beam_size=1, max_len_b=8, stop="first_k") == greedy_search(m, src, max_len_b=8)
    lstm = LSTMSeq2Seq(9, 16, 1, dropout=0.0).double().eval()
    assert beam_search(lstm, src, beam_size=1, max_len_b=8, stop="first_k") == greedy_search(lstm, src, max_len_b=8)


@pytest.mark.parametrize("seed", [0, 3])
def test_cache_does_not_change_search_results(seed):
    m, src = _model(seed), _src(seed)
    assert greedy_search(m, src, max_len_b=7, use_cache=True) == greedy_search(m, src, max_len_b=7, use_cache=False)
    a = beam_search(m, src, 4, 0.6, max_len_b=7, use_cache=True, return_scores=True)
    b = beam_search(m, src, 4, 0.6, max_len_b=7, use_cache=False, return_scores=True)
    assert a[0] == b[0]
    assert a[1] == pytest.approx(b[1], abs=1e-9)


@torch.no_grad()
def _score(m, src, hyp, alpha):
    """log P(hyp + EOS | src) / lp(|hyp| + 1) by teacher forcing (or without EOS at the length limit)."""
    tgt = torch.tensor([[m.bos_id] + hyp])
    lp = torch.log_softmax(m(src[None], tgt), -1)[0]
    toks = hyp + [m.eos_id]
    return sum(float(lp[i, t]) for i, t in enumerate(toks)) / float(length_penalty(len(toks), alpha))


def test_wide_beam_finds_exhaustive_optimum():
    """With a beam as wide as the whole search space, beam search returns the exact argmax over all
    hypotheses that end with EOS within the limit (enumerated by brute force)."""
    torch.manual_seed(5)
    m = Transformer(vocab_size=5, d_model=8, n_heads=2, d_ff=16, n_encoder_layers=1, n_decoder_layers=1,
                    dropout=0.0).double().eval()
    with torch.no_grad():
        m.embedding.weight[m.eos_id] *= 4
    src = torch.tensor([[3, 4, 3]])
    alpha, limit = 0.6, 3
    got, scores = beam_search(m, src, beam_size=64, alpha=alpha, max_len_a=0.0, max_len_b=limit,
                              return_scores=True)
    best = None
    for n in range(0, limit):  # hypotheses of n real tokens + EOS
        for hyp in itertools.product([0, 1, 3, 4], repeat=n):
            s = _score(m, src[0], list(hyp), alpha)
            if best is None or s > best[0]:
                best = (s, list(hyp))
    assert scores[0] >= best[0] - 1e-9  # may also be a length-limit hypothesis, which scores >=
    if got[0] != best[1]:
        assert len(got[0]) == limit


def test_max_length_is_source_plus_50():
    src = torch.tensor([[5, 6, 7, 0, 0], [5, 0, 0, 0, 0]])
    assert max_lengths(src, 0).tolist() == [53, 51]


def test_search_errors():
    m = _model(0)
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(m, _src(0), beam_size=0)
    with pytest.raises(ValueError, match="stop must be one of"):
        beam_search(m, _src(0), stop="early")
    with pytest.raises(ValueError, match="token ids"):
        greedy_search(m, torch.tensor([1, 2, 3]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bound_stop_never_changes_the_result(seed):
    """The official early stop (tensor2tensor) ends a sentence only when no alive hypothesis can still enter
    its finished set, so it returns exactly what the same search run to the length limit returns."""
    m, src = _model(seed), _src(seed)
    lstm = LSTMSeq2Seq(9, 16, 1, dropout=0.0).double().eval()
    for model in (m, lstm):
        for k, alpha in ((4, 0.6), (2, 1.0), (1, 0.6)):
            a = beam_search(model, src, k, alpha, max_len_b=9, return_scores=True, stop="bound")
            b = beam_search(model, src, k, alpha, max_len_b=9, return_scores=True, stop="never")
            assert a[0] == b[0]
            assert a[1] == pytest.approx(b[1], abs=1e-12)


class _TableModel:
    """A decoder whose next-token distribution is a fixed table of the prefix (ids: pad 0, bos 1, eos 2,
    a 3, b 4): first token EOS .5 / a .3 / b .2; after a^n (n < 8) a .98 / EOS .01 / b .01; after a^8
    EOS .99 / a .005 / b .005; after anything else EOS 1."""

    pad_id, bos_id, eos_id, vocab_size = 0, 1, 2, 5

    def start_decoding(self, src, src_padding_mask=None, use_cache=True):
        return {}

    def reorder_state(self, state, index):
        return state

    def decode_next(self, prefix, state):
        rows = []
        for toks in prefix[:, 1:].tolist():
            p = [0.0] * 5
            if not toks:
                p[2], p[3], p[4] = 0.5, 0.3, 0.2
            elif set(toks) == {3} and len(toks) < 8:
                p[3], p[2], p[4] = 0.98, 0.01, 0.01
            elif set(toks) == {3}:
                p[2], p[3], p[4] = 0.99, 0.005, 0.005
            else:
                p[2] = 1.0
            rows.append(p)
        return torch.tensor(rows, dtype=torch.float64).log(), state


def test_bound_stop_finds_the_longer_better_hypothesis_closed_form():
    """Beam 1, alpha 1: greedy (and the first_k rule) stop at the EOS of step 1 (score log .5 / lp(1)),
    but a^8 + EOS scores (log .3 + 7 log .98 + log .99) / lp(9) = -0.5654 > log .5 = -0.6931. The official
    rule keeps searching until no alive hypothesis can win, and returns a^8."""
    m, src = _TableModel(), torch.tensor([[3] * 14])   # limit 14 + 50
    long_score = (math.log(0.3) + 7 * math.log(0.98) + math.log(0.99)) / ((5 + 9) / 6)
    hyp, sc = beam_search(m, src, beam_size=1, alpha=1.0, return_scores=True)
    assert hyp == [[3] * 8] and sc[0] == pytest.approx(long_score, abs=1e-12)
    hyp, sc = beam_search(m, src, beam_size=1, alpha=1.0, return_scores=True, stop="first_k")
    assert hyp == [[]] and sc[0] == pytest.approx(math.log(0.5), abs=1e-12)
    assert greedy_search(m, src) == [[]]
    # with beam 2 the first_k rule also has its 2 finished hypotheses (EOS, then b EOS) at step 2
    assert beam_search(m, src, beam_size=2, alpha=1.0, stop="first_k") == [[]]
    assert beam_search(m, src, beam_size=2, alpha=1.0) == [[3] * 8]
