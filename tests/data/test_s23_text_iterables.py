"""BagOfWords and word_dropout take any iterable of strings, and refuse one string: a generator was consumed by
BagOfWords' input check (transform() returned 0 rows, fit() said 'no term occurs'), and word_dropout split a
single string into letters."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.data.text import BagOfWords, word_dropout

TEXTS = ["the cat sat", "the dog sat", "a cat and a dog", "the end"]


def test_transform_and_fit_of_a_generator_equal_the_list():
    bow = BagOfWords(min_df=1).fit(TEXTS)
    assert torch.equal(bow.transform(t for t in TEXTS), bow.transform(TEXTS))
    gen = BagOfWords(min_df=1).fit(t for t in TEXTS)
    assert gen.vocabulary_ == bow.vocabulary_ and torch.equal(gen.idf_, bow.idf_)
    assert torch.equal(BagOfWords(min_df=1).fit_transform(iter(TEXTS)), bow.transform(TEXTS))


@pytest.mark.parametrize("bad", ["the cat sat", 3, [1, 2], ["ok", None]])
def test_bag_of_words_refuses_non_lists_of_strings(bad):
    with pytest.raises(DataError, match="expected a list of strings"):
        BagOfWords(min_df=1).fit(bad)


def test_word_dropout_refuses_one_string_and_takes_a_generator():
    with pytest.raises(DataError, match="must be a list of strings"):
        word_dropout("the cat sat on the mat", 0.0)
    with pytest.raises(DataError, match="must be a list of strings"):
        word_dropout(["a b", 3], 0.5)
    assert word_dropout((t for t in TEXTS), 0.3, seed=4) == word_dropout(TEXTS, 0.3, seed=4)
