"""The graph experiments split with ``[int(d.y) for d in data]``: a fractional graph target (load_tu's
graph_attributes) was truncated to a class id at split time. They now hand the graphs to the harness, which
refuses such labels with one DataError and splits integer labels exactly as before."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from paperworks.core.errors import DataError
from paperworks.graphs.experiment import seeded_splits
from paperworks.graphs.harness import random_splits


def _graphs(ys):
    return [Data(x=torch.ones(2, 1), edge_index=torch.tensor([[0, 1], [1, 0]]), y=torch.tensor([y])) for y in ys]


def test_seeded_splits_refuse_fractional_targets():
    with pytest.raises(DataError, match="integer class ids"):
        seeded_splits(_graphs([0.2, 0.7, 1.4, 1.9] * 10), seeds=[0])


def test_seeded_splits_of_integer_labels_are_unchanged():
    data = _graphs([0, 1, 1, 0, 2] * 8)
    y = np.array([int(d.y) for d in data])
    for got, s in zip(seeded_splits(data, seeds=[0, 3]), (0, 3)):
        ref = random_splits(y, runs=1, seed=s)[0]
        for part in ("train", "val", "test"):
            assert np.array_equal(getattr(got, part), getattr(ref, part))
