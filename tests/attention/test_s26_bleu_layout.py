"""corpus_bleu's ``layout``: reference streams (sacrebleu's layout) vs per-sentence reference lists (NLTK's).

When several references per sentence became supported (2801954), a list of per-sentence reference lists as long as
the hypotheses, which used to be refused, was read silently as streams: two hypotheses with two references each
scored 68.39 where the same references as streams give 100. Both layouts fit such a list, so the default refuses
it and names ``layout``; ``layout='sentences'`` takes per-sentence lists (of any lengths) and scores them as
sacrebleu scores the transposed streams.
"""

import random

import pytest
import sacrebleu

from paperworks.attention import corpus_bleu

HYPS = ["the cat sat on the mat", "a dog ran over the hill"]
PER_SENTENCE = [["the cat sat on the mat", "a cat sat on a mat"], ["a dog ran over the hill", "the dog ran"]]
STREAMS = [list(t) for t in zip(*PER_SENTENCE)]


def test_ambiguous_square_list_of_lists_is_refused_by_default():
    with pytest.raises(ValueError, match=r"2 lists for 2 hypotheses.*layout='streams' or layout='sentences'"):
        corpus_bleu(HYPS, PER_SENTENCE)


def test_sentences_layout_equals_sacrebleu_on_the_transposed_streams():
    want = sacrebleu.corpus_bleu(HYPS, STREAMS).score
    assert corpus_bleu(HYPS, PER_SENTENCE, layout="sentences") == want == pytest.approx(100.0)
    assert corpus_bleu(HYPS, STREAMS, layout="streams") == want
    # read as streams, the per-sentence lists are another corpus (the silent score the default now refuses)
    assert corpus_bleu(HYPS, PER_SENTENCE, layout="streams") < 90


def test_sentences_layout_random_ragged_reference_counts_match_sacrebleu():
    rng = random.Random(1)
    words = "the a cat dog sat on mat big house ran over it".split()
    sent = lambda: " ".join(rng.choice(words) for _ in range(rng.randint(1, 10)))
    for trial in range(30):
        n = rng.randint(1, 8)
        hyps = [sent() for _ in range(n)]
        per = [[sent() for _ in range(rng.randint(1, 3))] for _ in range(n)]
        k = max(len(r) for r in per)
        streams = [[r[j] if j < len(r) else None for r in per] for j in range(k)]
        tok = ("13a", "none", "char")[trial % 3]
        assert corpus_bleu(hyps, per, tokenize=tok, layout="sentences") == sacrebleu.corpus_bleu(
            hyps, streams, tokenize=tok).score


def test_sentences_layout_with_plain_strings_is_the_single_reference_score():
    refs = ["the cat sat on a mat", "a dog ran over a hill"]
    assert corpus_bleu(HYPS, refs, layout="sentences") == corpus_bleu(HYPS, refs)
    assert corpus_bleu(HYPS, [refs[0], [refs[1]]], layout="sentences") == corpus_bleu(HYPS, refs)


def test_non_square_streams_and_single_references_keep_the_default():
    hyps3 = HYPS + ["we go home"]
    streams3 = [s + ["we go home now"] for s in STREAMS]
    assert corpus_bleu(hyps3, streams3) == sacrebleu.corpus_bleu(hyps3, streams3).score
    assert corpus_bleu(["a b c d"], [["a b c d"]]) == pytest.approx(100.0)     # one hypothesis: both layouts agree


@pytest.mark.parametrize("refs, layout, match", [
    (PER_SENTENCE, "nltk", r"unknown layout 'nltk'"),
    (["the cat", "a dog"], "streams", r"layout='streams' needs a list of reference streams"),
    ([["x"]], "sentences", r"2 hypotheses but 1 per-sentence reference entries"),
    ([["x"], []], "sentences", r"hypothesis 1 has no reference"),
    ([["x"], ["y", 3]], "sentences", r"references\[1\]\[1\] is a int, not a string"),
])
def test_bad_layout_inputs_are_one_value_error(refs, layout, match):
    with pytest.raises(ValueError, match=match):
        corpus_bleu(HYPS, refs, layout=layout)
