"""KFAC's eigen_correct check (a06f70b) refused a 0-d boolean tensor / numpy array, which KFAC took before (read
by truth value); they act as the bool they hold again. Other values are still refused."""

import numpy as np
import pytest
import torch
from _curvature_toy import kfac_toy_setup as _setup

import paperworks.curvature as C
from paperworks.core.errors import PaperworksError


@pytest.mark.parametrize("wrap", [torch.tensor, np.array], ids=["tensor", "ndarray"])
def test_zero_d_boolean_eigen_correct(wrap):
    m, lf, data = _setup()
    for v in (True, False):
        k = C.KFAC(m, lf, data, eigen_correct=wrap(v))
        assert k.eigen_correct is v
        assert torch.equal(k.fit().dense(), C.KFAC(m, lf, data, eigen_correct=v).fit().dense())


@pytest.mark.parametrize("bad", [torch.tensor(1), np.array([True]), np.array(0.0), "True"])
def test_non_boolean_arrays_still_refused(bad):
    m, lf, data = _setup()
    with pytest.raises(PaperworksError, match="eigen_correct must be True or False"):
        C.KFAC(m, lf, data, eigen_correct=bad)
