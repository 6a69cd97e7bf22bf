"""ppo po_columns given as integer indices: they index the exog as passed. A constant column (dropped, e.g.
sm.add_constant's 'const', which is dropped without a warning) used to shift the later indices, so
po_columns=[1] on columns (const, x1, x2) made x2 common instead of x1, silently."""

import numpy as np
import pandas as pd
import pytest

from paperworks.stats import MultinomialLinkModel


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 2)), columns=["x1", "x2"])
    return X, rng.integers(0, 3, n)


def test_index_after_dropped_constant_column_is_the_one_passed():
    X, y = _data()
    Xc = pd.concat([pd.Series(1.0, index=X.index, name="const"), X], axis=1)     # = sm.add_constant(X)
    by_index = MultinomialLinkModel(y, Xc, assumption="ppo", po_columns=[1])
    by_name = MultinomialLinkModel(y, Xc, assumption="ppo", po_columns=["x1"])
    assert by_index.param_names == by_name.param_names
    assert "x1" in by_index.param_names and "x2:1" in by_index.param_names
    np.testing.assert_array_equal(by_index.fit().params, by_name.fit().params)


def test_index_after_dropped_constant_numpy():
    X, y = _data()
    A = np.column_stack([X.to_numpy()[:, 0], np.full(len(X), 5.0), X.to_numpy()[:, 1]])   # x1, const, x2
    with pytest.warns(UserWarning, match="constant"):
        m = MultinomialLinkModel(y, A, assumption="ppo", po_columns=[2])
    # columns after the drop: x1 (named x1), x3 (named x3): index 2 of A is its third column
    assert m.param_names == ["(Intercept):1", "(Intercept):2", "x1:1", "x1:2", "x3"]


def test_index_of_the_dropped_constant_column_is_refused():
    X, y = _data()
    Xc = pd.concat([pd.Series(1.0, index=X.index, name="const"), X], axis=1)
    with pytest.raises(ValueError, match="po_columns index 0 is a constant exog column"):
        MultinomialLinkModel(y, Xc, assumption="ppo", po_columns=[0])
    with pytest.raises(ValueError, match=r"out of range \[0, 3\)"):
        MultinomialLinkModel(y, Xc, assumption="ppo", po_columns=[3])


def test_indices_unchanged_without_constant_and_in_formulas():
    X, y = _data()
    m = MultinomialLinkModel(y, X, assumption="ppo", po_columns=[1])
    assert m.param_names == ["(Intercept):1", "(Intercept):2", "x1:1", "x1:2", "x2"]
    f = MultinomialLinkModel.from_formula("y ~ x1 + x2", X.assign(y=y), assumption="ppo", po_columns=[0])
    assert f.param_names == ["(Intercept):1", "(Intercept):2", "x1", "x2:1", "x2:2"]


def test_npo_with_po_columns_array_gets_the_named_error():
    X, y = _data()
    with pytest.raises(ValueError, match="only used with assumption='ppo'"):
        MultinomialLinkModel(y, X, assumption="npo", po_columns=np.array([0, 1]))
