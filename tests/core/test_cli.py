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
