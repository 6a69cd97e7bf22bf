"""from_dict (a resumed run's config.json) named only the first unknown key (in sorted order), so a config.json
with several stale or misspelled keys took one failed --resume per key; keys of mixed types (the Python API) failed
that sort with a bare ``TypeError: '<' not supported``; and an unparsable value beside an unknown key went
unreported. Now one ConfigError names every unknown key and every bad value together, as from_overrides does."""

import json
from dataclasses import dataclass, field

import pytest

from paperworks.core.config import Config, from_dict, to_dict
from paperworks.core.errors import ConfigError


@dataclass(frozen=True)
class Inner(Config):
    lr: float = 1e-3
    steps: int = 10


@dataclass(frozen=True)
class Cfg(Config):
    seed: int = 0
    epochs: int = 3
    inner: Inner = field(default_factory=Inner)


def test_every_unknown_key_is_named_in_one_error():
    data = {**to_dict(Cfg()), "sedd": 1, "epochz": 2, "zzz_extra": True}
    with pytest.raises(ConfigError) as e:
        from_dict(Cfg, data)
    assert e.value.problems[0].startswith("unknown key 'epochz'; did you mean 'epochs'?")
    assert e.value.problems[1].startswith("unknown key 'sedd'; did you mean 'seed'?")
    assert e.value.problems[2].startswith("unknown key 'zzz_extra' (valid: seed, epochs, inner)")
    assert str(e.value).startswith("3 problems in Cfg: ")


def test_unknown_keys_and_bad_values_are_reported_together():
    with pytest.raises(ConfigError) as e:
        from_dict(Cfg, {"seed": "x", "bogus": 1})
    assert len(e.value.problems) == 2
    assert e.value.problems[0].startswith("unknown key 'bogus'")
    assert e.value.problems[1] == "'seed' must be an integer (got 'x')"


def test_keys_of_mixed_types_are_a_config_error():
    with pytest.raises(ConfigError, match=r"unknown key '1'.*unknown key 'sedd'; did you mean 'seed'"):
        from_dict(Cfg, {1: 2, "sedd": 3})


def test_nested_unknown_keys_are_all_named_under_their_key():
    with pytest.raises(ConfigError) as e:
        from_dict(Cfg, json.loads(json.dumps({"inner": {"stpes": 3, "lrr": 0.1}})))
    assert [p.split(";")[0].split(" (")[0] for p in e.value.problems] == ["inner: unknown key 'lrr'",
                                                                          "inner: unknown key 'stpes'"]


def test_valid_dicts_read_as_before():
    c = Cfg(seed=4, epochs=7, inner=Inner(lr=0.5, steps=2))
    assert from_dict(Cfg, json.loads(json.dumps(to_dict(c)))) == c
    assert from_dict(Cfg, {}) == Cfg()


def test_overrides_with_a_key_that_is_not_a_string_are_a_config_error():
    # make_config / from_overrides (Python API): a bare "AttributeError: 'int' object has no attribute 'split'"
    from paperworks.core.config import from_overrides

    with pytest.raises(ConfigError) as e:
        from_overrides(Cfg, {1: 2, None: 3, "sedd": 4, "epochs": "x"})
    assert e.value.problems[:2] == ["key 1 is not a string (keys name config fields, e.g. 'seed' or 'inner.lr')",
                                    "key None is not a string (keys name config fields, e.g. 'seed' or "
                                    "'inner.lr')"]
    assert e.value.problems[2].startswith("unknown key 'sedd'") and "'epochs' must be" in e.value.problems[3]
