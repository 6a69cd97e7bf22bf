"""The graph harness's training loop over PyG DataLoaders (train_eval before GraphCollater), as a reference for
the tests that check train_eval still gives the same history."""

import torch
import torch.nn.functional as F
from torch_geometric.loader import DataLoader as PyGLoader

from paperworks.core.trainer import seed_everything
from paperworks.graphs.harness import evaluate


def pyg_loader_history(make_model, graphs, n_train: int, n_val: int, epochs: int, batch_size: int, seed: int):
    """[(train_loss, val_acc, val_loss)] per epoch: Adam (lr 1e-3) on graphs[:n_train] shuffled by a generator
    seeded ``seed``, validation on the next n_val graphs, after seeding as train_eval does."""
    seed_everything(seed, deterministic=False)
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    train = PyGLoader(graphs[:n_train], batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))
    val = PyGLoader(graphs[n_train:n_train + n_val], batch_size=256)
    hist = []
    for _ in range(epochs):
        model.train()
        tot, nb = 0.0, 0
        for b in train:
            opt.zero_grad()
            logits, aux = model(b)
            loss = F.cross_entropy(logits, b.y.view(-1))
            (loss + aux).backward()
            opt.step()
            tot += float(loss.detach())
            nb += 1
        va, vl = evaluate(model, val)
        hist.append((tot / nb, va, vl))
    return hist
