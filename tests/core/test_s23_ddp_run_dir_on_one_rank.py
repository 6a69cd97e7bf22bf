"""Under torchrun, a run folder given to rank 0 alone (None on the other ranks: "only rank 0 writes") hung for ever at
the first checkpoint: rank 0 gathered every rank's RNG states, the others waited at a barrier. Now every rank
refuses it at once with one ConfigError (every rank takes a RunDir of the same folder; only rank 0 writes)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys, torch
from torch import nn
from paperworks.core.rundir import RunDir
from paperworks.core.trainer import Trainer, TrainerConfig, dist_info, seed_everything
torch.set_num_threads(1)
rank, world, _ = dist_info()
import os; open(f"{sys.argv[1]}.pid{rank}", "w").write(str(os.getpid()))   # for the test to stop a hung rank
seed_everything(0)
data = torch.utils.data.TensorDataset(torch.randn(37, 4), torch.randn(37, 1))
cfg = TrainerConfig(max_steps=5, batch_size=4, lr=0.05, log_every=1, progress=False)
rd = RunDir(sys.argv[1]) if rank == 0 else None
Trainer(nn.Linear(4, 1), data, lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]), cfg, run_dir=rd).fit()
"""


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_run_dir_on_rank_0_alone_is_refused_rather_than_hanging(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [str(torchrun), "--nproc_per_node=2", "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
           str(script), str(tmp_path / "run")]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    log = tmp_path / "log.txt"
    with open(log, "w") as f:   # a file, not a pipe: the workers of a killed torchrun would hold a pipe open
        proc = subprocess.Popen(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=150)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            for r in (0, 1):   # the workers run in their own sessions
                pid = tmp_path / f"run.pid{r}"
                if pid.exists():
                    try:
                        os.kill(int(pid.read_text()), signal.SIGKILL)
                    except (OSError, ValueError):
                        pass
            proc.wait()
            raise AssertionError("the two ranks hung (a run folder on rank 0 alone)") from None
    assert proc.returncode != 0
    assert "some ranks were given a run_dir and others None" in log.read_text()
