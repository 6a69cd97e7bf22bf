"""train_eval and random_nmi seeds follow core.config.check_seed (the rule of train_hdgi / dgi_embeddings): 1.5,
True, a NumPy integer and 2**70 were bare TypeError / RuntimeError / ValueError from numpy or torch."""
import sys
from pathlib import Path

import numpy as np
import pytest

from paperworks.core.errors import ConfigError
from paperworks.graphs import make_splits, train_eval

sys.path.insert(0, str(Path(__file__).parent))
from test_s26_train_eval_lr_rule import _MeanNet, _data  # noqa: E402


@pytest.mark.parametrize("seed", [1.5, True, 2 ** 70])
def test_train_eval_refuses(seed):
    data = _data()
    with pytest.raises(ConfigError, match="train_eval: 'seed' must be an integer"):
        train_eval(_MeanNet, data, make_splits(data, "cv10", 0, 10)[0], epochs=1, seed=seed)


def test_train_eval_numpy_seed_runs_as_its_int():
    data = _data()
    s = make_splits(data, "cv10", 0, 10)[0]
    r, r0 = (train_eval(_MeanNet, data, s, epochs=2, seed=x) for x in (np.int64(3), 3))
    assert (r.test_acc, r.val_loss, r.best_epoch) == (r0.test_acc, r0.val_loss, r0.best_epoch)


def test_random_nmi_refuses_a_float_seed():
    from paperworks.graphs.experiment import random_nmi
    with pytest.raises(ConfigError, match="random_nmi: 'seed' must be an integer"):
        random_nmi([], 2, seed=1.5)
