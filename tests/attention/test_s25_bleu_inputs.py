"""corpus_bleu / exact_match inputs that ended in a bare traceback:

- an unknown ``tokenize`` name was sacrebleu's ``KeyError: 'foo'`` (no function, no valid names);
- a generator of sentences was ``TypeError: object of type 'generator' has no len()``;
- a non-string entry (token ids, or a list of several references for one sentence) was sacrebleu's
  "`refs` should be a sequence of sequence of strings", which names no position and, for a list of reference
  lists, describes exactly what was passed.
Now one ValueError each naming the problem (iterables are read once, as lists); scores unchanged.
"""

import pytest

from paperworks.attention import corpus_bleu, exact_match

HYPS = ["the cat is on the mat today", "a dog barks", "there is a big house on the hill"]
REFS = ["the cat sat on the mat today", "the dog barks loudly", "there is a small house on the hill here"]


def test_scores_unchanged():
    # hand computation (13a = whitespace split here): matches 15/18, 10/15, 5/12, 2/9; BP exp(1 - 20/18)
    assert corpus_bleu(HYPS, REFS) == pytest.approx(42.61583403249055, abs=1e-9)
    assert corpus_bleu(HYPS, REFS, tokenize="intl") == pytest.approx(42.61583403249055, abs=1e-9)


def test_unknown_tokenizer_is_one_value_error_naming_the_valid_ones():
    with pytest.raises(ValueError, match=r"corpus_bleu: unknown tokenize 'foo'.*13a.*intl"):
        corpus_bleu(HYPS, REFS, tokenize="foo")


def test_iterables_are_read_once_as_lists():
    assert corpus_bleu(iter(HYPS), (r for r in REFS)) == corpus_bleu(HYPS, REFS)
    assert exact_match((h for h in [[1, 2], [3]]), iter([[1, 2], [4]])) == 0.5


def test_a_list_of_references_per_sentence_is_named():
    # several references are taken as streams since session 26 (test_s26_multi_reference_bleu.py); a
    # per-sentence list whose length differs from the number of hypotheses is named as such
    with pytest.raises(ValueError, match=r"corpus_bleu: reference stream references\[0\] has 2 sentences.*per-sentence reference lists.*layout='sentences'"):
        corpus_bleu(HYPS[:1], [[REFS[0], "another reference"]])


def test_token_ids_instead_of_text_are_named():
    with pytest.raises(ValueError, match=r"corpus_bleu: hypotheses\[1\] is a list, not a string"):
        corpus_bleu([HYPS[0], [4, 5, 6]], REFS[:2])
    with pytest.raises(ValueError, match=r"corpus_bleu: references\[0\] is a NoneType"):
        corpus_bleu(HYPS[:1], [None])


def test_not_iterable_is_one_value_error():
    with pytest.raises(ValueError, match=r"corpus_bleu: 'hypotheses' must be a list of sentences"):
        corpus_bleu(3, REFS)
    with pytest.raises(ValueError, match=r"exact_match: expected lists of sequences"):
        exact_match(3, [[1]])
