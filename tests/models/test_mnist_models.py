"""MNIST target models: parameter counts computed by hand from the published layer lists, layer shapes."""

import pytest
import torch
import torch.nn.functional as F

from paperworks.core.errors import UnknownNameError
from paperworks.models.mnist import MNIST_MODELS, ModelA, ModelB, ModelC, make_model, tf_same_padding


def _count(m):
    return sum(p.numel() for p in m.parameters())


def test_parameter_counts_match_the_layer_lists():
    # A: conv 1->64 5x5, conv 64->64 5x5 (28 -> 24 -> 20), fc 64*20*20 -> 128, fc 128 -> 10
    a = (25 * 64 + 64) + (64 * 64 * 25 + 64) + (64 * 20 * 20 * 128 + 128) + (128 * 10 + 10)
    # B: conv 1->64 8x8/2 same (28 -> 14), 64->128 6x6/2 (-> 5), 128->128 5x5 (-> 1), fc 128 -> 10
    b = (64 * 64 + 64) + (64 * 128 * 36 + 128) + (128 * 128 * 25 + 128) + (128 * 10 + 10)
    # C (Carlini-Wagner): 32, 32, pool, 64, 64, pool (28 -> 26 -> 24 -> 12 -> 10 -> 8 -> 4), fc 1024-200-200-10
    c = (9 * 32 + 32) + (32 * 32 * 9 + 32) + (32 * 64 * 9 + 64) + (64 * 64 * 9 + 64) + (1024 * 200 + 200) \
        + (200 * 200 + 200) + (200 * 10 + 10)
    assert (_count(ModelA()), _count(ModelB()), _count(ModelC())) == (a, b, c)


def test_model_b_first_layer_is_tf_same_padding():
    m = ModelB()
    h = m.features[:3](torch.zeros(2, 1, 28, 28))
    assert h.shape == (2, 64, 14, 14)
    # TF 'same', kernel 8, stride 2 on 28: total padding (14 - 1) * 2 + 8 - 28 = 6, split 3 / 3
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 0, 0] = 1.0
    pad = m.features[1](x)
    assert pad.shape == (1, 1, 34, 34) and pad[0, 0, 3, 3] == 1.0


@pytest.mark.parametrize("size", [27, 28, 29, 30, 31, 32])
def test_model_b_same_padding_matches_the_tf_rule_on_any_size(size):
    # closed form of TF/Keras padding='same' (Tramer et al.'s model B is a Keras model): output ceil(n / 2),
    # total padding max((out - 1) * 2 + 8 - n, 0), the smaller half before. Odd sizes crashed (27, 31) or
    # gave 14 instead of 15 positions (29) with the old fixed 3 / 3 padding.
    out = -(-size // 2)
    total = max((out - 1) * 2 + 8 - size, 0)
    assert tf_same_padding(size, 8, 2) == (total // 2, total - total // 2)
    torch.manual_seed(0)
    m = ModelB(image_size=size).eval()
    x = torch.rand(2, 1, size, size)
    conv = m.features[2]
    ref = F.conv2d(F.pad(x, (total // 2, total - total // 2) * 2), conv.weight, conv.bias, stride=2)
    assert ref.shape[-1] == out
    torch.testing.assert_close(m.features[1:3](x), ref, rtol=0, atol=0)
    assert m(x).shape == (2, 10)


def _written_out_forward(name, m, x):
    """The published layer lists as functional calls on the model's own weights (eval mode: no dropout)."""
    conv = [l for l in m.modules() if isinstance(l, torch.nn.Conv2d)]
    fc = [l for l in m.modules() if isinstance(l, torch.nn.Linear)]
    c = lambda i, h, **k: F.conv2d(h, conv[i].weight, conv[i].bias, **k)  # noqa: E731
    f = lambda i, h: F.linear(h, fc[i].weight, fc[i].bias)  # noqa: E731
    if name == "A":
        h = F.relu(c(1, F.relu(c(0, x)))).flatten(1)
        return f(1, F.relu(f(0, h)))
    if name == "B":
        h = F.relu(c(0, F.pad(x, (3, 3, 3, 3)), stride=2))
        h = F.relu(c(2, F.relu(c(1, h, stride=2))))
        return f(0, h.flatten(1))
    h = F.max_pool2d(F.relu(c(1, F.relu(c(0, x)))), 2)
    h = F.max_pool2d(F.relu(c(3, F.relu(c(2, h)))), 2).flatten(1)
    return f(2, F.relu(f(1, F.relu(f(0, h)))))


@pytest.mark.parametrize("name", ["A", "B", "C"])
def test_eval_forward_equals_the_written_out_layer_list(name):
    """Parameter counts and shapes cannot see a missing ReLU or a pool in the wrong place; the forward pass
    written out from the layer lists in the module docstring can."""
    torch.manual_seed(0)
    m = make_model(name).eval()
    x = torch.rand(4, 1, 28, 28)
    torch.testing.assert_close(m(x), _written_out_forward(name, m, x), rtol=1e-5, atol=1e-6)
    # and the dropout rates of the layer lists, in order (A: .25, .5; B: input .2, .5; C: .5)
    rates = {"A": [0.25, 0.5], "B": [0.2, 0.5], "C": [0.5]}[name]
    assert [l.p for l in m.modules() if isinstance(l, torch.nn.Dropout)] == rates


@pytest.mark.parametrize("name", sorted(MNIST_MODELS))
def test_all_models_shapes_eval_determinism_and_channels(name):
    torch.manual_seed(0)
    for c, s in [(1, 28), (3, 32)]:
        m = make_model(name, in_channels=c, image_size=s).eval()
        x = torch.rand(3, c, s, s)
        out = m(x)
        assert out.shape == (3, 10)
        torch.testing.assert_close(m(x), out, rtol=0, atol=0)   # dropout off in eval mode


def test_unknown_model_name():
    with pytest.raises(UnknownNameError, match="did you mean 'A'|valid"):
        make_model("D")
