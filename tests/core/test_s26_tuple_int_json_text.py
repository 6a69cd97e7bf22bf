"""An int entry of a tuple / list key given as JSON on the command line was read through JSON's float:
`hidden=2.9999999999999999` or `hidden=[100, 2.9999999999999999]` ran as (3,) / (100, 3), and
`hidden=[9007199254740993.0]` as its neighbour 2**53, although the scalar `n=2.9999999999999999` is refused (the
int rule reads decimals exactly). The entry's own text is parsed now; other entry types read as before."""

from dataclasses import dataclass
from typing import Any

import pytest

from paperworks.core.config import Config, from_overrides
from paperworks.core.errors import ConfigError


@dataclass(frozen=True)
class Cfg(Config):
    hidden: tuple[int, ...] = (8,)
    pair: tuple[int, float] = (1, 0.5)
    opt: tuple[int | None, ...] = ()
    lr: tuple[float, ...] = (0.1,)
    names: tuple[str, ...] = ("a",)
    anything: tuple[Any, ...] = ()


@pytest.mark.parametrize("key,text", [("hidden", "2.9999999999999999"), ("hidden", "[100, 2.9999999999999999]"),
                                      ("pair", "[1.0000000000000001, 0.5]"), ("opt", "[2.5000000000000001]")])
def test_a_non_integer_int_entry_is_refused(key, text):
    with pytest.raises(ConfigError, match=f"'{key}' must be comma-separated values"):
        from_overrides(Cfg, {key: text})


def test_an_integer_written_with_a_fraction_or_exponent_is_exact():
    c = from_overrides(Cfg, {"hidden": "[9007199254740993.0, 2.0, 1e2, 3]", "opt": "[4.0, null]"})
    assert c.hidden == (9007199254740993, 2, 100, 3) and c.opt == (4, None)


def test_other_entry_types_read_as_before():
    c = from_overrides(Cfg, {"lr": "[0.1, 2.5, 1e-3]", "names": "[1.50, 2]", "anything": "[0.1, 3, \"x\"]",
                             "pair": "[2, 0.25]"})
    assert c.lr == (0.1, 2.5, 1e-3) and c.names == ("1.5", "2") and c.anything == (0.1, 3, "x")
    assert c.pair == (2, 0.25)
    assert from_overrides(Cfg, {"hidden": "4,5", "lr": "0.5"}).hidden == (4, 5)


def test_a_float_entry_too_large_for_a_float_is_named_as_the_scalar_is():
    with pytest.raises(ConfigError, match="each a number that fits a 64-bit float"):
        from_overrides(Cfg, {"lr": "[0.1, 1e400]"})
    with pytest.raises(ConfigError, match="'pair' must be comma-separated values, each a number that fits"):
        from_overrides(Cfg, {"pair": "[1, 1e400]"})
