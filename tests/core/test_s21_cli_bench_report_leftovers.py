"""Leftovers of the CLI's bench / report commands.

- `paperworks report DIR` on a bench directory said only "has no report.json"; it now says DIR is a bench
  directory and names its bench.json.
- `paperworks bench --all` stopped at the first system whose bench raised an ordinary exception (not a
  paperworks error): the other systems' benches never ran. As in `reproduce --all`, the failure is reported by
  name (with error.txt in its directory), the others run, and the command exits 1 at the end. `bench NAME` is as it
  was (an internal error, exit 1).
- A lone surrogate ("\\ud800" as a JSON escape) in report.json made `paperworks report` fail with "'utf-8' codec
  can't encode character ..." naming no file; it is now one error naming report.json (exit 2), and report.md /
  report.html are left as they were.
"""

import json

import paperworks.core.cli as cli_mod
from paperworks.core import register
from paperworks.core.cli import main

from test_cli import ToyConfig, ToyLinReg, ok, run_cli


@register("s21_bench_boom", paper=ToyLinReg.paper, config=ToyConfig)
class BenchBoom(ToyLinReg):
    def bench(self, run_dir=None, quick=True):
        raise RuntimeError("the peer crashed")


def test_report_on_a_bench_directory_names_its_bench_json(tmp_path, capsys):
    out = tmp_path / "o"
    ok(["bench", "toy_linreg", "--out", str(out)], capsys)
    (bd,) = list(out.iterdir())
    assert (bd / "bench.json").is_file() and not (bd / "report.json").exists()
    code, _, err = run_cli(["report", str(bd)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "bench directory" in err and str(bd / "bench.json") in err, err


def test_report_without_report_json_elsewhere_is_unchanged(tmp_path, capsys):
    d = tmp_path / "r"
    d.mkdir()
    (d / "config.json").write_text("{}")
    code, _, err = run_cli(["report", str(d)], capsys)
    assert code == 2 and "has no report.json" in err and "bench" not in err, err


def test_bench_all_runs_every_system_and_names_each_failure(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli_mod, "_systems_for", lambda name, all_: [BenchBoom, ToyLinReg])
    out = tmp_path / "o"
    code, stdout, err = run_cli(["bench", "--all", "--out", str(out)], capsys)
    assert code == 1, (stdout, err)
    dirs = {p.name.split("-bench-")[0]: p for p in out.iterdir()}
    assert (dirs["toy_linreg"] / "bench.json").is_file()          # the system after the failing one ran
    assert "the peer crashed" in (dirs["s21_bench_boom"] / "error.txt").read_text()
    assert any(line.startswith("s21_bench_boom") and "ERROR RuntimeError: the peer crashed" in line
               for line in stdout.splitlines()), stdout
    assert "1 of 2 benches failed (s21_bench_boom" in err, err


def test_bench_of_one_failing_system_is_unchanged(tmp_path, capsys):
    out = tmp_path / "o"
    code, _, err = run_cli(["bench", "s21_bench_boom", "--out", str(out)], capsys)
    assert code == 1 and "internal error: RuntimeError: the peer crashed" in err, err
    assert not out.exists() or not list(out.iterdir())   # nothing but the scaffold was written: removed


def test_a_lone_surrogate_in_report_json_is_one_error_naming_the_file(tmp_path, capsys):
    out = tmp_path / "o"
    ok(["reproduce", "toy_linreg", "--quick", "--preset", "smoke", "--out", str(out)], capsys)
    (rd,) = list(out.iterdir())
    before = {n: (rd / n).read_bytes() for n in ("report.md", "report.html")}
    d = json.loads((rd / "report.json").read_text())
    d["text"] = ["an edit \ud800 here"]
    (rd / "report.json").write_text(json.dumps(d))   # ensure_ascii: the surrogate is stored as the escape \ud800
    assert "\\ud800" in (rd / "report.json").read_text()
    code, _, err = run_cli(["report", str(rd)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert str(rd / "report.json") in err and "\\ud800" in err, err
    assert {n: (rd / n).read_bytes() for n in before} == before   # nothing rewritten
    assert not [p.name for p in rd.iterdir() if p.name.endswith(".tmp")]
