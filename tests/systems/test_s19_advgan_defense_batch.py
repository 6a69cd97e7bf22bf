"""advgan: defense_n_train smaller than batch_size passed validation; reproduce then trained the targets, the
AdvGANs, the baselines and the black-box experiment and only failed in the defense phase with 'Trainer: the
training set has 16 items, fewer than one batch (32)'. The config now refuses it up front (when a defense is
asked for), naming defense_n_train."""

import pytest

from paperworks.core.errors import ConfigError
from paperworks.core.registry import get_system


def test_defense_set_smaller_than_a_batch_is_refused():
    S = get_system("advgan")
    with pytest.raises(ConfigError, match="defense_n_train"):
        S.make_config({"defense_n_train": "16"}, preset="smoke")      # batch_size 32


def test_no_defense_needs_no_defense_batch():
    S = get_system("advgan")
    cfg = S.make_config({"defense_n_train": "16", "defenses": "", "challenge": "false"}, preset="smoke")
    assert cfg.defense_n_train == 16
    assert S.make_config({"defense_n_train": "32"}, preset="smoke").batch_size == 32   # exactly one batch: fine
