"""Run-directory JSON nested deeper than Python's recursion limit (session 21): a damaged or hostile report.json,
config.json or metrics.jsonl line such as ``[[[[...]]]]`` stopped `paperworks report` / `run --resume` with
"internal error: RecursionError" (exit 1) instead of one line naming the file (exit 2)."""

import json

import pytest

from paperworks.core.errors import DataError
from paperworks.core.rundir import RunDir

from test_cli import ok, run_cli

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture()
def run_dir(tmp_path, capsys):
    ok(["run", "toy_linreg", "--preset", "smoke", "--out", str(tmp_path)], capsys)
    (rd,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    return rd


def test_report_of_a_deeply_nested_report_json(run_dir, capsys):
    before = (run_dir / "report.md").read_bytes()
    (run_dir / "report.json").write_text(DEEP)
    code, _, err = run_cli(["report", str(run_dir)], capsys)
    assert code == 2 and "internal error" not in err and err.count("\n") == 1
    assert "report.json" in err and "nested" in err
    assert (run_dir / "report.md").read_bytes() == before        # the old report is left as it was


def test_resume_with_a_deeply_nested_config_json(run_dir, capsys):
    (run_dir / "config.json").write_text(DEEP)
    code, _, err = run_cli(["run", "toy_linreg", "--resume", str(run_dir)], capsys)
    assert code == 2 and "internal error" not in err and "config.json" in err and "nested" in err


def test_a_deeply_nested_metrics_line(run_dir):
    """A damaged line with records after it is refused (as any other damaged line); as the last line it is a torn
    line from a killed run, which is dropped (as any other torn last line)."""
    rd = RunDir(run_dir, create=False)
    good = rd.read_metrics()
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    (run_dir / "metrics.jsonl").write_text("\n".join([lines[0], DEEP, *lines[1:]]) + "\n")
    with pytest.raises(DataError, match="line 2 is not a JSON record"):
        rd.read_metrics()
    (run_dir / "metrics.jsonl").write_text("\n".join([*lines, DEEP]) + "\n")
    assert rd.read_metrics() == good and json.dumps(good)


HUGE = "9" * 5000   # an integer beyond Python's int-from-text digit limit: json raises a plain ValueError


def test_report_json_with_an_integer_beyond_the_digit_limit(run_dir, capsys):
    """The error named neither the file nor the problem's place: "error: Exceeds the limit (4300 digits) for
    integer string conversion ..." """
    text = (run_dir / "report.json").read_text()
    (run_dir / "report.json").write_text(text.replace('"quick": ', f'"big": {HUGE}, "quick": ', 1))
    code, _, err = run_cli(["report", str(run_dir)], capsys)
    assert code == 2 and "report.json" in err and err.count("\n") == 1


def test_a_metrics_line_with_an_integer_beyond_the_digit_limit(run_dir):
    """RunDir.read_metrics raised the bare ValueError for such a line (even as a torn last line)."""
    rd = RunDir(run_dir, create=False)
    good = rd.read_metrics()
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    (run_dir / "metrics.jsonl").write_text("\n".join([*lines, f'{{"step": {HUGE}}}']) + "\n")
    assert rd.read_metrics() == good
    (run_dir / "metrics.jsonl").write_text("\n".join([lines[0], f'{{"step": {HUGE}}}', *lines[1:]]) + "\n")
    with pytest.raises(DataError, match="line 2 is not a JSON record"):
        rd.read_metrics()
