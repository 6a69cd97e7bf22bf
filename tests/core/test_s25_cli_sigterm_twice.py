"""A SIGTERM repeated within moments of the first ended the CLI at once (session 25): the handler reset SIGTERM to
its default, so that a second one would end a stuck clean-up, but `timeout` (and schedulers that signal a job's
process group) send the command SIGTERM twice, a few ms apart: once to the command, once to its group. Probe
(/tmp/s25p2/term/mimic2.py, a run waiting on core.parallel workers, the second SIGTERM 20 ms after the first): exit
-15, no error.txt, no word; a run in Python code: exit -15 instead of 143. `timeout -s TERM 12 paperworks run ...` on
a loaded 2-core machine: 4 of 5 such runs ended so. A repeat within 2 s is now the same stop (also during the
interpreter's exit); a later SIGTERM still ends the process at once."""

import subprocess
import sys

import pytest

_SCRIPT = '''
import atexit, os, signal, sys, threading, time
from dataclasses import dataclass
from paperworks.core import Paper, System, register
from paperworks.core import cli
from paperworks.core.config import Config

MODE = sys.argv[2]

@dataclass(frozen=True)
class C(Config):
    seed: int = 0

@register("toy_s25_term", paper=Paper("N. Body", "Killed twice", "Toy", 1810), config=C)
class T(System):
    def run(self, run_dir):
        run_dir.log_metrics({"step": 1, "loss": 1.0})
        try:
            os.kill(os.getpid(), signal.SIGTERM)   # `timeout` signals the command ...
            time.sleep(10)
        except KeyboardInterrupt:
            if MODE in ("cleanup", "late"):
                if MODE == "late":
                    time.sleep(0.3)                # past the repeat window (set to 0.1 s below)
                os.kill(os.getpid(), signal.SIGTERM)   # ... and then its process group: the command again
                time.sleep(0.5)                    # a clean-up that takes a moment (stopping workers)
            raise
        return {"loss": 0.5}

if MODE == "late":
    cli._SIGTERM_REPEAT_S = 0.1
if MODE == "exit":   # the repeat arrives while the interpreter exits (registered first, so it runs last)
    atexit.register(lambda: (os.kill(os.getpid(), signal.SIGTERM), time.sleep(0.3)))
cli.main(["run", "toy_s25_term", "--out", sys.argv[1]])
'''


def _run(tmp_path, mode):
    script = tmp_path / "term.py"
    script.write_text(_SCRIPT)
    out = tmp_path / "runs"
    p = subprocess.run([sys.executable, str(script), str(out), mode], capture_output=True, text=True, timeout=120)
    dirs = list(out.iterdir()) if out.exists() else []
    return p, dirs


@pytest.mark.parametrize("mode", ["cleanup", "exit"])
def test_a_repeated_sigterm_is_the_same_stop(tmp_path, mode):
    p, dirs = _run(tmp_path, mode)
    assert p.returncode == 143, (p.returncode, p.stderr[-800:])
    (rd,) = dirs
    assert (rd / "error.txt").is_file() and "terminated (SIGTERM)" in p.stderr and str(rd) in p.stderr


def test_a_later_sigterm_still_ends_the_process_at_once(tmp_path):
    p, dirs = _run(tmp_path, "late")
    assert p.returncode == -15, (p.returncode, p.stderr[-800:])   # killed by the signal, in the clean-up
    assert "terminated (SIGTERM)" not in p.stderr
