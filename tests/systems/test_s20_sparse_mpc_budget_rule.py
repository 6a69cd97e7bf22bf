"""sparse_mpc: the equal-budget rule epochs + sparsify_epochs + finetune_epochs = dense_epochs (documented at
finetune_epochs) was enforced nowhere, and the smoke preset broke it (3 + 4 + 1 = 8 against dense_epochs 3).
The config now refuses a config that breaks it; default, paper and smoke presets satisfy it."""

import pytest

from paperworks.core.errors import ConfigError
from paperworks.systems.sparse_mpc import SparseMPC


@pytest.mark.parametrize("preset", [None, *SparseMPC.presets])
def test_every_preset_keeps_the_equal_budget_rule(preset):
    cfg = SparseMPC.make_config({}, preset=preset)
    assert cfg.epochs + cfg.sparsify_epochs + cfg.finetune_epochs == cfg.dense_epochs


def test_default_and_paper_budgets_are_unchanged():
    for preset in (None, "paper"):
        cfg = SparseMPC.make_config({}, preset=preset)
        assert (cfg.epochs, cfg.sparsify_epochs, cfg.finetune_epochs, cfg.dense_epochs) == (30, 30, 140, 200)


@pytest.mark.parametrize("over", [{"finetune_epochs": "10"}, {"dense_epochs": "300"}, {"sparsify_epochs": "0"},
                                  {"epochs": "10"}])
def test_breaking_the_rule_is_one_clear_config_error(over):
    with pytest.raises(ConfigError, match=r"'dense_epochs' must equal epochs \+ sparsify_epochs \+ finetune_epochs"
                       ) as e:
        SparseMPC.make_config(over)
    assert len(e.value.problems) == 1


def test_a_consistent_override_validates():
    cfg = SparseMPC.make_config({"finetune_epochs": "10", "dense_epochs": "70"})
    assert cfg.dense_epochs == 70
