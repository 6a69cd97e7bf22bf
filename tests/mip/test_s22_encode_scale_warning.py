"""Session-22: an encoding whose pre-activation bounds reach 1e10 and more gets answers from HiGHS that float64
rounding has made unreliable, reported with status 'optimal' (probe: 3-layer ReLU nets with weights ~1e3, bounds
1e10 to 1e12: 11 of 31 solves wrong, one 'optimal' 775x above the optimum that an activation-pattern LP oracle
finds, fixed inputs whose MILP outputs are not the forward pass, 'infeasible' for a feasible fixed input; none
wrong below 1e10 in 369 cases). encode_layers now warns above 1e9 (BIG_BOUND), naming the size."""

import warnings

import numpy as np
import pytest

from paperworks.mip import ID, MILP, RELU, AffineLayer, encode_layers


def _encode(scale):
    layers = [AffineLayer([[scale, -scale], [scale, scale]], [1.0, -1.0], [RELU, RELU]),
              AffineLayer([[scale, -scale]], [0.0], [ID])]
    m = MILP()
    x = m.add_vars(2, -1.0, 1.0)
    return encode_layers(m, layers, x, [-1.0, -1.0], [1.0, 1.0])


def test_bounds_beyond_the_solvers_precision_are_named_in_a_warning():
    with pytest.warns(RuntimeWarning, match=r"pre-activation bounds reach 2e\+12"):
        _encode(1e6)                      # old code: no warning


def test_ordinary_bounds_stay_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, info = _encode(10.0)
    assert max(np.abs(np.concatenate(b)).max() for b in info.bounds) == pytest.approx(210.0)
