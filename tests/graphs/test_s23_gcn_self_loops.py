"""``gcn_normalized`` (HDGI's D^{-1/2}(A + I)D^{-1/2}) adds the identity as written: a node with a self-loop of
weight w gets w + 1 on the diagonal, as the HDGI equation and the official HDGI / DGI / GCN code
(``normalize_adj(adj + sp.eye(n))``) do; PyG's ``gcn_norm`` keeps w (``add_remaining_self_loops``). Pinned here so
that the convention does not change silently. HDGI's meta-path graphs have no self-loops (``metapath_graph`` drops
them), where both conventions agree with PyG exactly."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from paperworks.graphs.hetero import gcn_normalized, metapath_graph

pytest.importorskip("torch_geometric")
from torch_geometric.nn.conv.gcn_conv import gcn_norm  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

EI = torch.tensor([[0, 1, 1, 2, 0], [1, 0, 2, 1, 0]])        # path 0-1-2 plus a self-loop on node 0


def _scipy_literal(ei, n, w=None):
    w = np.ones(ei.size(1)) if w is None else w.double().numpy()
    a = sp.coo_matrix((w, (ei[0].numpy(), ei[1].numpy())), shape=(n, n)).tocsr() + sp.eye(n)
    d = sp.diags(np.asarray(a.sum(1)).ravel() ** -0.5)
    return torch.tensor((d @ a @ d).toarray())


def _pyg(ei, n, w=None):
    i, v = gcn_norm(ei, w, n, add_self_loops=True)
    return torch.zeros(n, n, dtype=v.dtype).index_put_((i[0], i[1]), v, accumulate=True)


@pytest.mark.parametrize("weighted", [False, True])
def test_existing_self_loop_gets_the_identity_added(weighted):
    w = torch.tensor([1.0, 1.0, 2.0, 2.0, 0.5], dtype=torch.float64) if weighted else None
    got = gcn_normalized(EI, 3, w).to_dense().double()
    torch.testing.assert_close(got, _scipy_literal(EI, 3, w), rtol=1e-6, atol=1e-7)
    assert float((got - _pyg(EI, 3, w).double()).abs().max()) > 0.1     # not PyG's convention (documented)


def test_loop_free_graph_equals_pyg():
    ei = EI[:, :4]
    torch.testing.assert_close(gcn_normalized(ei, 3).to_dense(), _pyg(ei, 3), rtol=0, atol=1e-7)


def test_hdgi_metapath_graphs_have_no_self_loops():
    from paperworks.data.hetero import NOISE_METAPATHS, PLANTED_METAPATH, make_academic_hetero

    d = make_academic_hetero(n_papers=60, n_authors=20, n_subjects=6, n_terms=10, seed=0)
    for mp in [PLANTED_METAPATH, *NOISE_METAPATHS.values()]:
        ei, _ = metapath_graph(d, mp)
        assert ei.numel() and not bool((ei[0] == ei[1]).any())
