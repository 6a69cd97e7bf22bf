"""SIGTERM reaches only the CLI process (Ctrl-C reaches the whole process group): the CLI's SIGTERM clean-up
(cc8a744) then waited in core.parallel's pool for the running jobs, minutes in a reproduction (probe: two 40 s
jobs, SIGTERM once both ran: the command stopped after 43 s). The handler now stops the worker processes first."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import paperworks

JOB = textwrap.dedent("""
    import pathlib, time
    def nap(s, flag):
        pathlib.Path(flag).touch()
        time.sleep(s)
        return s
""")

MAIN = textwrap.dedent("""
    import os, pathlib, signal, sys, threading, time

    def main(d):
        from paperworks.core import cli
        from paperworks.core.parallel import run_jobs
        import s20_napper
        cli._catch_sigterm()
        flags = [pathlib.Path(d) / f"started{i}" for i in range(2)]

        def term_when_both_run():
            while not all(f.exists() for f in flags):
                time.sleep(0.05)
            print("both running", flush=True)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=term_when_both_run, daemon=True).start()
        t0 = time.time()
        try:
            run_jobs(s20_napper.nap, [{"s": 60, "flag": str(f)} for f in flags], workers=2)
        except BaseException as e:
            print(type(e).__name__, round(time.time() - t0, 1), flush=True)

    if __name__ == "__main__":
        main(sys.argv[1])
""")


def test_sigterm_stops_the_pool_workers_instead_of_waiting_for_them(tmp_path):
    (tmp_path / "s20_napper.py").write_text(JOB)
    script = tmp_path / "main.py"
    script.write_text(MAIN)
    # the folder paperworks is imported from too: a machine without the editable install (the GPU check puts
    # src on PYTHONPATH) failed here with "No module named 'paperworks'"
    src = str(Path(paperworks.__file__).resolve().parents[1])
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), src]), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    t0 = time.time()
    r = subprocess.run([sys.executable, str(script), str(tmp_path)], env=env, capture_output=True, text=True,
                       timeout=120)
    took = time.time() - t0
    assert "both running" in r.stdout, r.stdout + r.stderr
    assert "_Terminated" in r.stdout, r.stdout + r.stderr
    assert took < 45, f"the SIGTERM clean-up waited for the 60 s jobs ({took:.0f} s): {r.stdout}"
