"""Python-API QA of the MIP engine: index arguments, rollout bounds, reuse of a model after a solve."""

import numpy as np
import pytest

from paperworks import mip
from paperworks.mip.model import MIPError


def _model():
    m = mip.MILP()
    m.add_vars(3, 0.0, 10.0)
    return m


MASK3 = np.array([False, True, True])


@pytest.mark.parametrize("call", [
    lambda m: m.fix(MASK3, 5.0),
    lambda m: m.set_objective(MASK3, 1.0),
    lambda m: m.add_objective(MASK3, 1.0),
    lambda m: m.add_le(MASK3[1:], [1.0, 1.0], 3.0),
    lambda m: m.add_abs(MASK3, 0.0),
])
def test_bool_mask_as_indices_is_refused(call):
    # the mask [False, True, True] was cast to the indices [0, 1, 1]: fix() fixed variables 0 and 1,
    # set_objective gave c = [1, 2, 0] instead of [0, 1, 1], without a word
    with pytest.raises(MIPError, match="bool mask"):
        call(_model())


def test_fractional_indices_are_refused_integral_floats_pass():
    m = _model()
    with pytest.raises(MIPError, match="integers"):
        m.add_le([0.6, 1.9], [1.0, 1.0], 3.0)      # was the row x0 + x1 <= 3
    with pytest.raises(MIPError, match="integers"):
        m.fix([1.5], 2.0)
    m.add_le(np.array([1.0, 2.0]), [1.0, 1.0], 3.0)
    m.set_objective(np.flatnonzero([False, True, True]), -1.0)
    assert m.c == [0.0, -1.0, -1.0]
    r = m.solve()
    assert r.optimal and r.objective == pytest.approx(-3.0)


@pytest.mark.parametrize("residual", [True, False])
def test_rollout_of_a_network_with_relu_and_zero_outputs_matches_simulation(residual):
    # state bounds of x_{t+1} came from the last layer's PRE-activation box: an output ReLU with u <= 0
    # (output 0) or a ZERO output gave a box that excludes the true next state, so a feasible rollout was
    # reported infeasible. Fixing the actions must reproduce the simulated states exactly.
    W1 = np.array([[1.0, 0.5, -0.3, 0.2], [-0.4, 1.0, 0.7, -0.5], [0.2, -0.6, 1.0, 0.9]])
    b1 = np.array([0.1, -0.2, 0.05])
    W2 = np.array([[0.8, -0.5, 0.3], [0.0, 0.0, 0.0], [0.4, 0.4, -0.2]])
    b2 = np.array([0.0, -1.0, 2.0])            # output 1: relu(-1) = 0 always; output 2: ZERO
    layers = [mip.AffineLayer(W1, b1, [mip.RELU] * 3), mip.AffineLayer(W2, b2, [mip.RELU, mip.RELU, mip.ZERO])]
    x0 = np.array([0.3, -0.2, 0.1])
    rng = np.random.default_rng(0)
    for _ in range(3):
        actions = rng.uniform(-1, 1, size=(3, 1))
        m = mip.MILP()
        ro = mip.encode_rollout(m, layers, x0, 3, [-1.0], [1.0], residual=residual)
        m.fix(ro.U.ravel(), actions.ravel())
        r = m.solve()
        assert r.optimal, r.status
        x = x0
        for t in range(3):
            out = mip.forward_layers(layers, np.concatenate([x, actions[t]])[None])[0]
            x = x + out if residual else out
            np.testing.assert_allclose(r.x[ro.X[t + 1]], x, atol=1e-6)
            lo, hi = ro.x_bounds[t + 1]
            assert np.all(lo - 1e-9 <= x) and np.all(x <= hi + 1e-9)


def test_add_row_copies_the_callers_coefficient_buffer():
    # the row kept a reference to a float64 coefficient array: refilling one buffer row after row made every
    # row the last one (x0 <= 3 became x1 <= 3; the optimum moved from (3, 4) to (10, 3))
    m = _model()
    x = m.add_vars(2, 0.0, 10.0)
    coef = np.zeros(2)
    for i, c in enumerate(([1.0, 0.0], [0.0, 1.0])):
        coef[:] = c
        m.add_le(x, coef, 3.0 + i)
    coef[:] = 7.0
    assert m.row(0)[1].tolist() == [1.0, 0.0] and m.row(1)[1].tolist() == [0.0, 1.0]
    m.set_objective(x, [-1.0, -1.0])
    np.testing.assert_allclose(m.solve().x[x], [3.0, 4.0])
