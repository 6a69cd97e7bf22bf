"""MultinomialLinkModel's group1_size took an integral float (2.0) as its integer but refused a Fraction holding
one ("group1_size must be an integer in [1, 3] (got Fraction(2, 1))"), unlike the shared rule of core.config
(is_whole: MILPPlanner's node_limit, encode_rollout's T, the CIFAR labels). It now uses that rule; the model is
the one of group1_size=2, and the attribute is stored as that int (2.0 / np.float32(2.0) were kept as given)."""

from fractions import Fraction

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 2))
Y = np.array([0, 1, 2, 3] * 15)


def _spec(m):
    return [(b.family, b.cats, b.preds, b.kind) for b in m.blocks], m.param_names


@pytest.mark.parametrize("k", [Fraction(2, 1), Fraction(4, 2)])
def test_a_fraction_holding_an_integer_is_that_integer(k):
    want = _spec(MultinomialLinkModel(Y, X, model="cumulative", group1_size=2))
    assert _spec(MultinomialLinkModel(Y, X, model="cumulative", group1_size=k)) == want


@pytest.mark.parametrize("k", [2, 2.0, np.float32(2.0), np.int64(2), Fraction(2)])
def test_group1_size_is_stored_as_an_int(k):
    m = MultinomialLinkModel(Y, X, model="cumulative", group1_size=k)
    assert m.group1_size == 2 and type(m.group1_size) is int


@pytest.mark.parametrize("bad", [Fraction(3, 2), np.bool_(True), True, 1.5, "2"])
def test_non_integers_stay_refused(bad):
    with pytest.raises(ValueError, match=r"group1_size must be an integer in \[1, 3\]"):
        MultinomialLinkModel(Y, X, model="cumulative", group1_size=bad)


def test_out_of_range_names_the_range():
    with pytest.raises(ValueError, match=r"group1_size must be in \[1, 3\] \(got 4\)"):
        MultinomialLinkModel(Y, X, model="cumulative", group1_size=Fraction(4))
