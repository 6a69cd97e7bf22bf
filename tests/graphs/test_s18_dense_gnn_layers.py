"""DenseGNN (and FlatDenseSAGE, which passes its 'layers' on) built no convolution for layers <= 0, and its
forward returned the input unchanged: FlatDenseSAGE(8, 2, 4, hidden=8, layers=0) was an MLP on summed raw
features without a word; a conv name other than "sage" silently built the plain A X W + b conv."""

import pytest
import torch

from paperworks.core.errors import ConfigError
from paperworks.graphs import DenseGNN, FlatDenseSAGE


@pytest.mark.parametrize("layers", [0, -1, 2.0])
def test_no_convolution_layers_is_refused(layers):
    with pytest.raises(ConfigError, match="'layers' must be an integer >= 1"):
        DenseGNN(8, 8, 8, layers=layers)
    with pytest.raises(ConfigError, match="'layers' must be an integer >= 1"):
        FlatDenseSAGE(8, 2, 4, hidden=8, layers=layers)


def test_unknown_conv_is_refused_and_one_layer_still_convolves():
    with pytest.raises(ConfigError, match="'conv' must be one of sage, plain"):
        DenseGNN(8, 8, 8, layers=2, conv="gcn")
    x, adj = torch.randn(2, 4, 8), torch.ones(2, 4, 4)
    g = DenseGNN(8, 8, 8, layers=1)
    assert len(g.convs) == 1 and not torch.equal(g(x, adj), x)
