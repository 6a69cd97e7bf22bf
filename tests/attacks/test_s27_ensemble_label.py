"""Ensemble adversarial training (Tramer et al., ICLR 2018) crafts its one-step examples on the loss of the source
model's own prediction, not of the true label: the authors' MNIST code (ftramer/ensemble-adv-training,
train_adv.py) calls gen_grad(x, logits, y, loss='training'), whose target is the one-hot of the source's arg-max
(split over tied maxima) "to avoid label leaking", for the trained model and the static models alike; the training
loss is 0.5 CE(x, y) + 0.5 CE(x_adv, y) with the true y (tf_utils.tf_train). Ours used the true label for the
attack (probe /tmp/s27_p3/probe_ensemble_label.py: loss 1.4107 = the true-label value, Tramer's 1.1453)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from paperworks import attacks


def _fgsm(src, x, labels, eps):
    with torch.enable_grad():
        xx = x.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(src(xx), labels, reduction="sum"), xx)
    return (x + eps * g.sign()).clamp(0, 1)


def _setup():
    torch.manual_seed(0)
    x = torch.rand(64, 1, 4, 4, dtype=torch.float64)
    y = torch.randint(0, 3, (64,))   # random labels: the models' predictions differ from y on most rows
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).double().train()
    statics = [nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).double().eval() for _ in range(2)]
    return x, y, model, statics


def test_one_step_examples_use_each_sources_prediction():
    x, y, model, statics = _setup()
    fn = attacks.adversarial_loss("ensemble", eps=0.3, static_models=statics)
    with torch.no_grad():
        clean = F.cross_entropy(model(x), y)
    for step, src in enumerate([model, *statics, model]):
        loss, parts = fn(model, (x, y))
        with torch.no_grad():
            pred = src(x).argmax(1)
            assert (pred != y).sum() > 20
            adv = F.cross_entropy(model(_fgsm(src, x, pred, 0.3)), y)
            true_label = F.cross_entropy(model(_fgsm(src, x, y, 0.3)), y)
        assert parts["adv_loss"] == pytest.approx(float(adv), rel=1e-12), step
        assert float(loss) == pytest.approx(float(0.5 * clean + 0.5 * adv), rel=1e-12), step
        assert abs(float(adv) - float(true_label)) > 1e-3, step   # the two labels give different examples here


def test_the_true_labels_do_not_enter_the_examples():
    # only the clean and adversarial losses read y: relabelling changes them, not the one-step examples
    x, y, model, statics = _setup()
    seen = []
    fn = attacks.adversarial_loss("ensemble", eps=0.3, static_models=statics)
    fn2 = attacks.adversarial_loss("ensemble", eps=0.3, static_models=statics)
    for _ in range(3):
        _, p1 = fn(model, (x, y))
        _, p2 = fn2(model, (x, (y + 1) % 3))
        seen.append((p1["adv_loss"], p2["adv_loss"]))
    with torch.no_grad():
        for (a1, a2), src in zip(seen, [model, *statics]):
            xa = _fgsm(src, x, src(x).argmax(1), 0.3)
            assert a1 == pytest.approx(float(F.cross_entropy(model(xa), y)), rel=1e-12)
            assert a2 == pytest.approx(float(F.cross_entropy(model(xa), (y + 1) % 3)), rel=1e-12)


def test_tied_maxima_share_the_target():
    from paperworks.attacks.defenses import _predicted_label_ce_sum

    z = torch.tensor([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0]], dtype=torch.float64)
    ls = F.log_softmax(z, 1)
    want = -(0.5 * ls[0, 0] + 0.5 * ls[0, 1]) - ls[1, 1]
    assert float(_predicted_label_ce_sum(z, torch.tensor([2, 0]))) == pytest.approx(float(want), rel=1e-12)
