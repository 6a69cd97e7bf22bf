"""HDGIModel / HDGIEncoder refuse inputs that do not fit the model with one DataError (session 25). A bool mask
passed as the corruption ``perm`` passed its check (a bool tensor is not floating point): all True selected every
row, so the negatives were the positives (no corruption; a loss near log 2 whatever the model), silently; other
masks failed deep inside torch. Features of another width and an adjacency of another size were bare torch
errors (mat1 and mat2 shapes cannot be multiplied / addmm: Expected dim 0 size 6, got 5)."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.graphs.hetero_infomax import HDGIModel, normalized_metapath_adjacencies

N = 6
EDGES = torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])


def _model_and_data():
    torch.manual_seed(0)
    return HDGIModel(4, 8, 1), torch.rand(N, 4), normalized_metapath_adjacencies([EDGES], N)


@pytest.mark.parametrize("mask", [[True] * N, [True, False] * (N // 2)])
def test_bool_perm_is_one_data_error(mask):
    model, x, adjs = _model_and_data()
    with pytest.raises(DataError, match="perm"):
        model(x, adjs, torch.tensor(mask))


def test_features_of_another_width_are_one_data_error():
    model, _, adjs = _model_and_data()
    with pytest.raises(DataError, match=r"x of shape \[N, 4\]"):
        model(torch.rand(N, 3), adjs, torch.arange(N))
    with pytest.raises(DataError, match=r"x of shape \[N, 4\]"):
        model.embed(torch.rand(N, 3), adjs)


def test_adjacency_of_another_size_is_one_data_error():
    model, _, adjs = _model_and_data()
    with pytest.raises(DataError, match=r"adjacency 0 has shape \[6, 6\], expected \[5, 5\]"):
        model(torch.rand(N - 1, 4), adjs, torch.arange(N - 1))


def test_valid_inputs_unchanged():
    model, x, adjs = _model_and_data()
    perm = torch.randperm(N, generator=torch.Generator().manual_seed(1))
    pos, neg, s, beta = model(x, adjs, perm)
    h, _ = model.encoder(x, adjs)
    torch.testing.assert_close(pos, model.discriminator(h, model.readout(h)))
    h_neg, _ = model.encoder(x[perm], adjs)
    torch.testing.assert_close(neg, model.discriminator(h_neg, model.readout(h)))
    dense = [a.to_dense() for a in adjs]
    pos_d, neg_d, _, _ = model(x, dense, perm)
    torch.testing.assert_close(pos_d, pos)
