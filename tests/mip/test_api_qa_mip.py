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
