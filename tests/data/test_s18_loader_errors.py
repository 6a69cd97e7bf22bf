"""Loader robustness (session 18): concurrent cache builds, and unreadable / truncated local files give one
DataError naming the file instead of a bare exception from numpy, scipy, gzip or PIL, or a silently smaller
data set."""

import gzip
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from paperworks.core.errors import DataError
from paperworks.data import images
from paperworks.data.fairness import load_celeba
from paperworks.data.graphs import load_tu
from paperworks.data.hetero import load_hetero_folder
from paperworks.data.images import load_fashion_mnist, read_idx
from paperworks.data.text import load_fortunes

sys.path.insert(0, str(Path(__file__).parent))
from test_fairness import _celeba_fixture  # noqa: E402


def test_two_concurrent_cache_builds_both_succeed(tmp_path, monkeypatch):
    """Two builders of the same cache key at once (two processes loading MNIST on a fresh cache): each wrote the
    same fixed temp name, so the second rename failed with FileNotFoundError (2 of 3 processes on the real
    fashion-MNIST). np.savez is slowed so that the writes overlap every time."""
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path))
    orig = np.savez

    def slow_savez(file, **kw):
        orig(file, **kw)
        time.sleep(0.4)          # the file lies at its temp name while the other builder writes

    monkeypatch.setattr(np, "savez", slow_savez)
    want = {"a": np.arange(1000, dtype=np.int64)}
    results, errors = [], []

    def worker(delay):
        time.sleep(delay)
        try:
            results.append(images._cached("race", lambda: {k: v.copy() for k, v in want.items()}))
        except Exception as e:   # noqa: BLE001 - the failure under test
            errors.append(e)

    ts = [threading.Thread(target=worker, args=(d,)) for d in (0.0, 0.15)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors
    assert len(results) == 2 and all(np.array_equal(r["a"], want["a"]) for r in results)
    files = sorted(p.name for p in (tmp_path / "datasets").iterdir())
    assert files == ["race.npz"]                                    # no temp file left behind
    with np.load(tmp_path / "datasets" / "race.npz") as z:
        assert np.array_equal(z["a"], want["a"])


def test_failed_cache_write_leaves_no_temp_file(tmp_path, monkeypatch):
    """A cache write that fails half-way leaves neither a partial cache file nor a temp file. The failure is a
    real one, whatever writes the file: the file-size limit stops the write after 1 KiB (EFBIG, as a full disk
    stops it with ENOSPC). (Until s19 np.savez was replaced by a stub writing b"PK half" to its file argument
    and raising OSError, which assumed that np.savez is handed the temp file's path.)"""
    import resource
    import signal

    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)     # a failing write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, hard))
    try:
        with pytest.raises(OSError, match="File too large"):
            images._cached("full", lambda: {"a": np.zeros(3000)})
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    assert list((tmp_path / "datasets").iterdir()) == []


def _idx_gz(path, arr):
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(head + arr.astype(np.uint8).tobytes())


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "not_gzip"])
def test_unreadable_gzip_idx_is_one_data_error(tmp_path, damage):
    p = tmp_path / "x-idx1-ubyte.gz"
    _idx_gz(p, np.arange(200) % 10)
    good = p.read_bytes()
    bad = {"truncated": good[: len(good) // 2], "corrupt": good[:10] + bytes(range(256)) * 2,
           "not_gzip": b"\x1f\x8bnot really gzip"}[damage]
    p.write_bytes(bad)
    with pytest.raises(DataError, match="x-idx1-ubyte.gz"):     # EOFError / BadGzipFile / zlib.error before
        read_idx(p)


def test_truncated_fashion_mnist_copy_is_a_data_error_and_caches_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "fm"
    root.mkdir()
    for prefix in ("train", "t10k"):
        _idx_gz(root / f"{prefix}-labels-idx1-ubyte.gz", np.arange(20) % 10)
        _idx_gz(root / f"{prefix}-images-idx3-ubyte.gz", np.zeros((20, 28, 28)))
    img = root / "train-images-idx3-ubyte.gz"
    img.write_bytes(img.read_bytes()[:40])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz' is not a readable gzip file"):
        load_fashion_mnist(root=str(root))
    assert list((tmp_path / "cache" / "datasets").iterdir()) == []


def test_tu_file_that_is_not_text_is_a_data_error(tmp_path):
    (tmp_path / "G_A.txt").write_text("1, 2\n2, 1\n")
    (tmp_path / "G_graph_indicator.txt").write_text("1\n1\n")
    (tmp_path / "G_graph_labels.txt").write_text("0\n")
    assert len(load_tu(tmp_path, "G")) == 1
    (tmp_path / "G_node_labels.txt").write_bytes(b"\x80\x81\xff\n")
    with pytest.raises(DataError, match="G_node_labels.txt' is not a readable text file"):   # UnicodeDecodeError
        load_tu(tmp_path, "G")
    (tmp_path / "G_node_labels.txt").unlink()
    (tmp_path / "G_A.txt").write_bytes(b"\xff\xfe1\x00,\x002\x00")
    with pytest.raises(DataError, match="G_A.txt' is not a readable text file"):
        load_tu(tmp_path, "G")


def test_fortunes_root_that_is_not_a_folder(tmp_path):
    with pytest.raises(DataError, match="is not a folder"):          # FileNotFoundError before
        load_fortunes(root=str(tmp_path / "missing"))
    (tmp_path / "afile").write_text("x\n%\ny\n")
    with pytest.raises(DataError, match="is not a folder"):          # NotADirectoryError before
        load_fortunes(root=str(tmp_path / "afile"))


def test_celeba_attribute_file_cut_at_a_line_boundary(tmp_path):
    """The count line says 6 records, the file holds 4: the test split came back silently empty."""
    _celeba_fixture(tmp_path)
    attr = tmp_path / "list_attr_celeba.txt"
    lines = attr.read_text().split("\n")
    attr.write_text("\n".join(lines[:-3]) + "\n")
    with pytest.raises(DataError, match="declares '6' records .* holds 4"):
        load_celeba(str(tmp_path), split="test", size=8)
    attr.write_text("six\n" + "\n".join(lines[1:]))
    with pytest.raises(DataError, match="declares 'six' records"):
        load_celeba(str(tmp_path), split="test", size=8)
    attr.write_text("\r\n".join(lines))                              # CRLF copy of the good file still loads
    assert load_celeba(str(tmp_path), split="test", size=8)["files"] == ["000005.jpg", "000006.jpg"]


def test_celeba_partition_file_missing_images(tmp_path):
    _celeba_fixture(tmp_path)
    part = tmp_path / "list_eval_partition.txt"
    part.write_text("\n".join(part.read_text().split("\n")[:4]) + "\n")
    with pytest.raises(DataError, match=r"2 image\(s\) .* no line in .*list_eval_partition.txt .*000005.jpg"):
        load_celeba(str(tmp_path), split="test", size=8)


@pytest.mark.parametrize("kw", [{"limit": -1}, {"limit": 1.5}, {"limit": True}, {"size": 0}, {"size": -3},
                                {"size": 8.0}])
def test_celeba_bad_limit_or_size(tmp_path, kw):
    """limit=-1 silently dropped the last image; the others failed inside PIL or list slicing."""
    _celeba_fixture(tmp_path)
    with pytest.raises(DataError, match=next(iter(kw))):
        load_celeba(str(tmp_path), split="train", **{"size": 8, **kw})


def test_celeba_limit_zero_and_limit_still_work(tmp_path):
    _celeba_fixture(tmp_path)
    assert load_celeba(str(tmp_path), size=8, limit=0)["x"].shape == (0, 8, 8, 3)
    assert load_celeba(str(tmp_path), size=8, limit=np.int64(2))["files"] == ["000001.jpg", "000002.jpg"]


def test_celeba_attribute_file_that_is_not_text(tmp_path):
    _celeba_fixture(tmp_path)
    attr = tmp_path / "list_attr_celeba.txt"
    attr.write_bytes(b"\xff\xfe" + attr.read_bytes())
    with pytest.raises(DataError, match="list_attr_celeba.txt' is not a readable text file"):
        load_celeba(str(tmp_path), size=8)


def _imdb_raw(folder):
    folder.mkdir(parents=True)
    np.save(folder / "node_types.npy", np.array([0, 0, 0, 1, 1, 2, 2]))
    np.save(folder / "labels.npy", np.array([0, 1, 2]))
    sp.save_npz(folder / "adjM.npz", sp.random(7, 7, density=0.4, format="csr", random_state=0))
    np.save(folder / "features_0.npy", np.ones((3, 4)))
    np.savez(folder / "train_val_test_idx.npz", train_idx=np.array([0]), val_idx=np.array([1]),
             test_idx=np.array([2]))


@pytest.mark.parametrize("name, damage", [
    ("features_0.npy", "truncate"), ("adjM.npz", "truncate"), ("adjM.npz", "empty"), ("node_types.npy", "empty"),
    ("train_val_test_idx.npz", "garbage"), ("features_1.npz", "garbage")])
def test_hetero_raw_file_damaged_is_one_data_error(tmp_path, name, damage):
    folder = tmp_path / "imdb"
    _imdb_raw(folder)
    assert load_hetero_folder("imdb", folder)["movie"].train_mask.tolist() == [True, False, False]
    p = folder / name
    if damage == "truncate":
        p.write_bytes(p.read_bytes()[:-9])
    elif damage == "empty":
        p.write_bytes(b"")
    else:
        p.write_bytes(b"garbage, not an array\n")
    with pytest.raises(DataError, match=f"'{p}' is not a readable raw file"):   # ValueError/BadZipFile/EOFError
        load_hetero_folder("imdb", folder)


def test_hetero_float_split_indices_are_refused(tmp_path):
    folder = tmp_path / "imdb"
    _imdb_raw(folder)
    np.savez(folder / "train_val_test_idx.npz", train_idx=np.array([0.0, 1.5]))   # 1.5 was read as node 1
    with pytest.raises(DataError, match="'train_idx' must hold integer node indices"):
        load_hetero_folder("imdb", folder)


def test_fashion_mnist_root_replaced_in_place_is_read_again(tmp_path, monkeypatch):
    """The cache of load_fashion_mnist(root=...) was keyed on the folder's path only: after the files were
    replaced, the old arrays came back from the cache, silently."""
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "fm"
    root.mkdir()

    def write(n):
        for prefix in ("train", "t10k"):
            _idx_gz(root / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10)
            _idx_gz(root / f"{prefix}-images-idx3-ubyte.gz", np.full((n, 28, 28), n))

    monkeypatch.setattr(images, "_check_split", lambda *a, **k: None)
    write(3)
    assert load_fashion_mnist(root=str(root))["x_train"].shape == (3, 28, 28)
    assert load_fashion_mnist(root=str(root))["x_train"].shape == (3, 28, 28)   # from the cache
    write(5)
    d = load_fashion_mnist(root=str(root))
    assert d["x_train"].shape == (5, 28, 28) and int(d["x_train"].max()) == 5
    assert len(list((tmp_path / "cache" / "datasets").glob("fashion_mnist_*.npz"))) == 1   # old entry removed


@pytest.mark.parametrize("kw", [{"max_molecules": 0}, {"max_molecules": -5}, {"max_molecules": 10.5},
                                {"max_molecules": True}, {"max_molecules": 20, "max_atoms": 0}])
def test_b3db_subset_sizes_must_be_positive_integers(kw):
    """max_molecules=0 / max_atoms=0 returned an empty list silently, -5 a numpy ValueError, 10.5 eleven graphs."""
    pytest.importorskip("rdkit")
    with pytest.raises(DataError, match=list(kw)[-1]):
        from paperworks.data.graphs import b3db_bbbp

        b3db_bbbp(**kw)


def test_b3db_nothing_left_after_max_atoms_is_a_data_error():
    pytest.importorskip("rdkit")
    from paperworks.data.graphs import b3db_bbbp

    with pytest.raises(DataError, match="no molecule of the 20 drawn has <= max_atoms=1"):
        b3db_bbbp(max_molecules=20, max_atoms=1)


@pytest.mark.parametrize("tf, match", [(1e-5, "empty test split"), (0.99999, "empty training split"),
                                       ("0.3", "must be in")])
def test_compas_test_fraction_that_empties_a_split(tf, match):
    """1e-5 and 0.99999 lie in (0, 1) but round to 0 test / 0 training rows: a KeyError from pandas; a string was a
    TypeError from the comparison."""
    from paperworks.data.fairness import load_compas

    with pytest.raises(DataError, match=match):
        load_compas(test_fraction=tf)


def test_cache_folder_that_cannot_be_created_is_a_data_error(tmp_path, monkeypatch):
    """PAPERWORKS_CACHE under a file: `paperworks run fmd` said "internal error: NotADirectoryError"."""
    from paperworks.data import cache_dir

    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "afile" / "cache"))
    with pytest.raises(DataError, match="cannot create the cache folder .*afile/cache/datasets.*PAPERWORKS_CACHE"):
        cache_dir("datasets")
    with pytest.raises(DataError, match="PAPERWORKS_CACHE"):
        images._cached("k", lambda: {"a": np.zeros(1)})


def test_fashion_mnist_label_out_of_range_is_named_as_such(tmp_path, monkeypatch):
    """A label 10 in a copy with the right shapes was reported as "unexpected shapes x(20, 28, 28) y(20,)"."""
    monkeypatch.setenv("PAPERWORKS_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "fm"
    root.mkdir()
    for prefix, n in (("train", 60000), ("t10k", 10000)):
        _idx_gz(root / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 11)          # 0..10
        _idx_gz(root / f"{prefix}-images-idx3-ubyte.gz", np.zeros((n, 28, 28)))
    with pytest.raises(DataError, match=r"fashion_mnist train: labels must lie in 0\.\.9 \(got 0\.\.10\)"):
        load_fashion_mnist(root=str(root))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_numpy_pickles_of_every_protocol_are_read(tmp_path, protocol):
    """A protocol-5 pickle (Python 3.14's default) of plain arrays was refused by both restricted unpicklers as
    "not a numpy array" (numpy rebuilds such arrays with numpy._core.numeric._frombuffer), and a protocol-2 pickle
    written by Python 3 by SafeNumpyUnpickler (it rebuilds bytes with _codecs.encode)."""
    import io
    import pickle

    from paperworks.data.cifar import read_python_batch
    from paperworks.data.images import SafeNumpyUnpickler

    x = np.random.default_rng(0).integers(0, 256, (4, 3072), dtype=np.uint8)
    p = tmp_path / "data_batch_1"
    p.write_bytes(pickle.dumps({b"data": x, b"labels": [1, 2, 3, 4]}, protocol=protocol))
    a, y = read_python_batch(p)
    assert np.array_equal(a.reshape(4, -1), x) and y.tolist() == [1, 2, 3, 4]
    parts = (x.astype(np.float32) / 256, np.arange(4))
    back = SafeNumpyUnpickler(io.BytesIO(pickle.dumps(parts, protocol=protocol))).load()
    assert all(np.array_equal(u, v) and u.dtype == v.dtype for u, v in zip(back, parts))


def _acm_npz(tmp_path):
    from paperworks.data.hetero import make_academic_hetero, save_hetero_npz

    d = make_academic_hetero(n_papers=60, n_authors=30, n_subjects=6, n_terms=20, vocab=30, seed=0)
    return save_hetero_npz(d, tmp_path / "acm.npz", "paper")


@pytest.mark.parametrize("damage", ["truncated", "corrupt_member"])
def test_hetero_npz_damaged_is_one_data_error(tmp_path, damage):
    p = _acm_npz(tmp_path)
    good = p.read_bytes()
    if damage == "truncated":                                  # BadZipFile from np.load before
        p.write_bytes(good[: len(good) * 2 // 3])
    else:                                                      # zip directory intact, a member's data garbled
        mid = len(good) // 3
        p.write_bytes(good[:mid] + bytes(b ^ 0x5A for b in good[mid:mid + 64]) + good[mid + 64:])
    with pytest.raises(DataError, match="acm.npz"):
        load_hetero_folder("acm", tmp_path)


@pytest.mark.parametrize("edit", ["out_of_range", "one_row"])
def test_hetero_npz_bad_edge_index_is_refused_at_load(tmp_path, edit):
    """An edge index beyond its node type, or an edge_index of shape [1, E], was loaded silently."""
    p = _acm_npz(tmp_path)
    with np.load(p) as z:
        a = {k: z[k] for k in z.files}
    k = "edge_index__paper__pa__author"
    a[k] = a[k].copy()
    if edit == "out_of_range":
        a[k][1, 0] = 10 ** 6
    else:
        a[k] = a[k][:1]
    np.savez(p, **a)
    with pytest.raises(DataError, match=r"acm.npz': .*edge_index of \('paper', 'pa', 'author'\)"):
        load_hetero_folder("acm", tmp_path)


def test_fortunes_categories_string_and_test_fraction_string(tmp_path):
    for cat, body in (("a", "x\n%\ny\n%\nz\n"), ("b", "u\n%\nv\n%\nw\n")):
        (tmp_path / cat).write_text(body)
    assert load_fortunes(("a", "b"), root=str(tmp_path))["classes"] == ("a", "b")
    with pytest.raises(DataError, match="must be a list of category names .*'ab'"):   # read as ('a', 'b') before
        load_fortunes("ab", root=str(tmp_path))
    with pytest.raises(DataError, match="test_fraction"):                              # TypeError before
        load_fortunes(("a", "b"), test_fraction="0.2", root=str(tmp_path))
