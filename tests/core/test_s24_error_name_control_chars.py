"""A name holding a control character (a newline pasted into a key, a system or a preset name) cut the CLI's
one-line error at the newline: `paperworks run gtn $'data\\nroot=1'` printed "unknown key 'data" without its
suggestion and valid keys. Names shown in errors now escape control characters as repr does."""
import pytest

from paperworks.core import cli
from paperworks.core.config import from_overrides
from paperworks.core.errors import ConfigError, UnknownNameError
from paperworks.core.registry import get_system


def _error_line(capsys, *argv):
    with pytest.raises(SystemExit) as e:
        cli.main(list(argv))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith("\n"), err   # one line, whole
    return err


def test_unknown_key_with_newline_is_one_whole_line(capsys):
    err = _error_line(capsys, "run", "gtn", "data\nroot=1")
    assert "unknown key 'data\\nroot'; did you mean 'data_root'?" in err and "(valid: " in err


def test_unknown_system_with_newline(capsys):
    err = _error_line(capsys, "run", "gt\nn")
    assert "no system named 'gt\\nn'; did you mean 'gtn'?" in err


def test_unknown_preset_with_newline(capsys):
    err = _error_line(capsys, "run", "gtn", "--preset", "sm\noke")
    assert "named 'sm\\noke'; did you mean 'smoke'?" in err


def test_nested_and_empty_part_keys_escape():
    from paperworks.systems.gtn import GTNConfig
    with pytest.raises(ConfigError) as e:
        from_overrides(GTNConfig, {"lr.\x1bx": "1"})
    assert "\x1b" not in str(e.value) and "'lr.\\x1bx'" in str(e.value)
    with pytest.raises(ConfigError) as e:
        from_overrides(GTNConfig, {"a\t.": "1"})
    assert "\t" not in str(e.value) and "'a\\t.'" in str(e.value)


def test_shown_leaves_printable_names_alone():
    from paperworks.core.errors import shown

    assert shown("data_root") == "data_root" and shown("gtü") == "gtü" and shown("it's") == "it's"
    assert shown("a\nb\r\x00") == "a\\nb\\r\\x00"
    with pytest.raises(UnknownNameError) as e:
        get_system("tr\nansformer")
    assert "\n" not in str(e.value)
