"""normalized_metapath_adjacencies (HDGI's meta-path graphs) refused float and bool node ids but let a complex
edge_index through to a bare '"min_all" not implemented for ComplexFloat', and a Python list to "'list' object has
no attribute 'is_floating_point'". Both are its one DataError now; integer ids build the same adjacency."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.hetero_infomax import normalized_metapath_adjacencies

EI = torch.tensor([[0, 1, 2], [1, 2, 0]])


@pytest.mark.parametrize("bad", [EI.to(torch.complex64), EI.tolist(), EI.float(), EI.bool()])
def test_non_integer_ids_are_one_data_error(bad):
    with pytest.raises(DataError, match=r"HDGI: meta-path edge_index 0 must be a tensor of integer node ids"):
        normalized_metapath_adjacencies([bad], 3)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int16, torch.uint8])
def test_integer_ids_build_the_int64_adjacency(dtype):
    want = normalized_metapath_adjacencies([EI], 3)[0].to_dense()
    assert torch.equal(normalized_metapath_adjacencies([EI.to(dtype)], 3)[0].to_dense(), want)
