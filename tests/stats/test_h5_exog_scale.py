"""exog of extreme scale: matrix_rank's tolerance is relative to the largest singular value, so columns of scale
1e100..1e200 swamped the intercept (and columns of scale 1e-200 vanished beside it). The code before reported
such a design as 'collinear' with an EMPTY list of culprit columns (or with columns that are not collinear);
the slopes are scale-equivariant, so collinearity is now decided on the columns scaled to max |z| = 1, and a
design that is only badly scaled gets one error naming its columns and their scales."""

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel

RNG = np.random.default_rng(0)
X = RNG.normal(size=(200, 3))
Y = RNG.integers(0, 3, 200)


@pytest.mark.parametrize("scale", [1e100, 1e200, 1e-200])
def test_badly_scaled_design_gets_one_error_naming_its_columns(scale):
    with pytest.raises(ValueError, match=r"numerically singular at the scale of exog, though its columns are not "
                                         r"collinear \(max \|x\|: x1 [0-9.]+e[+-][0-9]+, x2 [0-9.]+e[+-][0-9]+;"):
        MultinomialLinkModel(Y, X[:, :2] * scale, model="cumulative")


def test_only_the_far_column_is_named():
    Xm = X[:, :2].copy()
    Xm[:, 1] *= 1e200
    with pytest.raises(ValueError, match=r"\(max \|x\|: x2 [0-9.]+e\+200; the intercept's is 1\); rescale"):
        MultinomialLinkModel(Y, Xm)


@pytest.mark.parametrize("Xc,culprits", [
    (np.c_[X[:, :2], X[:, 0] + X[:, 1]], "x1, x2, x3"),
    (np.c_[X[:, :2] * 1e200, 1e200 * (X[:, 0] + X[:, 1])], "x1, x2, x3"),
    (np.c_[X[:, :2], 1e200 * X[:, 0]], "x1, x3"),          # collinear AND badly scaled: still 'collinear'
    (np.c_[X[:, :2], 1e-200 * (X[:, 0] + 3.0)], "x1, x3"),  # a column that is x1 plus the intercept
])
def test_true_collinearity_names_its_columns_at_any_scale(Xc, culprits):
    with pytest.raises(ValueError, match=rf"exog columns are collinear \(with each other or the intercept\): "
                                         rf"{culprits}; drop redundant columns"):
        MultinomialLinkModel(Y, Xc)


def test_moderate_scales_fit_as_before_and_are_scale_equivariant():
    r1 = MultinomialLinkModel(Y, X[:, :2], model="cumulative", assumption="po").fit()
    r2 = MultinomialLinkModel(Y, X[:, :2] * 2.0 ** 20, model="cumulative", assumption="po").fit()
    np.testing.assert_allclose(r2.llf, r1.llf, rtol=1e-12)
    np.testing.assert_allclose(r2.params[2:] * 2.0 ** 20, r1.params[2:], rtol=1e-8)
