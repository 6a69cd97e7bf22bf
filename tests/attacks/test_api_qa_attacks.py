"""Python-API QA of the attack engine: side effects on the user's model and tensors, label dtypes, masks."""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from paperworks import attacks
from paperworks.core.errors import DataError


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)).eval()


def _data():
    g = torch.Generator().manual_seed(1)
    return torch.rand(5, 1, 8, 8, generator=g), torch.tensor([0, 1, 2, 0, 1])


def test_cw_leaves_model_gradients_alone():
    # the attack differentiates w.r.t. its own variable only: .grad of the model's parameters stays as it was
    # (loss.backward() accumulated the attack's gradients into every parameter, 5 steps x 2 searches)
    model, (x, y) = _model(), _data()
    model[4].weight.grad = torch.ones_like(model[4].weight)
    attacks.cw_l2(model, x, y, steps=5, binary_search_steps=2)
    assert all(p.grad is None for n, p in model.named_parameters() if n != "4.weight")
    assert torch.equal(model[4].weight.grad, torch.ones_like(model[4].weight))


def test_integer_labels_of_any_width_give_the_int64_result():
    # int32 / int16 / uint8 labels passed the label check and then died inside cross_entropy / one_hot
    # with a bare RuntimeError; they are class indices like int64 ones and give the same adversarial images
    model, (x, y) = _model(), _data()
    ref = {"fgsm": attacks.fgsm(model, x, y, eps=0.1),
           "pgd": attacks.pgd(model, x, y, eps=0.1, steps=3, seed=0),
           "cw": attacks.cw_l2(model, x, y, steps=3, binary_search_steps=1),
           "margin": attacks.cw_margin(model(x), y)}
    for dt in (torch.int32, torch.int16, torch.uint8):
        yy = y.to(dt)
        assert torch.equal(attacks.fgsm(model, x, yy, eps=0.1), ref["fgsm"])
        assert torch.equal(attacks.pgd(model, x, yy, eps=0.1, steps=3, seed=0), ref["pgd"])
        assert torch.equal(attacks.cw_l2(model, x, yy, steps=3, binary_search_steps=1), ref["cw"])
        assert torch.equal(attacks.cw_margin(model(x), yy), ref["margin"])
        rep = attacks.evaluate_attack(model, "fgsm", x, yy, eps=0.1)
        assert torch.equal(rep.x_adv, ref["fgsm"])


def test_adversarial_loss_takes_int32_labels():
    model, (x, y) = _model().train(), _data()
    twin = copy.deepcopy(model)       # the loss's forward passes in train mode move the BN running statistics
    a, _ = attacks.adversarial_loss("fgsm", eps=0.1)(model, (x, y.to(torch.int32)))
    b, _ = attacks.adversarial_loss("fgsm", eps=0.1)(twin, (x, y))
    assert torch.equal(a, b)


class _SumModel(nn.Module):
    def forward(self, x):
        s = x.flatten(1).sum(1)
        return torch.stack([s, -s], 1)


def test_success_rate_mask_must_be_bool():
    # success = prediction (always class 0 here) != y: [False, True, False, True]
    model, x, y = _SumModel().eval(), torch.rand(4, 1, 2, 2), torch.tensor([0, 1, 0, 1])
    mask = torch.tensor([False, True, False, True])
    assert attacks.success_rate(model, x, y, mask=mask) == 1.0
    # the same mask as 0/1 integers indexed examples 0, 1, 0, 1 and gave 0.5 without a word
    with pytest.raises(DataError, match="bool tensor"):
        attacks.success_rate(model, x, y, mask=mask.long())
    with pytest.raises(DataError, match="shape"):
        attacks.success_rate(model, x, y, mask=mask[:3])


def _modes(model):
    return [m.training for m in model.modules()]


def test_mode_of_every_submodule_is_restored():
    # a model being fine-tuned with a frozen (eval-mode) batch norm: the checks, the adversarial-training loss
    # and the metrics' eval passes switched the whole model back with model.train(True), un-freezing the BN
    from paperworks import metrics
    from paperworks.attacks._checks import check_forward

    model, (x, y) = _model(), _data()
    model.train()
    model[1].eval()
    want = _modes(model)
    bn_stats = model[1].running_mean.clone()
    check_forward("t", model, x, y)
    assert _modes(model) == want
    metrics.predict_logits(model, x)
    assert _modes(model) == want
    metrics.evaluate_under_attack(model, x, y, "fgsm", eps=0.1)
    assert _modes(model) == want
    attacks.adversarial_loss("fgsm", eps=0.1)(model, (x, y))
    assert _modes(model) == want
    assert torch.equal(model[1].running_mean, bn_stats)      # the frozen BN saw train-mode passes but kept its stats
    model.eval()
    metrics.predict_logits(model, x)
    assert not any(_modes(model))


def test_ensemble_loss_does_not_freeze_the_static_models():
    # adversarial_loss('ensemble') set requires_grad=False on every parameter of the user's static models
    # (fine-tuning one of them afterwards silently trained nothing); its examples only need d loss / d x
    model, (x, y) = _model(), _data()
    static = _model()
    loss_fn = attacks.adversarial_loss("ensemble", eps=0.1, static_models=[static])
    assert all(p.requires_grad for p in static.parameters())
    model.train()
    for _ in range(2):                       # one batch from the model itself, one from the static model
        loss_fn(model, (x, y))[0].backward()
    assert all(p.requires_grad and p.grad is None for p in static.parameters())
    assert all(p.grad is not None for p in model.parameters())


def test_perturbation_norms_shape_mismatch_is_refused():
    x = torch.zeros(3, 1, 2, 2)
    x_adv = torch.full((1, 1, 2, 2), 0.5)
    with pytest.raises(DataError, match="same shape"):
        attacks.perturbation_norms(x, x_adv)     # broadcast to 3 rows of norms before
    n = attacks.perturbation_norms(x, x_adv.expand(3, 1, 2, 2))
    assert n["linf"].tolist() == [0.5] * 3 and n["l2"].tolist() == [1.0] * 3 and n["l0"].tolist() == [4.0] * 3


def test_accuracy_and_success_rate_refuse_column_labels():
    # labels [N, 1] against predictions [N] broadcast to an N x N comparison: accuracy 5/9 instead of 1.0
    class Threshold(nn.Module):
        def forward(self, x):
            s = x.flatten(1).sum(1) - 2.0
            return torch.stack([s, -s], 1)

    model = Threshold().eval()
    x = torch.tensor([0.9, 0.9, 0.1, 0.1, 0.9, 0.9]).view(-1, 1, 1, 1).expand(6, 1, 2, 2).contiguous()
    y = attacks.predict(model, x)
    assert y.tolist() == [0, 0, 1, 1, 0, 0]
    assert attacks.accuracy(model, x, y) == 1.0 and attacks.success_rate(model, x, y) == 0.0
    for f in (attacks.accuracy, attacks.success_rate):
        with pytest.raises(DataError, match=r"shape \[6\]"):
            f(model, x, y[:, None])


def test_numpy_labels_and_bool_mask_still_accepted():
    # the label / mask checks of 612883c and 12ef39d refused numpy inputs that worked before them: accuracy with
    # numpy labels (compared element-wise: 1.0 here) and success_rate with a numpy bool mask
    model, x, y = _SumModel().eval(), torch.rand(4, 1, 2, 2), torch.tensor([0, 1, 0, 1])
    assert attacks.accuracy(model, x, y.numpy()) == attacks.accuracy(model, x, y) == 0.5
    mask = np.array([False, True, False, True])
    assert attacks.success_rate(model, x, y.numpy(), mask=mask) == 1.0
    assert attacks.success_rate(model, x, y, mask=mask[::-1].copy()) == 0.0
    with pytest.raises(DataError, match="bool tensor"):        # a numpy 0/1 integer mask is still refused
        attacks.success_rate(model, x, y, mask=mask.astype(np.int64))
    with pytest.raises(DataError, match=r"shape \[4\]"):       # and a [N, 1] numpy column
        attacks.accuracy(model, x, y.numpy()[:, None])
