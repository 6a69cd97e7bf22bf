"""Guards of the small-n speed-ups of MultinomialLinkModel (2026-11-26, fourth session).

Each speed-up must leave every number bit for bit unchanged, so the tests check (a) that the fast code
equals the numpy expression it replaces EXACTLY (np.array_equal, signs of zeros included) and (b) that the
expensive calls it removed stay removed (call counts, not wall time):

- row-wise max / sum / cumsum of the (m, J) arrays by column passes in numpy's own order;
- integer codes parsed without a pandas Series, exog checks without all(axis=0), the SVD rank check
  skipped when Z'Z is clearly full rank, the collapse probe settled by one continuous column;
- the row totals summed once per model, one reused row-block buffer for the information, the fitted
  values taken from the last evaluation instead of a second predict().
"""

import numpy as np
import pandas as pd
import pytest

import paperworks.stats.multinomial_link as ml
from paperworks.stats import MultinomialLinkModel
from paperworks.stats.families import _row_cumsum, _row_max, _row_sum


def _same_bits(a, b):
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a),
                                                                                        np.signbit(b))


def _bench_data(n, J, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    eta = X @ np.array([0.5, -0.3, 0.2])
    y = (rng.logistic(size=n)[:, None] + eta[:, None] > np.linspace(-1.5, 1.5, J - 1)).sum(1)
    return y, X


@pytest.mark.parametrize("m", [1, 5, 1000])
def test_row_reductions_equal_numpy_bit_for_bit(m):
    """Summation order matters in floating point: numpy adds a contiguous row pairwise (8 running sums
    from 8 terms on); a left-to-right loop differs in the last bits for n >= 8 (mutation checked)."""
    rng = np.random.default_rng(m)
    for n in list(range(1, 20)) + [64, 130]:
        c = rng.random((m, n + 2)) * rng.choice([1e-9, 1.0, 1e9, -1.0, 0.0, -0.0], size=(m, n + 2))
        c[0, :] = -0.0                                  # an all-(-0.0) row sums to +0.0 in numpy
        for v in (np.ascontiguousarray(c[:, :n]), c[:, :n], np.asfortranarray(c[:, :n]), c[:, n - 1::-1]):
            assert _same_bits(_row_sum(v), v.sum(axis=1)), (n, v.strides)
            # a max is exact; which of +0.0 / -0.0 wins a tie is left to numpy's CPU-dispatched kernels, so
            # only the values are compared (a different zero sign changes no fitted number)
            assert np.array_equal(_row_max(v), v.max(axis=1), equal_nan=True), (n, v.strides)
            assert _same_bits(_row_cumsum(v), np.cumsum(v, axis=1)), (n, v.strides)


def test_softmax_fast_rows_give_the_same_fit_as_numpy_reductions(monkeypatch):
    """End to end: with the row helpers replaced by numpy's own reductions the fit is bit-identical."""
    import paperworks.stats.families as fam

    y, X = _bench_data(400, 9, seed=3)                 # J = 9: the pairwise branch of the row sum
    for model, a in (("baseline", "npo"), ("adjacent", "po"), ("continuation", "npo")):
        fast = MultinomialLinkModel(y, X, model=model, assumption=a).fit()
        with monkeypatch.context() as mp:
            mp.setattr(fam, "_row_sum", lambda c: c.sum(axis=1))
            mp.setattr(fam, "_row_max", lambda c: c.max(axis=1))
            mp.setattr(fam, "_row_cumsum", lambda c: np.cumsum(c, axis=1))
            ref = MultinomialLinkModel(y, X, model=model, assumption=a).fit()
        for f in ("params", "bse", "fittedvalues"):
            assert _same_bits(getattr(fast, f), getattr(ref, f)), (model, f)
        assert fast.llf == ref.llf and fast.n_iter == ref.n_iter


@pytest.mark.parametrize("codes", [
    np.array([3, 1, 2, 3, 1, 1]), np.array([-128, 127, 0, 127], dtype=np.int8),
    np.array([5, 9, 5], dtype=np.uint8), np.array([2**63 + 2, 2**63, 2**63 + 2], dtype=np.uint64),
    np.array([10**17, 0, 3 * 10**17]), np.array([2**62, -2**62, 0])])
def test_integer_codes_parse_like_the_pandas_path(codes, monkeypatch):
    """Integer codes skip pandas (np.unique / bincount); levels, their labels and the counts matrix equal
    those of the general path (the same codes as a pandas Series), and no Series is built."""
    ref = MultinomialLinkModel(pd.Series(codes))
    built = []

    class CountingSeries(pd.Series):
        def __init__(self, *a, **k):
            built.append(1)
            super().__init__(*a, **k)

    monkeypatch.setattr(pd, "Series", CountingSeries)
    fast = MultinomialLinkModel(codes)
    assert built == []
    assert fast.categories == ref.categories
    assert _same_bits(fast.endog_counts, ref.endog_counts)


def test_one_level_integer_codes_still_rejected():
    with pytest.raises(ValueError, match="one level"):
        MultinomialLinkModel(np.array([4, 4, 4]))


def test_init_skips_the_svd_rank_check_and_the_row_sort_for_continuous_covariates(monkeypatch):
    calls = {"rank": 0, "rows": 0}
    real_rank, real_unique = np.linalg.matrix_rank, np.unique

    def rank(*a, **k):
        calls["rank"] += 1
        return real_rank(*a, **k)

    def unique(*a, **k):
        calls["rows"] += k.get("axis") is not None
        return real_unique(*a, **k)

    monkeypatch.setattr(np.linalg, "matrix_rank", rank)
    monkeypatch.setattr(np, "unique", unique)
    y, X = _bench_data(3000, 4)
    MultinomialLinkModel(y, X, model="baseline")
    assert calls == {"rank": 0, "rows": 0}
    # near-collinear columns: the SVD still decides (and rank deficiency is still reported)
    rng = np.random.default_rng(1)
    MultinomialLinkModel(y, np.c_[X, X[:, 0] + 1e-7 * rng.normal(size=3000)])
    assert calls["rank"] == 1
    with pytest.raises(ValueError, match="collinear"):
        MultinomialLinkModel(y, np.c_[X, X[:, 0] - X[:, 1]])
    # few distinct rows: the row sort runs and the settings are collapsed as before
    Xd = rng.integers(0, 3, size=(3000, 2)).astype(float)
    m = MultinomialLinkModel(y, Xd)
    assert calls["rows"] >= 1 and m._Z.shape[0] == 9


def test_clearly_full_rank_never_contradicts_matrix_rank():
    rng = np.random.default_rng(2)
    for n, q in ((5, 5), (50, 3), (400, 8), (3, 5)):
        for scale in (0.0, 1e-17, 1e-15, 1e-12, 1e-9, 1e-7, 1e-4, 1e-2, 1.0):
            Z = rng.normal(size=(n, q))
            if q > 1:
                Z[:, -1] = Z[:, 0] + scale * rng.normal(size=n)
            if ml._clearly_full_rank(Z):
                assert np.linalg.matrix_rank(Z) == q, (n, q, scale)
    Z = rng.normal(size=(200, 4))
    assert ml._clearly_full_rank(Z)
    Z[:, 3] = Z[:, 0] + 1e-9 * rng.normal(size=200)
    assert not ml._clearly_full_rank(Z)          # left to the SVD


def test_fit_reuses_counts_buffer_and_last_evaluation(monkeypatch):
    """Per fit: the row totals are summed once (not in every family evaluation), the information's
    row-block buffer is allocated once and reused, and predict() is not run a second time for the fitted
    values (which equal predict() bit for bit)."""
    y, X = _bench_data(2000, 5)
    m = MultinomialLinkModel(y, X, model="baseline", assumption="npo")
    seen_N, buffers = [], set()
    real_eval, real_info = ml.family_eval, m._info_diag_minus_outer

    def family_eval(*a, **k):
        seen_N.append(k.get("N") is not None)
        return real_eval(*a, **k)

    def info(d, a, chunk=32768, work=None):
        buffers.add(None if work is None else id(work.get("rows")))
        out = real_info(d, a, chunk, work)
        buffers.add(None if work is None else id(work["rows"]))
        return out

    def no_predict(*a, **k):
        raise AssertionError("fit() called predict()")

    monkeypatch.setattr(ml, "family_eval", family_eval)
    monkeypatch.setattr(m, "_info_diag_minus_outer", info)
    monkeypatch.setattr(m, "predict", no_predict)
    res = m.fit()
    monkeypatch.undo()
    assert len(seen_N) == res.n_iter + 1 + res.n_halvings and all(seen_N)
    assert len(buffers - {id(None)}) == 1 and None not in buffers
    assert _same_bits(res.fittedvalues, m.predict(res.params))


def test_reused_buffer_information_equals_the_allocating_one():
    y, X = _bench_data(700, 4)
    m = MultinomialLinkModel(y, X, model="baseline", link="probit", freq_weights=np.arange(700) % 3 + 1.0)
    theta = m.fit().params
    _, _, U = m._evaluate(theta, Y=m._Y)
    work = {}
    for chunk in (32768, 128, 7):                  # one block; many blocks with a ragged end
        ref = m._info_diag_minus_outer(U.d, U.a, chunk)
        assert _same_bits(m._info_diag_minus_outer(U.d, U.a, chunk, work), ref)
        assert _same_bits(m._info_diag_minus_outer(U.d, U.a, chunk, work), ref)


def test_fitted_values_keep_the_row_order_when_collapse_is_forced():
    """collapse=True on distinct rows sorts them into as many settings as rows: the fitted values must still
    come from predict() in the caller's row order (a shape test alone would take the sorted rows)."""
    y, X = _bench_data(80, 3)
    m = MultinomialLinkModel(y, X, model="baseline", collapse=True)
    assert m._Z.shape[0] == 80 and not np.array_equal(m._Z[:, 1:], X)
    res = m.fit()
    assert _same_bits(res.fittedvalues, m.predict(res.params))
    ref = MultinomialLinkModel(y, X, model="baseline", collapse=False).fit()
    np.testing.assert_allclose(res.fittedvalues, ref.fittedvalues, rtol=1e-9)
