"""Session-22: network_layers encoded modules that compute something else than their base class as the plain layer
(silently a different function): an nn.Linear subclass masking its weight in forward, an nn.Sequential subclass
with a residual forward, a Linear with a forward hook, and a pruned Linear after an optimizer step (m.weight is
the stale value of the last forward). Oracle: the torch forward pass."""

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import prune

from paperworks.mip import UnsupportedLayerError, forward_layers, network_layers


class _MaskedLinear(nn.Linear):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.register_buffer("mask", (torch.arange(self.weight.numel()).reshape(self.weight.shape) % 2).float())

    def forward(self, h):
        return F.linear(h, self.weight * self.mask, self.bias)


class _Residual(nn.Sequential):
    def forward(self, h):
        return h + super().forward(h)


def _x():
    return torch.linspace(-1, 1, 15, dtype=torch.float64).reshape(5, 3)


@pytest.mark.parametrize("case", ["masked_linear", "residual_block", "forward_hook", "pre_hook", "outer_hook"])
def test_modules_that_change_the_forward_pass_are_refused_naming_the_layer(case):
    torch.manual_seed(0)
    if case == "masked_linear":
        net, what = nn.Sequential(_MaskedLinear(3, 4), nn.ReLU(), nn.Linear(4, 2)), "_MaskedLinear"
    elif case == "residual_block":
        net, what = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), _Residual(nn.Linear(4, 4), nn.ReLU()),
                                  nn.Linear(4, 2)), "_Residual"
    else:
        net, what = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), "hooks"
        if case == "forward_hook":
            net[0].register_forward_hook(lambda mod, inp, out: 3 * out)
        elif case == "pre_hook":
            net[2].register_forward_pre_hook(lambda mod, inp: (2 * inp[0],))
        else:
            net.register_forward_hook(lambda mod, inp, out: out + 1)
    net = net.double()   # the old code encoded the plain layers: a different function from net's forward
    with pytest.raises(UnsupportedLayerError, match=what):
        network_layers(net)


def test_pruned_linear_is_read_as_orig_times_mask_after_an_optimizer_step():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    prune.l1_unstructured(net[0], "weight", amount=0.5)
    prune.l1_unstructured(net[2], "bias", amount=0.5)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    net(_x()).pow(2).sum().backward()
    opt.step()                      # weight_orig changed; m.weight still holds the last forward's value
    layers = network_layers(net)    # old code: 0.15 off the forward pass
    with torch.no_grad():
        want = net(_x()).numpy()
    np.testing.assert_allclose(forward_layers(layers, _x().numpy()), want, atol=1e-12, rtol=0)
    assert (layers[0].W == 0).sum() == 6   # the mask's zeros stay exact zeros


def test_widths_that_do_not_chain_and_lazy_layers_get_one_clear_error():
    with pytest.raises(UnsupportedLayerError, match="takes 5 inputs but the layer before it gives 4"):
        network_layers(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2)))
    with pytest.raises(UnsupportedLayerError, match="takes 5 inputs but the layer before it gives 4"):
        network_layers(nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2)))
    with pytest.raises(UnsupportedLayerError, match="lazy"):
        network_layers(nn.Sequential(nn.LazyLinear(2)))


def test_plain_modules_and_hook_free_subclasses_still_pass():
    class _Lin(nn.Linear):   # a subclass that keeps Linear's forward is the same function
        pass

    torch.manual_seed(0)
    net = nn.Sequential(_Lin(3, 4), nn.ReLU(inplace=True), nn.Sequential(nn.Linear(4, 4, bias=False), nn.ReLU()),
                        nn.Identity(), nn.Flatten(), nn.Dropout(0.3), nn.Linear(4, 2)).double().eval()
    with torch.no_grad():
        want = net(_x()).numpy()
    np.testing.assert_allclose(forward_layers(network_layers(net), _x().numpy()), want, atol=1e-12, rtol=0)
