"""Configs built from NumPy scalars (session 24, probed as a new user of the Python API): a sweep over
``np.arange`` / ``np.linspace`` gives ``np.int64`` / ``np.float32`` values, and
``get_system("gtn").make_config({"epochs": np.int64(3)})`` was refused with "'epochs' must be int (got
np.int64(3))" (np.float32 for a float key, np.bool_ for a bool key and np.int64 inside a tuple alike), while the
library's own checks (``check_int``, ``is_real``) take NumPy numbers. They are now taken as the Python number they
hold and checked like any value; values that passed before are left as they were."""

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest

from paperworks.core.config import Config, ConfigError, check_positive, from_overrides, to_dict


@dataclass(frozen=True)
class NpConfig(Config):
    epochs: int = 3
    lr: float = 0.1
    ratio: float | None = None
    flag: bool = True
    hidden: tuple[int, ...] = (4,)
    grid: tuple[float, ...] = (0.5,)
    seed: int = 0

    def validate(self):
        check_positive("epochs", self.epochs)
        check_positive("lr", self.lr)


@pytest.mark.parametrize("key, value, expected", [
    ("epochs", np.int64(5), 5), ("epochs", np.int32(5), 5), ("epochs", np.uint8(5), 5),
    ("lr", np.float32(0.25), 0.25), ("lr", np.int64(2), 2.0), ("lr", np.float16(0.5), 0.5),
    ("ratio", np.float32(0.5), 0.5), ("flag", np.bool_(False), False), ("seed", np.int64(7), 7),
    ("hidden", (np.int64(8), 16), (8, 16)), ("grid", (np.float32(0.25), 1.0), (0.25, 1.0)),
])
def test_numpy_scalars_are_taken_as_python_numbers(key, value, expected):
    cfg = NpConfig(**{key: value})
    got = getattr(cfg, key)
    assert got == expected and type(got) is type(expected)
    if isinstance(got, tuple):
        assert [type(x) for x in got] == [type(x) for x in expected]
    json.dumps(to_dict(cfg))   # config.json stays plain JSON


def test_through_from_overrides_too():
    cfg = from_overrides(NpConfig, {"epochs": np.int64(6), "lr": np.float32(0.5)})
    assert cfg.epochs == 6 and type(cfg.epochs) is int and cfg.lr == 0.5 and type(cfg.lr) is float


@pytest.mark.parametrize("key, value, words", [
    ("epochs", np.int64(0), "'epochs' must be > 0"),
    ("lr", np.float32("nan"), "'lr' must be a finite number"),
    ("lr", np.float32("inf"), "'lr' must be a finite number"),
    ("seed", np.int64(-1), "'seed' must be in [0, 2**32)"),
    ("epochs", np.float64(3.5), "'epochs' must be int"),        # a float with a fraction is no int (np.float64(3.0)
    #                                                             is 3 since session 25, as 3.0 and the CLI's `3.0`)
    ("epochs", np.bool_(True), "'epochs' must be int"),         # a bool is no int (as True)
    ("flag", np.int64(1), "'flag' must be bool"),               # an int is no bool (as 1)
])
def test_the_values_are_still_checked(key, value, words):
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")
                       .replace("*", r"\*")):
        NpConfig(**{key: value})


def test_a_real_system_takes_numpy_values():
    from paperworks.core.registry import get_system

    cfg = get_system("gtn").make_config({"epochs": np.int64(5), "lr": np.float32(0.5)}, preset="smoke")
    assert (cfg.epochs, type(cfg.epochs)) == (5, int) and (cfg.lr, type(cfg.lr)) == (0.5, float)


def test_values_that_passed_before_are_unchanged():
    v = np.float64(0.1)   # a float subclass: accepted before, kept as given
    assert NpConfig(lr=v).lr is v
    assert math.isclose(NpConfig(lr=0.1).lr, 0.1) and type(NpConfig(lr=1).lr) is float
