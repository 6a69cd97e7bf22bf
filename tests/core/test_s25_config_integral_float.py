"""One rule for an int key from the command line and from Python (session 25): the CLI took `epochs=3.0` (and
`n_train=1e3`) as the integers they name, while the Python API refused ``make_config({"epochs": 3.0})`` and
``GTNConfig(epochs=3.0)`` with "'epochs' must be int (got 3.0)" (a config.json edited to "epochs": 3.0 alike). A
float that holds an integer exactly is now taken as that int on both paths (also for ``int | None`` keys and the
int entries of tuples); a fraction, inf and nan are still refused, on both paths."""

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest

from paperworks.core.config import Config, ConfigError, check_positive, from_dict, from_overrides, to_dict


@dataclass(frozen=True)
class IntConfig(Config):
    epochs: int = 3
    maybe: int | None = None
    sizes: tuple[int, ...] = (4,)
    pair: tuple[int, float] = (1, 0.5)
    either: int | float = 1
    lr: float = 0.1

    def validate(self):
        check_positive("epochs", self.epochs)


@pytest.mark.parametrize("key, value, expected", [
    ("epochs", 3.0, 3), ("epochs", 1e3, 1000), ("epochs", np.float64(4.0), 4), ("epochs", np.float32(5.0), 5),
    ("maybe", 2.0, 2), ("sizes", (8.0, 16), (8, 16)), ("pair", (2.0, 3.0), (2, 3.0)),
])
def test_an_integral_float_is_taken_as_its_int(key, value, expected):
    cfg = IntConfig(**{key: value})
    got = getattr(cfg, key)
    assert got == expected and type(got) is type(expected)
    if isinstance(got, tuple):
        assert [type(x) for x in got] == [type(x) for x in expected]
    assert json.loads(json.dumps(to_dict(cfg)))[key] == (list(expected) if isinstance(expected, tuple) else expected)


def test_python_and_cli_paths_agree():
    for text, number in [("3.0", 3.0), ("1e3", 1e3), ("7", 7)]:
        a = from_overrides(IntConfig, {"epochs": text})      # the CLI passes the text
        b = from_overrides(IntConfig, {"epochs": number})    # the Python API passes the number
        assert (a.epochs, type(a.epochs)) == (b.epochs, type(b.epochs)) == (int(number), int)
    for text, number in [("3.5", 3.5), ("inf", math.inf), ("nan", math.nan)]:
        with pytest.raises(ConfigError, match="'epochs' must be"):
            from_overrides(IntConfig, {"epochs": text})
        with pytest.raises(ConfigError, match="'epochs' must be"):
            from_overrides(IntConfig, {"epochs": number})


@pytest.mark.parametrize("key, value", [("epochs", 3.5), ("epochs", math.inf), ("epochs", math.nan),
                                        ("epochs", True), ("sizes", (1.5,)), ("maybe", 0.5), ("epochs", "3")])
def test_other_values_are_still_refused(key, value):
    with pytest.raises(ConfigError, match=f"'{key}' must be"):
        IntConfig(**{key: value})


def test_values_that_passed_before_are_unchanged():
    cfg = IntConfig(either=2.0, lr=1)
    assert type(cfg.either) is float and cfg.either == 2.0 and type(cfg.lr) is float   # a float is an int | float
    with pytest.raises(ConfigError, match="'epochs' must be > 0"):
        IntConfig(epochs=0.0)   # converted, then range-checked as the int


def test_a_real_system_and_an_edited_config_json():
    from paperworks.core.registry import get_system

    gtn = get_system("gtn")
    cfg = gtn.make_config({"epochs": 3.0}, preset="smoke")
    assert (cfg.epochs, type(cfg.epochs)) == (3, int)
    assert gtn.Config(epochs=3.0).epochs == 3
    saved = to_dict(gtn.Config())
    saved["epochs"] = 5.0                 # a config.json edited by hand (or written by another tool)
    back = from_dict(gtn.Config, saved)
    assert (back.epochs, type(back.epochs)) == (5, int)
