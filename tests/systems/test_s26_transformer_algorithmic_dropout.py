"""The algorithmic Transformer has no dropout (docs/systems/transformer.md, like its LSTM): it used to take
`attention_dropout` / `relu_dropout` from the config while residual `dropout` was left out, so
`paperworks run transformer task=algorithmic attention_dropout=0.3` trained with attention dropout. The translation
model keeps all three; at the presets' values (all 0) the algorithmic model is built with the same arguments."""

import pytest
import torch

from paperworks.core.registry import get_system


def _rates(model) -> dict[str, set]:
    out: dict[str, set] = {}
    for m in model.modules():
        for a in ("dropout", "attention_dropout", "relu_dropout"):
            v = getattr(m, a, None)
            if isinstance(v, float):
                out.setdefault(f"{type(m).__name__}.{a}", set()).add(v)
    return out


def _system(**ov):
    cls = get_system("transformer")
    return cls(cls.make_config(ov, preset="smoke"))


@pytest.mark.parametrize("ov", [{"attention_dropout": 0.3}, {"relu_dropout": 0.3}, {"dropout": 0.3},
                                {"dropout": 0.2, "attention_dropout": 0.3, "relu_dropout": 0.4}])
def test_algorithmic_model_has_no_dropout(ov):
    m = _system(task="algorithmic", **ov)._transformer(20, algorithmic=True)
    rates = _rates(m)
    assert rates and all(v == {0.0} for v in rates.values()), rates


def test_translation_model_keeps_the_three_rates():
    m = _system(dropout=0.2, attention_dropout=0.3, relu_dropout=0.4)._transformer(20, algorithmic=False)
    rates = _rates(m)
    assert rates["MultiHeadAttention.dropout"] == {0.3}
    assert rates["PositionwiseFeedForward.relu_dropout"] == {0.4}
    assert rates["EncoderLayer.dropout"] == rates["DecoderLayer.dropout"] == {0.2}


def test_algorithmic_training_is_deterministic_whatever_the_dropout_keys():
    """Two train-mode forwards of the algorithmic model give the same output (no dropout draws): with attention /
    ReLU dropout they differed."""
    s = _system(task="algorithmic", attention_dropout=0.5, relu_dropout=0.5)
    torch.manual_seed(0)
    m = s._transformer(12, algorithmic=True).train()
    src = torch.randint(3, 12, (4, 6))
    tgt = torch.randint(3, 12, (4, 5))
    a, b = m(src, tgt), m(src, tgt)
    assert torch.equal(a, b)


@pytest.mark.parametrize("preset", ["smoke", "tiny", "base"])
def test_presets_build_the_same_algorithmic_model(preset):
    """Every preset has attention / ReLU dropout 0: the algorithmic model's initial state is unchanged."""
    cls = get_system("transformer")
    cfg = cls.make_config({}, preset=preset)
    assert cfg.attention_dropout == 0.0 and cfg.relu_dropout == 0.0
    torch.manual_seed(0)
    m = cls(cfg)._transformer(20, algorithmic=True)
    assert set().union(*_rates(m).values()) == {0.0}
