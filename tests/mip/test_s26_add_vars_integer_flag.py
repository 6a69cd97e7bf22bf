"""MILP.add_vars / add_var take one integrality flag, by the rule of build_milp's flags (f237b71): True / False
(NumPy / 0-d bools too) or 0 / 1. bool() read 'no', 2, 0.5 and a per-variable list [False, True] as True for every
variable, silently, and an array was numpy's bare 'truth value ... is ambiguous'."""
import numpy as np
import pytest

from paperworks.mip.model import MILP, MIPError


@pytest.mark.parametrize("flag", ["no", [False, True], np.array([False, True]), 2, 0.5, None, 1.0])
def test_refused(flag):
    with pytest.raises(MIPError, match=r"add_vars\('x'\): integer must be one flag"):
        MILP().add_vars(2, 0, 3, integer=flag)


def test_add_var_refuses_too():
    with pytest.raises(MIPError, match="integer must be one flag"):
        MILP().add_var(0, 1, integer="False")


@pytest.mark.parametrize("flag, want", [(True, True), (False, False), (1, True), (0, False), (np.bool_(True), True),
                                        (np.array(False), False), (np.int64(1), True)])
def test_accepted(flag, want):
    m = MILP()
    m.add_vars(2, 0, 3, integer=flag)
    assert m.integer == [want, want] and all(type(f) is bool for f in m.integer)
