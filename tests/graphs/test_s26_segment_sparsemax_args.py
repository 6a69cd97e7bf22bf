"""segment_sparsemax's index dtype and num_segments (session 26 fuzz of sparsemax against its closed form).

A bool / int16 / uint8 / complex 'index' failed inside with torch's bare errors, and a float num_segments (2.0,
np.float64(2)) in bincount ("argument 'minlength' must be int"); each is one DataError now. int64 / int32 indices
and integer num_segments (NumPy's, a 0-d integer tensor) give the same result as before."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs import segment_sparsemax, sparsemax

Z = torch.tensor([0.3, -0.2, 1.5, 1.1, 0.0])
IDX = torch.tensor([0, 0, 1, 1, 2])


@pytest.mark.parametrize("dtype", [torch.bool, torch.int16, torch.uint8, torch.int8, torch.complex64])
def test_index_of_another_dtype_is_one_clear_error(dtype):
    with pytest.raises(DataError, match="'index' must hold non-negative integers of dtype int64 or int32"):
        segment_sparsemax(Z, (IDX > 0) if dtype == torch.bool else IDX.to(dtype))


@pytest.mark.parametrize("bad", [3.0, np.float64(3), 2.5, "3", True, torch.tensor(3.0)])
def test_non_integer_num_segments_is_one_clear_error(bad):
    with pytest.raises(DataError, match="num_segments"):
        segment_sparsemax(Z, IDX, bad)


@pytest.mark.parametrize("ns", [None, 3, 5, np.int64(3), torch.tensor(4)])
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32])
def test_integer_arguments_equal_per_segment_sparsemax(ns, dtype):
    got = segment_sparsemax(Z, IDX.to(dtype), ns)
    want = torch.cat([sparsemax(Z[IDX == s]) for s in range(3)])
    torch.testing.assert_close(got, want, rtol=0, atol=1e-7)
