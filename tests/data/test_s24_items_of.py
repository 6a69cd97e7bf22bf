"""One helper materialises a setting given as any iterable: paperworks.data.items_of. BagOfWords' input check
(data.text) held a twin of graphs._checks.items_of, and data may not import graphs (a layer above it), so the
helper now lives in paperworks.data and both use it, with the behaviour of each unchanged."""

import inspect

import pandas as pd
import pytest

import paperworks.data as data
import paperworks.data.text as text
from paperworks.core.errors import DataError
from paperworks.data.text import BagOfWords
from paperworks.graphs import _checks


def test_one_helper_in_the_data_layer():
    from paperworks.data import items_of

    assert _checks.items_of is items_of and text.items_of is items_of
    assert "items_of" in data.__all__


@pytest.mark.parametrize("value, want", [((1, 2), [1, 2]), (range(3), [0, 1, 2]), ([], []), ({5}, [5]),
                                         (pd.Series([0.5, 2.0]), [0.5, 2.0]), ((i for i in "ab"), ["a", "b"]),
                                         ("ab", None), (b"ab", None), (3, None), (None, None), (2.5, None)],
                         ids=lambda v: "generator" if inspect.isgenerator(v) else repr(v))
def test_items_of(value, want):
    assert data.items_of(value) == want


TEXTS = ["the cat sat", "a dog ran", "the dog sat"]


@pytest.mark.parametrize("make", [list, tuple, pd.Series, lambda t: (s for s in t)],
                         ids=["list", "tuple", "series", "generator"])
def test_bag_of_words_takes_any_iterable_of_strings(make):
    ref = BagOfWords().fit_transform(list(TEXTS))
    got = BagOfWords().fit_transform(make(TEXTS))
    assert got.equal(ref)
    bow = BagOfWords().fit(make(TEXTS))
    assert bow.transform(make(TEXTS)).equal(ref)


@pytest.mark.parametrize("bad", ["the cat sat", b"the cat", 3, None, ["ok", 1]], ids=repr)
def test_bag_of_words_refuses_the_same_inputs(bad):
    with pytest.raises(DataError, match=r"BagOfWords.fit_transform: expected a list of strings"):
        BagOfWords().fit_transform(bad)
