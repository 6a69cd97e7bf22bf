"""train_hdgi's NaN / inf check of the meta-path adjacencies (d11d9aa) read a non-COO sparse adjacency as a dense
tensor: a CSR adjacency, which trained on the code before that check (best_loss equal to the dense and COO runs),
failed with torch's bare "unsupported tensor layout: SparseCsr". Compressed layouts are checked on their stored
values now, and a NaN there is still the one DataError."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.systems.hdgi import train_hdgi


def _graph():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, 4, generator=g)
    a = (torch.rand(6, 6, generator=g) > 0.5).float() + torch.eye(6)
    return x, a


@pytest.mark.parametrize("layout", ["csr", "csc"])
def test_compressed_sparse_adjacency_trains_as_the_dense_one(layout):
    x, a = _graph()
    sparse = a.to_sparse_csr() if layout == "csr" else a.to_sparse_csc()
    _, dense_info = train_hdgi(x, [a, a], dim=3, max_epochs=3, patience=5)
    _, info = train_hdgi(x, [sparse, sparse], dim=3, max_epochs=3, patience=5)
    assert info["best_loss"] == dense_info["best_loss"]


def test_nan_in_a_csr_adjacency_is_named():
    x, a = _graph()
    a[1, 1] = float("nan")
    with pytest.raises(DataError, match="adjacency 1 contains NaN or inf"):
        train_hdgi(x, [torch.eye(6).to_sparse_csr(), a.to_sparse_csr()], dim=3, max_epochs=3, patience=5)
