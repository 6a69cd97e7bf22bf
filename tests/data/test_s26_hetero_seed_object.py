"""make_academic_hetero(seed=<a NumPy SeedSequence / Generator>) passed its own seed check (numpy's default_rng
takes them), built the graph, then failed in the split with "stratified_split: 'seed' must be an integer", a
function and argument the caller never named. Now its own DataError, before any work; integer seeds as before."""
import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.data.hetero import make_academic_hetero


@pytest.mark.parametrize("seed", [np.random.SeedSequence(1), np.random.default_rng(0), np.random.PCG64(0)])
def test_numpy_seed_objects_refused_by_name(seed):
    with pytest.raises(DataError, match=r"^make_academic_hetero: 'seed' must be an integer >= 0"):
        make_academic_hetero(seed=seed)


def test_integer_seeds_unchanged():
    a = make_academic_hetero(seed=3)
    b = make_academic_hetero(seed=np.int64(3))
    assert torch.equal(a["paper"].x, b["paper"].x) and torch.equal(a["paper"].train_mask, b["paper"].train_mask)
