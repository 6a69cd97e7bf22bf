"""Review of 6353b17 (session 25): an integral float for an int key is taken as its int, but one that no int64
holds was let through from Python (make_config({"epochs": 1e20}) -> epochs=100000000000000000000, which ends in an
OverflowError deep inside a run), while the command line's `epochs=1e20` and the int 10**20 are refused by
from_overrides' 64-bit check. The converted int is now checked as the CLI's is: one message, 'out of range'."""

from dataclasses import dataclass

import numpy as np
import pytest

from paperworks.core.config import Config, ConfigError, from_overrides


@dataclass(frozen=True)
class IntConfig(Config):
    epochs: int = 3
    maybe: int | None = None
    sizes: tuple[int, ...] = (4,)


@pytest.mark.parametrize("key, value", [("epochs", 1e20), ("epochs", np.float32(1e20)), ("epochs", 2.0**63),
                                        ("maybe", -1e19), ("sizes", (8.0, 1e19))])
def test_an_integral_float_no_int64_holds_is_refused_as_on_the_cli(key, value):
    with pytest.raises(ConfigError, match=f"'{key}' is out of range .*integers must fit in 64 bits"):
        IntConfig(**{key: value})
    with pytest.raises(ConfigError, match=f"'{key}' is out of range .*integers must fit in 64 bits"):
        from_overrides(IntConfig, {key: value})


def test_the_cli_text_and_the_python_float_agree():
    for text, number in [("1e20", 1e20), ("-1e19", -1e19)]:
        for v in (text, number):
            with pytest.raises(ConfigError, match="'maybe' is out of range"):
                from_overrides(IntConfig, {"maybe": v})


def test_the_largest_floats_int64_holds_still_pass():
    assert IntConfig(epochs=2.0**63 - 1024).epochs == 2**63 - 1024
    assert IntConfig(maybe=-2.0**63).maybe == -2**63
    assert IntConfig(sizes=(8.0, 2.0**62)).sizes == (8, 2**62)
