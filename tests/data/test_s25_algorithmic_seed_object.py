"""Review of 98ab81d: load_algorithmic's seed check is data.check_seed, which lets numpy's seed objects through
(SeedSequence, Generator), but load_algorithmic derives its per-task seeds as 10_000 + 97 * seed + i, so such a
seed was still Python's bare TypeError ('unsupported operand type(s) for *'). Now one DataError naming
'algorithmic'; integer seeds draw the same data, and make_examples still takes a seed object."""
import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.data.algorithmic import load_algorithmic, make_examples


@pytest.mark.parametrize("seed", [np.random.SeedSequence(1), np.random.default_rng(1)])
def test_seed_object_is_one_data_error(seed):
    with pytest.raises(DataError, match="algorithmic.*seed"):
        load_algorithmic(n_train=30, n_test=6, seed=seed)


def test_integer_seeds_unchanged_and_make_examples_takes_seed_objects():
    a = load_algorithmic(n_train=30, n_test=6, seed=np.int64(2))
    b = load_algorithmic(n_train=30, n_test=6, seed=2)
    assert a == b and len(a["train"]) > 0
    assert make_examples("copy", 4, seed=np.random.SeedSequence(3)) == make_examples("copy", 4, seed=3)
