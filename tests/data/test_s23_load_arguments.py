"""load(name, **kwargs) names a misspelled / missing loader argument in a DataError listing the loader's
arguments (it was a bare TypeError from the loader's call); valid calls are unchanged."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.data import load
from paperworks.data.algorithmic import load_algorithmic


@pytest.mark.parametrize("name, kwargs, match", [
    ("fortunes", {"categorie": ["computers", "law"]},
     r"dataset 'fortunes': got an unexpected keyword argument 'categorie' \(its arguments: categories, test_fraction"),
    ("tu", {}, r"dataset 'tu': missing a required argument: 'root' \(its arguments: root, name\)"),
    ("trauma", {"seed": 1}, r"dataset 'trauma': got an unexpected keyword argument 'seed' \(its arguments: none\)"),
])
def test_bad_loader_arguments_are_data_errors(name, kwargs, match):
    with pytest.raises(DataError, match=match):
        load(name, **kwargs)


def test_valid_calls_unchanged():
    a = load("algorithmic", tasks=("copy",), n_train=50, n_test=5, seed=1, min_len=2, max_len=4)
    assert a == load_algorithmic(tasks=("copy",), n_train=50, n_test=5, seed=1, min_len=2, max_len=4)
    d = load("fortunes", categories=("computers", "law"), test_fraction=0.25, seed=3)
    assert d["classes"] == ("computers", "law") and isinstance(d["y_train"], torch.Tensor)
