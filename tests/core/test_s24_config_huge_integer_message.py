"""The one-line error of an integer beyond int64 (session 24, probed as a new user): `paperworks run
multinomial_link bench_max_n=1e400` printed all 401 digits of the integer (a ~480-character line, five lines of
a terminal). The number is now cut short, with its digit count."""

import pytest

from paperworks.core.config import int64_problems

from test_cli import run_cli


def test_cli_names_the_key_in_a_short_line(tmp_path, capsys):
    code, _, err = run_cli(["run", "toy_linreg", "steps=1e400", "--out", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1 and "'steps' is out of range" in err
    assert "(401 digits)" in err and len(err) < 200
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("value, shown", [
    (10**400, "100000000000... (401 digits)"),
    (-(10**60), "-10000000000... (61 digits)"),
    (2**64, "18446744073709551616"),              # short enough: as it was
])
def test_the_integer_shown(value, shown):
    (msg,) = int64_problems({"n": value})
    assert msg == f"'n' is out of range (got {shown}; integers must fit in 64 bits)"


def test_a_long_tuple_is_cut_too():
    (msg,) = int64_problems({"sizes": (1, 10**400)})
    assert "(got (1, 10000000000000000000000000... (406 characters);" in msg and len(msg) < 120
