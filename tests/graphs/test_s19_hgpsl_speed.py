"""Speed-ups of the HGP-SL reproduction path that must not move a number: the flat HierGCN computes GCNConv's
normalisation (gcn_norm) once per forward instead of once per conv (all its convs run on the input graph), and
train_eval's Adam runs its per-parameter ops through foreach (one C++ loop instead of a Python loop). The tests
pin both the saving and the bit-identity with the plain computation."""

import torch
import torch.nn.functional as F
from torch_geometric.data import Batch, Data
from torch_geometric.nn import global_max_pool, global_mean_pool

import paperworks.graphs.harness as harness
import paperworks.graphs.sparse_models as sparse_models
from paperworks.graphs import HierGCN, Split, train_eval


def _graphs(n=12, f=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        k = 4 + i % 5
        ei = torch.randint(0, k, (2, 3 * k), generator=g)
        ei = ei[:, ei[0] != ei[1]] if i % 3 else ei          # some graphs keep self-loops
        out.append(Data(x=torch.randn(k, f, generator=g), edge_index=ei, y=torch.tensor([i % 2])))
    return out


def _flat_reference(m, data):
    """HierGCN(pool='none').forward written with GCNConv's own forward (gcn_norm in every conv)."""
    x, ei, batch = data.x, data.edge_index, data.batch
    n = int(batch.max()) + 1
    g = 0
    for conv in m.convs:
        x = F.relu(conv(x, ei))
        g = g + F.relu(torch.cat([global_max_pool(x, batch, n), global_mean_pool(x, batch, n)], -1))
    return m.mlp(g)


def test_flat_model_normalises_once_and_matches_gcnconv_bitwise(monkeypatch):
    calls = []
    real = sparse_models.gcn_norm

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(sparse_models, "gcn_norm", counting)
    torch.manual_seed(0)
    m = HierGCN(5, 2, hidden=8, pool="none").eval()
    b = Batch.from_data_list(_graphs())
    out, _ = m(b)
    assert len(calls) == 1            # the old code normalised the same graph in each of the 3 convs
    assert torch.equal(out, _flat_reference(m, b))
    # gradients too (training path)
    m.train()
    torch.manual_seed(1)
    m(b)[0].sum().backward()
    g1 = [p.grad.clone() for p in m.parameters()]
    m.zero_grad()
    torch.manual_seed(1)
    _flat_reference(m, b).sum().backward()
    assert all(torch.equal(a, p.grad) for a, p in zip(g1, m.parameters()))


def test_train_eval_uses_foreach_adam_with_bitwise_same_steps(monkeypatch):
    made = []
    real = torch.optim.Adam

    def recording(params, **kw):
        made.append(kw)
        return real(params, **kw)

    monkeypatch.setattr(harness.torch.optim, "Adam", recording)
    data = _graphs(20)
    split = Split(train=torch.arange(12).numpy(), val=torch.arange(12, 16).numpy(), test=torch.arange(16, 20).numpy())
    r = train_eval(lambda: HierGCN(5, 2, hidden=8, pool="hgpsl"), data, split, epochs=3, batch_size=4,
                   weight_decay=1e-3, keep_model=True)
    assert made and made[0].get("foreach") is True
    assert len(r.history) == 3
    # foreach and the per-parameter loop give the same parameters, step after step
    torch.manual_seed(0)
    a = HierGCN(5, 2, hidden=8, pool="hgpsl")
    b = HierGCN(5, 2, hidden=8, pool="hgpsl")
    b.load_state_dict(a.state_dict())
    oa = real(a.parameters(), lr=1e-2, weight_decay=1e-3, foreach=False)
    ob = real(b.parameters(), lr=1e-2, weight_decay=1e-3, foreach=True)
    g = torch.Generator().manual_seed(2)
    for _ in range(20):
        for pa, pb in zip(a.parameters(), b.parameters()):
            pa.grad = torch.randn(pa.shape, generator=g)
            pb.grad = pa.grad.clone()
        oa.step()
        ob.step()
    assert all(torch.equal(pa, pb) for pa, pb in zip(a.parameters(), b.parameters()))
