"""CLI user experience, probed as a first-time user (session 20): empty paths that silently meant something else,
dotted keys with an empty part, Ctrl-C that did not say where the partial run was, --strict that exited 1
without a word, `report` pointed at the folder that holds the runs."""

from dataclasses import dataclass

import pytest

from paperworks.core import Claim, Paper, Report, System, register
from paperworks.core.cli import main
from paperworks.core.config import Config

from test_cli import run_cli


@dataclass(frozen=True)
class S20Config(Config):
    steps: int = 3
    interrupt: bool = False
    seed: int = 0


@register("toy_s20_cli", paper=Paper("N. Body", "A toy for the CLI", "Toy", 1807), config=S20Config)
class S20Toy(System):
    presets = {"smoke": {"steps": 2}}

    def run(self, run_dir):
        run_dir.log_metrics({"step": 1, "loss": 1.0})
        if self.config.interrupt:
            raise KeyboardInterrupt   # what Ctrl-C raises in the middle of a run
        return {"loss": 0.5}

    def reproduce(self, run_dir, quick=True):
        rep = Report(self.name, quick)
        rep.add_claim(Claim.at_most("the loss is tiny", "loss", 0.5, 0.1))   # does not hold
        rep.add_claim(Claim.at_most("the loss is finite", "loss2", 0.5, 1.0))
        return rep


def test_an_empty_resume_is_refused_not_a_fresh_run(tmp_path, capsys):
    """`run NAME --resume "$RUN"` with an unset variable silently started a new run (in runs/), for a system that
    cannot even resume: the user believed the old run continued."""
    code, _, err = run_cli(["run", "toy_s20_cli", "--resume", "", "--out", str(tmp_path)], capsys)
    assert code == 2 and "--resume" in err and "empty" in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_report_of_an_empty_path_is_refused_not_the_current_folder(tmp_path, capsys, monkeypatch):
    """`report ""` read the current folder ('.' has no report.json)."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["report", ""], capsys)
    assert code == 2 and "RUN_DIR" in err and "empty" in err and "'.'" not in err


@pytest.mark.parametrize("key", ["steps.", ".steps", "steps..x"])
def test_a_dotted_key_with_an_empty_part_is_refused(tmp_path, capsys, key):
    """`steps.=3` ran with steps=3 (the trailing dot dropped silently); `.steps=3` said "unknown key ''"."""
    code, _, err = run_cli(["run", "toy_s20_cli", f"{key}=3", "--out", str(tmp_path)], capsys)
    assert code == 2 and f"'{key}'" in err and "empty part" in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_ctrl_c_names_the_kept_partial_run(tmp_path, capsys):
    """Ctrl-C in the middle of a run printed only "aborted": the folder kept with error.txt was not named."""
    import signal

    before = signal.getsignal(signal.SIGTERM)
    code, _, err = run_cli(["run", "toy_s20_cli", "interrupt=true", "--out", str(tmp_path)], capsys)
    assert signal.getsignal(signal.SIGTERM) is before   # the CLI's SIGTERM handler lives as long as a command
    (rd,) = list(tmp_path.iterdir())
    assert code == 130
    assert "interrupted" in err and str(rd) in err and "error.txt" in err
    assert (rd / "error.txt").is_file() and not (rd / "report.json").exists()


def test_strict_says_which_claims_do_not_hold(tmp_path, capsys):
    """`reproduce --strict` exited 1 with no word on stderr about why."""
    code, out, err = run_cli(["reproduce", "toy_s20_cli", "--strict", "--out", str(tmp_path)], capsys)
    assert code == 1 and "1/2 claims hold" in out
    assert "--strict" in err and "the loss is tiny" in err and "the loss is finite" not in err


def test_report_of_the_folder_holding_runs_names_one(tmp_path, capsys):
    """`report runs/` said only "has no report.json": the user had given the parent of the run directories."""
    main(["run", "toy_s20_cli", "--out", str(tmp_path)])
    capsys.readouterr()
    (rd,) = list(tmp_path.iterdir())
    code, _, err = run_cli(["report", str(tmp_path)], capsys)
    assert code == 2 and "not a run directory" in err and rd.name in err and err.count("\n") == 1


_TERM_SCRIPT = '''
import os, signal, sys, time
from dataclasses import dataclass
from paperworks.core import Paper, System, register
from paperworks.core.cli import main
from paperworks.core.config import Config

@dataclass(frozen=True)
class C(Config):
    seed: int = 0

@register("toy_s20_term", paper=Paper("N. Body", "Killed runs", "Toy", 1808), config=C)
class T(System):
    def run(self, run_dir):
        run_dir.log_metrics({"step": 1, "loss": 1.0})
        os.kill(os.getpid(), signal.SIGTERM)   # what `timeout`, a batch scheduler or `kill` send
        time.sleep(5)
        return {"loss": 0.5}

main(["run", "toy_s20_term", "--out", sys.argv[1]])
'''


def test_sigterm_leaves_error_txt_and_says_so(tmp_path):
    """SIGTERM (`timeout`, a batch scheduler, `kill`) ended the process at once: the run directory kept no
    error.txt and looked like a run still in progress, and nothing was said."""
    import subprocess
    import sys

    script = tmp_path / "term.py"
    script.write_text(_TERM_SCRIPT)
    out = tmp_path / "runs"
    p = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True, timeout=120)
    (rd,) = list(out.iterdir())
    assert p.returncode == 143, (p.returncode, p.stderr[-500:])
    assert (rd / "error.txt").is_file() and not (rd / "report.json").exists()
    assert "terminated" in p.stderr and str(rd) in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize("cmd", ["run", "reproduce", "bench"])
def test_out_given_twice_is_refused(tmp_path, capsys, cmd):
    """`--out a --out b` wrote to b and said nothing of a (as --preset twice did before it was refused)."""
    a, b = tmp_path / "a", tmp_path / "b"
    code, _, err = run_cli([cmd, "toy_s20_cli", "--out", str(a), "--out", str(b)], capsys)
    assert code == 2 and "--out" in err and "2 times" in err and err.count("\n") == 1
    assert not a.exists() and not b.exists()


def test_resume_given_twice_is_refused(tmp_path, capsys):
    code, _, err = run_cli(["run", "toy_s20_cli", "--resume", str(tmp_path / "a"), "--resume", str(tmp_path / "b")],
                           capsys)
    assert code == 2 and "--resume" in err and "2 times" in err


def test_an_override_where_the_name_goes_says_so(capsys):
    """`run seed=3 toy_s20_cli` said only "no system named 'seed=3'"."""
    code, _, err = run_cli(["run", "seed=3", "toy_s20_cli"], capsys)
    assert code == 2 and "'seed=3'" in err and "NAME" in err and "first" in err and err.count("\n") == 1


def test_out_default_unchanged(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(["run", "toy_s20_cli"])
    assert "runs/toy_s20_cli-run-" in capsys.readouterr().out
    assert len(list((tmp_path / "runs").iterdir())) == 1
