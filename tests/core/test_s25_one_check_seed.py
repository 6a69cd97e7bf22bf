"""One seed rule: paperworks.core.config.check_seed / is_seed. The attacks engine (check_seed), the mip planners,
train_bnn_ste and sparse_mpc (a private copy, _check_seed, made this session) and the data layer (DataError with
numpy's range) each carried the same test; they now share core's, with their messages unchanged."""

import numpy as np
import pytest

import paperworks.mip.planners as planners
from paperworks.attacks._checks import check_seed as attacks_check_seed
from paperworks.core.config import check_seed, is_seed
from paperworks.core.errors import ConfigError, DataError
from paperworks.data import check_seed as data_check_seed


@pytest.mark.parametrize("v, torch_ok, numpy_ok", [
    (0, True, True), (7, True, True), (np.int64(3), True, True), (-1, True, False), (-(2 ** 63), True, False),
    (-(2 ** 63) - 1, False, False), (2 ** 64 - 1, True, True), (2 ** 64, False, True), (True, False, False),
    (1.0, False, False), (1.5, False, False), ("3", False, False), (None, False, False)])
def test_is_seed_ranges(v, torch_ok, numpy_ok):
    assert is_seed(v) is torch_ok
    assert is_seed(v, numpy=True) is numpy_ok


def test_check_seed_returns_a_python_int_and_names_the_caller():
    got = check_seed(np.int64(5), "here")
    assert got == 5 and type(got) is int
    with pytest.raises(ConfigError, match=r"here.*'seed' must be an integer in \[-2\*\*63, 2\*\*64\) \(got 1\.5\)"):
        check_seed(1.5, "here")


def test_the_engines_use_the_core_rule():
    assert not hasattr(planners, "_check_seed")          # the mip copy is gone
    assert planners.check_seed is check_seed
    for bad in (True, 1.5, 2 ** 70):
        with pytest.raises(ConfigError) as a:
            attacks_check_seed("who", bad)
        with pytest.raises(ConfigError) as c:
            check_seed(bad, "who")
        assert str(a.value) == str(c.value)
    with pytest.raises(DataError, match=">= 0"):
        data_check_seed(-1, "loader")
    assert data_check_seed(-1, "loader", torch_range=True) == -1
    with pytest.raises(DataError, match=r"in \[-2\*\*63, 2\*\*64\)"):
        data_check_seed(2 ** 64, "loader", torch_range=True)
    assert data_check_seed(2 ** 64, "loader") == 2 ** 64
