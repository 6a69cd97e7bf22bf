"""A negative SGD momentum passed TrainerConfig's validation and was refused only when the Trainer built torch's
SGD, with torch's bare ValueError ("Invalid momentum value") instead of the ConfigError every other key gives."""

import pytest

from paperworks.core.errors import ConfigError
from paperworks.core.trainer import TrainerConfig


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_negative_momentum_is_a_config_error(optimizer):
    with pytest.raises(ConfigError, match="momentum"):
        TrainerConfig(optimizer=optimizer, momentum=-0.5)


def test_momentum_zero_and_positive_still_accepted():
    assert TrainerConfig(optimizer="sgd", momentum=0.0).momentum == 0.0
    assert TrainerConfig(optimizer="sgd", momentum=0.9, nesterov=True).momentum == 0.9
