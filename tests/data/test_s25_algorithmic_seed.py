"""load_algorithmic / make_examples take the seed rule of the other data generators (data.check_seed): a float,
a string, a negative number or a bool was a bare TypeError / ValueError from numpy or Python (or, for True, ran
silently as seed 1); now one DataError naming the generator. Integer seeds draw the same examples as before."""
import hashlib
import json

import numpy as np
import pytest

from paperworks.core.errors import DataError
from paperworks.data.algorithmic import load_algorithmic, make_examples


@pytest.mark.parametrize("seed", [1.5, "3", -1, True, None])
def test_bad_seed_is_one_data_error(seed):
    with pytest.raises(DataError, match="algorithmic.*seed"):
        load_algorithmic(n_train=30, n_test=5, seed=seed)
    with pytest.raises(DataError, match="algorithmic.*seed"):
        make_examples("copy", 3, seed=seed)


def _sha(d):
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()


def test_integer_seeds_unchanged():
    a = load_algorithmic(n_train=60, n_test=5, n_dev=3, seed=2)
    b = load_algorithmic(n_train=60, n_test=5, n_dev=3, seed=np.int64(2))
    assert _sha(a) == _sha(b)
    assert _sha(a) == "d927d3b461b945e91b2a17dc458326552558791b56eb7837d07fe4f38a92d389"
