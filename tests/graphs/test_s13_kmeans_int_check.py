"""node_eval.kmeans_scores tests n_runs with core.config.is_int (check_int's test) and keeps its own error type
(DataError, not ConfigError) and message, for every kind of value (the old inline test is the oracle)."""

import decimal
import fractions
import math

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.graphs.node_eval import kmeans_scores


def _old_test(value, low):
    import numbers

    return isinstance(value, bool) or not isinstance(value, numbers.Integral) or (low is not None and value < low)


_VALUES = ([-(2 ** 70), -5, -1, 0, 1, 2, 7, 2 ** 70, True, False, np.bool_(True), 0.0, 1.0, 2.5, -1.5, math.nan,
            math.inf, "3", "x", None, [1], (1,), fractions.Fraction(3, 1), fractions.Fraction(1, 2),
            decimal.Decimal(3), complex(1, 0), np.float64(3.0), np.float32(1.0), np.array(3), np.array([3])]
           + [t(v) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
              for v in (0, 1, 5)])
_LOWS = [None, -5, 0, 1, 2, 10]


def test_kmeans_scores_keeps_its_error_and_message():
    z, y = np.random.default_rng(0).normal(size=(6, 2)), np.array([0, 0, 0, 1, 1, 1])
    for v in _VALUES:
        if not _old_test(v, 1):
            continue
        with pytest.raises(DataError) as e:
            kmeans_scores(z, y, n_runs=v)
        assert type(e.value) is DataError
        assert str(e.value) == f"kmeans_scores: n_runs must be an integer >= 1 (got {v!r})"
    assert set(kmeans_scores(z, y, n_runs=np.int32(1))) == {"nmi", "ari"}
