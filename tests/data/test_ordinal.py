"""Offline ordinal datasets: shapes, totals and agreement with their published sources."""

import numpy as np

from paperworks.data import load
from paperworks.data.ordinal import housing_wide


def test_trauma_table_totals():
    t = load("trauma")
    Y = t.iloc[:, 2:].to_numpy()
    assert Y.sum() == 802 and Y.sum(1).tolist() == [210, 190, 207, 195]


def test_pneumo_and_housing_totals():
    p = load("pneumo")
    assert p[["normal", "mild", "severe"]].to_numpy().sum() == 371
    h = load("housing")
    assert h.shape == (72, 5) and h["Freq"].sum() == 1681
    w = housing_wide()
    assert w.shape == (24, 6) and w[["Low", "Medium", "High"]].to_numpy().sum() == 1681


def test_anes96_matches_statsmodels_loader():
    import statsmodels.api as sm

    a = load("anes96")
    b = sm.datasets.anes96.load_pandas().data
    assert len(a) == 944 and list(a["PID"].cat.categories) == list(range(7))
    np.testing.assert_allclose(a["logpopul"], b["logpopul"])
    np.testing.assert_array_equal(a["PID"].cat.codes, b["PID"].astype(int))


def test_ologit_ucla_levels():
    d = load("ologit_ucla")
    assert len(d) == 400 and d["apply"].cat.categories[0] == "unlikely" and not d["apply"].isna().any()
