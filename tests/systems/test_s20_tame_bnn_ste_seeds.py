"""tame_bnn: ste_seeds < 2 makes the "only in some seeds" claim impossible, so the config refuses it."""

import pytest

from paperworks.core.errors import ConfigError
from paperworks.systems.tame_bnn import TameBNN, some_seeds_claim


@pytest.mark.parametrize("value", ["1", "0", "-3"])
def test_fewer_than_two_ste_seeds_is_refused_at_validation(value):
    # ste_seeds serves only reproduce; with one seed the claim's rule read |ours - 0.5| <= -0.5
    with pytest.raises(ConfigError, match=r"'ste_seeds' must be >= 2") as e:
        TameBNN.make_config({"ste_seeds": value})
    assert len(e.value.problems) == 1 and f"(got {int(value)})" in str(e.value)


@pytest.mark.parametrize("preset", [None, *TameBNN.presets])
def test_default_and_presets_still_validate(preset):
    assert TameBNN.make_config({}, preset=preset).ste_seeds >= 2


def test_two_seeds_validate_and_the_claim_can_hold():
    assert TameBNN.make_config({"ste_seeds": "2"}).ste_seeds == 2
    assert some_seeds_claim([0, 1], 0.0).holds
