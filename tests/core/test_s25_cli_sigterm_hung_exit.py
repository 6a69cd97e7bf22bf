"""Review of 236972b (session 25): after a command stopped by SIGTERM, SIGTERM was set to SIG_IGN for the whole of
the interpreter's exit (an atexit function), so that a repeat of the first SIGTERM could not end the process as -15.
But an exit that hangs (an atexit join of a worker that does not stop) then ignored every later SIGTERM, where a
user's `kill PID` had ended it (probe /tmp/r3/term/drive3.sh: a 20 s hang in the exit, a second SIGTERM 5 s after
the first: the process lived 21.5 s; before 236972b 6.0 s). The handler in place already ignores a repeat within
_SIGTERM_REPEAT_S and ends the process on a later one; it now stays in place during the atexit functions."""

import subprocess
import sys
import time

_SCRIPT = '''
import atexit, os, signal, sys, time
from dataclasses import dataclass
from paperworks.core import Paper, System, register
from paperworks.core import cli
from paperworks.core.config import Config

@dataclass(frozen=True)
class C(Config):
    seed: int = 0

@register("toy_s25_hung_exit", paper=Paper("N. Body", "Hung at exit", "Toy", 1810), config=C)
class T(System):
    def run(self, run_dir):
        run_dir.log_metrics({"step": 1, "loss": 1.0})
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
        return {"loss": 0.5}

def hung_exit():   # registered before main(), so it runs after main's own atexit functions
    time.sleep(0.5)                          # past the repeat window (0.1 s below)
    os.kill(os.getpid(), signal.SIGTERM)     # the user's `kill PID` of a process whose exit hangs
    time.sleep(30)
    print("exit hang over", flush=True)

cli._SIGTERM_REPEAT_S = 0.1
atexit.register(hung_exit)
cli.main(["run", "toy_s25_hung_exit", "--out", sys.argv[1]])
'''


def test_a_later_sigterm_still_ends_an_exit_that_hangs(tmp_path):
    script = tmp_path / "hung.py"
    script.write_text(_SCRIPT)
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, str(script), str(tmp_path / "runs")], capture_output=True, text=True,
                       timeout=120)
    took = time.monotonic() - t0
    assert "terminated (SIGTERM)" in p.stderr, p.stderr[-800:]
    assert p.returncode == -15 and "exit hang over" not in p.stdout, (p.returncode, took)
    assert took < 25
