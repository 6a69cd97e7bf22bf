"""DiffPool's entropy term is the paper's per-graph L_E = (1/n) sum_i H(S_i) (Sec. 3.3, n = that graph's nodes),
averaged over the batch's graphs as the link term is; it was the mean over all real nodes of the padded batch,
which weighted each graph by its size (s27)."""

import math

import torch

from paperworks.graphs import DiffPoolNet, assignment_entropy, link_loss_frobenius


def _two_graphs():
    s = torch.zeros(2, 8, 4, dtype=torch.float64)
    mask = torch.zeros(2, 8, dtype=torch.bool)
    s[0, :2] = 0.25
    mask[0, :2] = True          # 2 nodes, uniform rows: L_E = log 4
    s[1, :, 0] = 1.0
    mask[1] = True              # 8 nodes, one-hot rows: L_E = 0
    return s, mask


def test_batch_entropy_is_mean_of_per_graph_terms():
    s, mask = _two_graphs()
    assert abs(float(assignment_entropy(s, mask)) - math.log(4) / 2) < 1e-12


def test_batch_entropy_equals_each_graph_alone():
    torch.manual_seed(0)
    sizes = [3, 7, 5]
    n = max(sizes)
    s = torch.rand(3, n, 4, dtype=torch.float64).softmax(-1)
    mask = torch.zeros(3, n, dtype=torch.bool)
    for i, k in enumerate(sizes):
        mask[i, :k] = True
    s = s * mask.unsqueeze(-1)
    alone = [float(assignment_entropy(s[i, :k])) for i, k in enumerate(sizes)]
    assert abs(float(assignment_entropy(s, mask)) - sum(alone) / 3) < 1e-12


def test_entropy_batched_like_the_link_term():
    s, mask = _two_graphs()
    adj = torch.zeros(2, 8, 8, dtype=torch.float64)
    link_alone = [float(link_loss_frobenius(adj[i:i + 1, mask[i]][:, :, mask[i]], s[i:i + 1, mask[i]]))
                  for i in range(2)]
    ent_alone = [float(assignment_entropy(s[i, mask[i]])) for i in range(2)]
    assert abs(float(link_loss_frobenius(adj, s, mask)) - sum(link_alone) / 2) < 1e-12
    assert abs(float(assignment_entropy(s, mask)) - sum(ent_alone) / 2) < 1e-12


def test_unmasked_and_single_graph_unchanged():
    torch.manual_seed(1)
    s = torch.rand(2, 5, 3, dtype=torch.float64).softmax(-1)
    h = -(s * (s + 1e-15).log()).sum(-1)
    assert abs(float(assignment_entropy(s)) - float(h.mean())) < 1e-12
    m = torch.tensor([True, True, True, False, False])
    assert abs(float(assignment_entropy(s[0], m)) - float(h[0, :3].mean())) < 1e-12


def test_graph_without_real_nodes_is_left_out():
    s, mask = _two_graphs()
    s3 = torch.cat([s, torch.zeros(1, 8, 4, dtype=torch.float64)])
    m3 = torch.cat([mask, torch.zeros(1, 8, dtype=torch.bool)])
    assert abs(float(assignment_entropy(s3, m3)) - math.log(4) / 2) < 1e-12
    assert float(assignment_entropy(s3[2:], m3[2:])) == 0.0


def test_diffpoolnet_aux_loss_per_graph():
    """The paper variant's aux loss of a padded two-graph batch is the mean of each graph's own aux loss."""
    torch.manual_seed(0)
    net = DiffPoolNet(3, 2, max_nodes=6, hidden=8, levels=1, ratio=0.5).double().eval()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    a = (torch.rand(2, 6, 6) < 0.5).double()
    adj = ((a + a.transpose(1, 2)) > 0).double()
    mask = torch.tensor([[True] * 2 + [False] * 4, [True] * 6])
    x, adj = x * mask.unsqueeze(-1), adj * (mask.unsqueeze(1) & mask.unsqueeze(2))
    with torch.no_grad():
        _, aux = net.forward_dense(x, adj, mask)
    alone = []
    for i in range(2):
        with torch.no_grad():
            _, a_i = net.forward_dense(x[i:i + 1], adj[i:i + 1], mask[i:i + 1])
        alone.append(float(a_i.detach()))
    assert abs(float(aux) - sum(alone) / 2) < 1e-9
