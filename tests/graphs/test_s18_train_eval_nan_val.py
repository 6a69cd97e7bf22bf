"""train_eval kept a NaN first validation loss as the best for good: (x,) < (nan,) is False, so no later epoch
improved on it, early stopping ended the run `patience` epochs later while the validation loss fell every epoch,
and the reported best epoch / val_loss were 1 / nan. Oracle: the history itself (the best epoch is the argmin of
the finite validation losses)."""

import numpy as np
import torch
from torch import nn
from torch_geometric.data import Data
from torch_geometric.nn import global_mean_pool

from paperworks.graphs import stratified_folds, train_eval


class _NaNFirstEval(nn.Module):
    """A linear model whose first evaluation gives NaN logits (an overflow at initialisation, say)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(1, 2)
        self.evals = 0

    def forward(self, data):
        out = self.lin(global_mean_pool(data.x, data.batch))
        if not self.training:
            self.evals += 1
            if self.evals == 1:
                out = out * float("nan")
        return out, torch.zeros(())


def _data():
    g = torch.Generator().manual_seed(0)
    out = []
    for i in range(60):
        y = i % 2
        k = int(torch.randint(2, 6, (1,), generator=g))
        out.append(Data(x=torch.randn(k, 1, generator=g) * 0.1 + (2 * y - 1), edge_index=torch.zeros(2, 0, dtype=torch.long),
                        y=torch.tensor([y])))
    return out


def test_a_nan_validation_loss_never_stays_the_best():
    data = _data()
    split = stratified_folds(np.array([int(d.y) for d in data]), 5, 0)[0]
    for select in ("val_loss", "val_acc"):
        r = train_eval(_NaNFirstEval, data, split, epochs=12, lr=0.1, patience=3, batch_size=16, select=select)
        losses = [h["val_loss"] for h in r.history]
        assert np.isnan(losses[0]) and all(np.isfinite(losses[1:]))
        assert r.best_epoch > 1 and np.isfinite(r.val_loss)            # old code: best_epoch 1, val_loss nan
        if select == "val_loss":
            assert r.best_epoch == 1 + int(np.argmin(losses[1:])) + 1 and r.val_loss == min(losses[1:])
