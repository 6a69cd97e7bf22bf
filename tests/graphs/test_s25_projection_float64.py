"""homogeneous_projection turned float64 features into float32 without a word (2**24 + 1 came back as 2**24),
while float64 edge weights stayed exact. The projection is float64 now when any node type's features are; the
float32 result is unchanged, and GTN's prepare (whose model is float32) casts as before, so its input is the same
whether the graph's features are float32 or float64."""
import torch

from paperworks.data.hetero import make_academic_hetero
from paperworks.graphs.hetero import homogeneous_projection
from paperworks.systems.gtn import prepare_hetero


def _graph(double: bool):
    d = make_academic_hetero(n_papers=30, n_authors=10, n_subjects=3, n_terms=5)
    if double:
        for nt in d.node_types:
            if getattr(d[nt], "x", None) is not None:
                d[nt].x = d[nt].x.double()
    return d


def test_float64_features_stay_exact():
    d = _graph(True)
    d["paper"].x[0, 0] = 2.0 ** 24 + 1
    x, _, _, offsets = homogeneous_projection(d)
    assert x.dtype == torch.float64
    s, e = offsets["paper"]
    assert torch.equal(x[s:e, :d["paper"].x.size(1)], d["paper"].x)


def test_float32_features_unchanged():
    d = _graph(False)
    x, _, _, offsets = homogeneous_projection(d)
    assert x.dtype == torch.float32
    s, e = offsets["paper"]
    assert torch.equal(x[s:e, :d["paper"].x.size(1)], d["paper"].x)


def test_gtn_prepare_input_same_for_float32_and_float64_features():
    a, b = prepare_hetero(_graph(False)), prepare_hetero(_graph(True))
    assert a["x"].dtype == b["x"].dtype == torch.float32
    assert torch.equal(a["x"], b["x"])
