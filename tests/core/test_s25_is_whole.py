"""core.config.is_whole: the one test of arguments that take an integral float as its int (MILPPlanner's
node_limit, encode_rollout's T, CIFAR object-array labels each wrote it inline)."""

from fractions import Fraction

import numpy as np
import pytest

import paperworks.data.cifar as cifar
import paperworks.mip.horizon as horizon
import paperworks.mip.planners as planners
from paperworks.core.config import is_whole


@pytest.mark.parametrize("v, want", [(2, True), (2.0, True), (np.int64(3), True), (np.float32(3.0), True),
                                     (Fraction(4, 2), True), (10 ** 400, True), (2.5, False), (True, False),
                                     (np.bool_(True), False), (float("inf"), False), (float("nan"), False),
                                     ("2", False), (None, False)])
def test_is_whole(v, want):
    assert is_whole(v) is want


def test_low_bound():
    assert is_whole(1.0, 1) and not is_whole(0.0, 1) and not is_whole(0, 1)


def test_the_callers_share_it():
    for mod in (cifar, horizon, planners):
        assert mod.is_whole is is_whole
