"""Claim.within with a NaN target: |ours - NaN| is NaN, so the claim cannot hold. The old tie rule compared
max(ours, NaN) with min(ours, NaN), both ``ours`` (max / min drop a NaN in second place), and held the claim
for every finite ours and finite tol > 0 (Claim.within('c', 'm', 1.0, nan, 0.1).holds was True)."""

import math

import numpy as np
import pytest

from paperworks.core.report import Claim


@pytest.mark.parametrize("ours", [1.0, 0.0, -0.7, 1e300, math.log(2)])
@pytest.mark.parametrize("tol", [0.1, 1e-9, 0.02, 1.0, math.inf])
def test_a_nan_target_never_holds(ours, tol):
    for target in (math.nan, np.float64("nan"), np.float32("nan")):
        c = Claim.within("c", "m", ours, target, tol)
        assert c.holds is False
        assert c.ours == ours and c.to_dict()["holds"] is False


def test_nan_ours_and_nan_tol_still_fail_and_finite_values_still_hold():
    assert Claim.within("c", "m", math.nan, 1.0, 0.1).holds is False
    assert Claim.within("c", "m", math.nan, math.nan, 0.1).holds is False
    assert Claim.within("c", "m", 1.0, 1.0, math.nan).holds is False
    assert Claim.within("c", "m", 1.0, 1.05, 0.1).holds is True
    assert Claim.within("c", "m", 0.8, 0.7, 0.1).holds is True    # exact decimal tie holds
    assert Claim.within("c", "m", 0.81, 0.7, 0.1).holds is False
