"""A float override that overflows a 64-bit float (lr=1e400) was read as inf and refused with "'lr' must be a
finite number (got inf); for 'no limit' give a large number": the user had typed a large number, not inf.
It is now refused as a number that does not fit a 64-bit float, naming what was typed; 'inf' typed as such keeps
its message, and every finite value parses exactly as float() does."""

import dataclasses
import math

import pytest
from paperworks.core.cli import main
from paperworks.core.config import Config, _parse_value, from_overrides
from paperworks.core.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class _Cfg(Config):
    lr: float = 0.1
    grid: tuple[float, ...] = (0.5,)


@pytest.mark.parametrize("text", ["1e400", "-1e400", " 2e308", "+1E999"])
def test_overflow_is_named_as_typed(text):
    with pytest.raises(ConfigError) as e:
        from_overrides(_Cfg, {"lr": text})
    msg = str(e.value)
    assert "64-bit float" in msg and repr(text) in msg and "give a large number" not in msg, msg


def test_overflow_in_a_list_is_named():
    with pytest.raises(ConfigError) as e:
        from_overrides(_Cfg, {"grid": "0.5,1e400"})
    assert "64-bit float" in str(e.value), str(e.value)


@pytest.mark.parametrize("text", ["inf", "-inf", "Infinity", "nan"])
def test_inf_and_nan_typed_as_such_keep_their_message(text):
    with pytest.raises(ConfigError) as e:
        from_overrides(_Cfg, {"lr": text})
    assert "must be a finite number" in str(e.value)


@pytest.mark.parametrize("text", ["0.1", "1e-3", "1.7976931348623157e308", "-0.0", "5e-324", "1e-400", "3"])
def test_finite_values_parse_as_float_does(text):
    v = _parse_value(text, float)
    assert type(v) is float and (v == float(text)) and math.copysign(1, v) == math.copysign(1, float(text))


def test_cli_one_line_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "tame_bnn", "--preset", "smoke", "--out", str(tmp_path), "time_limit=1e400"])
    out = capsys.readouterr()
    assert e.value.code == 2, out
    lines = (out.out + out.err).strip().splitlines()
    assert len(lines) == 1 and "time_limit" in lines[0] and "'1e400'" in lines[0] and "64-bit float" in lines[0], lines
    assert list(tmp_path.iterdir()) == []
