"""ECE / reliability bins take a NumPy integer bin count (session 26 differential fuzz against torchmetrics).

``n_bins=np.int64(15)`` (a bin count from a NumPy grid) was refused as "'n_bins' must be an int >= 1"; it is
the same ECE as the Python int now. bool, floats and counts below 1 are still one DataError."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.metrics import classification_metrics, expected_calibration_error, reliability_bins


def _data():
    g = torch.Generator().manual_seed(0)
    p = torch.softmax(torch.randn(50, 4, generator=g), 1)
    return p, torch.randint(0, 4, (50,), generator=g)


@pytest.mark.parametrize("m", [np.int64(15), np.int32(7), np.uint8(1)])
def test_numpy_integer_bins_equal_python_int(m):
    p, y = _data()
    for norm in ("l1", "l2", "max"):
        assert expected_calibration_error(p, y, m, norm) == expected_calibration_error(p, y, int(m), norm)
    a, b = reliability_bins(p, y, m), reliability_bins(p, y, int(m))
    assert all(torch.equal(a[k], b[k]) for k in b)
    assert classification_metrics(torch.log(p), y, m) == classification_metrics(torch.log(p), y, int(m))


@pytest.mark.parametrize("bad", [True, 15.0, 0, np.int64(0), "15"])
def test_bad_bins_still_refused(bad):
    p, y = _data()
    with pytest.raises(DataError, match="n_bins"):
        expected_calibration_error(p, y, bad)
