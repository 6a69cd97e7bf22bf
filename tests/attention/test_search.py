"""Search oracles: beam 1 == greedy, cache == no cache, beam finds the exact best on a tiny space."""

import itertools

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
    assert beam_search(m, src, beam_size=1, max_len_b=8) == greedy_search(m, src, max_len_b=8)
    lstm = LSTMSeq2Seq(9, 16, 1, dropout=0.0).double().eval()
    assert beam_search(lstm, src, beam_size=1, max_len_b=8) == greedy_search(lstm, src, max_len_b=8)


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
    with pytest.raises(ValueError, match="token ids"):
        greedy_search(m, torch.tensor([1, 2, 3]))
