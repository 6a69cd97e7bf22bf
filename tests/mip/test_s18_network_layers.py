"""Session-18: network_layers reads nested nn.Sequential blocks and a ReLU applied twice (both refused before);
with the inputs fixed, the MILP's outputs equal the PyTorch forward pass (the oracle), final ReLU included."""

import numpy as np
import pytest
import torch
import torch.nn as nn

from paperworks.mip import MILP, encode_layers, network_layers

TIGHT = {"primal_feasibility_tolerance": 1e-9, "mip_feasibility_tolerance": 1e-9}


def _nets():
    torch.manual_seed(0)
    block = lambda i, o: nn.Sequential(nn.Linear(i, o), nn.ReLU())   # noqa: E731
    yield nn.Sequential(block(3, 6), nn.Sequential(block(6, 5), nn.Identity()), nn.Linear(5, 2)).double()
    yield nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.ReLU(), nn.Dropout(0.0), nn.ReLU(), nn.Linear(6, 2),
                        nn.ReLU()).double().eval()


@pytest.mark.parametrize("k", [0, 1])
@pytest.mark.parametrize("tighten", ["interval", "lp"])
def test_nested_blocks_and_repeated_relu_equal_the_torch_forward_pass(k, tighten):
    net = list(_nets())[k]
    layers = network_layers(net)          # old code: UnsupportedLayerError (Sequential / ReLU not after Linear)
    lo, hi = -np.ones(3), np.ones(3)
    rng = np.random.default_rng(k)
    for h in [lo, hi] + [rng.uniform(lo, hi) for _ in range(3)]:
        m = MILP()
        x = m.add_vars(3, lo, hi)
        out, _ = encode_layers(m, layers, x, lo, hi, tighten=tighten)
        m.fix(x, h)
        r = m.solve(options=TIGHT)
        assert r.status == "optimal"
        got = np.where(out >= 0, r.x[np.maximum(out, 0)], 0.0)
        want = net(torch.tensor(h)[None]).detach().numpy()[0]
        np.testing.assert_allclose(got, want, atol=1e-7, rtol=0)


def test_relu_on_the_raw_input_is_still_refused_in_one_line():
    from paperworks.mip import UnsupportedLayerError

    with pytest.raises(UnsupportedLayerError, match="does not follow a Linear"):
        network_layers(nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
