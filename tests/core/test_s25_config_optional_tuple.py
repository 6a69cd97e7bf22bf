"""A config key typed ``tuple[int, ...] | None`` (or an optional nested config) did not survive its own config.json
(session 25): ``to_dict`` writes the tuple as a list and the nested config as a dict, and ``from_overrides`` turned
a list into a tuple only for a plain ``tuple`` key, so a preset with overrides on top (the preset's config is the
base) and ``--resume`` (from_dict of config.json) were refused: "'hidden' must be tuple[int, ...] | None (got
[8, 8])". No system config has such a key today; Config is the public way to write one."""

from dataclasses import dataclass

import pytest

from paperworks.core.config import Config, ConfigError, from_dict, from_overrides, to_dict


@dataclass(frozen=True)
class Inner(Config):
    k: int = 1


@dataclass(frozen=True)
class OptConfig(Config):
    hidden: tuple[int, ...] | None = None
    inner: Inner | None = None
    epochs: int = 3


def test_overrides_on_top_of_a_base_with_an_optional_tuple():
    base = from_overrides(OptConfig, {"hidden": "8,8"})
    cfg = from_overrides(OptConfig, {"epochs": "5"}, base=base)
    assert cfg.hidden == (8, 8) and type(cfg.hidden) is tuple and cfg.epochs == 5


def test_config_json_round_trip():
    for cfg in (OptConfig(hidden=(8, 8), inner=Inner(k=5)), OptConfig(), OptConfig(hidden=())):
        assert from_dict(OptConfig, to_dict(cfg)) == cfg


def test_a_system_with_a_preset_and_an_optional_tuple_key():
    from paperworks.core.registry import System

    class Toy(System):
        name = "toy_optional_tuple"
        Config = OptConfig
        presets = {"small": {"hidden": (4,)}}

    cfg = Toy.make_config({"epochs": "2"}, preset="small")
    assert cfg == OptConfig(hidden=(4,), epochs=2)


@pytest.mark.parametrize("data, words", [({"hidden": [1.5]}, "'hidden' must be"),
                                         ({"hidden": {"a": 1}}, "'hidden' must be"),
                                         ({"inner": {"q": 1}}, "unknown key 'q'")])
def test_wrong_values_are_still_refused(data, words):
    with pytest.raises(ConfigError, match=words):
        from_dict(OptConfig, data)
