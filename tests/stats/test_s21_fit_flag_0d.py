"""MultinomialLinkModel.fit's flag check (59dd5ff) refused a 0-d boolean numpy array / torch tensor, which fit
took before (read by truth value); they act as the bool they hold again. Other values are still refused."""

import numpy as np
import pytest
import torch

from paperworks.stats import MultinomialLinkModel


def _model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + rng.normal(size=60) > 0).astype(int) + (X[:, 1] > 0.5)
    return MultinomialLinkModel(y, X, model="baseline", assumption="npo")


@pytest.mark.parametrize("wrap", [np.array, torch.tensor], ids=["ndarray", "tensor"])
def test_zero_d_boolean_flags_fit_as_the_bool(wrap):
    m = _model()
    ref = m.fit(polish=False, check_separation=True)
    r = m.fit(polish=wrap(False), check_separation=wrap(True), step_halving=wrap(True), disp=wrap(False))
    assert np.array_equal(r.params, ref.params) and r.llf == ref.llf


@pytest.mark.parametrize("bad", [np.array([True]), np.array(1), torch.tensor(1.0), "no"])
def test_non_boolean_flags_still_refused(bad):
    with pytest.raises(ValueError, match="MultinomialLinkModel.fit: polish must be True or False"):
        _model().fit(polish=bad)
