"""corpus_bleu with an explicit layout and nothing to score: one named error, as with the default layout."""

import pytest

from paperworks.attention import corpus_bleu


@pytest.mark.parametrize("layout", ["auto", "sentences", "streams"])
def test_empty_corpus_is_named_for_every_layout(layout):
    with pytest.raises(ValueError, match="no sentences to score"):
        corpus_bleu([], [], layout=layout)


def test_streams_layout_with_an_empty_reference_list_says_so():
    with pytest.raises(ValueError, match="got an empty list"):
        corpus_bleu(["a b c"], [], layout="streams")


def test_layouts_still_score_as_before():
    hyps, refs = ["the cat sat on the mat", "a dog ran"], ["the cat sat on a mat", "a dog ran away"]
    one = corpus_bleu(hyps, refs)
    assert corpus_bleu(hyps, [refs], layout="streams") == one
    assert corpus_bleu(hyps, [[r] for r in refs], layout="sentences") == one
