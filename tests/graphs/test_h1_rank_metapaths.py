"""rank_metapaths lists only meta-paths that carry weight: with one-hot selections P-A-P has weight 0 in every
channel (it is in no learned graph) and was listed second with score 0.0; it must not appear at all."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.hetero import adjacency_stack
from paperworks.graphs.hetero_gtn import rank_metapaths

pytest.importorskip("torch_geometric")
from torch_geometric.data import HeteroData  # noqa: E402


def _stack():
    """Papers, authors, subjects with relations pa, ap, ps, sp (and the identity I)."""
    d = HeteroData()
    for t, n in (("paper", 4), ("author", 3), ("subject", 2)):
        d[t].x = torch.zeros(n, 2)
    pa = torch.tensor([[0, 1, 2, 3], [0, 1, 2, 0]])
    ps = torch.tensor([[0, 1, 2, 3], [0, 0, 1, 1]])
    d["paper", "pa", "author"].edge_index = pa
    d["author", "ap", "paper"].edge_index = pa.flip(0).contiguous()
    d["paper", "ps", "subject"].edge_index = ps
    d["subject", "sp", "paper"].edge_index = ps.flip(0).contiguous()
    st = adjacency_stack(d)
    assert st.names == ["pa", "ap", "ps", "sp", "I"]
    return st


def test_zero_weight_metapaths_are_not_listed():
    st = _stack()
    a1 = torch.tensor([[0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0]])   # ps in both channels
    a2 = torch.tensor([[0.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0]])   # sp in both channels
    top = rank_metapaths([a1, a2], st, source="paper", target="paper", top_k=5)
    assert [(t["name"], t["score"]) for t in top] == [("P-S-P", 1.0)]
    # nothing from author to author carries weight: an empty ranking, not a list of zeros
    assert rank_metapaths([a1, a2], st, source="author", target="author") == []


def test_positive_weights_are_all_kept_and_ranked():
    """Soft weights with one exact zero (ap in channel 0 of the second step): P-A-P keeps the weight it has in
    channel 1 (0.5 * 0.5), every other path with positive weight stays, ranked by score."""
    st = _stack()
    a1 = torch.tensor([[0.1, 0.2, 0.3, 0.1, 0.3], [0.5, 0.1, 0.1, 0.1, 0.2]])
    a2 = torch.tensor([[0.2, 0.0, 0.1, 0.5, 0.2], [0.1, 0.5, 0.1, 0.1, 0.2]])
    top = rank_metapaths([a1, a2], st, top_k=100)
    assert all(t["score"] > 0 for t in top)
    assert [t["score"] for t in top] == sorted((t["score"] for t in top), reverse=True)
    pap = [t for t in top if t["name"] == "P-A-P"]
    assert len(pap) == 1 and pap[0]["channel"] == 1 and pap[0]["score"] == pytest.approx(0.25)
    assert {t["name"] for t in top} >= {"P-S-P", "P-A-P", "P-S", "P-A", "S-P", "A-P"}


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.1])
def test_nonfinite_or_negative_weights_are_refused(bad):
    st = _stack()
    a = torch.full((2, 5), 0.2)
    b = a.clone()
    b[1, 3] = bad
    with pytest.raises(DataError, match="finite and >= 0"):
        rank_metapaths([a, b], st)
