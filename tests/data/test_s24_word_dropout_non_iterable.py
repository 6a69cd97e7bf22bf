"""word_dropout refuses a non-iterable 'texts' (an int, None, a float) with the DataError the other text helpers
give (session 24). Before, ``list(texts)`` raised a bare TypeError ("'int' object is not iterable")."""

import pytest

from paperworks.core.errors import DataError
from paperworks.data.text import word_dropout


@pytest.mark.parametrize("texts, name", [(5, "int"), (None, "NoneType"), (3.5, "float"), (object(), "object")])
def test_non_iterable_texts_is_one_data_error(texts, name):
    with pytest.raises(DataError, match=rf"word_dropout: 'texts' must be a list of strings \(got {name}\)"):
        word_dropout(texts, 0.5)


def test_iterables_of_strings_still_accepted_alike():
    texts = ["a b c d e f", "g h i", ""]
    want = word_dropout(texts, 0.5, seed=3)
    assert word_dropout(tuple(texts), 0.5, seed=3) == want
    assert word_dropout(iter(texts), 0.5, seed=3) == want
    with pytest.raises(DataError, match="got the string"):
        word_dropout("a b", 0.5)
