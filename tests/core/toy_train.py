"""A tiny deterministic training script used by the trainer tests (resume after SIGKILL, DDP).

Usage: python toy_train.py RUN_DIR [--resume] [--steps N] [--batch B] [--sleep S] [--ckpt-every K] [--dropout P]
                            [--count FILE] [--device D]
Prints nothing; writes RUN_DIR/metrics.jsonl, checkpoints, and RUN_DIR/final_params.json (rank 0); with --count,
one line per training step this process computed is appended to FILE.RANK: the batch's first-feature values
(a resumed run must not redo steps; DDP ranks must split each global batch).
"""

import argparse
import dataclasses
import json
import os
import time

import torch
from torch import nn

from paperworks.core.rundir import RunDir
from paperworks.core.trainer import Trainer, TrainerConfig, dist_info, seed_everything


def make_data(n=96, d=6, seed=123):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    w = torch.randn(d, 1, generator=g, dtype=torch.float64)
    y = torch.tanh(x @ w) + 0.1 * torch.randn(n, 1, generator=g, dtype=torch.float64)
    return torch.utils.data.TensorDataset(x, y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--sleep", type=float, default=0.0)
    ap.add_argument("--ckpt-every", type=int, default=3)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--count", default=None, help="append one line per training step computed to this file")
    ap.add_argument("--device", default=None, help="train on this device (cpu / cuda / cuda:N; default: where built)")
    ap.add_argument("--prebatched", action="store_true",
                    help="pre-built batches of unequal sizes (odd sizes: ranks get unequal shares)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    rank, world, _ = dist_info()
    seed_everything(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Dropout(a.dropout), nn.Linear(16, 1)).double()
    data = make_data()

    def loss_fn(m, batch):
        if a.count:
            with open(f"{a.count}.{rank}", "a") as f:
                f.write(" ".join(repr(v) for v in batch[0][:, 0].tolist()) + "\n")
        if a.sleep:
            time.sleep(a.sleep)
        x, y = batch
        if a.prebatched:  # a mean over a variable number of examples: report how many
            return nn.functional.mse_loss(m(x), y), {"_weight": x.size(0)}
        return nn.functional.mse_loss(m(x), y)

    def eval_fn(m):
        x, y = (t.to(tr.device) for t in data.tensors)
        return {"mse": nn.functional.mse_loss(m(x), y).item()}

    cfg = TrainerConfig(max_steps=a.steps, batch_size=a.batch, lr=0.05, optimizer="adam", schedule="cosine",
                        warmup_steps=5, eval_every=7, ckpt_every=a.ckpt_every, log_every=2, keep_checkpoints=3,
                        progress=False)
    train = data
    if a.prebatched:
        sizes, batches, i = [5, 9, 3, 12, 7, 11], [], 0
        while i < len(data):
            k = sizes[len(batches) % len(sizes)]
            batches.append([data[j] for j in range(i, min(i + k, len(data)))])
            i += k
        train = batches
        cfg = dataclasses.replace(cfg, batch_size=1, prebatched=True)
    rd = RunDir(a.run_dir)  # every rank reads checkpoints on resume; only rank 0 writes
    tr = Trainer(model, train, loss_fn, cfg, run_dir=rd, eval_fn=eval_fn, device=a.device)
    tr.fit(resume=a.resume)
    expect = os.environ.get("PAPERWORKS_EXPECT_BACKEND")  # set by a test: the process group must use it
    if expect and torch.distributed.get_backend() != expect:
        raise SystemExit(f"process group backend {torch.distributed.get_backend()!r}, expected {expect!r}")
    if a.device and next(tr._unwrapped().parameters()).device.type != torch.device(a.device).type:
        raise SystemExit(f"trained on {next(tr._unwrapped().parameters()).device}, asked for {a.device}")
    if rank == 0:
        params = {k: v.tolist() for k, v in tr._unwrapped().state_dict().items()}
        (rd.path / "final_params.json").write_text(json.dumps(params))


if __name__ == "__main__":
    main()
