"""MultinomialLinkModel read two arguments loosely, silently: ``exog_names`` of another length than exog's columns was
replaced by x1, x2, ... (po_columns by those names then failed as 'not an exog column; available: x1, x2'), and
``group1_size`` went through int(): 1.5 ran as 1, the string '2' as 2, True as 1. Now one ValueError each; valid
values (Python / numpy integers, names of the right length) behave as before."""

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 2))
Y = np.array([0, 1, 2, 3] * 15)


@pytest.mark.parametrize("names", [["age"], ["a", "b", "c"], []])
def test_exog_names_of_another_length_is_refused(names):
    with pytest.raises(ValueError, match=r"exog_names has \d+ name\(s\).*exog has 2 column"):
        MultinomialLinkModel(Y, X, model="cumulative", exog_names=names)


def test_exog_names_without_exog_is_refused():
    with pytest.raises(ValueError, match=r"exog_names given .* no exog"):
        MultinomialLinkModel(Y, None, model="cumulative", exog_names=["age"])


def test_exog_names_of_the_right_length_name_the_parameters():
    m = MultinomialLinkModel(Y, X, model="cumulative", assumption="ppo", exog_names=["age", "dose"],
                             po_columns=["dose"])
    assert m.param_names[-1] == "dose" and "age:1" in m.param_names


@pytest.mark.parametrize("bad", [1.5, "2", True, [2]])
def test_group1_size_must_be_an_integer(bad):
    with pytest.raises(ValueError, match=r"group1_size must be an integer in \[1, 3\]"):
        MultinomialLinkModel(Y, X, model="cumulative", group1_size=bad)


@pytest.mark.parametrize("k", [2, np.int64(2), np.int32(2)])
def test_group1_size_integers_as_before(k):
    m = MultinomialLinkModel(Y, X, model="cumulative", group1_size=k)
    assert m.group1_size == 2 and len(m.blocks) == 3
    assert m.blocks[0].cats == slice(0, 2)
