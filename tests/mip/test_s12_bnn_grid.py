"""Session-12: the BNN MILP only takes inputs whose pre-activations it sees as the step network does (oracle:
brute-force enumeration of the ternary weights)."""

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.mip.bnn import bnn_errors, brute_force_bnn, train_bnn_milp


def test_bnn_milp_refuses_inputs_off_the_grid_beyond_the_step_tie_tolerance():
    # x = 1 - 5e-10 passed the old grid check (1e-9 k): the MILP saw W x + b = 0 for W = 1, b = -1 (h = 1), the
    # step network gives h = 0 there, so it separates the two points; the MILP certified 1 error, brute force 0
    X = np.array([[1 - 5e-10], [1.0]])
    y = np.array([0, 1])
    assert brute_force_bnn(X, y, 1)[0] == 0
    with pytest.raises(DataError, match="grid"):
        train_bnn_milp(X, y, 1, time_limit=10)
    # float rounding (1e-13 off) is still accepted, and there the MILP agrees with brute force
    X = np.array([[1 - 1e-13], [1.0], [0.1 + 0.2], [-0.3]])
    y = np.array([0, 1, 1, 0])
    w, res, _ = train_bnn_milp(X, y, 1, time_limit=10)
    assert res.status == "optimal"
    assert round(res.objective) == bnn_errors(w, X, y) == brute_force_bnn(X, y, 1)[0]
