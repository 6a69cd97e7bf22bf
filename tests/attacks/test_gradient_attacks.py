"""FGSM / PGD oracles: ART (same model, same input), closed form on a linear softmax model, constraints."""

import numpy as np
import pytest
import torch
from torch import nn

from paperworks import attacks
from paperworks.core.errors import ConfigError, DataError
from paperworks.models.mnist import LinearSoftmax, SmallCNN


def _art_classifier(model, x, n_classes):
    art_est = pytest.importorskip("art.estimators.classification")
    return art_est.PyTorchClassifier(model=model, loss=nn.CrossEntropyLoss(reduction="sum"),
                                     input_shape=tuple(x.shape[1:]), nb_classes=n_classes, clip_values=(0.0, 1.0),
                                     device_type="cpu")  # ART would move the model to a visible GPU


@pytest.mark.parametrize("targeted", [False, True])
def test_fgsm_equals_art(small_setup, targeted):
    evasion = pytest.importorskip("art.attacks.evasion")
    model, x, y = small_setup
    yy = (y + 1) % 4 if targeted else y
    ours = attacks.fgsm(model, x, yy, eps=0.1, targeted=targeted)
    clf = _art_classifier(model, x, 4)
    theirs = evasion.FastGradientMethod(estimator=clf, eps=0.1, targeted=targeted).generate(
        x=x.numpy(), y=np.eye(4, dtype=np.float32)[yy.numpy()])
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-6)


@pytest.mark.parametrize("norm,eps,alpha", [("inf", 0.1, 0.02), (2, 1.0, 0.25)])
@pytest.mark.parametrize("targeted", [False, True])
def test_pgd_without_random_start_equals_art(small_setup, norm, eps, alpha, targeted):
    evasion = pytest.importorskip("art.attacks.evasion")
    model, x, y = small_setup
    yy = (y + 1) % 4 if targeted else y
    ours = attacks.pgd(model, x, yy, eps=eps, alpha=alpha, steps=10, norm=norm, random_start=False,
                       targeted=targeted)
    clf = _art_classifier(model, x, 4)
    atk = evasion.ProjectedGradientDescent(estimator=clf, norm=np.inf if norm == "inf" else 2, eps=eps,
                                           eps_step=alpha, max_iter=10, num_random_init=0, targeted=targeted,
                                           batch_size=64, verbose=False)
    theirs = atk.generate(x=x.numpy(), y=np.eye(4, dtype=np.float32)[yy.numpy()])
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-5)


def test_fgsm_closed_form_on_linear_softmax():
    torch.manual_seed(1)
    model = LinearSoftmax(in_channels=1, num_classes=3, image_size=5).double().eval()
    x = torch.rand(6, 1, 5, 5, dtype=torch.float64) * 0.6 + 0.2
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    W, b = model.linear.weight.detach(), model.linear.bias.detach()
    p = torch.softmax(x.flatten(1) @ W.T + b, dim=1)
    grad = (p - torch.nn.functional.one_hot(y, 3).double()) @ W   # d CE / d x = W^T (p - e_y)
    want = (x + 0.15 * grad.sign().view_as(x)).clamp(0, 1)
    torch.testing.assert_close(attacks.fgsm(model, x, y, eps=0.15), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("norm,eps", [("inf", 0.07), ("inf", 0.3), (2, 0.5), (2, 3.0)])
def test_pgd_random_start_stays_in_ball_and_box(small_setup, norm, eps):
    model, x, y = small_setup
    for targeted in (False, True):
        out = attacks.pgd(model, x, y, eps=eps, steps=7, norm=norm, seed=3, targeted=targeted)
        assert out.min() >= 0 and out.max() <= 1
        d = (out - x).flatten(1)
        size = d.abs().amax(1) if norm == "inf" else d.norm(dim=1)
        assert float(size.max()) <= eps + 1e-6


def test_random_start_is_seeded_and_x_start_is_used(small_setup):
    model, x, y = small_setup
    a = attacks.pgd(model, x, y, eps=0.1, steps=3, seed=5)
    b = attacks.pgd(model, x, y, eps=0.1, steps=3, seed=5)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    start = attacks.random_ball_point(x, 0.1, "inf", torch.Generator().manual_seed(5))
    c = attacks.pgd(model, x, y, eps=0.1, steps=3, x_start=start)
    torch.testing.assert_close(a, c, rtol=0, atol=0)


def test_pgd_is_stronger_than_fgsm_and_targeted_hits_target(small_setup):
    model, x, y = small_setup
    r_f = attacks.evaluate_attack(model, "fgsm", x, y, eps=0.15)
    r_p = attacks.evaluate_attack(model, "pgd", x, y, eps=0.15, steps=20, seed=0)
    assert r_p.success_rate >= r_f.success_rate
    t = (y + 2) % 4
    r_t = attacks.evaluate_attack(model, "pgd", x, t, eps=0.5, steps=30, seed=0, targeted=True, true_labels=y)
    assert r_t.success_rate > 0.9


def test_model_parameters_untouched(small_setup):
    model, x, y = small_setup
    model.zero_grad(set_to_none=True)  # the ART tests leave gradients behind
    before = [p.detach().clone() for p in model.parameters()]
    attacks.pgd(model, x, y, eps=0.1, steps=3, seed=0)
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters()))


@pytest.mark.parametrize("fn", [attacks.fgsm, attacks.pgd])
def test_bad_input_one_clear_error(small_setup, fn):
    model, x, y = small_setup
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        fn(model, x * 2, y, eps=0.1)
    with pytest.raises(DataError, match="channel"):
        fn(model, x.repeat(1, 3, 1, 1), y, eps=0.1)
    with pytest.raises(ConfigError, match="'eps' must be > 0"):
        fn(model, x, y, eps=0.0)
    with pytest.raises(ConfigError, match="'eps'"):
        fn(model, x, y, eps=-1)
    with pytest.raises(DataError, match="NaN"):
        fn(model, x.clone().fill_(float("nan")), y, eps=0.1)
    with pytest.raises(DataError, match=r"shape \[N, C, H, W\]"):
        fn(model, x[0], y, eps=0.1)
    with pytest.raises(DataError, match="shape"):
        fn(model, x, y[:3], eps=0.1)
    model.train()
    try:
        with pytest.raises(DataError, match="train mode"):
            fn(model, x, y, eps=0.1)
    finally:
        model.eval()


def test_pgd_unknown_norm(small_setup):
    model, x, y = small_setup
    with pytest.raises(ConfigError, match="one of inf, 2"):
        attacks.pgd(model, x, y, eps=0.1, norm=1)


def _exactly_inside(x_adv, x, eps, norm):
    """Ball and box with no slack: float64 differences of float32 values are exact; the images' own dtype too."""
    d64 = x_adv.double() - x.double()
    if norm == "inf":
        ball = bool(d64.abs().max() <= eps) and bool((x_adv - x).abs().max() <= eps)
    else:
        ball = bool(d64.flatten(1).norm(dim=1).max() <= eps) and bool((x_adv - x).flatten(1).norm(dim=1).max() <= eps)
    return ball and bool(x_adv.min() >= 0) and bool(x_adv.max() <= 1)


def test_outputs_inside_ball_and_box_exactly():
    """No tolerance: x + eps rounds to nearest in float32, so before clip_to_ball FGSM / PGD outputs left the ball
    by up to 3 ulps (e.g. |x_adv - x| = 0.1000000238 for eps = 0.1) on every one of these batches."""
    torch.manual_seed(0)
    model = SmallCNN(in_channels=1, num_classes=10, image_size=12, width=8).eval()
    for trial in range(4):
        x = torch.rand(64, 1, 12, 12)
        x[:, :, :2], x[:, :, -2:], x[:, :, 5], x[:, :, 6] = 0.0, 1.0, 0.3, 0.7   # box edges, eps-sized values
        y = torch.randint(0, 10, (64,))
        for eps in (0.1, 0.3, 8 / 255):
            assert _exactly_inside(attacks.fgsm(model, x, y, eps=eps), x, eps, "inf")
            assert _exactly_inside(attacks.pgd(model, x, y, eps=eps, steps=3, seed=trial), x, eps, "inf")
            assert _exactly_inside(attacks.pgd(model, x, y, eps=5 * eps, steps=3, norm=2, seed=trial), x, 5 * eps, "2")


def test_clip_to_ball_rounds_towards_x_and_keeps_inside_points():
    x = torch.full((1, 1, 1, 2), 0.3)                      # float32(0.3) = 0.30000001192...
    out = attacks.clip_to_ball(torch.zeros_like(x), x, 0.3, "inf")
    assert float(out.double().sub(x.double()).abs().max()) <= 0.3 and float(out.min()) > 0   # 0 is 0.3000000119 away
    inside = (x + torch.tensor([[[[0.1, -0.2]]]])).clamp(0, 1)
    assert torch.equal(attacks.clip_to_ball(inside, x, 0.3, "inf"), inside)
    far = torch.ones(3, 1, 4, 4)
    x3 = torch.rand(3, 1, 4, 4)
    got = attacks.clip_to_ball(far, x3, 0.5, 2)
    assert _exactly_inside(got, x3, 0.5, "2")
    torch.testing.assert_close((got - x3).flatten(1).norm(dim=1), torch.full((3,), 0.5))   # projected onto the sphere
    with pytest.raises(ConfigError, match="'eps' must be > 0"):
        attacks.clip_to_ball(far, x3, 0.0, 2)
    with pytest.raises(ConfigError, match="shape"):
        attacks.clip_to_ball(far[:2], x3, 0.5, 2)


@pytest.mark.parametrize("norm,eps,alpha", [("inf", 0.1, 0.02), (2, 1.0, 0.25)])
def test_pgd_with_arts_random_start_equals_art(small_setup, norm, eps, alpha):
    """Same random start: ART draws it with art.utils.random_sphere from numpy's global RNG; we draw the same
    numbers under the same seed, hand them to ``x_start`` and ART runs its own PGD (num_random_init=1)."""
    evasion = pytest.importorskip("art.attacks.evasion")
    from art.utils import random_sphere

    model, x, y = small_setup
    nrm = np.inf if norm == "inf" else 2
    np.random.seed(123)
    delta = random_sphere(x.shape[0], int(np.prod(x.shape[1:])), eps, nrm).reshape(x.shape).astype(np.float32)
    start = (x + torch.from_numpy(delta)).clamp(0, 1)
    ours = attacks.pgd(model, x, y, eps=eps, alpha=alpha, steps=10, norm=norm, x_start=start)
    clf = _art_classifier(model, x, 4)
    atk = evasion.ProjectedGradientDescent(estimator=clf, norm=nrm, eps=eps, eps_step=alpha, max_iter=10,
                                           num_random_init=1, batch_size=64, verbose=False)
    np.random.seed(123)
    theirs = atk.generate(x=x.numpy(), y=np.eye(4, dtype=np.float32)[y.numpy()])
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-5)
    # and the start mattered: from x itself the result differs
    plain = attacks.pgd(model, x, y, eps=eps, alpha=alpha, steps=10, norm=norm, random_start=False)
    assert float((plain - ours).abs().max()) > 1e-3


@pytest.mark.parametrize("fn", [attacks.fgsm, attacks.pgd])
def test_bad_labels_model_shape_and_start_one_clear_error(small_setup, fn):
    model, x, y = small_setup
    with pytest.raises(DataError, match=r"class index 4 but the model has 4 classes"):
        fn(model, x, torch.where(y == 3, 4, y), eps=0.1)
    flat = LinearSoftmax(in_channels=1, num_classes=4, image_size=12).eval()   # no convolution to read C from
    with pytest.raises(DataError, match=r"cannot take 'x' of shape \[32, 3, 12, 12\].*channel count"):
        fn(flat, x.repeat(1, 3, 1, 1), y, eps=0.1)
    with pytest.raises(DataError, match=r"cannot take 'x' of shape \[32, 1, 10, 10\]"):
        fn(flat, x[:, :, :10, :10], y, eps=0.1)
    if fn is attacks.pgd:
        with pytest.raises(DataError, match="'x_start' contains NaN"):
            fn(model, x, y, eps=0.1, x_start=torch.full_like(x, float("nan")))
        with pytest.raises(DataError, match=r"'x_start' must lie in \[0, 1\]"):
            fn(model, x, y, eps=0.1, x_start=x + 2)


def test_clip_to_ball_refuses_a_centre_outside_the_box_or_nan():
    """The ball around x meets the [0, 1] box only when x lies in the box: for x = 1.5, eps = 0.1 the old code
    returned 1.0, 0.5 away from x (outside the ball it promises), and NaN in x or x_adv came back as NaN."""
    x = torch.full((2, 3), 0.5)
    with pytest.raises(DataError, match=r"'x' must lie in \[0, 1\]"):
        attacks.clip_to_ball(torch.zeros_like(x), x + 1.0, 0.1, "inf")
    with pytest.raises(DataError, match="'x' contains NaN"):
        attacks.clip_to_ball(torch.zeros_like(x), torch.full_like(x, float("nan")), 0.1, 2)
    with pytest.raises(DataError, match="'x_adv' contains NaN"):
        attacks.clip_to_ball(torch.full_like(x, float("nan")), x, 0.1, "inf")
    # an x_adv far outside the box (even infinite) is legitimate input: it is clamped and projected
    got = attacks.clip_to_ball(torch.tensor([[float("inf"), -5.0, 0.5]] * 2), x, 0.1, "inf")
    assert float((got.double() - x.double()).abs().max()) <= 0.1 and float(got.min()) >= 0


def test_random_start_is_uniform_in_the_ball():
    """Kolmogorov-Smirnov against the exact laws (fixed seed, so deterministic): L_inf start = each coordinate
    U(-eps, eps); L_2 start in d dimensions = uniform direction and radius with P(r <= t eps) = t^d. (Before, the
    start was only checked to lie in the ball, which a radius drawn U(0, eps) - crowding the centre - passes.)"""
    from scipy import stats

    x = torch.full((4000, 1, 1, 3), 0.5, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    d_inf = (attacks.random_ball_point(x, 0.2, "inf", g) - x).flatten(1)
    assert stats.kstest(d_inf.flatten().numpy() / 0.2, stats.uniform(-1, 2).cdf).pvalue > 1e-3
    d2 = (attacks.random_ball_point(x, 0.3, "2", g) - x).flatten(1)
    r = d2.norm(dim=1) / 0.3
    assert stats.kstest(r.numpy(), stats.beta(3, 1).cdf).pvalue > 1e-3
    u = d2 / d2.norm(dim=1, keepdim=True)
    assert stats.kstest(u[:, 0].numpy(), stats.uniform(-1, 2).cdf).pvalue > 1e-3   # a coordinate of a uniform
    # direction on the 2-sphere in R^3 is U(-1, 1) (Archimedes)


@pytest.mark.parametrize("targeted", [False, True])
def test_l2_fast_gradient_equals_art(small_setup, targeted):
    evasion = pytest.importorskip("art.attacks.evasion")
    model, x, y = small_setup
    yy = (y + 1) % 4 if targeted else y
    ours = attacks.fgsm(model, x, yy, eps=1.0, targeted=targeted, norm=2)
    clf = _art_classifier(model, x, 4)
    theirs = evasion.FastGradientMethod(estimator=clf, eps=1.0, norm=2, targeted=targeted).generate(
        x=x.numpy(), y=np.eye(4, dtype=np.float32)[yy.numpy()])
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-5)
    d = (ours.double() - x.double()).flatten(1).norm(dim=1)
    assert (d <= 1.0).all() and (d > 0.5).all()          # inside the L2 ball, and a real step (not sign-L_inf)
    assert torch.equal(attacks.fgsm(model, x, yy, eps=0.1, targeted=targeted, norm="inf"),
                       attacks.fgsm(model, x, yy, eps=0.1, targeted=targeted))   # default unchanged
