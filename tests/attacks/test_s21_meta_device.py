"""A model or an input on the meta device (shapes, no values). fgsm / pgd / cw_l2 / evaluate_attack /
adversarial_training reported a meta model as a wrong image size ("the model cannot take 'x' of shape ...
(Tensor on device meta is not on the expected device cpu!); check the channel count and image size"), predict /
accuracy / success_rate and meta images or labels failed in bare torch errors. They are named now, with the
curvature engine's meta-device error text (meta_device_error)."""

import pytest
import torch
from torch import nn

from paperworks import attacks as A
from paperworks.core.errors import DataError


def _model(meta=False):
    m = nn.Sequential(nn.Flatten(), nn.Linear(12, 3)).eval()
    return m.to("meta") if meta else m


X = torch.rand(2, 3, 2, 2, generator=torch.Generator().manual_seed(0))
Y = torch.tensor([0, 1])


@pytest.mark.parametrize("call", [
    lambda m: A.fgsm(m, X, Y, eps=0.1),
    lambda m: A.pgd(m, X, Y, eps=0.1, steps=2),
    lambda m: A.cw_l2(m, X, Y, steps=2, binary_search_steps=1),
    lambda m: A.evaluate_attack(m, "fgsm", X, Y, eps=0.1),
    lambda m: A.predict(m, X),
    lambda m: A.accuracy(m, X, Y),
    lambda m: A.success_rate(m, X, Y),
    lambda m: A.adversarial_training(m.train(), X, Y, method="fgsm", eps=0.1, max_steps=1),
], ids=["fgsm", "pgd", "cw_l2", "evaluate_attack", "predict", "accuracy", "success_rate", "adversarial_training"])
def test_meta_model_is_named(call):
    with pytest.raises(DataError, match=r"model's parameter\(s\) 1.weight, 1.bias are on the meta device .*load "
                                        "real weights"):
        call(_model(meta=True))


@pytest.mark.parametrize("call,name", [
    (lambda: A.fgsm(_model(), X.to("meta"), Y, eps=0.1), "x"),
    (lambda: A.pgd(_model(), X.to("meta"), Y, eps=0.1, steps=2), "x"),
    (lambda: A.fgsm(_model(), X, Y.to("meta"), eps=0.1), "y"),
    (lambda: A.clip_to_ball(X.to("meta"), X.to("meta"), 0.1), "x"),
    (lambda: A.predict(_model(), X.to("meta")), "x"),
], ids=["fgsm-x", "pgd-x", "fgsm-y", "clip_to_ball", "predict-x"])
def test_meta_inputs_are_named(call, name):
    with pytest.raises(DataError, match=f"'{name}' is on the meta device"):
        call()


def test_real_model_still_attacked():
    torch.manual_seed(0)
    x_adv = A.fgsm(_model(), X, Y, eps=0.1)
    assert x_adv.shape == X.shape and float((x_adv.double() - X.double()).abs().max()) <= 0.1
