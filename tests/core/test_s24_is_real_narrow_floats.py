"""core.config.is_real on NumPy floats narrower than float64 (float16, float32).

Before: the finiteness test compared the value with float64's largest value, which NumPy cast to the value's own
type: inf, with "RuntimeWarning: overflow encountered in cast" on every call (an error under -W error), and then
np.float32(inf) / np.float16(-inf) passed as finite (e.g. check_eps and lissa's scale took np.float32(inf)).
Now such a value is compared by the exact number it holds (as a Python float): quiet, and +-inf / NaN refused."""

import math
import warnings

import numpy as np
import pytest

from paperworks.core.config import is_real

_NARROW = (np.float16, np.float32)


@pytest.mark.parametrize("t", _NARROW, ids=lambda t: t.__name__)
@pytest.mark.parametrize("v", [math.inf, -math.inf])
def test_narrow_infinities_are_not_finite(t, v):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not is_real(t(v))
        assert not is_real(t(v), 0.0)
        assert not is_real(t(v), None, 0.0)


@pytest.mark.parametrize("t", _NARROW, ids=lambda t: t.__name__)
def test_narrow_finite_values_pass_quietly(t):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        top = np.finfo(t).max
        assert is_real(t(1.0)) and is_real(top) and is_real(-top) and is_real(t(0.5), 0.0, 1.0)
        assert not is_real(t(math.nan)) and not is_real(t(2.0), 0.0, 1.0)
        assert is_real(t(0.5), 0.0, open_low=True) and not is_real(t(0.0), 0.0, open_low=True)
        # a bound beyond the type's range is no overflow either
        assert is_real(t(1.0), -1e300, 1e300) and not is_real(t(1.0), 1e300)


def test_other_floats_unchanged_and_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert is_real(np.float64(1.0)) and not is_real(np.float64(math.inf))
        assert is_real(np.longdouble(1.0)) and not is_real(np.longdouble(math.nan))
        if np.finfo(np.longdouble).max > 1.8e308:     # x86's 80-bit long double: beyond float64's range
            assert not is_real(np.longdouble("1e4000"))
        assert is_real(1.0, 0.0, 1.0) and not is_real(math.inf)


def test_callers_refuse_a_float32_infinity():
    from paperworks.attacks._checks import check_eps
    from paperworks.core.errors import ConfigError

    with pytest.raises(ConfigError, match="finite"):
        check_eps("probe", np.float32(math.inf))
