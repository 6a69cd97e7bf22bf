"""make_academic_hetero (review of e11e76b): an integer seed >= 2**64 passed its own seed check (numpy's
default_rng takes any integer >= 0), built the whole graph, then failed in the split as "stratified_split: 'seed'
must be an integer in [-2**63, 2**64)", naming a function the caller never called: the same defect e11e76b fixed
for NumPy seed objects. Now its own DataError before any work; seeds below 2**64 as before."""
import numpy as np
import pytest
import torch

import paperworks.data.hetero as hetero
from paperworks.core.errors import DataError
from paperworks.data.hetero import make_academic_hetero


@pytest.mark.parametrize("seed", [2 ** 64, 10 ** 30])
def test_seed_beyond_torch_range_refused_by_name_before_any_work(seed, monkeypatch):
    monkeypatch.setattr(hetero.np.random, "default_rng", lambda *a: pytest.fail("the graph was built"))
    with pytest.raises(DataError, match=r"^make_academic_hetero: 'seed' must be an integer >= 0 and < 2\*\*64 "
                                        r"\(got \d+;"):
        make_academic_hetero(n_papers=200, n_authors=120, seed=seed)


def test_largest_seed_builds_as_before():
    a = make_academic_hetero(n_papers=200, n_authors=120, seed=2 ** 64 - 1)
    b = make_academic_hetero(n_papers=200, n_authors=120, seed=np.uint64(2 ** 64 - 1))
    assert torch.equal(a["paper"].x, b["paper"].x) and torch.equal(a["paper"].train_mask, b["paper"].train_mask)
