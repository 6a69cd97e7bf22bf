"""`paperworks bench --all`: a system whose bench() returned something other than a dict (a list, None) failed in
res.get('ratio') outside the per-system handling ("internal error: AttributeError: 'list' object has no
attribute 'get'"), so --all stopped there and the benches after it never ran. It is now that system's failure,
named, as for a bench that raises (338a633); `bench NAME` gives one internal error naming the system."""

import paperworks.core.cli as cli_mod
from paperworks.core import register

from test_cli import ToyConfig, ToyLinReg, run_cli


@register("s21_bench_list", paper=ToyLinReg.paper, config=ToyConfig)
class BenchList(ToyLinReg):
    def bench(self, run_dir=None, quick=True):
        return [1.0, 2.0]


@register("s21_bench_none", paper=ToyLinReg.paper, config=ToyConfig)
class BenchNone(ToyLinReg):
    def bench(self, run_dir=None, quick=True):
        return None


def test_bench_all_names_a_non_dict_result_and_runs_the_rest(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli_mod, "_systems_for", lambda name, all_: [BenchList, BenchNone, ToyLinReg])
    out = tmp_path / "o"
    code, stdout, err = run_cli(["bench", "--all", "--out", str(out)], capsys)
    assert code == 1, (stdout, err)
    dirs = {p.name.split("-bench-")[0]: p for p in out.iterdir()}
    assert (dirs["toy_linreg"] / "bench.json").is_file()          # the system after the failing ones ran
    for name, got in (("s21_bench_list", "list"), ("s21_bench_none", "NoneType")):
        assert not (dirs[name] / "bench.json").exists()
        assert "bench() must return a dict" in (dirs[name] / "error.txt").read_text()
        assert any(line.startswith(name) and f"ERROR TypeError: {name}: bench() must return a dict of results "
                   f"(got {got})" in line for line in stdout.splitlines()), stdout
    assert "2 of 3 benches failed (s21_bench_list, s21_bench_none" in err, err


def test_bench_of_one_system_with_a_non_dict_result_is_one_error(tmp_path, capsys):
    out = tmp_path / "o"
    code, _, err = run_cli(["bench", "s21_bench_list", "--out", str(out)], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "s21_bench_list: bench() must return a dict of results (got list)" in err, err
    assert "has no attribute" not in err
    assert not out.exists() or not list(out.iterdir())   # nothing but the scaffold was written: removed
