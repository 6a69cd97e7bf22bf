"""core.config.as_flag, the shared test of the boolean-flag checks (attacks, KFAC, the stats fitter): a bool,
numpy bool or 0-d boolean array / tensor is the Python bool it holds; anything else is None (refused)."""

import numpy as np
import pytest
import torch

from paperworks.core.config import as_flag


@pytest.mark.parametrize("v", [True, False, np.bool_(True), np.bool_(False), np.array(True), np.array(False),
                               torch.tensor(True), torch.tensor(False)])
def test_booleans_are_the_python_bool(v):
    got = as_flag(v)
    assert type(got) is bool and got == bool(v)


@pytest.mark.parametrize("v", ["True", "no", "", 1, 0, 1.0, None, [True], np.int64(1), np.array(1), np.array(1.0),
                               np.array("True"), np.array([True]), np.array([[True]]), np.array(True, dtype=object),
                               torch.tensor(1), torch.tensor(0.0), torch.tensor([True]),
                               torch.tensor(True, device="meta")])
def test_anything_else_is_none(v):
    assert as_flag(v) is None
