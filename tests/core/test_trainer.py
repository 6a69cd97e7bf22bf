"""Trainer: exact resume after a real SIGKILL, checkpoint integrity, DDP equivalence, schedules."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from paperworks.core.errors import CheckpointError, ConfigError, DataError
from paperworks.core.rundir import RunDir
from paperworks.core.trainer import (Trainer, TrainerConfig, average_checkpoints, latest_checkpoint,
                                     load_checkpoint, noam_factor, save_checkpoint)

TOY = str(Path(__file__).with_name("toy_train.py"))
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def _free_port():
    """A port nobody listens on now (fixed ports collide with leftovers of other runs)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _metrics(d):
    return [json.loads(l) for l in (Path(d) / "metrics.jsonl").read_text().splitlines() if l.strip()]


def _run(args, **kw):
    return subprocess.run([sys.executable, TOY, *args], env=ENV, capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("ref")
    r = _run([str(d), "--dropout", "0.2"])
    assert r.returncode == 0, r.stderr
    return d


@pytest.mark.parametrize("kill_after_ckpt", [1, 4])
def test_resume_after_sigkill_matches_uninterrupted(tmp_path, reference_run, kill_after_ckpt):
    """Kill a real subprocess with SIGKILL mid-run, resume it, and compare every metric exactly."""
    d = tmp_path / "run"
    p = subprocess.Popen([sys.executable, TOY, str(d), "--dropout", "0.2", "--sleep", "0.05"], env=ENV,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ck = d / "checkpoints"
    deadline = time.time() + 120
    # wait for the k-th checkpoint (every 3 steps; only the last 3 are kept, so read the step numbers)
    while time.time() < deadline:
        steps = [int(p.name.split("_")[1]) for p in ck.glob("step_*")] if ck.exists() else []
        if steps and max(steps) >= 3 * kill_after_ckpt:
            break
        time.sleep(0.01)
    time.sleep(0.07)  # land somewhere between two checkpoints
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL
    killed_at = max(m["step"] for m in _metrics(d)) if (d / "metrics.jsonl").exists() else 0
    assert killed_at < 40, "the run finished before it was killed; the test proves nothing"
    # the run is deterministic, so starting over would also end with the reference metrics: the resumed
    # process must compute only the steps after the latest complete checkpoint
    last = int(latest_checkpoint(ck).name.split("_")[1])
    assert last >= 3 * kill_after_ckpt
    count = tmp_path / "steps_computed"
    r = _run([str(d), "--resume", "--dropout", "0.2", "--count", str(count)])
    assert r.returncode == 0, r.stderr
    assert len(Path(f"{count}.0").read_text().splitlines()) == 40 - last
    assert _metrics(d) == _metrics(reference_run)
    assert (d / "final_params.json").read_text() == (reference_run / "final_params.json").read_text()


def test_resume_without_checkpoint_starts_over(tmp_path, reference_run):
    d = tmp_path / "run"
    RunDir(d).log_metrics({"step": 2, "loss": 123.0})  # a run killed before its first checkpoint
    count = tmp_path / "steps_computed"
    r = _run([str(d), "--resume", "--dropout", "0.2", "--count", str(count)])
    assert r.returncode == 0, r.stderr
    assert len(Path(f"{count}.0").read_text().splitlines()) == 40
    assert _metrics(d) == _metrics(reference_run)


def _tiny(tmp_path, **kw):
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    x = torch.randn(32, 3)
    data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    cfg = TrainerConfig(**{"max_steps": 6, "batch_size": 8, "ckpt_every": 2, "progress": False, **kw})
    rd = RunDir(tmp_path / "r")
    tr = Trainer(model, data, lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]), cfg, run_dir=rd)
    return tr, rd


def test_truncated_checkpoint_is_refused(tmp_path):
    tr, rd = _tiny(tmp_path)
    tr.fit()
    ck = latest_checkpoint(rd.checkpoints)
    f = ck / "model.safetensors"
    f.write_bytes(f.read_bytes()[:-7])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(ck, nn.Linear(3, 1))


def test_corrupt_and_foreign_checkpoints_are_refused(tmp_path):
    tr, rd = _tiny(tmp_path)
    tr.fit()
    ck = latest_checkpoint(rd.checkpoints)
    data = bytearray((ck / "state.json").read_bytes())
    data[5] ^= 1
    (ck / "state.json").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(ck, nn.Linear(3, 1))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    torch.save({"w": torch.ones(2)}, foreign / "model.pt")
    with pytest.raises(CheckpointError, match="not a paperworks checkpoint"):
        load_checkpoint(foreign, nn.Linear(3, 1))
    (foreign / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(CheckpointError, match="foreign"):
        load_checkpoint(foreign, nn.Linear(3, 1))


def test_checkpoint_of_other_model_is_refused(tmp_path):
    tr, rd = _tiny(tmp_path)
    tr.fit()
    with pytest.raises(CheckpointError, match="does not fit this model"):
        load_checkpoint(latest_checkpoint(rd.checkpoints), nn.Linear(4, 1))


def test_checkpoint_roundtrip_is_exact_and_pickle_free(tmp_path):
    torch.manual_seed(1)
    m = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = torch.optim.Adam(m.parameters(), lr=0.1)
    m(torch.randn(3, 4)).sum().backward()
    opt.step()
    p = save_checkpoint(tmp_path, 1, m, opt)
    assert sorted(x.name for x in p.iterdir()) == ["manifest.json", "model.safetensors", "state.json",
                                                    "state.safetensors"]
    m2 = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    opt2 = torch.optim.Adam(m2.parameters(), lr=0.1)
    load_checkpoint(p, m2, opt2)
    for a, b in zip(m.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    s1, s2 = opt.state_dict(), opt2.state_dict()
    for k in s1["state"]:
        for n in s1["state"][k]:
            assert torch.equal(torch.as_tensor(s1["state"][k][n]), torch.as_tensor(s2["state"][k][n]))


def test_tied_weights_can_be_checkpointed(tmp_path):
    emb = nn.Embedding(5, 3)
    out = nn.Linear(3, 5, bias=False)
    out.weight = emb.weight
    m = nn.ModuleDict({"emb": emb, "out": out})
    p = save_checkpoint(tmp_path, 0, m)
    m2 = nn.ModuleDict({"emb": nn.Embedding(5, 3), "out": nn.Linear(3, 5, bias=False)})
    m2["out"].weight = m2["emb"].weight
    load_checkpoint(p, m2)
    assert torch.equal(m2["emb"].weight, emb.weight) and m2["out"].weight is m2["emb"].weight


def test_average_checkpoints_is_the_mean(tmp_path):
    # four checkpoints of random weights: the element-wise mean differs from the median, the mid-range and
    # the mean of the first and last checkpoints
    paths, ws, bs = [], [], []
    g = torch.Generator().manual_seed(0)
    for i in range(4):
        m = nn.Linear(3, 2)
        with torch.no_grad():
            m.weight.copy_(torch.randn(2, 3, generator=g) ** 3)
            m.bias.copy_(torch.randn(2, generator=g) ** 3)
        ws.append(m.weight.detach().double().clone())
        bs.append(m.bias.detach().double().clone())
        paths.append(save_checkpoint(tmp_path, i, m))
    avg = average_checkpoints(paths)
    want_w = (ws[0] + ws[1] + ws[2] + ws[3]) / 4
    want_b = (bs[0] + bs[1] + bs[2] + bs[3]) / 4
    assert avg["weight"].dtype == torch.float32
    torch.testing.assert_close(avg["weight"].double(), want_w, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(avg["bias"].double(), want_b, rtol=1e-6, atol=1e-7)
    assert float((torch.stack(ws).median(0).values - want_w).abs().max()) > 1e-3   # the oracle discriminates
    assert float(((ws[0] + ws[3]) / 2 - want_w).abs().max()) > 1e-3


def test_noam_schedule_closed_form():
    """Vaswani et al. (2017) Eq. (3), written out here: lrate = d^-0.5 min(s^-0.5, s w^-1.5), s = 1, 2, ...
    Both regimes (linear warm-up, inverse square root decay) and every update's lr are checked, and the lr
    multiplier scales it."""
    d, w = 512, 4000
    assert noam_factor(w, d, w) == pytest.approx(d ** -0.5 * w ** -0.5)
    for s in (1, 7, 1000, 3999):          # warm-up: linear in s with slope d^-0.5 w^-1.5
        assert noam_factor(s, d, w) == pytest.approx(s / (math.sqrt(d) * w * math.sqrt(w)), rel=1e-12)
    for s in (4001, 10000, 123456):       # decay: 1 / sqrt(d s)
        assert noam_factor(s, d, w) == pytest.approx(1.0 / math.sqrt(d * s), rel=1e-12)
    vals = [noam_factor(s, d, w) for s in range(1, 3 * w)]
    assert max(range(len(vals)), key=vals.__getitem__) + 1 == w
    T, d, w, mult = 10, 16, 4, 2.0
    cfg = TrainerConfig(max_steps=T, batch_size=2, lr=mult, schedule="noam", d_model=d, warmup_steps=w,
                        log_every=1, progress=False)
    m = nn.Linear(1, 1)
    data = torch.utils.data.TensorDataset(torch.randn(4, 1), torch.randn(4, 1))
    tr = Trainer(m, data, lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), cfg)
    seen = []
    tr.optimizer.register_step_pre_hook(lambda o, *_: seen.append(o.param_groups[0]["lr"]))
    recs = tr.fit()
    want = [mult / math.sqrt(d) * min(s ** -0.5, s * w ** -1.5) for s in range(1, T + 1)]
    assert seen == pytest.approx(want, rel=1e-12)                       # the lr each update used
    assert [r["lr"] for r in recs] == pytest.approx(want, rel=1e-12)    # and the one logged with it


def test_step_schedule_and_nesterov_sgd():
    """schedule='step': update i uses lr * gamma^(number of milestones <= i) (torch's MultiStepLR); nesterov
    reaches torch.optim.SGD; both are validated."""
    cfg = TrainerConfig(max_steps=9, batch_size=2, lr=0.5, optimizer="sgd", momentum=0.9, nesterov=True,
                        schedule="step", milestones=(3, 6), gamma=0.1, log_every=1, progress=False)
    m = nn.Linear(1, 1)
    data = torch.utils.data.TensorDataset(torch.randn(4, 1), torch.randn(4, 1))
    tr = Trainer(m, data, lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), cfg)
    assert tr.optimizer.param_groups[0]["nesterov"] and tr.optimizer.param_groups[0]["momentum"] == 0.9
    seen = []
    tr.optimizer.register_step_pre_hook(lambda o, *_: seen.append(o.param_groups[0]["lr"]))
    tr.fit()
    ref_opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.5)
    ref = torch.optim.lr_scheduler.MultiStepLR(ref_opt, milestones=[3, 6], gamma=0.1)
    want = []
    for _ in range(9):
        want.append(ref_opt.param_groups[0]["lr"])
        ref_opt.step()
        ref.step()
    assert seen == pytest.approx(want, rel=1e-12)
    with pytest.raises(ConfigError, match="nesterov"):
        TrainerConfig(optimizer="adam", nesterov=True)
    with pytest.raises(ConfigError, match="nesterov"):
        TrainerConfig(optimizer="sgd", nesterov=True)
    with pytest.raises(ConfigError, match="milestones"):
        TrainerConfig(schedule="step")
    with pytest.raises(ConfigError, match="gamma"):
        TrainerConfig(schedule="step", milestones=(2,), gamma=1.5)


def test_config_validation_reports_all_problems():
    with pytest.raises(ConfigError) as e:
        TrainerConfig(max_steps=0, optimizer="adamm", lr=-1.0)
    msg = str(e.value)
    assert "max_steps" in msg
    with pytest.raises(ConfigError, match="did you mean 'adam'"):
        TrainerConfig(optimizer="adamm")
    with pytest.raises(ConfigError, match="noam"):
        TrainerConfig(schedule="noam")


def test_nan_loss_is_reported(tmp_path):
    x = torch.randn(8, 2)
    x[3, 0] = float("nan")
    data = torch.utils.data.TensorDataset(x, torch.zeros(8, 1))
    tr = Trainer(nn.Linear(2, 1), data, lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]),
                 TrainerConfig(max_steps=4, batch_size=8, progress=False))
    with pytest.raises(FloatingPointError, match="step 1") as e:
        tr.fit()
    # a diverging run is bad settings/data: one line and exit 2 from the CLI, not an "internal error"
    from paperworks.core.errors import PaperworksError

    assert isinstance(e.value, PaperworksError)


def test_dataset_smaller_than_batch_is_an_error():
    data = torch.utils.data.TensorDataset(torch.randn(3, 2))
    with pytest.raises(DataError, match="fewer than one batch"):
        Trainer(nn.Linear(2, 1), data, lambda m, b: m(b[0]).sum(), TrainerConfig(batch_size=8))


def test_eval_does_not_change_training_trajectory(tmp_path):
    def run(eval_every):
        torch.manual_seed(0)
        m = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 1))
        data = torch.utils.data.TensorDataset(torch.randn(32, 3), torch.randn(32, 1))
        cfg = TrainerConfig(max_steps=8, batch_size=8, eval_every=eval_every, progress=False, log_every=1)
        calls = []

        def eval_fn(m):   # draws from the global RNG that dropout uses too
            calls.append(m.training)
            return {"r": float(torch.rand(()))}

        tr = Trainer(m, data, lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]), cfg, eval_fn=eval_fn)
        return [r["loss"] for r in tr.fit() if "loss" in r], calls

    (plain, none), (evaluated, calls) = run(0), run(1)
    assert len(plain) == 8 and plain == evaluated
    assert len(none) <= 1 and len(calls) >= 8   # (a final evaluation only) / evaluations between the steps
    assert not any(none + calls)                 # the model is evaluated in eval mode (dropout off)


def _torchrun(nproc, run_dir, port, *extra):
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [str(torchrun), f"--nproc_per_node={nproc}", "--master_addr=127.0.0.1", f"--master_port={port}",
           TOY, str(run_dir), "--batch", "16", "--steps", "12", *extra]
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("extra", [(), ("--prebatched",)], ids=["sampled", "prebatched"])
def test_ddp_two_processes_equal_one_process(tmp_path, extra):
    """torchrun with 2 gloo processes on the same global batch equals 1 process (float tolerance). Prebatched:
    batches of odd sizes split unequally over the ranks, ranks weighted by their '_weight' (example count)."""
    c1, c2 = tmp_path / "seen1", tmp_path / "seen2"
    r1 = _torchrun(1, tmp_path / "one", _free_port(), *extra, "--count", str(c1))
    assert r1.returncode == 0, r1.stderr[-2000:]
    r2 = _torchrun(2, tmp_path / "two", _free_port(), *extra, "--count", str(c2))
    assert r2.returncode == 0, r2.stderr[-2000:]
    # equal results alone would also come from two ranks that each train on the whole batch: each global
    # batch must be split into two disjoint shards that together are the single process's batch
    read = lambda f: [l.split() for l in Path(f).read_text().splitlines()]  # noqa: E731
    one, rank0, rank1 = read(f"{c1}.0"), read(f"{c2}.0"), read(f"{c2}.1")
    assert len(one) == len(rank0) == len(rank1) == 12
    for whole, a, b in zip(one, rank0, rank1):
        assert a and b and sorted(a + b) == sorted(whole) and not set(a) & set(b)
    m1, m2 = _metrics(tmp_path / "one"), _metrics(tmp_path / "two")
    assert [m["step"] for m in m1] == [m["step"] for m in m2]
    for a, b in zip(m1, m2):
        for k in a:
            assert math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-12), (k, a, b)
    p1 = json.loads((tmp_path / "one" / "final_params.json").read_text())
    p2 = json.loads((tmp_path / "two" / "final_params.json").read_text())
    for k in p1:
        assert torch.allclose(torch.tensor(p1[k]), torch.tensor(p2[k]), rtol=1e-9, atol=1e-12)




@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (run scripts/gpu-check.sh there)")
def test_cuda_resume_after_sigkill_matches_uninterrupted_cuda_run(tmp_path):
    """device=cuda with dropout (CUDA random numbers): a run killed with SIGKILL after its second checkpoint and
    resumed on the GPU ends with exactly the metrics and parameters of an uninterrupted GPU run, so the
    checkpoints carry the CUDA generator states; the model really trained on the GPU (the script checks)."""
    ref = tmp_path / "ref"
    r = _run([str(ref), "--dropout", "0.2", "--device", "cuda"])
    assert r.returncode == 0, r.stderr[-2000:]
    d = tmp_path / "run"
    p = subprocess.Popen([sys.executable, TOY, str(d), "--dropout", "0.2", "--sleep", "0.05", "--device", "cuda"],
                         env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ck, deadline = d / "checkpoints", time.time() + 120
    while time.time() < deadline:
        steps = [int(q.name.split("_")[1]) for q in ck.glob("step_*")] if ck.exists() else []
        if steps and max(steps) >= 6:
            break
        time.sleep(0.01)
    time.sleep(0.07)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL
    last = int(latest_checkpoint(ck).name.split("_")[1])
    assert 6 <= last < 40, "the run finished before it was killed; the test proves nothing"
    count = tmp_path / "steps_computed"
    r = _run([str(d), "--resume", "--dropout", "0.2", "--device", "cuda", "--count", str(count)])
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(Path(f"{count}.0").read_text().splitlines()) == 40 - last
    assert _metrics(d) == _metrics(ref)
    assert (d / "final_params.json").read_text() == (ref / "final_params.json").read_text()


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 CUDA GPUs (NCCL refuses two ranks on one GPU)")
def test_ddp_nccl_two_gpus_equals_one_gpu_process(tmp_path):
    """torchrun with 2 ranks on 2 GPUs, device=cuda and PAPERWORKS_DIST_BACKEND=nccl (the script checks the
    process group's backend and the parameters' device) equals one plain CUDA process on the same global batch,
    each rank computing half of every batch."""
    plain = _run([str(tmp_path / "one"), "--batch", "16", "--steps", "12", "--device", "cuda"])
    assert plain.returncode == 0, plain.stderr[-2000:]
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [str(torchrun), "--nproc_per_node=2", "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
           TOY, str(tmp_path / "nccl"), "--batch", "16", "--steps", "12", "--device", "cuda",
           "--count", str(tmp_path / "seen")]
    r = subprocess.run(cmd, env={**ENV, "PAPERWORKS_DIST_BACKEND": "nccl", "PAPERWORKS_EXPECT_BACKEND": "nccl"},
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    halves = [[l.split() for l in (tmp_path / f"seen.{k}").read_text().splitlines()] for k in (0, 1)]
    assert all(len(h) == 12 and all(len(b) == 8 for b in h) for h in halves)
    m1, m2 = _metrics(tmp_path / "one"), _metrics(tmp_path / "nccl")
    assert [m["step"] for m in m1] == [m["step"] for m in m2] and len(m1) > 3
    for a, b in zip(m1, m2):
        for k in a:
            assert math.isclose(a[k], b[k], rel_tol=1e-8, abs_tol=1e-12), (k, a, b)
    p1 = json.loads((tmp_path / "one" / "final_params.json").read_text())
    p2 = json.loads((tmp_path / "nccl" / "final_params.json").read_text())
    for k in p1:
        assert torch.allclose(torch.tensor(p1[k]), torch.tensor(p2[k]), rtol=1e-8, atol=1e-12)

def test_prebatched_needs_batch_size_one_and_draws_whole_batches(tmp_path):
    with pytest.raises(ConfigError, match="batch_size must be 1"):
        TrainerConfig(batch_size=4, prebatched=True)
    seen = []
    batches = [[torch.tensor([float(i), float(j)]) for j in range(n)] for i, n in enumerate([2, 3, 1, 4])]
    model = nn.Linear(2, 1)

    def loss_fn(m, batch):
        seen.append(batch[:, 0].unique().tolist() + [batch.size(0)])
        return m(batch).pow(2).mean(), {"_weight": batch.size(0)}

    tr = Trainer(model, batches, loss_fn, TrainerConfig(max_steps=8, batch_size=1, prebatched=True, log_every=4,
                                                        progress=False))
    recs = tr.fit()
    assert all("_weight" not in r for r in recs)
    # every step is one whole pre-built batch, each batch once per epoch, in a shuffled order
    assert sorted(tuple(x) for x in seen[:4]) == [(0.0, 2), (1.0, 3), (2.0, 1), (3.0, 4)]
    assert sorted(tuple(x) for x in seen[4:]) == sorted(tuple(x) for x in seen[:4])


def test_early_stopping_keeps_the_best_weights():
    from paperworks.core.trainer import EarlyStopping

    m = nn.Linear(1, 1, bias=False)
    es = EarlyStopping(patience=2)
    stops = []
    for i, v in enumerate([3.0, 1.0, 2.0, 0.5, 0.7, 0.9, 0.1]):
        with torch.no_grad():
            m.weight.fill_(float(i))
        stops.append(es.step(v, m))
    # 0.5 at i=3 is the best before two non-improvements stop at i=5
    assert stops[:6] == [False, False, False, False, False, True]
    es2 = EarlyStopping(patience=2)
    for i, v in enumerate([3.0, 1.0, 2.0, 0.5, 0.7, 0.9]):
        with torch.no_grad():
            m.weight.fill_(float(i))
        if es2.step(v, m):
            break
    es2.restore(m)
    assert es2.best == 0.5 and float(m.weight) == 3.0
    mx = EarlyStopping(patience=1, mode="max")
    assert not mx.step(0.2, m) and mx.step(0.1, m)
    with pytest.raises(ConfigError):
        EarlyStopping(patience=0)


# ------------------------------------------------------------------------------------------ devices
def test_trainer_keeps_the_model_where_it_is_when_a_gpu_is_visible(monkeypatch):
    """On a GPU machine the Trainer used to move every model to CUDA on its own, so callers that evaluate
    with CPU tensors after fit() crashed (found by running the suite on an H100). With no device given it
    must train the model where it is."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    torch.manual_seed(0)
    x = torch.randn(32, 3)
    model = nn.Linear(3, 1)
    tr = Trainer(model, torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)),
                 lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), TrainerConfig(max_steps=3, batch_size=8, progress=False))
    assert tr.device == torch.device("cpu")
    tr.fit()
    assert next(model.parameters()).device == torch.device("cpu")
    assert float(model(x[:2]).sum()) == float(model(x[:2]).sum())   # usable with CPU tensors after fit()


def test_resolve_device(monkeypatch):
    from paperworks.core.trainer import resolve_device

    assert resolve_device(None) == torch.device("cpu") and resolve_device("CPU") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(ConfigError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(ConfigError, match="unknown device 'tpu'"):
        resolve_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    assert resolve_device("auto") == torch.device("cuda", 0)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(ConfigError, match="only 2 CUDA device"):
        resolve_device("cuda:2")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert resolve_device("cuda") == torch.device("cuda", 1)   # torchrun: this process's GPU


def test_checkpoint_of_a_cpu_run_does_not_touch_a_visible_gpu(tmp_path, monkeypatch):
    """A CPU-only run on a GPU machine must not initialise CUDA when it checkpoints (reading the CUDA RNG states
    creates a context on every visible GPU); the CUDA states are saved only once this process has used CUDA."""
    from safetensors.torch import load_file

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)

    def no_cuda():
        raise AssertionError("CUDA was touched")

    monkeypatch.setattr(torch.cuda, "get_rng_state_all", no_cuda)
    path = save_checkpoint(tmp_path, 1, nn.Linear(2, 1))
    assert not any(k.startswith("rng.cuda.") for k in load_file(path / "state.safetensors"))
    load_checkpoint(path, nn.Linear(2, 1), restore_rng=True)   # and resuming it does not need CUDA either


def test_cuda_rng_states_restore_by_device_index_and_skip_missing_gpus(monkeypatch):
    """Saved CUDA generator states go back to the device of their index (not a string sort, where cuda.10
    precedes cuda.2), and a checkpoint from a machine with more GPUs restores the devices this one has."""
    from paperworks.core import trainer as tr

    tensors, meta = tr._rng_state()
    marks = {i: torch.full((4,), i, dtype=torch.uint8) for i in (0, 1, 2, 10)}
    tensors.update({f"rng.cuda.{i}": t for i, t in marks.items()})
    calls = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 3)
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda s, i: calls.append((i, int(s[0]))))
    tr._set_rng_state(tensors, meta)
    assert calls == [(0, 0), (1, 1), (2, 2)]


def test_resuming_a_run_does_not_double_what_the_system_logged_after_fit(tmp_path):
    """A system logs its final scores after fit(); `--resume` of that run (finished, or killed after fit's last
    checkpoint) replays run(), which logs them again. metrics.jsonl must end as in one uninterrupted run: the
    resume cuts it back to what it held when the checkpoint was written (it used to keep every record
    without a step, so the final record appeared twice)."""
    tr, rd = _tiny(tmp_path)
    tr.fit()
    rd.log_metrics({"final": True, "score": 1.5})
    once = _metrics(rd.path)
    tr2, _ = _tiny(tmp_path)
    tr2.fit(resume=True)
    rd.log_metrics({"final": True, "score": 1.5})
    assert _metrics(rd.path) == once
    # killed between checkpoints: the records after the last checkpoint are replayed, not kept twice
    ck = sorted((rd.checkpoints).glob("step_*"))
    for p in ck[1:]:
        import shutil

        shutil.rmtree(p)   # as if the run had died after its first checkpoint (step 2)
    tr3, _ = _tiny(tmp_path)
    tr3.fit(resume=True)
    rd.log_metrics({"final": True, "score": 1.5})
    assert _metrics(rd.path) == once


def _one_step_update(grad_clip):
    torch.manual_seed(0)
    model = nn.Linear(3, 1, bias=False).double()
    w0 = model.weight.detach().clone()
    x = torch.randn(8, 3, dtype=torch.float64)
    data = torch.utils.data.TensorDataset(x, 100.0 * torch.ones(8, 1, dtype=torch.float64))
    loss_fn = lambda m, b: nn.functional.mse_loss(m(b[0]), b[1])  # noqa: E731
    grad = torch.autograd.grad(loss_fn(model, data.tensors), model.weight)[0]
    cfg = TrainerConfig(max_steps=1, batch_size=8, lr=1.0, optimizer="sgd", grad_clip=grad_clip, progress=False)
    Trainer(model, data, loss_fn, cfg).fit()
    return model.weight.detach() - w0, grad


def test_grad_clip_rescales_the_global_norm():
    """SGD with lr 1: the update is minus the gradient, rescaled to norm grad_clip when its norm is larger."""
    free, grad = _one_step_update(None)
    torch.testing.assert_close(free, -grad)
    assert float(grad.norm()) > 10
    clipped, _ = _one_step_update(0.5)
    torch.testing.assert_close(clipped, -grad * (0.5 / grad.norm()), rtol=1e-6, atol=1e-9)
    loose, _ = _one_step_update(1e6)  # a bound above the norm changes nothing
    torch.testing.assert_close(loose, -grad)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_warmup_then_decay_schedules_closed_form(schedule):
    """Update i (0-based, as torch's schedulers and Hugging Face's get_linear / get_cosine_schedule_with_warmup)
    uses lr * i / w during the warm-up, then lr * (1 - f) (linear) or lr * (1 + cos(pi f)) / 2 (cosine) with
    f = (i - w) / (T - w). (Until s27 this test pinned s = i + 1, which never used the peak without warm-up and
    gave the last update lr 0.)"""
    T, w, lr = 12, 4, 0.3
    cfg = TrainerConfig(max_steps=T, batch_size=2, lr=lr, schedule=schedule, warmup_steps=w, log_every=1,
                        progress=False)
    data = torch.utils.data.TensorDataset(torch.randn(4, 1), torch.randn(4, 1))
    recs = Trainer(nn.Linear(1, 1), data, lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), cfg).fit()
    want = []
    for i in range(T):
        f = (i - w) / (T - w)
        want.append(lr * i / w if i < w else lr * ((1 - f) if schedule == "linear" else 0.5 * (1 + math.cos(math.pi * f))))
    assert [r["lr"] for r in recs] == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_progress_bar_only_on_a_terminal(capsys, monkeypatch):
    """progress=True shows a bar on a terminal and writes nothing when stderr is not a TTY (CI logs, pipes)."""
    import io

    def fit():
        data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randn(8, 1))
        cfg = TrainerConfig(max_steps=5, batch_size=4, progress=True)
        Trainer(nn.Linear(2, 1), data, lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), cfg).fit()

    fit()
    assert capsys.readouterr().err == ""

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    fit()
    assert "train" in term.getvalue() and "5/5" in term.getvalue()
