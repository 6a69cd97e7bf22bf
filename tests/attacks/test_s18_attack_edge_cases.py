"""Attack engine edge cases (session 18): C&W on half-precision images and on exact logit ties, evaluation helpers
on train-mode models, batch sizes, inference tensors, numpy scalars, empty images. Each test failed before its fix."""

import numpy as np
import pytest
import torch
from torch import nn

from paperworks import attacks
from paperworks.core.errors import ConfigError, DataError
from paperworks.models.mnist import LinearSoftmax, SmallCNN


def _linear_half(dtype):
    torch.manual_seed(0)
    model = LinearSoftmax(in_channels=1, num_classes=3, image_size=4).eval().to(dtype)
    x = (0.4 + 0.2 * torch.rand(8, 1, 4, 4, generator=torch.Generator().manual_seed(1))).to(dtype)
    with torch.no_grad():
        y = model(x).argmax(1)
    return model, x, y


def test_cw_runs_on_float16_images_and_finds_the_closed_form_distance():
    """float16 images: the binary search's upper bound 1e10 does not fit in float16, so cw_l2 raised "value cannot
    be converted to type c10::Half without overflow". Oracle: the distance to the nearest decision hyperplane of
    the linear model (its weights and inputs read exactly in float64)."""
    model, x, y = _linear_half(torch.float16)
    x_cw = attacks.cw_l2(model, x, y, c=1e-2, steps=100, lr=0.01, binary_search_steps=9)
    assert x_cw.dtype == torch.float16 and x_cw.shape == x.shape
    assert float(x_cw.min()) >= 0 and float(x_cw.max()) <= 1
    with torch.no_grad():
        assert bool((model(x_cw).argmax(1) != y).all())
    W, b = model.linear.weight.detach().double(), model.linear.bias.detach().double()
    z = x.double().flatten(1) @ W.T + b
    dist = torch.tensor([min(float((z[i, y[i]] - z[i, k]) / (W[y[i]] - W[k]).norm()) for k in range(3) if k != y[i])
                         for i in range(8)], dtype=torch.float64)
    ratio = (x_cw.double() - x.double()).flatten(1).norm(dim=1) / dist
    assert float(ratio.min()) >= 0.99 and float(ratio.max()) <= 1.02, ratio


class _Tied(nn.Module):
    """Two logits that are always equal: arg-max (first maximum) is class 0 for every input."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(16, 1)

    def forward(self, x):
        z = self.lin(x.flatten(1))
        return torch.cat([z, z], 1)


@pytest.mark.parametrize("targeted", [False, True])
def test_cw_an_exact_tie_is_not_a_success(targeted):
    """No input is ever classified as class 1, so neither attack can succeed and both must return x unchanged
    (the documented result for a failure). A tie made the C&W margin 0, which counted as a success: x' = x up to the
    tanh round trip (5e-7) came back as a 'successful' example still classified as the true class / not the target."""
    torch.manual_seed(0)
    model = _Tied().eval()
    x = torch.rand(4, 1, 4, 4)
    y = torch.zeros(4, dtype=torch.long) if not targeted else torch.ones(4, dtype=torch.long)
    out = attacks.cw_l2(model, x, y, steps=5, binary_search_steps=2, targeted=targeted)
    assert torch.equal(out, x)


def test_cw_returned_examples_are_adversarial_in_bfloat16():
    """bfloat16 logits tie often near the boundary: 4 of these 8 returned examples were moved onto a tie and still
    classified as their true class. Every example the attack moves must be misclassified."""
    model, x, y = _linear_half(torch.bfloat16)
    x_cw = attacks.cw_l2(model, x, y, c=1e-2, steps=100, lr=0.01, binary_search_steps=9)
    with torch.no_grad():
        wrong = model(x_cw).argmax(1) != y
    moved = (x_cw != x).flatten(1).any(1)
    assert bool(wrong[moved].all()) and int(wrong.sum()) == 8


def _bn_dropout_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Dropout(0.5), nn.Flatten(),
                         nn.Linear(3 * 36, 3))


def test_predict_accuracy_and_success_rate_run_in_eval_mode_and_leave_the_model_alone():
    """A model left in train mode was run as it was: dropout made the answers random and the batch norm moved
    its running statistics (measuring an accuracy changed the model). Now: eval mode, modes restored."""
    model = _bn_dropout_model()
    x = 0.5 + 0.5 * torch.rand(64, 1, 8, 8)           # mean far from the fresh running mean 0
    y = torch.randint(0, 3, (64,), generator=torch.Generator().manual_seed(2))
    model.eval()
    want_pred = attacks.predict(model, x)
    want_sr = attacks.success_rate(model, x, y)
    model.train()
    model[1].eval()                                    # a frozen submodule keeps its own mode
    stats = model[1].running_mean.clone()
    assert torch.equal(attacks.predict(model, x, batch_size=16), want_pred)
    assert attacks.accuracy(model, x, y) == float((want_pred == y).float().mean())
    assert attacks.success_rate(model, x, y) == want_sr
    model[1].train()
    assert torch.equal(attacks.predict(model, x), want_pred)
    assert torch.equal(model[1].running_mean, stats)
    assert all(m.training for m in model.modules())


def test_batch_sizes_below_one_are_refused_by_name(small_setup):
    """batch_size 0 / -1 failed inside range() or torch.cat; evaluate_attack ran 0 silently as one batch."""
    model, x, y = small_setup
    for bs in (0, -1):
        with pytest.raises(ConfigError, match="'batch_size' must be an integer >= 1"):
            attacks.predict(model, x, batch_size=bs)
        with pytest.raises(ConfigError, match="'batch_size' must be an integer >= 1"):
            attacks.accuracy(model, x, y, batch_size=bs)
        with pytest.raises(ConfigError, match="evaluate_attack: 'batch_size' must be an integer >= 1"):
            attacks.evaluate_attack(model, "fgsm", x, y, eps=0.1, batch_size=bs)
    rep = attacks.evaluate_attack(model, "fgsm", x, y, eps=0.1, batch_size=np.int64(8))
    assert torch.equal(rep.x_adv, attacks.evaluate_attack(model, "fgsm", x, y, eps=0.1, batch_size=8).x_adv)


def test_inference_tensors_are_attacked_and_inference_mode_is_named(small_setup):
    """Images / labels made under torch.inference_mode() are inference tensors: fgsm raised "Setting
    requires_grad=True on inference tensor outside InferenceMode", pgd "Inference tensors cannot be saved for
    backward". Inside an inference_mode block no gradient exists at all: one clear error naming it."""
    model, x, y = small_setup
    with torch.inference_mode():
        xi, yi = x.clone(), y.clone()
    assert torch.equal(attacks.fgsm(model, xi, yi, eps=0.1), attacks.fgsm(model, x, y, eps=0.1))
    assert torch.equal(attacks.pgd(model, xi, yi, eps=0.1, steps=3, seed=0),
                       attacks.pgd(model, x, y, eps=0.1, steps=3, seed=0))
    with torch.inference_mode():
        with pytest.raises(DataError, match="inside torch.inference_mode"):
            attacks.fgsm(model, x, y, eps=0.1)
        with pytest.raises(DataError, match="inside torch.inference_mode"):
            attacks.cw_l2(model, x, y, steps=1, binary_search_steps=1)


def test_numpy_scalars_are_numbers(small_setup):
    """eps=np.float32(0.25) was refused as "'eps' must be a finite number > 0", pgd's steps=np.int64(2) as "must
    be an integer >= 1" (cw_l2 took numpy integers already)."""
    model, x, y = small_setup
    assert torch.equal(attacks.fgsm(model, x, y, eps=np.float32(0.25)), attacks.fgsm(model, x, y, eps=0.25))
    assert torch.equal(attacks.pgd(model, x, y, eps=np.float32(0.25), alpha=np.float64(0.05), steps=np.int64(2),
                                   seed=0),
                       attacks.pgd(model, x, y, eps=0.25, alpha=0.05, steps=2, seed=0))
    assert torch.equal(attacks.cw_l2(model, x[:4], y[:4], kappa=np.float32(0.5), steps=2, binary_search_steps=1),
                       attacks.cw_l2(model, x[:4], y[:4], kappa=0.5, steps=2, binary_search_steps=1))
    for bad in (np.float32("nan"), True, "0.1"):
        with pytest.raises(ConfigError, match="'eps' must be a finite number > 0"):
            attacks.fgsm(model, x, y, eps=bad)
    with pytest.raises(ConfigError, match="'steps' must be an integer >= 1"):
        attacks.pgd(model, x, y, eps=0.1, steps=2.0)


def test_images_with_an_empty_side_are_refused_as_empty():
    """A side of length 0 failed in x.min() with "Expected reduction dim to be specified"."""
    model = SmallCNN(in_channels=1, num_classes=3, image_size=8, width=4).eval()
    with pytest.raises(DataError, match="'x' is empty"):
        attacks.fgsm(model, torch.rand(2, 1, 0, 8), torch.tensor([0, 1]), eps=0.1)
