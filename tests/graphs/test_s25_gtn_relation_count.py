"""GTNModel checks that the adjacency stack holds the number of edge types it was built for on every path (session
25). GTConv.forward had the check, but the first GT layer's sparse product basis (the default path) never calls it:
a model built for more edge types than the stack holds ran without a word (the stack's type pairs indexed the
first num_relations entries of a softmax over more types), and one built for fewer failed with a bare IndexError;
the dense path and later layers already refused both."""

import pytest
import torch

from paperworks.core.errors import DataError
from paperworks.data.hetero import make_academic_hetero
from paperworks.graphs.hetero import adjacency_stack
from paperworks.graphs.hetero_gtn import GTNModel


@pytest.fixture(scope="module")
def stack():
    data = make_academic_hetero(n_papers=30, n_authors=20, n_subjects=3, n_terms=6, seed=0)
    return adjacency_stack(data)


@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("extra", [2, 1, -1, -3])
def test_model_for_another_number_of_edge_types_is_one_data_error(stack, extra, layers, dense):
    k = stack.num_relations + extra
    torch.manual_seed(0)
    model = GTNModel(k, 16, 8, 3, num_layers=layers)
    x = torch.rand(stack.num_nodes, 16)
    with pytest.raises(DataError, match=rf"built for (num_relations=)?{k} edge types"):
        model(x, stack, dense=dense)
    with pytest.raises(DataError, match=rf"built for (num_relations=)?{k} edge types"):
        model(x, stack, torch.arange(5), dense=dense)


def test_matching_model_runs_and_sparse_equals_dense(stack):
    torch.manual_seed(0)
    model = GTNModel(stack.num_relations, 16, 8, 3, num_layers=1)
    x = torch.rand(stack.num_nodes, 16)
    with torch.no_grad():
        torch.testing.assert_close(model(x, stack), model(x, stack, dense=True))
