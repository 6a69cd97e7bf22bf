"""core.config.is_int is the integer test of check_int, shared with the callers that raise another error type
(fmd.model_bias / head_hessian: PaperworksError; node_eval.kmeans_scores: DataError). Its answers equal the
old inline test (copied below as the oracle) for every kind of value, and check_int's error and message are
unchanged; the callers keep their own error type and message (their tests are at the end of this file, which
holds the one copy of the oracle)."""

import decimal
import fractions
import math

import numpy as np
import pytest

from paperworks.core.config import check_int, is_int
from paperworks.core.errors import ConfigError, DataError, PaperworksError
from paperworks.graphs.node_eval import kmeans_scores
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


def test_is_int_is_the_old_inline_test():
    for v in _VALUES:
        for low in _LOWS:
            assert is_int(v, low) is (not _old_test(v, low)), (v, low)


def test_check_int_error_and_message_unchanged():
    for v in _VALUES:
        for low in _LOWS:
            if _old_test(v, low):
                bound = f" >= {low}" if low is not None else ""
                with pytest.raises(ConfigError) as e:
                    check_int("n", v, low, where="here")
                assert str(e.value) == f"here: 'n' must be an integer{bound} (got {v!r})"
            else:
                out = check_int("n", v, low)
                assert type(out) is int and out == int(v)


def _refuses(call, error, message):
    """``call()`` raises exactly ``error`` (not a subclass) with exactly ``message``."""
    with pytest.raises(error) as e:
        call()
    assert type(e.value) is error
    assert str(e.value) == message


def test_model_bias_and_head_hessian_keep_their_error_and_message():
    for v in (v for v in _VALUES if _old_test(v, 1)):
        _refuses(lambda: model_bias(None, None, batch=v), PaperworksError,
                 f"model_bias: batch must be an integer >= 1 (got {v!r})")
        _refuses(lambda: head_hessian(None, None, 0.1, chunk=v), PaperworksError,
                 f"head_hessian: chunk must be an integer >= 1 (got {v!r})")


def test_valid_integers_pass_the_check():
    for v in (1, 2, np.int64(3), np.uint8(4), 2 ** 70):
        with pytest.raises(AttributeError):   # past the check: the None model / head is used
            model_bias(None, None, batch=v)
        with pytest.raises(AttributeError):
            head_hessian(None, None, 0.1, chunk=v)


def test_kmeans_scores_keeps_its_error_and_message():
    z, y = np.random.default_rng(0).normal(size=(6, 2)), np.array([0, 0, 0, 1, 1, 1])
    for v in (v for v in _VALUES if _old_test(v, 1)):
        _refuses(lambda: kmeans_scores(z, y, n_runs=v), DataError,
                 f"kmeans_scores: n_runs must be an integer >= 1 (got {v!r})")
    assert set(kmeans_scores(z, y, n_runs=np.int32(1))) == {"nmi", "ari"}
