"""drop_diagonal of a dense non-square [N, M] matrix raised torch's broadcasting error ('The size of tensor a (4)
must match the size of tensor b (3)'), while the sparse path removes the (i, i) entries of any shape. Oracle: the
sparse path, and the matrix with a[i, i] set to 0 by hand."""

import torch

from paperworks.graphs.hetero import drop_diagonal


def test_dense_non_square_drop_diagonal_matches_the_sparse_path():
    g = torch.Generator().manual_seed(0)
    for shape in ((3, 4), (4, 3), (3, 3)):
        a = torch.rand(*shape, generator=g, dtype=torch.float64) + 0.1
        want = a.clone()
        k = min(shape)
        want[torch.arange(k), torch.arange(k)] = 0
        torch.testing.assert_close(drop_diagonal(a), want, rtol=0, atol=0)
        torch.testing.assert_close(drop_diagonal(a.to_sparse()).to_dense(), want, rtol=0, atol=0)
