"""corpus_bleu with several references per sentence.

It used to refuse them ("several references per sentence are not supported"). It now takes reference streams as
sacrebleu's ``corpus_bleu(hyps, [refs1, refs2, ...])`` does: clipping by the largest count of an n-gram in any one
reference, brevity penalty from the reference length closest to the hypothesis (the shorter on a tie). Checked
against sacrebleu on random corpora and against an independent computation on hand-made ones; the single-reference
score (the transformer's path) is sacrebleu's as before, and one stream equals it exactly. Streams of unequal length
(which sacrebleu zips silently, dropping sentences) and a sentence without any reference are one ValueError.
"""

import math
import random
from collections import Counter

import pytest
import sacrebleu

from paperworks.attention import corpus_bleu


def _ngrams(tokens, n):
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _oracle(hyps, streams):
    """Plain corpus BLEU with whitespace tokens (tokenize='none'), every order with a match (no smoothing)."""
    match, total, c, r = [0] * 4, [0] * 4, 0, 0
    for i, h in enumerate(hyps):
        ht = h.split()
        refs = [s[i].split() for s in streams if s[i] is not None]
        c += len(ht)
        r += min((abs(len(x) - len(ht)), len(x)) for x in refs)[1]
        for n in range(1, 5):
            hc = _ngrams(ht, n)
            best = Counter()
            for x in refs:
                best |= _ngrams(x, n)      # max count over references
            match[n - 1] += sum(min(k, best[g]) for g, k in hc.items())
            total[n - 1] += sum(hc.values())
    assert all(match), "oracle needs a match at every order"
    bp = 1.0 if c >= r else math.exp(1 - r / c)
    return 100 * bp * math.exp(sum(math.log(m / t) for m, t in zip(match, total)) / 4)


HYPS = ["the the cat sat on the mat today", "a quick brown fox jumps over it", "we go to the big house now"]
R1 = ["the cat sat on the mat today", "a quick brown fox jumps", "we go to the big house now please"]
R2 = ["the the cat sat on a mat today", "a quick brown fox jumps over the dog", "we go to a big house"]


def test_hand_made_two_references_clip_by_max_and_closest_length():
    got = corpus_bleu(HYPS, [R1, R2], tokenize="none")
    assert got == pytest.approx(_oracle(HYPS, [R1, R2]), rel=1e-12)
    assert got == pytest.approx(sacrebleu.corpus_bleu(HYPS, [R1, R2], tokenize="none").score, rel=1e-15)
    # both rules matter here: one reference alone gives less
    assert got > corpus_bleu(HYPS, R1, tokenize="none") and got > corpus_bleu(HYPS, R2, tokenize="none")


def test_closest_length_tie_takes_the_shorter_reference():
    hyp = ["a b c d e f"]                      # 6 tokens; references of 4 and 8 are both 2 away
    short, long_ = ["a b c d"], ["a b c d e f g h"]
    got = corpus_bleu(hyp, [long_, short], tokenize="none")
    assert got == pytest.approx(_oracle(hyp, [long_, short]), rel=1e-12)
    # r = 4 <= c = 6: no brevity penalty; with the longer reference's length there would be one
    assert got == pytest.approx(100.0, rel=1e-12)


def test_one_stream_is_the_single_reference_score_exactly():
    assert corpus_bleu(HYPS, [R1]) == corpus_bleu(HYPS, R1)
    assert corpus_bleu(HYPS, R1) == float(sacrebleu.corpus_bleu(HYPS, [R1]).score)


def test_random_corpora_match_sacrebleu():
    rng = random.Random(0)
    words = "the a cat dog sat on mat big small house , . ! ran over it is was".split()
    sent = lambda: " ".join(rng.choice(words) for _ in range(rng.randint(1, 14)))
    for trial in range(60):
        n, k = rng.randint(1, 12), rng.randint(1, 4)
        hyps = [sent() for _ in range(n)]
        streams = [[sent() for _ in range(n)] for _ in range(k)]
        if k > 1 and trial % 3 == 0:        # some sentences with fewer references
            for i in range(n):
                if rng.random() < 0.4:
                    streams[rng.randrange(1, k)][i] = None
        tok = ("13a", "intl", "none", "char")[trial % 4]
        # layout given: with n == k the default refuses (both layouts fit; test_s26_bleu_layout.py)
        assert corpus_bleu(hyps, streams, tokenize=tok, layout="streams") == sacrebleu.corpus_bleu(
            hyps, streams, tokenize=tok).score
        # single reference: unchanged (sacrebleu with one stream)
        assert corpus_bleu(hyps, streams[0], tokenize=tok) == sacrebleu.corpus_bleu(hyps, streams[:1],
                                                                                      tokenize=tok).score


def test_streams_may_be_tuples_or_generators():
    assert corpus_bleu(HYPS, (tuple(R1), (r for r in R2))) == corpus_bleu(HYPS, [R1, R2])


def test_stream_of_the_wrong_length_is_one_value_error():
    # sacrebleu zips such streams silently (here: scores only the first sentence)
    with pytest.raises(ValueError, match=r"references\[1\] has 2 sentences but there are 3 hypotheses.*stream"):
        corpus_bleu(HYPS, [R1, R2[:2]])
    # per-sentence lists instead of streams (3 sentences, 2 references each): both layouts fit a list of 3 lists
    # for 3 hypotheses, so the default refuses it naming `layout` (test_s26_bleu_layout.py); as streams they
    # are 3 streams of 2 sentences, named as such with the way to pass them
    with pytest.raises(ValueError, match=r"3 lists for 3 hypotheses.*layout='sentences'"):
        corpus_bleu(HYPS, [list(p) for p in zip(R1, R2)])
    with pytest.raises(ValueError, match=r"references\[0\] has 2 sentences.*layout='sentences'"):
        corpus_bleu(HYPS, [list(p) for p in zip(R1, R2)], layout="streams")


def test_sentence_without_any_reference_and_bad_entries():
    with pytest.raises(ValueError, match=r"hypothesis 1 has no reference"):
        corpus_bleu(HYPS, [[R1[0], None, R1[2]], [None, None, R2[2]]])
    with pytest.raises(ValueError, match=r"references\[1\]\[2\] is a int, not a string"):
        corpus_bleu(HYPS, [R1, [R2[0], R2[1], 3]])
    with pytest.raises(ValueError, match=r"hypotheses\[0\] is a list"):
        corpus_bleu([[1, 2]], [[R1[0]], [R2[0]]])
    with pytest.raises(ValueError, match=r"references\[1\] is a list, not a string.*not a mix"):
        corpus_bleu(HYPS[:2], [R1[0], [R1[1]]])
    with pytest.raises(ValueError, match="no sentences to score"):
        corpus_bleu([], [[], []])
