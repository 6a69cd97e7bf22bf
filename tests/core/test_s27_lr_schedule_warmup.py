"""The linear / cosine schedules follow Hugging Face's get_linear_schedule_with_warmup /
get_cosine_schedule_with_warmup (the schedules of the same names with warmup_steps and max_steps), indexed like
every torch scheduler: update i (0-based) uses the value at i, the number of updates taken before it.

They used i + 1 instead: with warmup_steps=0 the peak lr was never used (update 0 took lr * (1 - 1/T), torch's
LinearLR / CosineAnnealingLR start at the peak) and the last update took lr 0, i.e. changed nothing."""

import math

import pytest
import torch
from torch import nn

from paperworks.core.trainer import Trainer, TrainerConfig


def _lrs(schedule, T, w, lr=0.3, optimizer="adam"):
    cfg = TrainerConfig(max_steps=T, batch_size=2, lr=lr, schedule=schedule, warmup_steps=w, log_every=1,
                        optimizer=optimizer, progress=False)
    data = torch.utils.data.TensorDataset(torch.randn(4, 1), torch.randn(4, 1))
    recs = Trainer(nn.Linear(1, 1), data, lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), cfg).fit()
    return [r["lr"] for r in recs]


def _torch_lrs(schedule, T, lr=0.3):
    """The lr of each of T updates under torch's own decaying schedulers (optimizer.step, then scheduler.step)."""
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    sch = (torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=T)
           if schedule == "linear" else torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=T))
    out = []
    for _ in range(T):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sch.step()
    return out


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_no_warmup_starts_at_the_peak_as_torch_schedulers(schedule):
    T, lr = 7, 0.3
    got = _lrs(schedule, T, 0, lr)
    assert got[0] == lr
    assert got == pytest.approx(_torch_lrs(schedule, T, lr), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("w", [0, 1, 3])
def test_hugging_face_closed_form(schedule, w):
    """Update i: lr * i / w while i < w, then lr * max(0, (T - i) / (T - w)) (linear) or
    lr * (1 + cos(pi (i - w) / (T - w))) / 2 (cosine): the peak at update w, 0 only after the last update."""
    T, lr = 10, 0.3
    want = []
    for i in range(T):
        if i < w:
            want.append(lr * i / w)
        elif schedule == "linear":
            want.append(lr * max(0.0, (T - i) / (T - w)))
        else:
            want.append(lr * 0.5 * (1 + math.cos(math.pi * (i - w) / (T - w))))
    got = _lrs(schedule, T, w, lr)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)
    assert got[w] == lr and max(got) == lr
    assert got[-1] > 0


def test_the_last_update_moves_the_weights():
    """SGD, linear decay without warm-up: the last of T updates used lr 0 and left the model as it was."""
    torch.manual_seed(0)
    T = 4
    model = nn.Linear(2, 1)
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randn(8, 1))
    loss_fn = lambda m, b: ((m(b[0]) - b[1]) ** 2).mean()  # noqa: E731
    seen = []
    cfg = TrainerConfig(max_steps=T, batch_size=8, lr=0.1, optimizer="sgd", schedule="linear", log_every=1,
                        progress=False)

    def watched(m, b):
        seen.append(m.weight.detach().clone())
        return loss_fn(m, b)

    Trainer(model, data, watched, cfg).fit()
    assert len(seen) == T
    assert not torch.equal(seen[-1], model.weight.detach())


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_warmup_as_long_as_the_run_rises_linearly(schedule):
    """warmup_steps >= max_steps: the whole run is warm-up (i / w), as in Hugging Face's schedules."""
    assert _lrs(schedule, 4, 4, 1.0) == pytest.approx([0.0, 0.25, 0.5, 0.75])
    assert _lrs(schedule, 3, 5, 1.0) == pytest.approx([0.0, 0.2, 0.4])
