"""`paperworks run` under torchrun: one run directory written by rank 0, and 2 processes = 1 process."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

TORCHRUN = str(Path(sys.executable).with_name("torchrun"))
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _free_port():
    """A port nobody listens on now (fixed ports collide with leftovers of other runs)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(nproc, out, port, task):
    cmd = [TORCHRUN, f"--nproc_per_node={nproc}", "--master_addr=127.0.0.1", f"--master_port={port}", "-m",
           "paperworks.core.cli", "run", "transformer", f"task={task}", "--preset", "smoke", "--out", str(out)]
    if task == "translation":  # dropout masks are drawn per rank, so only a dropout-free run can match exactly
        cmd.insert(cmd.index("--preset"), "dropout=0.0")
    r = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    dirs = list(Path(out).iterdir())
    assert len(dirs) == 1, dirs  # all ranks agreed on rank 0's run folder
    lines = [l for l in r.stdout.splitlines() if l.startswith("transformer:")]
    assert len(lines) == 1  # only rank 0 reports
    return [json.loads(l) for l in (dirs[0] / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("task", ["algorithmic", "translation"])
def test_cli_under_torchrun_two_processes_equal_one(tmp_path, task):
    """algorithmic: sampled batches of pairs; translation: pre-built length-grouped token batches split over
    the ranks, each rank weighted by its token count."""
    one = _run(1, tmp_path / "one", _free_port(), task)
    two = _run(2, tmp_path / "two", _free_port(), task)
    assert [r.get("step") for r in one] == [r.get("step") for r in two]
    assert len([r for r in one if "loss" in r]) >= 10
    for a, b in zip(one, two):
        assert set(a) == set(b)
        for k in a:
            if isinstance(a[k], float):
                assert math.isclose(a[k], b[k], rel_tol=1e-5, abs_tol=1e-7), (k, a, b)
