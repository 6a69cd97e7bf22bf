"""Public-API QA of paperworks.stats against statsmodels and closed forms: pandas alignment, prediction from a
DataFrame with reordered / extra columns, parameter vectors of the wrong length or with NaN (each test fails on
the code before its fix)."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from statsmodels.miscmodels.ordinal_model import OrderedModel

from paperworks.stats import MultinomialLinkModel


def _data(n=120):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    y = np.digitize(X @ np.array([1.0, -0.5]) + rng.logistic(size=n), [-1.0, 0.5])
    return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y})


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.ConvergenceWarning")
def test_predict_reads_a_dataframe_by_column_name():
    df = _data()
    res = MultinomialLinkModel(df["y"], df[["a", "b"]], model="cumulative", assumption="po").fit()
    # closed form of the cumulative logit po model: P(Y <= j) = expit(alpha_j + a beta_a + b beta_b)
    a1, a2, ba, bb = res.params
    lin = df["a"].to_numpy()[:5] * ba + df["b"].to_numpy()[:5] * bb
    cum = np.stack([expit(a1 + lin), expit(a2 + lin), np.ones(5)], 1)
    ref = np.diff(np.concatenate([np.zeros((5, 1)), cum], 1), axis=1)
    assert np.allclose(res.predict(df[["a", "b"]].iloc[:5]), ref, atol=1e-12)
    assert np.allclose(res.predict(df[["b", "a"]].iloc[:5]), ref, atol=1e-12)       # old: columns swapped
    assert np.allclose(res.predict(df[["y", "b", "a"]].iloc[:5]), ref, atol=1e-12)  # old: 'must have 2 columns'
    assert np.allclose(res.predict(df[["a", "b"]].to_numpy()[:5]), ref, atol=1e-12)  # numpy: by position
    # peer: statsmodels' OrderedModel (thresholds - x'beta, so its slopes are ours negated)
    om = OrderedModel(df["y"], df[["a", "b"]], distr="logit").fit(method="newton", disp=0, maxiter=200, tol=1e-14)
    assert np.allclose(om.predict(df[["a", "b"]].iloc[:5]), res.predict(df[["b", "a"]].iloc[:5]), atol=1e-6)


def test_misaligned_pandas_indexes_are_refused_like_statsmodels():
    df = _data()
    y_rev = df["y"].iloc[::-1]                         # same values, index reversed: rows no longer pair up
    with pytest.raises(ValueError, match="not aligned"):                # old: fitted by position, silently
        MultinomialLinkModel(y_rev, df[["a", "b"]], model="cumulative", assumption="po")
    with pytest.raises(ValueError, match="not aligned"):
        OrderedModel(y_rev, df[["a", "b"]], distr="logit")
    with pytest.raises(ValueError, match="not aligned"):
        MultinomialLinkModel(df["y"], df[["a", "b"]], freq_weights=pd.Series(np.ones(len(df)), index=df.index[::-1]))
    # rows shuffled together (same index on both): the fit is the fit of the unshuffled data
    sh = df.sample(frac=1.0, random_state=1)
    a = MultinomialLinkModel(sh["y"], sh[["a", "b"]], model="cumulative", assumption="po").fit()
    b = MultinomialLinkModel(df["y"].to_numpy(), df[["a", "b"]].to_numpy(), model="cumulative", assumption="po").fit()
    assert abs(a.llf - b.llf) < 1e-9 and np.allclose(a.params, b.params, atol=1e-7)


def test_parameter_vectors_are_checked():
    df = _data()
    m = MultinomialLinkModel(df["y"], df[["a", "b"]], model="adjacent", link="probit")
    th = m.start_params()
    for fn in (m.loglike, m.score, m.information, m.predict):
        with pytest.raises(ValueError, match=r"params must have shape \(6,\)"):   # old: a matmul error
            fn(th[:-1])
    with pytest.raises(ValueError, match="NaN"):          # old: a warning 'infeasible' and NaN probabilities
        m.predict(th * np.nan)
    with pytest.raises(ValueError, match="start_params contain NaN"):   # old: 'outside the feasible region'
        m.fit(start_params=th * np.nan)


def test_lr_test_needs_the_same_responses_and_conf_int_alpha():
    df = _data()
    full = MultinomialLinkModel(df["y"], df[["a", "b"]], model="cumulative", assumption="npo").fit()
    po = MultinomialLinkModel(df["y"], df[["a", "b"]], model="cumulative", assumption="po").fit()
    stat, dof, p = full.lr_test(po)
    assert dof == 2 and abs(stat - 2 * (full.llf - po.llf)) < 1e-12      # closed form of the statistic
    assert abs(p - float(np.exp(-stat / 2))) < 1e-12                      # chi2 with 2 df: sf = exp(-x/2)
    other = MultinomialLinkModel(df["y"].iloc[:100], df[["a", "b"]].iloc[:100], model="cumulative",
                                 assumption="po").fit()
    with pytest.raises(ValueError, match="not of the same responses"):   # old: a meaningless p-value
        full.lr_test(other)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):     # old: NaN bounds
        po.conf_int(alpha=5)
    lo, hi = po.conf_int(alpha=0.1).T
    assert np.allclose(hi - po.params, 1.6448536269514722 * po.bse, atol=1e-12)


def test_conf_int_takes_numpy_scalar_alpha():
    # the alpha check of 0a4355f took only Python int / float: np.float32(0.1) (a numpy scalar of another width
    # than float64) was refused although it is a valid level
    po = MultinomialLinkModel(_data()["y"], _data()[["a", "b"]], model="cumulative", assumption="po").fit()
    a32 = np.float32(0.1)
    lo, hi = po.conf_int(alpha=a32).T
    z = 1.6448536269514722            # norm.ppf(0.95); float32(0.1) moves it by ~1e-8
    assert np.allclose(hi - po.params, z * po.bse, atol=1e-6) and np.allclose(po.params - lo, z * po.bse, atol=1e-6)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        po.conf_int(alpha=np.float32(1.5))
