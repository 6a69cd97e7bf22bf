"""GTNModel / HDGIEncoder with features (or a stack) of another dtype than the model (session 26, API helper)."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.data.hetero import make_academic_hetero
from paperworks.graphs.hetero_gtn import GTNModel
from paperworks.graphs.hetero_infomax import HDGIModel, normalized_metapath_adjacencies
from paperworks.systems.gtn import prepare_hetero


@pytest.fixture(scope="module")
def prepared():
    return prepare_hetero(make_academic_hetero(seed=0))


def _gtn(p):
    torch.manual_seed(0)
    return GTNModel(p["stack"].num_relations, p["x"].size(1), 8, p["num_classes"])


@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("case", ["x64", "stack64", "both64", "x16", "model64_stack32"])
def test_gtn_dtype_mismatch_is_one_data_error(prepared, case, dense):
    m, x, stack = _gtn(prepared), prepared["x"], prepared["stack"]
    if case == "x64":
        x = x.double()
    elif case == "stack64":
        stack = stack.to(torch.float64)
    elif case == "both64":
        x, stack = x.double(), stack.to(torch.float64)
    elif case == "x16":
        x = x.half()
    else:
        m, x = m.double(), x.double()
    with pytest.raises(DataError, match="GTNModel: the model is torch.float"):
        m(x, stack, prepared["target_index"], dense=dense)


def test_gtn_float64_model_on_float64_inputs_matches_float32(prepared):
    m = _gtn(prepared)
    out = m(prepared["x"], prepared["stack"], prepared["target_index"])
    m64 = _gtn(prepared).double()
    m64.load_state_dict(m.state_dict())
    out64 = m64(prepared["x"].double(), prepared["stack"].to(torch.float64), prepared["target_index"])
    assert out64.dtype == torch.float64
    torch.testing.assert_close(out64.float(), out, atol=1e-5, rtol=1e-4)


def _hdgi_inputs():
    torch.manual_seed(0)
    n = 6
    adjs = normalized_metapath_adjacencies([torch.tensor([[0, 1, 2], [1, 2, 0]])], n)
    return torch.randn(n, 4), adjs, torch.randperm(n)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.int64])
def test_hdgi_feature_dtype_mismatch_is_one_data_error(dtype):
    x, adjs, perm = _hdgi_inputs()
    m = HDGIModel(4, 8, 1)
    with pytest.raises(DataError, match="HDGIEncoder: the model is torch.float32 but x is"):
        m(x.to(dtype), adjs, perm)
    with pytest.raises(DataError, match="HDGIEncoder: the model is torch.float32"):
        m.embed(x.to(dtype), adjs)


def test_hdgi_float64_model_takes_float64_features_with_float32_adjacencies():
    x, adjs, perm = _hdgi_inputs()
    m = HDGIModel(4, 8, 1)
    pos = m(x, adjs, perm)[0]
    m64 = HDGIModel(4, 8, 1).double()
    m64.load_state_dict(m.state_dict())
    pos64 = m64(x.double(), adjs, perm)[0]
    assert pos64.dtype == torch.float64
    torch.testing.assert_close(pos64.float(), pos, atol=1e-5, rtol=1e-4)
