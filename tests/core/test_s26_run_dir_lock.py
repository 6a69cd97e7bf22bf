"""`paperworks run NAME --resume DIR` of a run that was still going was accepted: both processes wrote the same folder
(probe: a transformer run and a --resume of its folder 4 s later both exited 0; metrics.jsonl held 138 records where
the run alone writes 81, 56 steps twice). The writing process of `run` (new or resumed) and of `report` now holds an
exclusive flock on the run directory for the whole command; a second command on a busy folder exits 2 naming it. The
kernel drops the lock when its process ends, SIGKILL included, so a killed run resumes as before."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from paperworks.core import Paper, System, register
from paperworks.core.cli import main
from paperworks.core.config import Config

NAME = "s26_lockable"


@dataclass(frozen=True)
class _Cfg(Config):
    seed: int = 0


class _Lockable(System):
    """Logs one record per part; with PW_S26_HOLD set (the subprocess), says it started and then waits for the test's
    go-file before finishing, so the test can act while the run is still going."""

    resumable = True

    def run(self, run_dir):
        if os.environ.get("PW_S26_FAIL"):
            raise ValueError("failed part")
        run_dir.log_metrics({"step": len(run_dir.read_metrics()) + 1, "loss": 1.0})
        hold = os.environ.get("PW_S26_HOLD")
        if hold:
            Path(hold + ".started").write_text(str(run_dir.path))
            t0 = time.time()
            while not Path(hold + ".go").exists() and time.time() - t0 < 120:
                time.sleep(0.05)
        return {"loss": 1.0}


def _register():
    register(NAME, paper=Paper("A. Author", "Locks", "Nowhere", 2000), config=_Cfg)(_Lockable)


CHILD = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import test_s26_run_dir_lock as t
t._register()
from paperworks.core.cli import main
main(sys.argv[1:])
"""


@pytest.fixture
def system(monkeypatch):
    from paperworks.core import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry.all_systems()))
    _register()
    return NAME


def _run(args):
    try:
        main(args)
    except SystemExit as e:
        return e.code
    return 0


def _start_holding(tmp_path, args):
    """A `paperworks ...` subprocess of the toy system that stays inside its run until the go-file appears."""
    hold = tmp_path / "hold"
    env = {**os.environ, "PW_S26_HOLD": str(hold), "OMP_NUM_THREADS": "1"}
    p = subprocess.Popen([sys.executable, "-c", CHILD, *args], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not Path(str(hold) + ".started").exists():
        if p.poll() is not None or time.time() - t0 > 90:
            p.kill()
            raise AssertionError(f"the holding run did not start: {p.communicate()}")
        time.sleep(0.05)
    return p, Path(Path(str(hold) + ".started").read_text()), Path(str(hold) + ".go")


def _records(rd):
    return [json.loads(line) for line in (rd / "metrics.jsonl").read_text().splitlines()]


def test_resume_of_a_run_still_going_is_refused(system, tmp_path, capsys):
    p, rd, go = _start_holding(tmp_path, ["run", NAME, "--out", str(tmp_path / "runs")])
    try:
        assert _run(["run", system, "--resume", str(rd)]) == 2
        err = capsys.readouterr().err
        assert "is in use" in err and str(rd) in err
        assert _records(rd) == [{"step": 1, "loss": 1.0}]   # the refused command wrote nothing
        assert not (rd / "error.txt").exists()
    finally:
        go.write_text("")
        out, err = p.communicate(timeout=90)
    assert p.returncode == 0, err
    assert _records(rd) == [{"step": 1, "loss": 1.0}]
    # the run has ended: its folder is free, and --resume continues it
    assert _run(["run", system, "--resume", str(rd)]) == 0
    assert [r["step"] for r in _records(rd)] == [1, 2]


def test_a_second_resume_of_a_run_being_resumed_is_refused(system, tmp_path, capsys):
    assert _run(["run", system, "--out", str(tmp_path / "runs")]) == 0
    (rd,) = list((tmp_path / "runs").iterdir())
    p, held, go = _start_holding(tmp_path, ["run", NAME, "--resume", str(rd)])
    assert held == rd
    try:
        assert _run(["run", system, "--resume", str(rd)]) == 2
        assert "is in use" in capsys.readouterr().err
        # report rewrites report.md / .html, which the resumed run rewrites when it ends
        before = (rd / "report.md").read_bytes()
        assert _run(["report", str(rd)]) == 2
        assert "is in use" in capsys.readouterr().err
        assert (rd / "report.md").read_bytes() == before
    finally:
        go.write_text("")
        p.communicate(timeout=90)
    assert p.returncode == 0
    assert [r["step"] for r in _records(rd)] == [1, 2]
    assert _run(["report", str(rd)]) == 0


def test_a_killed_run_can_be_resumed_at_once(system, tmp_path):
    """SIGKILL leaves no lock behind (the kernel drops it with the process): no stale lock file to remove."""
    p, rd, _ = _start_holding(tmp_path, ["run", NAME, "--out", str(tmp_path / "runs")])
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=30)
    assert p.returncode == -signal.SIGKILL
    assert sorted(e.name for e in rd.iterdir()) == ["config.json", "metrics.jsonl", "plots"]
    assert _run(["run", system, "--resume", str(rd)]) == 0
    assert [r["step"] for r in _records(rd)] == [1, 2]


def test_the_lock_is_released_when_a_command_fails(system, tmp_path, monkeypatch):
    """In one process (a program embedding main()): a failed resume does not keep the folder locked."""
    assert _run(["run", system, "--out", str(tmp_path / "runs")]) == 0
    (rd,) = list((tmp_path / "runs").iterdir())
    monkeypatch.setenv("PW_S26_FAIL", "1")
    assert _run(["run", system, "--resume", str(rd)]) == 2
    assert (rd / "error.txt").exists()
    monkeypatch.delenv("PW_S26_FAIL")
    assert _run(["run", system, "--resume", str(rd)]) == 0
    assert _run(["report", str(rd)]) == 0


def test_only_the_writing_rank_locks(tmp_path, monkeypatch):
    """Under torchrun the ranks other than 0 read the folder rank 0 writes (and locks): they take no lock."""
    import fcntl

    from paperworks.core.cli import _RunDirLock
    from paperworks.core.rundir import RunDir

    (tmp_path / "r").mkdir()
    fd = os.open(tmp_path / "r", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # rank 0's lock
        monkeypatch.setenv("RANK", "1")
        lock = _RunDirLock(RunDir(tmp_path / "r", create=False))
        assert lock.fd is None
    finally:
        os.close(fd)
