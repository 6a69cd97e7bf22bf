"""`paperworks report RUN` where report.md or report.html is a folder (session 21): the atomic write's rename onto
the folder failed and the CLI said "internal error: IsADirectoryError: ... '.report.md.k3x9.tmp' -> 'report.md'"
(exit 1, naming a temp file). It is the user's file layout, as a read-only folder is: exit 2 naming report.md."""

import pytest

from test_cli import ok, run_cli


@pytest.mark.parametrize("name", ["report.md", "report.html"])
def test_report_over_a_folder_named_like_an_output(tmp_path, capsys, name):
    ok(["run", "toy_linreg", "--preset", "smoke", "--out", str(tmp_path)], capsys)
    (rd,) = list(tmp_path.iterdir())
    (rd / name).unlink()
    (rd / name).mkdir()
    code, _, err = run_cli(["report", str(rd)], capsys)
    assert code == 2 and "internal error" not in err and err.count("\n") == 1
    assert str(rd / name) in err and ".tmp" not in err
    assert not [p for p in rd.iterdir() if p.name.endswith(".tmp")]       # no temp file left behind
