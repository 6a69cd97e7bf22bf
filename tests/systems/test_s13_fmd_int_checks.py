"""fmd.model_bias / head_hessian test their integer argument with core.config.is_int (check_int's test) and keep
their own error type (PaperworksError, not ConfigError) and message, for every kind of value (the old inline
test is copied below as the oracle)."""

import decimal
import fractions
import math

import numpy as np
import pytest

from paperworks.core.errors import PaperworksError
from paperworks.systems.fmd import head_hessian, model_bias


def _old_test(value, low):
    import numbers

    return isinstance(value, bool) or not isinstance(value, numbers.Integral) or (low is not None and value < low)


_VALUES = ([-(2 ** 70), -5, -1, 0, 1, 2, 7, 2 ** 70, True, False, np.bool_(True), 0.0, 1.0, 2.5, -1.5, math.nan,
            math.inf, "3", "x", None, [1], (1,), fractions.Fraction(3, 1), fractions.Fraction(1, 2),
            decimal.Decimal(3), complex(1, 0), np.float64(3.0), np.float32(1.0), np.array(3), np.array([3])]
           + [t(v) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
              for v in (0, 1, 5)])
_LOWS = [None, -5, 0, 1, 2, 10]


def test_model_bias_and_head_hessian_keep_their_error_and_message():
    for v in _VALUES:
        if not _old_test(v, 1):
            continue
        with pytest.raises(PaperworksError) as e:
            model_bias(None, None, batch=v)
        assert type(e.value) is PaperworksError
        assert str(e.value) == f"model_bias: batch must be an integer >= 1 (got {v!r})"
        with pytest.raises(PaperworksError) as e:
            head_hessian(None, None, 0.1, chunk=v)
        assert type(e.value) is PaperworksError
        assert str(e.value) == f"head_hessian: chunk must be an integer >= 1 (got {v!r})"


def test_valid_integers_pass_the_check():
    for v in (1, 2, np.int64(3), np.uint8(4), 2 ** 70):
        with pytest.raises(AttributeError):   # past the check: the None model / head is used
            model_bias(None, None, batch=v)
        with pytest.raises(AttributeError):
            head_hessian(None, None, 0.1, chunk=v)
