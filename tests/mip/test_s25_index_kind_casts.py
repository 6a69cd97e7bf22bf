"""Session-25: two silent casts in the ReLU encoding. encode_layers cast its input indices with
np.asarray(..., int64): 1.9 was read as variable 1, a bool mask as variables 0 / 1, and any negative index as a
constant 0 input, although only -1 means that (probe: max x0 + x1 over [-1, 1]^2 with in_idx [-2, 1] gave 1.0, the
input -2 read as 0); AffineLayer cast kinds the same way (0.6 became RELU, a bool mask [True, False] became
[ID, RELU]). Both are refused now; integer indices and kinds (integral floats too) pass as before."""

import numpy as np
import pytest

from paperworks.mip import ID, RELU, ZERO, AffineLayer, MILP, MIPError, encode_layers

LAYER = [AffineLayer([[1.0, 1.0]], [0.0], [ID])]


@pytest.mark.parametrize("idx", [[-2, 1], [-5, 0]])
def test_negative_indices_other_than_minus_one_are_refused(idx):
    m = MILP()
    m.add_vars(2, -1, 1)
    with pytest.raises(ValueError, match="-1 marks a constant 0 input"):
        encode_layers(m, LAYER, idx, [-1, -1], [1, 1])


@pytest.mark.parametrize("idx", [[0.9, 1.0], np.array([True, True])])
def test_non_integer_indices_are_refused(idx):
    m = MILP()
    m.add_vars(2, -1, 1)
    with pytest.raises(MIPError, match="must be integers"):
        encode_layers(m, LAYER, idx, [-1, -1], [1, 1])


def test_valid_indices_still_encode():
    for idx in ([0, 1], np.array([0.0, 1.0]), [-1, 1]):
        m = MILP()
        x = m.add_vars(2, -1, 1)
        out, _ = encode_layers(m, LAYER, idx, [-1, -1], [1, 1])
        m.set_objective(out, [-1.0])
        r = m.solve()
        assert r.objective == pytest.approx(-1.0 if idx[0] == -1 else -2.0)


@pytest.mark.parametrize("kinds", [[0.6], [True], np.array([1.5]), [float("nan")]])
def test_non_integer_kinds_are_refused(kinds):
    with pytest.raises(ValueError, match="kinds must be the integers"):
        AffineLayer([[1.0]], [0.0], kinds)


def test_integer_kinds_pass():
    for kinds in ([RELU], [ID], np.array([2.0]), np.array([ZERO], dtype=np.int32)):
        AffineLayer([[1.0]], [0.0], kinds)
