"""An empty value for a list-valued key (`paperworks run fmd hidden_image=`) was taken silently as an empty list
(fmd then trains a model with no hidden layer). Each list-valued key of every system now either refuses the empty
list in validate() or has that meaning documented in docs/systems/<name>.md as `key=` (empty)."""
import dataclasses
import re
from pathlib import Path

import pytest

from paperworks.core.errors import ConfigError
from paperworks.core.registry import all_systems, get_system

DOCS = Path(__file__).resolve().parents[2] / "docs" / "systems"
# comma-separated str keys (lists spelled as one string)
COMMA_KEYS = {("advgan", "targets"), ("advgan", "defenses"), ("hdgi", "metapaths")}


def _list_keys():
    for name in sorted(all_systems()):
        cfg = get_system(name).make_config({})
        for f in dataclasses.fields(cfg):
            v = getattr(cfg, f.name)
            if isinstance(v, (tuple, list)) or (name, f.name) in COMMA_KEYS:
                yield name, f.name


def test_the_list_keys_are_found():
    keys = set(_list_keys())
    assert {("fmd", "hidden_image"), ("transformer", "langs"), ("variational_classification", "fgsm_sweep"),
            ("sparse_mpc", "targets")} | COMMA_KEYS <= keys


@pytest.mark.parametrize("name,key", list(_list_keys()))
def test_an_empty_list_is_refused_or_documented(name, key):
    cls = get_system(name)
    try:
        cls.make_config({key: ""})
    except ConfigError as e:
        assert key in str(e)
        return
    doc = (DOCS / f"{name}.md").read_text(encoding="utf-8")
    assert re.search(rf"`{key}=`", doc), f"{name}: an empty '{key}' is accepted but its meaning is not in the doc"


def test_reproductions_defaults_are_not_empty():
    for name, key in _list_keys():
        cls = get_system(name)
        for preset in [None, *cls.presets]:
            v = getattr(cls.make_config({}, preset=preset), key)
            if key not in ("defenses", "alpha_grid"):
                assert len(v) > 0, (name, key, preset)
