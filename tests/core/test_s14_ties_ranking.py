"""topk_stable: the k best entries with tied values ranked by index (lower first), against NumPy's stable
argsort as the oracle; torch.topk's order of tied entries is implementation-defined."""

import numpy as np
import pytest
import torch

from paperworks.core.ranking import topk_stable


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64, torch.int64])
@pytest.mark.parametrize("largest", [True, False])
def test_ties_ranked_by_index_like_numpy_stable_argsort(dtype, largest):
    g = torch.Generator().manual_seed(3)
    for n in (2, 5, 17, 100, 300):
        x = torch.randint(-3, 4, (4, n), generator=g).to(dtype)
        if dtype.is_floating_point:
            x[x == -3] = float("-inf")
        key = -x.double().numpy() if largest else x.double().numpy()
        want = np.argsort(key, axis=1, kind="stable")
        for k in sorted({0, 1, 2, n // 2, n - 1, n}):
            v, i = topk_stable(x, k, dim=1, largest=largest)
            assert np.array_equal(i.numpy(), want[:, :k]), (n, k)
            assert torch.equal(v, x.gather(1, i))


def test_zeros_keep_the_lowest_indices():
    # torch.topk (CPU, torch 2.13) returned indices [2, 4] here
    assert topk_stable(torch.zeros(5), 2).indices.tolist() == [0, 1]
    assert topk_stable(torch.zeros(5), 2, largest=False).indices.tolist() == [0, 1]


def test_untied_values_equal_torch_topk_and_other_dims():
    x = torch.randn(6, 50, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    a, b = topk_stable(x, 9, dim=1), x.topk(9, dim=1)
    assert torch.equal(a.values, b.values) and torch.equal(a.indices, b.indices)
    t = torch.randint(0, 3, (3, 8, 4), generator=torch.Generator().manual_seed(1)).double()
    i = topk_stable(t, 3, dim=1).indices
    assert torch.equal(i, torch.sort(t, dim=1, descending=True, stable=True).indices[:, :3])


def test_nan_ranks_as_largest_like_torch_sort():
    x = torch.tensor([1.0, float("nan"), 1.0, 0.0, float("nan")])
    assert topk_stable(x, 3).indices.tolist() == [1, 4, 0]
    assert topk_stable(x, 3, largest=False).indices.tolist() == [3, 0, 2]


@pytest.mark.parametrize("k", [-1, 4, 1.5, True])
def test_bad_k_is_one_clear_error(k):
    with pytest.raises(ValueError, match=r"topk_stable: k must be an integer in \[0, 3\]"):
        topk_stable(torch.zeros(3), k)


@pytest.mark.parametrize("shape,dim,k", [((0,), 0, 0), ((3, 0), 1, 0), ((0, 4), 1, 2), ((0, 4), 0, 0)])
def test_empty_inputs_match_torch_topk(shape, dim, k):
    # x.reshape(-1, 0) raised "cannot reshape tensor of 0 elements" where torch.topk returns empty results
    x = torch.zeros(shape)
    v, i = topk_stable(x, k, dim=dim)
    tv, ti = torch.topk(x, k, dim=dim)
    assert v.shape == tv.shape and i.shape == ti.shape and i.dtype == ti.dtype
