"""topk_stable on the inputs where it did not give a torch.topk-shaped result or a clear error: a 0-d tensor
(torch.topk returns 0-d values / indices; topk_stable returned shape [1]) and a dim out of range (IndexError
'tuple index out of range', naming neither the function nor the dim)."""

import numpy as np
import pytest
import torch

from paperworks.core.ranking import topk_stable


@pytest.mark.parametrize("largest", [True, False])
def test_scalar_input_gives_0d_results_like_torch_topk(largest):
    x = torch.tensor(3.0)
    got, want = topk_stable(x, 1, largest=largest), torch.topk(x, 1, largest=largest)
    assert got.values.shape == want.values.shape == () and got.indices.shape == want.indices.shape == ()
    assert torch.equal(got.values, want.values) and torch.equal(got.indices, want.indices)


@pytest.mark.parametrize("dim", [2, -3, 5])
def test_dim_out_of_range_names_the_dim(dim):
    with pytest.raises(IndexError, match=r"topk_stable: dim must be an integer in \[-2, 1\].*got " + str(dim)):
        topk_stable(torch.zeros(3, 4), 1, dim)


def test_numpy_integer_dim_still_accepted():
    x = torch.tensor([[1.0, 1.0, 2.0], [0.0, 3.0, 3.0]])
    assert torch.equal(topk_stable(x, 2, np.int64(1)).indices, topk_stable(x, 2, 1).indices)
    assert topk_stable(x, 2, np.int64(1)).indices.tolist() == [[2, 0], [1, 2]]
