"""HDGIModel's corruption permutation ``perm`` took any integer dtype: a uint8 perm was read by ``x[perm]`` as a
row mask (n - 1 rows of a permutation of 0..n-1), which then failed as an adjacency-shape error of the encoder,
naming neither perm nor its dtype; an int16 / int8 perm was torch's bare "tensors used as indices must be long,
int, byte or bool tensors"; a list an AttributeError. Now one DataError naming perm (int64 / int32, the index
dtypes of the graph checks); int64 / int32 give the same logits as before."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.hetero_infomax import HDGIModel, normalized_metapath_adjacencies

N = 5
X = torch.randn(N, 4, generator=torch.Generator().manual_seed(0))
ADJS = normalized_metapath_adjacencies([torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])], N)
PERM = torch.tensor([4, 3, 2, 1, 0])


def _model():
    torch.manual_seed(0)
    return HDGIModel(4, 8, 1)


@pytest.mark.parametrize("bad", [PERM.to(torch.uint8), PERM.to(torch.int16), PERM.to(torch.int8), PERM.tolist()])
def test_perm_of_another_dtype_is_one_data_error(bad):
    with pytest.raises(DataError, match=r"HDGIModel: perm must be 5 row indices in \[0, 5\) of dtype int64 or int32"):
        _model()(X, ADJS, bad)


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32])
def test_int64_and_int32_perm_corrupt_as_before(dtype):
    m = _model()
    pos, neg, s, beta = m(X, ADJS, PERM.to(dtype))
    want = m.discriminator(m.encoder(X[PERM], ADJS)[0], s)
    assert neg.shape == (N,) and torch.equal(neg, want)
    assert not torch.equal(neg, pos)
