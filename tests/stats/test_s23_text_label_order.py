"""Text response labels are sorted alphabetically; an ordinal family then reads 'high' < 'low' < 'medium'
silently. The model now warns where the order matters (every family but baseline, J >= 3)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from paperworks.stats import MultinomialLinkModel

rng = np.random.default_rng(0)
X = rng.normal(size=(90, 1))
CODES = np.repeat([0, 1, 2], 30)
TEXT = np.array(["low", "medium", "high"])[CODES]


@pytest.mark.parametrize("model", ["cumulative", "adjacent", "continuation"])
def test_ordinal_family_warns_on_sorted_text_labels(model):
    with pytest.warns(UserWarning, match="sorted alphabetically \\(high, low, medium\\).*ordered"):
        m = MultinomialLinkModel(TEXT, X, model=model)
    assert m.categories == ["high", "low", "medium"]


def test_no_warning_where_order_is_given_or_irrelevant():
    cat = pd.Categorical(TEXT, categories=["low", "medium", "high"], ordered=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = MultinomialLinkModel(cat, X, model="cumulative")
        assert m.categories == ["low", "medium", "high"]
        MultinomialLinkModel(TEXT, X, model="baseline")            # nominal: no order read
        MultinomialLinkModel(CODES, X, model="cumulative")          # integer codes: their own order
        MultinomialLinkModel(TEXT[TEXT != "medium"], X[TEXT != "medium"], model="cumulative")   # J = 2


def test_two_group_model_warns_when_a_group_is_ordinal():
    with pytest.warns(UserWarning, match="'cumulative' model"):
        MultinomialLinkModel(TEXT, X, model="baseline", group1_size=1, group2_model="cumulative")


def test_object_dtype_integer_codes_do_not_warn():
    # integer codes with None as NA have object dtype and sort as numbers: no "alphabetically" warning
    y = [int(v) for v in CODES]
    y[0] = None
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*sorted alphabetically")
        m = MultinomialLinkModel(y, X, model="cumulative", na_category=True)
    assert m.categories[:3] == ["0", "1", "2"]
