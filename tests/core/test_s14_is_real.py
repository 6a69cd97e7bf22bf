"""core.config.is_real is the real-number test shared by colored_mnist (rho, color_std), MultinomialLinkResults.conf_int
(alpha) and lissa (scale). Its answers equal the three inline tests it replaced (copied below as oracles) on a grid of
every kind of value; the one difference: an int too large for a float (10**400) made lissa's math.isfinite raise
OverflowError and is now refused like any other bad scale."""

import decimal
import fractions
import math
import numbers

import numpy as np
import pytest

from paperworks.core.config import is_real


def _old_colored(value, unit):
    upper = 1.0 if unit else np.finfo(np.float64).max
    return not (isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real) or not 0.0 <= value <= upper)


def _old_alpha(value):
    return not (isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 < value < 1.0)


def _old_scale(value):
    return not (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0)


_VALUES = ([0, 1, -1, 2, 0.0, -0.0, 1.0, 0.5, 1e-300, 5e-324, -5e-324, 1.0 - 2 ** -53, 1.0 + 2 ** -52, 1e308,
            1.7976931348623157e308, math.inf, -math.inf, math.nan, True, False, np.bool_(True), np.bool_(False),
            np.float16(0.5), np.float32(0.05), np.float64(1.0), np.float32(math.nan), np.float64(-math.inf),
            np.int8(0), np.int64(1), np.uint8(2), fractions.Fraction(1, 3), fractions.Fraction(3, 1),
            decimal.Decimal("0.5"), complex(0.5, 0), "0.5", None, [0.5], np.array(0.5), 2 ** 70, -(2 ** 70)])


@pytest.mark.parametrize("v", _VALUES, ids=repr)
def test_is_real_equals_the_replaced_inline_tests(v):
    assert is_real(v, 0.0, 1.0) is _old_colored(v, True)
    assert is_real(v, 0.0) is _old_colored(v, False)
    assert is_real(v, 0.0, 1.0, open_low=True, open_high=True) is _old_alpha(v)
    assert is_real(v, 0.0, open_low=True) is _old_scale(v)


def test_huge_int_is_refused_where_isfinite_overflowed():
    with pytest.raises(OverflowError):
        _old_scale(10 ** 400)
    assert not is_real(10 ** 400, 0.0, open_low=True)
    assert is_real(10 ** 300, 0.0, open_low=True) and _old_scale(10 ** 300)
