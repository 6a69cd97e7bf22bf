"""train_node_classifier (GTN's training loop) checks each split's node indices against the number of labelled
nodes before the first epoch (session 24). Before, an index out of range (10 or -11 with 10 nodes), float
indices or a bool mask of the wrong length were a bare torch IndexError from inside the loop, naming no split."""

import pytest
import torch
from torch import nn

from paperworks.core.errors import DataError
from paperworks.graphs.hetero_baselines import train_node_classifier

N = 10
X = torch.randn(N, 4, generator=torch.Generator().manual_seed(0))
Y = torch.arange(N) % 2
SPLITS = {"train": [0, 1, 2], "val": [3, 4], "test": [5, 6]}


def _fit(**change):
    model = nn.Linear(4, 2)
    idx = {k: torch.tensor(v) for k, v in SPLITS.items()}
    idx.update(change)
    return train_node_classifier(model, lambda: model(X), Y, idx["train"], idx["val"], idx["test"], epochs=1)


@pytest.mark.parametrize("split", ["train", "val", "test"])
@pytest.mark.parametrize("bad", [10, -11, 1000])
def test_out_of_range_index_is_one_data_error(split, bad):
    with pytest.raises(DataError, match=rf"train_node_classifier: the {split} split holds node index {bad}, "
                                        rf"outside \[-10, 10\)"):
        _fit(**{split: torch.tensor(SPLITS[split] + [bad])})


@pytest.mark.parametrize("split", ["train", "test"])
def test_float_indices_and_short_masks_are_data_errors(split):
    with pytest.raises(DataError, match=f"the {split} split must hold integer node indices"):
        _fit(**{split: torch.tensor(SPLITS[split], dtype=torch.float32)})
    mask = torch.zeros(N - 1, dtype=torch.bool)
    mask[7] = True
    with pytest.raises(DataError, match=f"the {split} split is a bool mask of shape \\[9\\]; it must have length 10"):
        _fit(**{split: mask})


def test_in_range_negative_indices_and_masks_still_accepted():
    mask = torch.zeros(N, dtype=torch.bool)
    mask[[3, 7]] = True
    out = _fit(test=torch.tensor([-1, -10 + 8]), val=mask)   # nodes 9 and 8; -10 would be node 0 (train)
    assert "test_macro_f1" in out
    with pytest.raises(DataError, match="the train and test splits share 1"):
        _fit(test=torch.tensor([-10, 9]))
