"""GTNModel (dense) and HDGIEncoder under torch.autocast: torch casts the operands itself, so bfloat16 features on a
float32 model ran before 42ccd7c; its dtype check refused them ('the model is torch.float32 but x is
torch.bfloat16'). Outside autocast the mismatch is still one DataError (test_s26_gtn_hdgi_dtype_mismatch.py)."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.data.hetero import make_academic_hetero
from paperworks.graphs.hetero_gtn import GTNModel
from paperworks.graphs.hetero_infomax import HDGIModel, normalized_metapath_adjacencies
from paperworks.systems.gtn import prepare_hetero


def test_gtn_dense_bfloat16_features_under_autocast():
    p = prepare_hetero(make_academic_hetero(seed=0))
    torch.manual_seed(0)
    m = GTNModel(p["stack"].num_relations, p["x"].size(1), 8, p["num_classes"])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = m(p["x"].bfloat16(), p["stack"], p["target_index"], dense=True)
    assert out.dtype == torch.bfloat16 and bool(torch.isfinite(out).all())
    with pytest.raises(DataError, match="GTNModel: the model is torch.float32"):
        m(p["x"].bfloat16(), p["stack"], p["target_index"], dense=True)


def test_hdgi_encoder_bfloat16_features_under_autocast():
    torch.manual_seed(0)
    n = 8
    adjs = normalized_metapath_adjacencies([torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])], n)
    m = HDGIModel(4, 4, 1, 4)
    x = torch.randn(n, 4).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = m.encoder(x, adjs)
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype == torch.bfloat16 and bool(torch.isfinite(out).all())
    with pytest.raises(DataError, match="HDGIEncoder: the model is torch.float32"):
        m.encoder(x, adjs)
