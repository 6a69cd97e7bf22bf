"""train_node_classifier(epochs=0) returned {'val_macro_f1': -1.0, 'train_time_s': ..., 'epochs': 0}: no test
metric and no word (the caller's res['test_macro_f1'] was a KeyError); train_on_loss already refuses 0 epochs."""

import pytest
import torch

from paperworks.core.errors import ConfigError
from paperworks.graphs.hetero_baselines import MLPClassifier, train_node_classifier


@pytest.mark.parametrize("epochs", [0, -3, 2.5])
def test_no_epochs_is_refused(epochs):
    torch.manual_seed(0)
    x, y = torch.randn(12, 3), torch.arange(12) % 2
    m = MLPClassifier(3, 4, 2)
    idx = torch.arange(12)
    with pytest.raises(ConfigError, match="epochs must be an integer >= 1"):
        train_node_classifier(m, lambda: m(x), y, idx[:6], idx[6:9], idx[9:], epochs=epochs)
    res = train_node_classifier(m, lambda: m(x), y, idx[:6], idx[6:9], idx[9:], epochs=1)
    assert {"test_macro_f1", "test_micro_f1", "best_epoch"} <= set(res)
