"""Config keys typed as a path or an Enum (session 25, probe /tmp/s25p2/p6_path_enum.py): `root=/data` for a
``Path`` key was refused as "'root' must be a Path (got '/data')" (``Path | None`` alike), an ``Enum`` key refused
both its names and its values ("must be a Mode"), and a config holding an Enum could not be written to config.json
("TypeError: not JSON serializable: Mode", an internal error at the start of every run). A path key now takes the
text as that path (an empty one is refused: it would mean the current folder), an Enum key a member's name or value,
and config.json stores the path as text and the member as its value, read back by --resume and presets. No system
config has such a key today; Config is the public way to write one."""

import enum
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from paperworks.core.config import Config, ConfigError, from_dict, from_overrides, to_dict
from paperworks.core.io import dumps


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclass(frozen=True)
class PathEnumConfig(Config):
    root: Path = Path("data")
    maybe_root: Path | None = None
    mode: Mode = Mode.FAST
    level: Level = Level.LOW


@pytest.mark.parametrize("key, text, expected", [
    ("root", "/tmp/x", Path("/tmp/x")), ("maybe_root", "rel/dir", Path("rel/dir")), ("maybe_root", "none", None),
    ("mode", "slow", Mode.SLOW), ("mode", "SLOW", Mode.SLOW), ("level", "2", Level.HIGH), ("level", "HIGH", Level.HIGH),
])
def test_cli_text_is_parsed(key, text, expected):
    cfg = from_overrides(PathEnumConfig, {key: text})
    assert getattr(cfg, key) == expected and type(getattr(cfg, key)) is type(expected)


@pytest.mark.parametrize("key, text, words", [("mode", "medium", "'mode' must be one of fast, slow"),
                                              ("root", "", "'root' must be a path"),
                                              ("level", "3", "'level' must be one of 1, 2")])
def test_bad_text_is_refused(key, text, words):
    with pytest.raises(ConfigError, match=words):
        from_overrides(PathEnumConfig, {key: text})


def test_config_json_round_trip():
    cfg = PathEnumConfig(root=Path("/tmp/r"), maybe_root=Path("x"), mode=Mode.SLOW, level=Level.HIGH)
    text = dumps(to_dict(cfg))                     # what write_config writes
    assert json.loads(text) == {"root": "/tmp/r", "maybe_root": "x", "mode": "slow", "level": 2}
    assert from_dict(PathEnumConfig, json.loads(text)) == cfg      # what --resume reads
    assert from_overrides(PathEnumConfig, {"level": "1"}, base=cfg) == cfg.replace(level=Level.LOW)   # a preset base


def test_a_run_writes_its_config_json(tmp_path):
    from paperworks.core.rundir import RunDir

    rd = RunDir(tmp_path / "r")
    rd.write_config("toy", PathEnumConfig(mode=Mode.SLOW))
    assert rd.read_config()["config"]["mode"] == "slow"
