"""po_columns names the covariates with common slopes under assumption='ppo' only. With assumption='po' (every
slope common) a non-empty po_columns was ignored without a word (probe: po_columns=['x1'] gave the fit with x2
common too), while 'npo' refused it. Both now raise one ValueError naming po_columns and the assumption given;
an empty po_columns (or None) means nothing and is still accepted."""

import numpy as np
import pandas as pd
import pytest

from paperworks.stats import MultinomialLinkModel


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 2)), columns=["x1", "x2"])
    return X, rng.integers(0, 3, n)


@pytest.mark.parametrize("assumption", ["po", "npo"])
@pytest.mark.parametrize("cols", [["x1"], [0], np.array([0, 1]), ("x1", "x2")], ids=repr)
def test_po_columns_outside_ppo_is_refused_naming_both(assumption, cols):
    X, y = _data()
    with pytest.raises(ValueError, match=rf"po_columns is only used with assumption='ppo' "
                                         rf"\(got assumption='{assumption}'"):
        MultinomialLinkModel(y, X, assumption=assumption, po_columns=cols)


def test_po_columns_outside_ppo_is_refused_in_formulas():
    X, y = _data()
    with pytest.raises(ValueError, match="po_columns is only used with assumption='ppo'"):
        MultinomialLinkModel.from_formula("y ~ x1 + x2", X.assign(y=y), assumption="po", po_columns=["x1"])


@pytest.mark.parametrize("cols", [None, [], (), np.array([], dtype=int)], ids=repr)
def test_empty_po_columns_still_accepted(cols):
    X, y = _data()
    ref = MultinomialLinkModel(y, X, assumption="po")
    m = MultinomialLinkModel(y, X, assumption="po", po_columns=cols)
    assert m.param_names == ref.param_names == ["(Intercept):1", "(Intercept):2", "x1", "x2"]
    assert MultinomialLinkModel(y, X, assumption="npo", po_columns=cols).po_columns == []
