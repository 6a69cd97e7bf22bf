"""logreg_probe with a val_idx that selects no node (an empty index, an all-False mask) kept C = 1 without a word,
as if no validation split had been given (the docstring: with val_idx, C is chosen by validation macro-F1). Now
one DataError; val_idx=None still gives C = 1 and a non-empty val_idx chooses C as before."""
import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.node_eval import logreg_probe

rng = np.random.default_rng(0)
Z = rng.normal(size=(60, 4))
Y = (Z[:, 0] > 0).astype(np.int64)
TR, TE, VA = np.arange(0, 30), np.arange(30, 50), np.arange(50, 60)


@pytest.mark.parametrize("empty", [np.array([], dtype=np.int64), torch.zeros(60, dtype=torch.bool), []])
def test_empty_val_is_one_data_error(empty):
    with pytest.raises(DataError, match="logreg_probe: val_idx selects no node"):
        logreg_probe(Z, Y, TR, TE, empty)


def test_none_and_non_empty_val_as_before():
    assert logreg_probe(Z, Y, TR, TE)["C"] == 1.0
    assert logreg_probe(Z, Y, TR, TE, VA, cs=(0.01, 1.0))["C"] in (0.01, 1.0)
