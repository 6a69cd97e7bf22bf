"""Trainer / Claim semantics at the edges (session 12): DDP metrics are those of the global batch."""

import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = r'''
import sys, torch
from torch import nn
from paperworks.core.rundir import RunDir
from paperworks.core.trainer import Trainer, TrainerConfig, dist_info, seed_everything
torch.set_num_threads(1)
rank, world, _ = dist_info()
seed_everything(0)
g = torch.Generator().manual_seed(1)
x = torch.randn(60, 3, generator=g, dtype=torch.float64)
y = torch.randn(60, 1, generator=g, dtype=torch.float64)
prebatched = sys.argv[2] == "prebatched"
def loss_fn(m, b):
    xb, yb = b
    out = {"xmean": xb[:, 0].mean().item()}
    if prebatched:
        out["_weight"] = xb.size(0)
    return nn.functional.mse_loss(m(xb), yb), out
data = torch.utils.data.TensorDataset(x, y)
cfg = TrainerConfig(max_steps=4, batch_size=12, lr=0.01, log_every=1, progress=False)
if prebatched:   # batches of 5 and 7 examples: two ranks get unequal shares (3+2, 4+3)
    sizes, batches, i = [5, 7], [], 0
    while i < len(data):
        k = sizes[len(batches) % 2]
        batches.append([data[j] for j in range(i, min(i + k, len(data)))])
        i += k
    data, cfg = batches, cfg.replace(batch_size=1, prebatched=True)
Trainer(nn.Linear(3, 1).double(), data, loss_fn, cfg, run_dir=RunDir(sys.argv[1])).fit()
'''


def _port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _metrics(d):
    return [json.loads(l) for l in (Path(d) / "metrics.jsonl").read_text().splitlines() if l.strip()]


@pytest.mark.parametrize("mode", ["sampled", "prebatched"])
def test_ddp_logs_the_metrics_of_the_global_batch(tmp_path, mode):
    """A metric returned by the loss function (here the mean of the batch's first feature) under 2 gloo processes
    equals the 1-process value on the same global batch; rank 0 used to log its own shard's value (step 1:
    -0.343 instead of -0.102)."""
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    runs = {}
    for n in (1, 2):
        d = tmp_path / f"run{n}"
        r = subprocess.run([str(torchrun), f"--nproc_per_node={n}", "--master_addr=127.0.0.1",
                            f"--master_port={_port()}", str(script), str(d), mode],
                           env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        runs[n] = _metrics(d)
    assert [m["step"] for m in runs[1]] == [m["step"] for m in runs[2]] == [1, 2, 3, 4]
    for a, b in zip(runs[1], runs[2]):
        assert set(a) == set(b) == {"step", "loss", "lr", "xmean"}
        for k in a:
            assert math.isclose(a[k], b[k], rel_tol=1e-12, abs_tol=1e-14), (k, a, b)


# ------------------------------------------------------------------------ Claim rules at decimal ties
from fractions import Fraction  # noqa: E402

from paperworks.core.report import Claim  # noqa: E402


@pytest.mark.parametrize("make, holds", [
    # baseline + margin rounds below the tie (0.7 + 0.1 = 0.7999999999999999): 0.8 > 0.8 must not hold
    (lambda: Claim.beats("c", "m", 0.8, 0.7, margin=0.1), False),
    (lambda: Claim.beats("c", "m", 0.2, 0.3, margin=0.1, higher_is_better=False), False),
    # baseline - tolerance rounds above the tie (0.4 - 0.1 = 0.30000000000000004): 0.3 >= 0.3 must hold
    (lambda: Claim.no_worse("c", "m", 0.3, 0.4, tolerance=0.1), True),
    (lambda: Claim.no_worse("c", "m", 0.8, 0.7, tolerance=0.1, higher_is_better=False), True),
    # |0.8 - 0.7| = 0.10000000000000009 in floats: a distance equal to the tolerance is within it
    (lambda: Claim.within("c", "m", 0.8, 0.7, 0.1), True),
    (lambda: Claim.within("c", "m", 0.6, 0.7, 0.1), True),
    # one step past the tie on either side is decided as before
    (lambda: Claim.beats("c", "m", 0.81, 0.7, margin=0.1), True),
    (lambda: Claim.no_worse("c", "m", 0.29, 0.4, tolerance=0.1), False),
    (lambda: Claim.within("c", "m", 0.81, 0.7, 0.1), False),
    # non-finite numbers: NaN and an infinite ours never hold, infinite references compare as floats
    (lambda: Claim.beats("c", "m", 0.8, float("nan"), margin=0.1), False),
    (lambda: Claim.no_worse("c", "m", float("nan"), 0.4, tolerance=0.1), False),
    (lambda: Claim.within("c", "m", 0.8, 0.7, float("nan")), False),
    # an infinite ours never holds (test_s23_claim_infinite_ours.py: report.json stores it as null, and a holding
    # claim without a number is refused by schema_problems)
    (lambda: Claim.beats("c", "m", float("inf"), 0.7, margin=0.1), False),
    (lambda: Claim.no_worse("c", "m", float("-inf"), 0.7, tolerance=0.1), False),
])
def test_claims_with_a_margin_hold_by_the_rule_they_print(make, holds):
    assert make().holds is holds


def test_claims_agree_with_exact_decimal_arithmetic_on_accuracies():
    """Accuracies k/n against k'/n with the tolerances the systems use, every rule form, vs rational arithmetic
    on the decimal numbers (the old float evaluation disagreed on 32 of these 1815 cases)."""
    bad = []
    n = 10
    for i in range(n + 1):
        for j in range(n + 1):
            o, b, O, B = i / n, j / n, Fraction(i, n), Fraction(j, n)
            for ts in ("0.1", "0.2", "0.3"):
                t, T = float(ts), Fraction(ts)
                for got, want in ((Claim.beats("c", "m", o, b, margin=t).holds, O > B + T),
                                  (Claim.beats("c", "m", o, b, margin=t, higher_is_better=False).holds, O < B - T),
                                  (Claim.no_worse("c", "m", o, b, tolerance=t).holds, O >= B - T),
                                  (Claim.no_worse("c", "m", o, b, tolerance=t, higher_is_better=False).holds,
                                   O <= B + T),
                                  (Claim.within("c", "m", o, b, t).holds, abs(O - B) <= T)):
                    if got != want:
                        bad.append((i, j, ts, got, want))
    assert not bad, bad[:5]


def test_claim_constructor_names_within_instead_of_a_key_error():
    with pytest.raises(ValueError, match="Claim.within"):
        Claim("c", "m", 1.0, "within", 0.5)


# ------------------------------------------------------------------ integer overrides read as decimals
from paperworks.core.config import from_overrides  # noqa: E402
from paperworks.core.errors import ConfigError  # noqa: E402
from paperworks.core.trainer import TrainerConfig  # noqa: E402


@pytest.mark.parametrize("text, value", [("1e3", 1000), ("2.0", 2), ("1_000.0", 1000),
                                         ("9007199254740993.0", 2**53 + 1)])
def test_integer_override_in_decimal_notation_is_exact(text, value):
    """float('9007199254740993.0') is 2**53: the integer next to the one written was taken."""
    assert from_overrides(TrainerConfig, {"max_steps": text}).max_steps == value


@pytest.mark.parametrize("text", ["2.9999999999999999", "1.0000000000000001", "1e-3", "nan", "inf"])
def test_integer_override_that_is_no_integer_is_refused(text):
    """'2.9999999999999999' was read as the float 3.0 and taken as max_steps=3."""
    with pytest.raises(ConfigError, match="'max_steps' must be an integer"):
        from_overrides(TrainerConfig, {"max_steps": text})


# ------------------------------------------------------------------ checkpoints ordered by step number
def test_checkpoints_past_99999999_steps_are_ordered_by_number(tmp_path):
    """step_100000000 (9 digits) sorted by name before step_99999999: keep=1 deleted the newest checkpoint and
    latest_checkpoint returned the older one."""
    import torch
    from torch import nn

    from paperworks.core.trainer import latest_checkpoint, list_checkpoints, load_checkpoint, save_checkpoint

    m = nn.Linear(2, 1)
    for step in (99_999_999, 100_000_000):
        with torch.no_grad():
            m.bias.fill_(float(step))
        save_checkpoint(tmp_path, step, m, keep=1)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_100000000"]
    assert latest_checkpoint(tmp_path).name == "step_100000000"
    assert load_checkpoint(latest_checkpoint(tmp_path))["step"] == 100_000_000
    (tmp_path / "step_notanumber").mkdir()
    (tmp_path / "step_00000007").mkdir()
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000007", "step_100000000"]


# ------------------------------------------------------------ evaluation leaves the CUDA generators alone
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA GPU (scripts/gpu-check.sh)")
def test_evaluation_with_cuda_random_numbers_does_not_change_a_cuda_training_run():
    """eval_fn drawing CUDA random numbers shifted the CUDA generator that the training's dropout draws from: only
    the CPU generator was restored after an evaluation, so a run with eval_every=1 trained differently."""
    import torch
    from torch import nn

    from paperworks.core.trainer import Trainer, TrainerConfig, seed_everything

    g = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(64, 4, generator=g), torch.randn(64, 1, generator=g))

    def train(with_eval):
        seed_everything(0)
        model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 1)).cuda()
        cfg = TrainerConfig(max_steps=6, batch_size=8, lr=0.01, eval_every=1, log_every=1, progress=False)
        ev = (lambda m: {"noise": torch.rand(1000, device="cuda").mean().item()}) if with_eval else None
        Trainer(model, data, lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]), cfg, eval_fn=ev,
                device="cuda").fit()
        return [p.detach().cpu() for p in model.parameters()]

    for a, b in zip(train(True), train(False)):
        assert torch.equal(a, b)


# --------------------------------------------------------- DDP resume restores every rank's own RNG streams
RESUME_SCRIPT = r'''
import sys, json, torch
from torch import nn
from paperworks.core.rundir import RunDir
from paperworks.core.trainer import Trainer, TrainerConfig, dist_info, seed_everything
torch.set_num_threads(1)
rank, world, _ = dist_info()
seed_everything(0)
g = torch.Generator().manual_seed(1)
x = torch.randn(96, 6, generator=g, dtype=torch.float64)
y = torch.randn(96, 1, generator=g, dtype=torch.float64)
data = torch.utils.data.TensorDataset(x, y)
sizes, batches, i = [5, 9, 3, 12, 7, 11], [], 0
while i < len(data):
    k = sizes[len(batches) % len(sizes)]
    batches.append([data[j] for j in range(i, min(i + k, len(data)))])
    i += k
die, resume = int(sys.argv[2]), sys.argv[3] == "1"
model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Dropout(0.3), nn.Linear(16, 1)).double()
n = [0]
def loss_fn(m, b):
    if die and n[0] == die:
        raise SystemExit(3)
    n[0] += 1
    return nn.functional.mse_loss(m(b[0]), b[1]), {"_weight": b[0].size(0)}
cfg = TrainerConfig(max_steps=12, batch_size=1, prebatched=True, lr=0.05, ckpt_every=3, log_every=1, progress=False)
tr = Trainer(model, batches, loss_fn, cfg, run_dir=RunDir(sys.argv[1]))
tr.fit(resume=resume)
if rank == 0:
    json.dump([p.tolist() for p in tr._unwrapped().parameters()], open(sys.argv[1] + "/final.json", "w"))
'''


def test_ddp_resume_with_dropout_and_unequal_shards_matches_the_uninterrupted_run(tmp_path):
    """2 gloo processes, pre-built batches of odd sizes (the ranks' shards differ, so do the amounts of dropout
    noise they draw): the checkpoint held rank 0's RNG states only and restored them on every rank, so a run
    stopped after step 7 and resumed from step 6 logged other losses from step 7 on (0.797 vs 0.711)."""
    script = tmp_path / "train.py"
    script.write_text(RESUME_SCRIPT)
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def run(d, die, resume):
        return subprocess.run([str(torchrun), "--nproc_per_node=2", "--master_addr=127.0.0.1",
                               f"--master_port={_port()}", str(script), str(d), str(die), resume],
                              env=env, capture_output=True, text=True, timeout=300)

    r = run(tmp_path / "A", 0, "0")
    assert r.returncode == 0, r.stderr[-2000:]
    assert run(tmp_path / "B", 7, "0").returncode != 0     # stopped during step 8 (checkpoints at 3 and 6)
    r = run(tmp_path / "B", 0, "1")
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "A" / "metrics.jsonl").read_text() == (tmp_path / "B" / "metrics.jsonl").read_text()
    assert json.loads((tmp_path / "A" / "final.json").read_text()) == \
        json.loads((tmp_path / "B" / "final.json").read_text())
