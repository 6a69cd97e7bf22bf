"""train_eval refuses a split whose parts share graphs (session 23). A test graph that was also trained on, or on
which the best state was selected, gave an inflated test accuracy without a word: on random labels (nothing to
learn) a flat GCN scored 1.000 on test graphs it had trained on against 0.583 on a disjoint split."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from paperworks.core.errors import DataError
from paperworks.graphs import Split, make_splits, train_eval


class _MeanNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 2)

    def forward(self, batch):
        from torch_geometric.nn import global_mean_pool
        return self.lin(global_mean_pool(batch.x, batch.batch)), torch.zeros(())


def _data(n=30):
    g = torch.Generator().manual_seed(0)
    return [Data(x=torch.randn(4, 2, generator=g), edge_index=torch.tensor([[0, 1], [1, 0]]),
                 y=torch.tensor([i % 2])) for i in range(n)]


@pytest.mark.parametrize("parts, names", [
    (lambda s: (np.concatenate([s.train, s.test[:1]]), s.val, s.test), "split.train and split.test share 1"),
    (lambda s: (s.train, s.test, s.test), "split.val and split.test share 3"),
    (lambda s: (s.train, np.concatenate([s.val, s.train[:2]]), s.test), "split.train and split.val share 2"),
])
def test_overlapping_parts_are_one_data_error(parts, names):
    data = _data()
    s = make_splits(data, "cv10", 0, 10)[0]
    assert len(s.test) == 3
    with pytest.raises(DataError, match=names):
        train_eval(_MeanNet, data, Split(*parts(s)), epochs=1)


def test_overlap_of_bool_masks_is_refused_too():
    data = _data(12)
    m = np.zeros(12, bool)
    tr, va, te = m.copy(), m.copy(), m.copy()
    tr[:9], va[9:11], te[8:] = True, True, True
    with pytest.raises(DataError, match="share"):
        train_eval(_MeanNet, data, Split(tr, va, te), epochs=1)


def test_disjoint_splits_still_train():
    data = _data()
    for s in make_splits(data, "cv10", 0, 10)[:2] + make_splits(data, "random", 0, 2):
        r = train_eval(_MeanNet, data, s, epochs=2)
        assert 0.0 <= r.test_acc <= 1.0 and r.epochs_run == 2
