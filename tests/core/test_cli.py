"""CLI: exit codes, one-line errors, run / reproduce / report / bench / resume on a toy system."""

import json
import subprocess
import sys
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from paperworks.core import Claim, Paper, Report, System, register
from paperworks.core.cli import main
from paperworks.core.config import Config, check_interval
from paperworks.core.trainer import Trainer, TrainerConfig, seed_everything


RESUME_FLAGS = []   # what the CLI told each ToyLinReg.run about --resume


@dataclass(frozen=True)
class ToyConfig(Config):
    steps: int = 30
    lr: float = 0.1
    seed: int = 0

    def validate(self):
        check_interval("lr", self.lr, 0.0, 10.0, closed="right")


@register("toy_linreg", paper=Paper("N. Body", "Least squares by gradient descent", "Toy", 1805), config=ToyConfig)
class ToyLinReg(System):
    presets = {"smoke": {"steps": 4}}
    resumable = True
    full_scale = True   # stands for a system whose reproduce without --quick is larger (the labels' tests)

    def _train(self, run_dir):
        seed_everything(self.config.seed)
        x = torch.randn(64, 3)
        y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
        model = nn.Linear(3, 1)
        tc = TrainerConfig(max_steps=self.config.steps, batch_size=16, lr=self.config.lr, ckpt_every=5,
                           seed=self.config.seed, progress=False)
        tr = Trainer(model, torch.utils.data.TensorDataset(x, y),
                     lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]), tc, run_dir=run_dir,
                     eval_fn=lambda m: {"mse": nn.functional.mse_loss(m(x), y).item()})
        tr.fit(resume=getattr(self, "resume", False))
        return tr.final_metrics

    def run(self, run_dir):
        RESUME_FLAGS.append(getattr(self, "resume", None))
        return self._train(run_dir)

    def reproduce(self, run_dir, quick=True):
        m = self._train(run_dir)
        rep = Report(self.name, quick)
        rep.add_claim(Claim.at_most("gradient descent reaches the least-squares fit", "mse", m["eval/mse"], 0.05))
        return rep

    def bench(self, run_dir=None, quick=True):
        return {"ratio": 1.0, "summary": "toy"}


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def ok(args, capsys):
    main(args)
    return capsys.readouterr()


def test_list_json_contains_toy(capsys):
    rows = json.loads(ok(["list", "--json"], capsys).out)
    toy = next(r for r in rows if r["name"] == "toy_linreg")
    assert toy["year"] == 1805 and toy["presets"] == ["smoke"]


def test_unknown_system_suggests(capsys):
    code, _, err = run_cli(["run", "toy_linre"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "did you mean 'toy_linreg'" in err


def test_unknown_config_key_suggests(capsys):
    code, _, err = run_cli(["run", "toy_linreg", "stesp=3"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "unknown key 'stesp'; did you mean 'steps'?" in err


def test_bad_value_and_bad_syntax(capsys):
    code, _, err = run_cli(["run", "toy_linreg", "lr=-1"], capsys)
    assert code == 2 and "'lr' must be in (0, 10]" in err
    code, _, err = run_cli(["run", "toy_linreg", "lr"], capsys)
    assert code == 2 and "expected key=value" in err and err.count("\n") == 1


def test_run_writes_run_dir_and_resume_continues(tmp_path, capsys):
    ok(["run", "toy_linreg", "steps=12", "--out", str(tmp_path)], capsys)
    (rd,) = list(tmp_path.iterdir())
    for f in ("config.json", "env.json", "metrics.jsonl", "results.json"):
        assert (rd / f).exists(), f
    env = json.loads((rd / "env.json").read_text())
    assert env["seed"] == 0 and "torch" in env["packages"] and "wall_time_s" in env and "cuda_visible" in env
    before = (rd / "metrics.jsonl").read_text()
    RESUME_FLAGS.clear()
    ok(["run", "toy_linreg", "--resume", str(rd)], capsys)
    assert (rd / "metrics.jsonl").read_text() == before  # resuming a finished run changes nothing
    # ... which a deterministic run started over would also give: the system must be told to resume
    ok(["run", "toy_linreg", "steps=4", "--out", str(tmp_path / "fresh")], capsys)
    assert RESUME_FLAGS == [True, False]
    code, _, err = run_cli(["run", "toy_linreg", "--resume", str(tmp_path / "nope")], capsys)
    assert code == 2 and "does not exist" in err
    # an --out beside --resume was silently ignored
    code, _, err = run_cli(["run", "toy_linreg", "--resume", str(rd), "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and err.count("\n") == 1 and "drop --out" in err and not (tmp_path / "x").exists()


def test_reproduce_and_report(tmp_path, capsys):
    out = ok(["reproduce", "toy_linreg", "--quick", "--out", str(tmp_path)], capsys)
    (rd,) = list(tmp_path.iterdir())
    j = json.loads((rd / "report.json").read_text())
    assert j["claims"][0]["holds"] is True and j["paper"]["year"] == 1805
    assert "all claims hold" in out.out
    (rd / "report.html").unlink()
    ok(["report", str(rd)], capsys)
    assert (rd / "report.html").exists()
    code, _, err = run_cli(["report", str(tmp_path)], capsys)
    assert code == 2 and "no report.json" in err
    # a reproduction's folder is not a run to continue (run() would have trained into it)
    code, _, err = run_cli(["run", "toy_linreg", "--resume", str(rd)], capsys)
    assert code == 2 and "written by `paperworks reproduce`" in err and err.count("\n") == 1


def test_bench(tmp_path, capsys):
    out = ok(["bench", "toy_linreg", "--out", str(tmp_path)], capsys)
    assert "ratio 1" in out.out


def test_bench_takes_overrides_and_preset(tmp_path, capsys):
    ok(["bench", "toy_linreg", "lr=0.05", "--preset", "smoke", "--out", str(tmp_path)], capsys)
    (cfg_file,) = tmp_path.glob("*/config.json")
    saved = json.loads(cfg_file.read_text())
    assert saved["config"]["lr"] == 0.05 and saved["preset"] == "smoke"
    code, _, err = run_cli(["bench", "toy_linreg", "lrr=0.05", "--out", str(tmp_path)], capsys)
    assert code == 2 and "'lrr'" in err and "lr" in err and err.count("\n") == 1
    code, _, err = run_cli(["bench", "toy_linreg", "--preset", "nope", "--out", str(tmp_path)], capsys)
    assert code == 2 and "nope" in err and err.count("\n") == 1


def test_subprocess_exit_code_and_help():
    exe = [sys.executable, "-m", "paperworks.core.cli"]
    r = subprocess.run(exe + ["reproduce", "no_such_system"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("error: no system named 'no_such_system'")
    assert r.stderr.count("\n") == 1
    for cmd in ([], ["list"], ["run"], ["reproduce"], ["report"], ["bench"]):
        h = subprocess.run(exe + cmd + ["--help"], capture_output=True, text=True)
        assert h.returncode == 0 and "Usage" in h.stdout


def test_reproduce_all_summary_lists_every_system_and_each_failing_claim(tmp_path):
    from paperworks.core.cli import write_summary

    summary = [("a_sys", 2, 3, 12.0, tmp_path / "a", None), ("b_sys", None, None, 1.0, tmp_path / "b", "OSError: x"),
               ("c_sys", 4, 4, 30.0, tmp_path / "c", None)]
    md = write_summary(tmp_path, summary, {"a_sys": ["beats the LSTM"], "c_sys": []}, quick=True)
    text = md.read_text()
    assert "6/7 claims hold over 3 systems (1 runs failed)" in text
    assert "| a_sys | 2/3 | 12 |" in text and "| b_sys | ERROR: OSError: x |" in text
    assert "- **a_sys**: beats the LSTM" in text and "c_sys**:" not in text
    d = json.loads(md.with_suffix(".json").read_text())
    assert [r["system"] for r in d["systems"]] == ["a_sys", "b_sys", "c_sys"]
    assert d["claims_hold"] == 6 and d["systems"][1]["report"].endswith("error.txt")


def test_reproduce_all_writes_the_summary_and_prints_its_path_last(tmp_path, capsys, monkeypatch):
    import paperworks.core.cli as cli_mod

    monkeypatch.setattr(cli_mod, "_systems_for", lambda name, all_: [ToyLinReg])
    out = ok(["reproduce", "--all", "--quick", "--out", str(tmp_path)], capsys).out.strip().splitlines()
    assert out[-2].startswith("toy_linreg") and "all claims hold" in out[-2]
    assert out[-1].startswith("summary of every system") and out[-1].endswith(".md")
    md = sorted(tmp_path.glob("summary-*.md"))
    assert len(md) == 1 and "| toy_linreg | 1/1 |" in md[0].read_text()


def test_all_with_a_preset_records_the_preset_each_system_ran(tmp_path, capsys, monkeypatch):
    """With --all a preset applies to the systems that define it; config.json records what each one ran
    (it recorded the requested preset also for systems that ran their defaults)."""
    import paperworks.core.cli as cli_mod

    class NoPresets(ToyLinReg):
        presets = {}

    monkeypatch.setattr(cli_mod, "_systems_for", lambda name, all_: [ToyLinReg, NoPresets])
    ok(["bench", "--all", "--preset", "smoke", "--out", str(tmp_path)], capsys)
    saved = [json.loads(f.read_text()) for f in sorted(tmp_path.glob("*/config.json"))]
    assert sorted((str(d["preset"]), d["config"]["steps"]) for d in saved) == [("None", ToyConfig().steps),
                                                                              ("smoke", 4)]


def test_infinite_value_is_refused_with_a_hint(capsys):
    code, _, err = run_cli(["run", "toy_linreg", "lr=inf"], capsys)
    assert code == 2 and "'lr' must be a finite number" in err and "large number" in err and err.count("\n") == 1


def test_debug_flag_is_accepted_after_the_command(capsys):
    """`paperworks run NAME ... --debug` (where users type it) used to fail with "No such option '--debug'"
    instead of showing the traceback of the real problem."""
    code, _, err = run_cli(["run", "toy_linreg", "stesp=3", "--debug"], capsys)
    assert code == 2 and "Traceback" in err and "unknown key 'stesp'" in err.splitlines()[-1]


def test_unwritable_out_is_one_line_bad_input(tmp_path, capsys):
    """An --out that cannot hold a run directory (here: below a file; also read-only or full disks) was an
    'internal error' with exit 1 (NotADirectoryError/PermissionError from mkdir)."""
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    code, _, err = run_cli(["reproduce", "toy_linreg", "--out", str(blocker / "sub")], capsys)
    assert code == 2 and err.count("\n") == 1 and "cannot create the run directory" in err


def test_run_directory_is_complete_and_its_report_can_be_rebuilt(tmp_path, capsys):
    """A plain `run` writes the same report files as a reproduction (final metrics, training curves, env with
    the device), so `paperworks report RUN_DIR` works on it."""
    ok(["run", "toy_linreg", "steps=12", "--out", str(tmp_path)], capsys)
    (rd,) = list(tmp_path.iterdir())
    for f in ("report.json", "report.md", "report.html", "plots/training.png", "checkpoints"):
        assert (rd / f).exists(), f
    j = json.loads((rd / "report.json").read_text())
    assert j["system"] == "toy_linreg" and j["claims"] == [] and j["kind"] == "run" and j["quick"] is False
    assert j["tables"][0]["rows"][0][0] == "eval/mse" and j["env"]["device"] == "cpu"
    assert json.loads((rd / "env.json").read_text())["device"] == "cpu"
    (rd / "report.md").unlink()
    ok(["report", str(rd)], capsys)
    assert "training run" in (rd / "report.md").read_text()


def test_bare_command_shows_help_and_overrides_with_all_are_named(capsys):
    code, _, err = run_cli([], capsys)
    assert code == 2 and err.startswith("Usage: paperworks") and "error:" not in err
    # with --all the first key=value used to be taken for a system name ("give a system name or --all")
    code, _, err = run_cli(["reproduce", "--all", "--quick", "steps=3"], capsys)
    assert code == 2 and "config overrides apply to one system" in err


# ------------------------------------------------------------------ user-level QA of 2026-11-26 (bad input)
@dataclass(frozen=True)
class BrokenConfig(Config):
    fail: str = "early"     # early: before anything is logged | empty: the same after an empty metrics.jsonl |
    #                         late: after a metrics record | no: succeeds
    seed: int = 0


@register("toy_broken", paper=Paper("N. Body", "Runs that fail", "Toy", 1806), config=BrokenConfig)
class ToyBroken(System):
    """Not resumable (keeps no checkpoints); fails with a bad-input error where its config says."""

    def _work(self, run_dir):
        from paperworks.core import DataError

        if self.config.fail in ("early", "empty"):
            if self.config.fail == "empty":  # what a Trainer does first: an empty metrics.jsonl
                run_dir.truncate_metrics(lambda i, r: False)
                assert run_dir.metrics_path.exists()
            raise DataError("toy: the data file is missing")
        run_dir.log_metrics({"step": 1, "loss": 0.5})
        if self.config.fail == "late":
            raise DataError("toy: the second data file is missing")
        if self.config.fail == "bug_key":
            return {}["missing"]                       # a programming error, not bad input
        if self.config.fail == "bug_type":
            return len(3)
        return {"acc": 0.5, "weights": [[0.123456789] * 40] * 10, "layers": 2}

    def run(self, run_dir):
        return self._work(run_dir)

    def reproduce(self, run_dir, quick=True):
        m = self._work(run_dir)
        rep = Report(self.name, quick)
        rep.add_claim(Claim.at_least("toy", "acc", m["acc"], 0.1))
        return rep

    def bench(self, run_dir=None, quick=True):
        self._work(run_dir)
        return {"ratio": 1.0, "summary": "toy"}


def test_a_failed_command_leaves_no_empty_run_directory(tmp_path, capsys):
    """A run that fails on bad input before producing anything left a folder with config.json (and an empty
    plots/) that looked like a run; one that fails later keeps what it produced, marked by error.txt."""
    for cmd in ("run", "reproduce", "bench"):
        out = tmp_path / cmd
        for fail in ("early", "empty"):
            code, _, err = run_cli([cmd, "toy_broken", f"fail={fail}", "--out", str(out)], capsys)
            assert code == 2 and err.splitlines()[-1] == "error: toy: the data file is missing"
            assert not out.exists() or list(out.iterdir()) == [], (cmd, fail)
        code, _, err = run_cli([cmd, "toy_broken", "fail=late", "--out", str(out)], capsys)
        assert code == 2 and "second data file" in err
        (rd,) = list(out.iterdir())
        assert (rd / "metrics.jsonl").exists() and "second data file is missing" in (rd / "error.txt").read_text()
        assert not (rd / "report.json").exists() and not (rd / "env.json").exists()
        code, _, err = run_cli(["report", str(rd)], capsys)
        assert code == 2 and "has no report.json" in err and "failed: see error.txt" in err


def test_resume_is_refused_for_a_system_without_checkpoints(tmp_path, capsys):
    """`run NAME --resume DIR` for a system that cannot resume started over silently and appended a second copy
    of every record to metrics.jsonl."""
    ok(["run", "toy_broken", "fail=no", "--out", str(tmp_path)], capsys)
    (rd,) = list(tmp_path.iterdir())
    before = (rd / "metrics.jsonl").read_text()
    code, _, err = run_cli(["run", "toy_broken", "--resume", str(rd)], capsys)
    assert code == 2 and err.count("\n") == 1 and "system 'toy_broken' cannot continue a run" in err
    assert "toy_linreg" in err  # names the systems that can
    assert (rd / "metrics.jsonl").read_text() == before


def test_out_naming_a_run_directory_is_refused(tmp_path, capsys):
    """--out pointing at an existing run directory created a new run inside the other run's folder."""
    ok(["run", "toy_broken", "fail=no", "--out", str(tmp_path)], capsys)
    (rd,) = list(tmp_path.iterdir())
    before = sorted(p.name for p in rd.iterdir())
    for cmd in ("run", "reproduce", "bench"):
        code, _, err = run_cli([cmd, "toy_broken", "fail=no", "--out", str(rd)], capsys)
        assert code == 2 and err.count("\n") == 1 and f"--out '{rd}' is a run directory" in err
    assert sorted(p.name for p in rd.iterdir()) == before


def test_run_summary_line_shows_scalars_only(tmp_path, capsys):
    """The one-line summary of a run printed every metric, nested lists too (gtn: ~2,000 characters)."""
    out = ok(["run", "toy_broken", "fail=no", "--out", str(tmp_path)], capsys).out
    assert out.startswith("toy_broken: acc=0.5, layers=2, 1 more in results.json (")
    assert "0.1234" not in out
    (rd,) = list(tmp_path.iterdir())
    assert json.loads((rd / "results.json").read_text())["weights"][0][0] == 0.123456789
    out = ok(["report", str(rd)], capsys).out
    assert out.startswith("toy_broken: a training run, no claims -> ")  # was "0/0 claims hold"


def test_key_given_twice_with_spaces_and_huge_integers_are_refused(capsys):
    code, _, err = run_cli(["run", "toy_linreg", "lr=0.1", "lr =0.2"], capsys)
    assert code == 2 and "key 'lr' given twice" in err  # the second silently won
    code, _, err = run_cli(["run", "toy_linreg", " =0.2"], capsys)
    assert code == 2 and "expected key=value" in err
    # passed the type check and ended in an OverflowError (exit 1, 'internal error') deep inside the run
    code, _, err = run_cli(["run", "toy_linreg", "steps=99999999999999999999"], capsys)
    assert code == 2 and err.count("\n") == 1 and "'steps' is out of range" in err


def _reproduced(tmp_path, capsys):
    ok(["reproduce", "toy_linreg", "--preset", "smoke", "--out", str(tmp_path)], capsys)
    (rd,) = list(tmp_path.iterdir())
    return rd


@pytest.mark.parametrize("field,value,expected", [
    ("title", 5, "'title' must be a string"),
    ("paper", "x", "'paper' must be an object"),
    ("claims.rule", None, "claims[0].rule must be a string"),
    ("tables", 5, "'tables' must be a list"),
    ("tables.columns", [1], "tables[0].columns must be strings"),
    ("tables.rows", [1, 2], "tables[0].rows[0] must be a list of 2 cells"),
    ("tables.rows", [["a"]], "tables[0].rows[0] must be a list of 2 cells"),
    ("tables.note", 5, "tables[0].note must be a string or null"),
    ("text", [5], "'text' must hold strings"),
    ("plots", 5, "'plots' must be a list"),
    ("plots.file", "../../secret.png", "plots[0].file must be a path inside the run directory"),
    ("plots.caption", 5, "plots[0].caption must be a string"),
])
def test_report_names_each_malformed_field_and_writes_nothing(tmp_path, capsys, field, value, expected):
    """A report.json with a field of the wrong type stopped `paperworks report` with an internal error (exit 1)
    or a bare "'int' object is not iterable"; a plot path outside the run directory was embedded in report.html."""
    rd = _reproduced(tmp_path, capsys)
    d = json.loads((rd / "report.json").read_text())
    d["tables"] = [{"title": "t", "columns": ["a", "b"], "rows": [["x", 1]], "note": None}]
    d["plots"] = [{"file": "plots/x.png", "caption": "c"}]
    head, _, sub = field.partition(".")
    if not sub:
        d[head] = value
    else:
        d[head][0][sub] = value
    (rd / "report.json").write_text(json.dumps(d))
    before = {f: (rd / f).read_bytes() for f in ("report.md", "report.html")}
    code, _, err = run_cli(["report", str(rd)], capsys)
    assert code == 2 and err.count("\n") == 1 and expected in err and "report.json" in err
    assert {f: (rd / f).read_bytes() for f in before} == before


def test_report_and_resume_name_unreadable_files(tmp_path, capsys):
    rd = _reproduced(tmp_path / "a", capsys)
    (rd / "report.json").write_bytes(b"\xff\xfe{}")
    code, _, err = run_cli(["report", str(rd)], capsys)
    assert code == 2 and f"'{rd / 'report.json'}' is not valid JSON" in err  # was a bare 'utf-8' codec error
    code, _, err = run_cli(["report", str(rd / "config.json")], capsys)
    assert code == 2 and "is a file, not a run directory" in err  # was "does not exist"
    ok(["run", "toy_linreg", "steps=12", "--out", str(tmp_path / "b")], capsys)
    (rd,) = list((tmp_path / "b").iterdir())
    cfg = (rd / "config.json").read_text()
    (rd / "config.json").write_text("[]")
    code, _, err = run_cli(["run", "toy_linreg", "--resume", str(rd)], capsys)
    assert code == 2 and err.count("\n") == 1 and "is not a paperworks run config" in err  # was exit 1
    saved = json.loads(cfg)
    saved["config"]["lr"] = -1.0
    (rd / "config.json").write_text(json.dumps(saved))
    code, _, err = run_cli(["run", "toy_linreg", "--resume", str(rd)], capsys)
    assert code == 2 and f"the saved config in '{rd / 'config.json'}': 'lr' must be in (0, 10]" in err
    (rd / "config.json").write_text(cfg)
    # a damaged line in the middle of metrics.jsonl: the resume kept the records before it and rewrote the
    # file without the ones after it
    lines = (rd / "metrics.jsonl").read_text().splitlines()
    assert len(lines) >= 3
    damaged = "\n".join([lines[0], "{garbage"] + lines[2:]) + "\n"
    (rd / "metrics.jsonl").write_text(damaged)
    code, _, err = run_cli(["run", "toy_linreg", "--resume", str(rd)], capsys)
    assert code == 2 and err.count("\n") == 1 and "metrics.jsonl' line 2 is not a JSON record" in err
    assert (rd / "metrics.jsonl").read_text() == damaged
    # a torn LAST line (a killed run) is still dropped quietly
    (rd / "metrics.jsonl").write_text("\n".join(lines) + "\n{\"step\": 9")
    ok(["run", "toy_linreg", "--resume", str(rd)], capsys)


def test_all_with_a_preset_no_system_defines_is_refused(tmp_path, capsys, monkeypatch):
    """`reproduce --all --preset smok` (a typo) ran every system with its defaults, i.e. at full size."""
    import paperworks.core.cli as cli_mod

    class NoPresets(ToyLinReg):
        presets = {}

    monkeypatch.setattr(cli_mod, "_systems_for", lambda name, all_: [ToyLinReg, NoPresets])
    for cmd in ("reproduce", "bench"):
        code, _, err = run_cli([cmd, "--all", "--preset", "smok", "--out", str(tmp_path)], capsys)
        assert code == 2 and err.count("\n") == 1 and "'smok'; did you mean 'smoke'?" in err
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_empty_out_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for cmd in ("run", "reproduce", "bench"):
        code, _, err = run_cli([cmd, "toy_linreg", "--out", ""], capsys)
        assert code == 2 and "--out must name a folder" in err
    assert list(tmp_path.iterdir()) == []  # it used to create the run directory in the current folder


def test_a_report_that_cannot_be_rendered_leaves_no_report_json(tmp_path):
    """write_report wrote report.json first and rendered report.md / .html after it, so a rendering failure left
    a report.json (the mark of a finished run) without its .md / .html."""
    from paperworks.core.rundir import RunDir

    rd = RunDir(tmp_path / "r")
    rep = Report("toy_linreg", True)
    rep.add_claim(Claim.at_least("c", "m", float("nan"), 0.5))
    rep.add_table("t", ["a"], [[1]])
    rep.tables[0]["columns"] = [5]   # serialisable, not renderable
    with pytest.raises(Exception):
        rd.write_report(rep)
    assert not any((rd.path / f).exists() for f in ("report.json", "report.md", "report.html"))
    rep.tables[0]["columns"] = ["a"]
    d = rd.write_report(rep)
    assert d["claims"][0]["ours"] is None and json.loads((rd.path / "report.json").read_text()) == d


def test_permission_and_full_disk_errors_are_bad_input_naming_the_path(tmp_path, capsys, monkeypatch):
    """A report folder the user cannot write (or a full disk) was an 'internal error' with exit 1."""
    import errno

    import paperworks.core.rundir as rundir_mod

    rd = _reproduced(tmp_path, capsys)
    for exc in (PermissionError(errno.EACCES, "Permission denied", str(rd / "report.md")),
                OSError(errno.ENOSPC, "No space left on device", str(rd / "report.md"))):
        def refuse(path, text, exc=exc):
            raise exc

        monkeypatch.setattr(rundir_mod, "atomic_write_text", refuse)
        code, _, err = run_cli(["report", str(rd)], capsys)
        assert code == 2 and err == f"error: {exc.strerror}: '{rd / 'report.md'}'\n"
    monkeypatch.setattr(rundir_mod, "atomic_write_text", lambda p, t: (_ for _ in ()).throw(OSError(errno.EIO, "x")))
    code, _, err = run_cli(["report", str(rd)], capsys)
    assert code == 1 and err.startswith("internal error: OSError")   # any other OS error stays internal


def test_every_option_of_every_command_has_help_text():
    """`paperworks bench --help` listed --out with no description."""
    from paperworks.core.cli import cli

    for name, cmd in cli.commands.items():
        for p in cmd.params:
            if isinstance(p, __import__("click").Option) and p.name != "help":
                assert p.help, f"{name} {p.opts}"


@pytest.mark.parametrize("fail,kind", [("bug_key", "KeyError"), ("bug_type", "TypeError")])
def test_a_bare_key_or_type_error_is_an_internal_error_not_bad_input(tmp_path, capsys, fail, kind):
    """A KeyError or TypeError raised by a bug was reported as bad input (exit 2, 'error: missing key ...'),
    hiding the bug; our own errors (UnknownNameError is a KeyError too) stay exit 2."""
    code, _, err = run_cli(["run", "toy_broken", f"fail={fail}", "--out", str(tmp_path)], capsys)
    assert code == 1 and err.startswith(f"internal error: {kind}")
    code, _, err = run_cli(["run", "toy_brokn", "--out", str(tmp_path)], capsys)
    assert code == 2 and "did you mean 'toy_broken'" in err


def test_a_failure_while_writing_the_outputs_leaves_error_txt(tmp_path, capsys, monkeypatch):
    """A full disk while env.json / report.* / bench.json were written (after the system's work) stopped the
    command with no error.txt in the run directory that it left behind."""
    import errno

    from paperworks.core.rundir import RunDir

    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))

    monkeypatch.setattr(RunDir, "write_report", full)
    monkeypatch.setattr(RunDir, "write_env", full)
    for cmd in ("run", "reproduce", "bench"):
        out = tmp_path / cmd
        code, _, err = run_cli([cmd, "toy_broken", "fail=no", "--out", str(out)], capsys)
        assert code == 2 and "No space left on device" in err, (cmd, err)
        (rd,) = list(out.iterdir())
        assert "No space left on device" in (rd / "error.txt").read_text(), cmd
        assert not (rd / "report.json").exists()


@pytest.mark.parametrize("cmd", ["run", "reproduce", "bench"])
def test_preset_given_twice_is_refused(tmp_path, capsys, cmd):
    """`--preset a --preset b` silently used b."""
    code, _, err = run_cli([cmd, "toy_broken", "--preset", "smoke", "--preset", "paper", "--out", str(tmp_path)],
                           capsys)
    assert code == 2 and "given 2 times (smoke, paper)" in err and err.count("\n") == 1
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_resume_of_a_config_json_without_config_is_refused(tmp_path, capsys):
    """A config.json with 'system' but no 'config' was read as {} and the resumed run trained the defaults."""
    ok(["run", "toy_linreg", "steps=6", "--out", str(tmp_path)], capsys)
    (rd,) = list(tmp_path.iterdir())
    (rd / "config.json").write_text('{"system": "toy_linreg"}')
    code, _, err = run_cli(["run", "toy_linreg", "--resume", str(rd)], capsys)
    assert code == 2 and "expected an object with 'system' and 'config'" in err
