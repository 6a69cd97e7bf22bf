"""interval_bounds / count_unstable / forward_layers check their inputs: an inverted box gave lower bounds above
the upper ones, a NaN box NaN bounds (both silently), a wrong width a bare numpy matmul error."""

import numpy as np
import pytest
import torch
from torch import nn

from paperworks.mip import InfeasibleError, count_unstable, forward_layers, interval_bounds, network_layers


def _layers():
    torch.manual_seed(0)
    return network_layers(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double())


def test_s20_inverted_and_nan_boxes_refused():
    Ls = _layers()
    with pytest.raises(InfeasibleError, match="box is empty"):
        interval_bounds(Ls, [1.0, 1.0], [0.0, 0.0])
    with pytest.raises(InfeasibleError, match="box is empty"):
        count_unstable(Ls, [1.0, 1.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="NaN"):
        interval_bounds(Ls, [np.nan, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="2 inputs"):
        interval_bounds(Ls, [0.0], [1.0])


def test_s20_bounds_contain_samples():
    Ls = _layers()
    bounds = interval_bounds(Ls, [-1.0, -1.0], [1.0, 1.0])
    x = np.random.default_rng(0).uniform(-1, 1, size=(200, 2))
    out = forward_layers(Ls, x)[:, 0]
    zl, zu = bounds[-1]
    assert (out >= zl[0] - 1e-12).all() and (out <= zu[0] + 1e-12).all()


def test_s20_forward_width_named():
    Ls = _layers()
    with pytest.raises(ValueError, match="takes 2 inputs"):
        forward_layers(Ls, np.zeros((1, 3)))
    assert forward_layers(Ls, np.zeros(2)).shape == (1,)
