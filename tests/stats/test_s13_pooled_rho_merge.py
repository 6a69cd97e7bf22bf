"""pooled_rho and pooled_rho_sf share one implementation (families._pooled_rho); their results, errors and
warnings are those of the two separate functions they replaced (copied below as the oracle), bit for bit."""

import itertools
import warnings

import numpy as np
import pytest

from paperworks.stats.families import FAMILIES, pooled_rho, pooled_rho_sf


# ---- oracle: the two functions as they stood before the merge (commit b2c025e)
def _old_pooled_rho(family, counts):
    p = np.asarray(counts, dtype=float)
    p = p / p.sum()
    if family == "baseline":
        return p[:-1] / (p[:-1] + p[-1])
    if family == "cumulative":
        return np.cumsum(p)[:-1]
    if family == "adjacent":
        return p[:-1] / (p[:-1] + p[1:])
    if family == "continuation":
        tail = np.cumsum(p[::-1])[::-1]
        return p[:-1] / tail[:-1]
    raise ValueError(f"unknown family {family!r}; valid: {', '.join(FAMILIES)}")


def _old_pooled_rho_sf(family, counts):
    p = np.asarray(counts, dtype=float)
    p = p / p.sum()
    if family == "baseline":
        return p[-1] / (p[:-1] + p[-1])
    if family == "cumulative":
        return np.cumsum(p[::-1])[::-1][1:]
    if family == "adjacent":
        return p[1:] / (p[:-1] + p[1:])
    if family == "continuation":
        tail = np.cumsum(p[::-1])[::-1]
        return tail[1:] / tail[:-1]
    raise ValueError(f"unknown family {family!r}; valid: {', '.join(FAMILIES)}")


def _run(f, family, counts):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            out = ("ok", f(family, counts))
        except Exception as e:   # noqa: BLE001 - the error itself is compared
            out = ("err", type(e), str(e))
    return out, [(x.category, str(x.message)) for x in w]


def _same(a, b):
    (ra, wa), (rb, wb) = a, b
    assert wa == wb
    assert ra[0] == rb[0]
    if ra[0] == "err":
        assert ra[1:] == rb[1:]
    else:
        x, y = np.asarray(ra[1]), np.asarray(rb[1])
        assert x.dtype == y.dtype and x.shape == y.shape
        # bit for bit, NaN payloads and signed zeros included
        assert x.tobytes() == y.tobytes()


def _grid():
    rng = np.random.default_rng(13)
    ext = [0.0, 5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 1e-17, 1.0, 3.0, 1e16, 1e17, 1e300, 1.7e308]
    cases = [[], [1.0], [0.0], [2.0, 3.0], [0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [7, 0, 3, 0, 1],
             [1e17, 1.0], [1.0, 1e17], [1e17, 1.0, 1.0], [1.0, 1.0, 1e17], [1e308, 1e308, 1.0],
             [np.inf, 1.0], [1.0, np.nan, 2.0], [-1.0, 2.0, 3.0], [1e300, -1e300, 1e-310], [True, False, True],
             np.array([3, 4, 5], dtype=np.int64), np.array([3, 4, 5], dtype=np.float32)]
    cases += [list(c) for c in itertools.product(ext, repeat=2)]
    cases += [list(c) for c in itertools.product(ext[::3], repeat=3)]
    for k in range(2, 9):
        for _ in range(15):
            cases.append(rng.integers(0, 50, size=k).tolist())
            cases.append((rng.random(k) * 10.0 ** rng.integers(-300, 300, size=k)).tolist())
    return cases


@pytest.mark.parametrize("family", list(FAMILIES) + ["nope", ""])
def test_pooled_rho_and_sf_match_the_old_functions_bit_for_bit(family):
    for counts in _grid():
        _same(_run(pooled_rho, family, counts), _run(_old_pooled_rho, family, counts))
        _same(_run(pooled_rho_sf, family, counts), _run(_old_pooled_rho_sf, family, counts))
