"""C&W L2 oracles: margin closed form, minimal perturbation vs PGD, comparison with ART's C&W."""

import numpy as np
import pytest
import torch
from torch import nn

from paperworks import attacks
from paperworks.core.errors import ConfigError, DataError


def test_cw_margin_closed_form():
    z = torch.tensor([[3.0, 1.0, 0.5], [0.0, 2.0, 5.0], [1.0, 1.0, -2.0]])
    y = torch.tensor([0, 1, 2])
    # untargeted: max(Z_y - max_{i != y} Z_i, -kappa); raw gaps are 2, -3, -3
    torch.testing.assert_close(attacks.cw_margin(z, y), torch.tensor([2.0, 0.0, 0.0]))
    torch.testing.assert_close(attacks.cw_margin(z, y, kappa=1.0), torch.tensor([2.0, -1.0, -1.0]))
    torch.testing.assert_close(attacks.cw_margin(z, y, kappa=10.0), torch.tensor([2.0, -3.0, -3.0]))
    # targeted: max(max_{i != t} Z_i - Z_t, -kappa); raw gaps are -2, 3, 3
    torch.testing.assert_close(attacks.cw_margin(z, y, targeted=True), torch.tensor([0.0, 3.0, 3.0]))
    torch.testing.assert_close(attacks.cw_margin(z, y, targeted=True, kappa=5.0), torch.tensor([-2.0, 3.0, 3.0]))
    # margin <= 0 exactly when the arg-max differs from y (no ties here)
    z2 = torch.randn(200, 5)
    y2 = torch.randint(0, 5, (200,))
    assert torch.equal(attacks.cw_margin(z2, y2) <= 0, z2.argmax(1) != y2)


def test_cw_is_smaller_than_pgd_at_equal_success(small_setup):
    model, x, y = small_setup
    x_cw = attacks.cw_l2(model, x, y, c=0.1, steps=60, lr=0.05, binary_search_steps=4)
    x_pgd = attacks.pgd(model, x, y, eps=2.0, alpha=0.2, steps=30, norm=2, seed=0)
    with torch.no_grad():
        ok_cw = model(x_cw).argmax(1) != y
        ok_pgd = model(x_pgd).argmax(1) != y
    both = ok_cw & ok_pgd
    assert both.sum() >= 10
    l2_cw = (x_cw - x).flatten(1).norm(dim=1)
    l2_pgd = (x_pgd - x).flatten(1).norm(dim=1)
    assert float(l2_cw[both].mean()) <= float(l2_pgd[both].mean())
    # box and failures: output in [0, 1]; a failed example is returned unchanged
    assert x_cw.min() >= 0 and x_cw.max() <= 1
    assert torch.equal(x_cw[~ok_cw], x[~ok_cw])


def test_cw_targeted_reaches_target(small_setup):
    model, x, y = small_setup
    t = (y + 1) % 4
    x_cw = attacks.cw_l2(model, x[:12], t[:12], c=1.0, steps=50, lr=0.05, binary_search_steps=2, targeted=True)
    assert float(attacks.success_rate(model, x_cw, t[:12], targeted=True)) >= 0.9


@pytest.mark.slow
def test_cw_success_no_worse_than_art_cw(small_setup):
    """ART's CarliniL2Method as a peer at the same iteration budget (slow: ART's C&W takes ~1 s/iteration)."""
    evasion = pytest.importorskip("art.attacks.evasion")
    art_est = pytest.importorskip("art.estimators.classification")
    model, x, y = small_setup
    x, y = x[:8], y[:8]
    clf = art_est.PyTorchClassifier(model=model, loss=nn.CrossEntropyLoss(), input_shape=tuple(x.shape[1:]),
                                    nb_classes=4, clip_values=(0.0, 1.0), device_type="cpu")
    theirs = torch.from_numpy(evasion.CarliniL2Method(classifier=clf, confidence=0.0, learning_rate=0.05,
                                                      binary_search_steps=3, max_iter=30, initial_const=0.1,
                                                      verbose=False).generate(x=x.numpy(), y=np.eye(4)[y.numpy()]))
    ours = attacks.cw_l2(model, x, y, c=0.1, steps=30, lr=0.05, binary_search_steps=3)
    r_o = attacks.evaluate_attack(model, ours, x, y)
    r_t = attacks.evaluate_attack(model, theirs.float(), x, y)
    assert r_o.success_rate >= r_t.success_rate
    assert r_o.mean_l2_successful <= 1.5 * r_t.mean_l2_successful


def test_cw_bad_input(small_setup):
    model, x, y = small_setup
    with pytest.raises(ConfigError, match="'c' must be > 0"):
        attacks.cw_l2(model, x, y, c=0.0)
    with pytest.raises(ConfigError, match="'steps'"):
        attacks.cw_l2(model, x, y, steps=0)
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        attacks.cw_l2(model, x - 0.5, y)


def test_cw_label_beyond_the_model_classes(small_setup):
    model, x, y = small_setup
    with pytest.raises(DataError, match="class index 7 but the model has 4 classes"):
        attacks.cw_l2(model, x, torch.where(y == 0, 7, y), steps=1, binary_search_steps=1)


@pytest.mark.parametrize("kappa", [0.0, 0.05])
def test_cw_finds_the_closed_form_minimal_perturbation_of_a_linear_model(kappa):
    """Linear softmax model, box inactive: the smallest L2 change that makes another logit exceed the true one
    by kappa is min_{k != y} (z_y - z_k + kappa) / ||W_y - W_k|| (distance to the nearest shifted decision
    hyperplane). C&W (Adam on the tanh variables, binary search over c, best success with confidence kappa kept)
    must reach it from above to within 2 % for every example; nothing successful can be closer. (Before, C&W
    was only compared with PGD and ART in relative terms.)"""
    from paperworks.models.mnist import LinearSoftmax

    torch.manual_seed(0)
    model = LinearSoftmax(in_channels=1, num_classes=3, image_size=4).double().eval()
    x = 0.4 + 0.2 * torch.rand(8, 1, 4, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    W, b = model.linear.weight.detach(), model.linear.bias.detach()
    z = x.flatten(1) @ W.T + b
    y = z.argmax(1)
    dist, inside = [], []
    for i in range(8):
        best = min(((z[i, y[i]] - z[i, k] + kappa) / (W[y[i]] - W[k]).norm(), k) for k in range(3) if k != y[i])
        d, k = float(best[0]), best[1]
        u = (W[k] - W[y[i]]) / (W[k] - W[y[i]]).norm()
        dist.append(d)
        inside.append(bool(((x[i].flatten() + d * u) > 0).all() and ((x[i].flatten() + d * u) < 1).all()))
    assert all(inside)   # the unconstrained minimiser lies in the box, so the closed form is the answer
    x_cw = attacks.cw_l2(model, x, y, c=1e-2, steps=100, lr=0.01, binary_search_steps=9, kappa=kappa)
    z_cw = model(x_cw).detach()
    gap = z_cw[torch.arange(8), y] - z_cw.scatter(1, y[:, None], -torch.inf).amax(1)
    assert bool((gap <= -kappa + 1e-9).all())   # every example misclassified with confidence kappa
    ratio = (x_cw - x).flatten(1).norm(dim=1) / torch.tensor(dist, dtype=torch.float64)
    assert float(ratio.min()) >= 1 - 1e-6 and float(ratio.max()) <= 1.02, ratio
