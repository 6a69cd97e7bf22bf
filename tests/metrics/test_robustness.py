"""Oracles for shifts (scipy.ndimage / exact rot90) and the attack/shift evaluation helpers."""

import numpy as np
import pytest
import torch

from paperworks.core.errors import DataError, UnknownNameError
from paperworks.metrics import (apply_shift, classification_metrics, evaluate_under_attack,
                                evaluate_under_shift, gaussian_noise, label_fraction_indices, rotate)


def test_rotate_matches_exact_rot90_and_flip():
    x = torch.rand(3, 2, 9, 9, dtype=torch.float64)
    torch.testing.assert_close(rotate(x, 90), torch.rot90(x, 1, [2, 3]))
    torch.testing.assert_close(rotate(x, -90), torch.rot90(x, -1, [2, 3]))
    xr = torch.rand(2, 1, 6, 10, dtype=torch.float64)
    torch.testing.assert_close(rotate(xr, 180), torch.flip(xr, [2, 3]))
    torch.testing.assert_close(rotate(x, 0), x)


@pytest.mark.parametrize("angle", [15.0, 30.0, -40.0])
def test_rotate_matches_scipy_ndimage_interior(angle):
    import scipy.ndimage as nd

    x = torch.rand(2, 1, 15, 15, dtype=torch.float64)
    want = nd.rotate(x.numpy(), angle, axes=(3, 2), reshape=False, order=1, mode="constant", cval=0.0)
    # the fill differs only where the bilinear stencil touches the outside: compare the central disc
    yy, xx = np.mgrid[:15, :15]
    inner = (yy - 7) ** 2 + (xx - 7) ** 2 <= 5 ** 2
    np.testing.assert_allclose(rotate(x, angle).numpy()[..., inner], want[..., inner], atol=1e-10)


def test_noise_is_seeded_clipped_and_has_sigma():
    x = torch.full((4, 1, 50, 50), 0.5)
    a, b = gaussian_noise(x, 0.1, seed=3), gaussian_noise(x, 0.1, seed=3)
    torch.testing.assert_close(a, b)
    assert not torch.equal(a, gaussian_noise(x, 0.1, seed=4))
    assert float((a - x).std()) == pytest.approx(0.1, rel=0.05)
    assert abs(float((a - x).mean())) < 0.005      # zero-mean noise (10^4 draws: sd of the mean 0.001)
    u = gaussian_noise(x, 5.0, seed=3, clip=False)  # unclipped: x + 5 z, the same draws scaled
    torch.testing.assert_close((u - x) / 5.0, (a - x) / 0.1, rtol=1e-4, atol=1e-4)
    assert float(gaussian_noise(x, 5.0).min()) >= 0 and float(gaussian_noise(x, 5.0).max()) <= 1


class _Linear(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x):
        return x.flatten(1) @ self.w


def _sign_attack(model, x, y, eps):
    """FGSM written out for a linear model (gradient of CE wrt x = W (p - onehot))."""
    x = x.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    return (x + eps * x.grad.sign()).clamp(0, 1).detach()


def test_evaluate_under_attack_with_callable_and_eval_mode_restored():
    g = torch.Generator().manual_seed(0)
    model = _Linear(torch.randn(16, 3, generator=g))
    x = torch.rand(40, 1, 4, 4, generator=g)
    y = model(x).argmax(1)
    model.train()
    res = evaluate_under_attack(model, x, y, attack=_sign_attack, eps=0.0)
    assert res["accuracy"] == 1.0 and res["linf"] == 0.0 and res["l2"] == 0.0
    # batches of 7 (a ragged last batch of 5): the attack sees each slice of x with ITS labels, in eval mode
    calls = []

    def recording(m, xb, yb, eps):
        calls.append((xb.shape[0], bool(m.training), torch.equal(yb, model(xb).argmax(1))))
        return _sign_attack(m, xb, yb, eps)

    res = evaluate_under_attack(model, x, y, attack=recording, eps=0.3, batch_size=7)
    assert calls == [(7, False, True)] * 5 + [(5, False, True)]
    assert model.training  # restored
    # expected values written out here: the linear model's per-row sign attack does not depend on the batch
    # (the batch mean only scales each row's gradient), so one call on all rows gives the same images
    xa = _sign_attack(model, x, y, 0.3)
    d = (xa - x).flatten(1).double().numpy()
    acc = float((model(xa).argmax(1) == y).double().mean())
    assert 0.0 < acc < 1.0
    assert res["accuracy"] == pytest.approx(acc, abs=1e-6)   # one example is 0.025
    assert res["linf"] == pytest.approx(np.abs(d).max(1).mean(), rel=1e-6)
    assert res["l2"] == pytest.approx(np.sqrt((d ** 2).sum(1)).mean(), rel=1e-6)
    assert res["linf"] <= 0.3 + 1e-6 and res["l2"] > res["linf"]


def test_evaluate_under_attack_uses_paperworks_attacks_fgsm():
    import paperworks.attacks as A   # part of the library: a missing fgsm must fail here, not skip

    g = torch.Generator().manual_seed(1)
    model = _Linear(torch.randn(16, 3, generator=g)).eval()
    x = torch.rand(20, 1, 4, 4, generator=g)
    y = model(x).argmax(1)
    res = evaluate_under_attack(model, x, y, attack="fgsm", eps=0.2)
    want = classification_metrics(model(A.fgsm(model, x, y, eps=0.2)).detach(), y)["accuracy"]
    assert res["accuracy"] == pytest.approx(want)


def test_evaluate_under_shift_equals_manual():
    g = torch.Generator().manual_seed(2)
    model = _Linear(torch.randn(16, 3, generator=g)).eval()
    x = torch.rand(30, 1, 4, 4, generator=g)
    y = torch.randint(0, 3, (30,), generator=g)
    got = evaluate_under_shift(model, x, y, "noise", 0.2, seed=5)
    want = classification_metrics(model(gaussian_noise(x, 0.2, seed=5)).detach(), y)
    assert got == pytest.approx(want)
    # rotation by the severity in degrees, counter-clockwise: 90 is torch.rot90 exactly (the direction and the
    # degrees-to-rotation mapping of apply_shift were never exercised); a model that sees the orientation
    wo = _Linear(torch.randn(16, 3, generator=g)).eval()
    for deg, k in ((90, 1), (-90, -1)):
        got = evaluate_under_shift(wo, x, y, "rotation", deg)
        want = classification_metrics(wo(torch.rot90(x, k, [2, 3])).detach(), y)
        assert got == pytest.approx(want)
        assert got != pytest.approx(classification_metrics(wo(torch.rot90(x, -k, [2, 3])).detach(), y))


def test_shift_and_attack_bad_input():
    x = torch.rand(2, 1, 4, 4)
    with pytest.raises(UnknownNameError, match="rotation"):
        apply_shift(x, "blur", 1.0)
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        apply_shift(x + 2, "noise", 0.1)
    with pytest.raises(DataError, match=r"\[N, C, H, W\]"):
        apply_shift(x[0], "rotation", 10)
    with pytest.raises(DataError, match="sigma"):
        gaussian_noise(x, -1.0)
    with pytest.raises(DataError, match="NaN"):
        gaussian_noise(torch.full_like(x, float("nan")), 0.1)
    with pytest.raises(UnknownNameError, match="fgsm"):
        evaluate_under_attack(_Linear(torch.zeros(16, 2)), x, torch.tensor([0, 1]), attack="deepfool")


def test_label_fraction_indices_stratified_deterministic_nested():
    y = torch.arange(1000) % 10
    i1 = label_fraction_indices(y, 0.01, seed=0)
    i5 = label_fraction_indices(y, 0.05, seed=0)
    assert len(i1) == 10 and len(i5) == 50
    assert np.bincount(y[i5].numpy(), minlength=10).tolist() == [5] * 10
    assert set(i1) <= set(i5)
    np.testing.assert_array_equal(i5, label_fraction_indices(y, 0.05, seed=0))
    assert not np.array_equal(i5, label_fraction_indices(y, 0.05, seed=1))
    # min_per_class keeps rare classes present
    y2 = torch.tensor([0] * 200 + [1] * 3)
    assert np.bincount(y2[label_fraction_indices(y2, 0.01)].numpy()).tolist() == [2, 1]
    with pytest.raises(DataError, match="fraction"):
        label_fraction_indices(y, 0.0)
    with pytest.raises(DataError, match="integer"):
        label_fraction_indices(y.float(), 0.1)
    with pytest.raises(DataError, match="class indices >= 0"):
        label_fraction_indices(torch.tensor([-1, 0, 1, 1]), 0.5)


def test_evaluate_under_attack_targeted_measures_true_labels_not_targets():
    """With targeted=True, 'y' is the targets: the accuracy used to be measured against the targets (i.e. it
    was the attack's success rate, reported as accuracy). Now the true classes come as 'true_labels'; the
    expected values are a targeted FGSM written out here (x - eps * sign(grad CE(f(x), target)))."""
    g = torch.Generator().manual_seed(3)
    model = _Linear(torch.randn(16, 4, generator=g)).eval()
    x = torch.rand(60, 1, 4, 4, generator=g)
    y_true = model(x).argmax(1)
    target = (y_true + 1 + torch.randint(0, 3, (60,), generator=g)) % 4
    res = evaluate_under_attack(model, x, target, attack="fgsm", eps=0.25, targeted=True, true_labels=y_true,
                                batch_size=16)
    xr = x.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(model(xr), target, reduction="sum").backward()
    xa = (x - 0.25 * xr.grad.sign()).clamp(0, 1)
    pred = model(xa).argmax(1)
    acc, hit = float((pred == y_true).double().mean()), float((pred == target).double().mean())
    assert 0.0 < acc < 1.0 and 0.0 < hit < 1.0 and abs(acc - hit) > 0.05   # the two readings differ here
    assert res["accuracy"] == pytest.approx(acc, abs=1e-6)   # one example is 1/60
    assert res["target_success"] == pytest.approx(hit, abs=1e-6)
    assert res["nll"] == pytest.approx(float(torch.nn.functional.cross_entropy(model(xa).detach().double(), y_true)),
                                       rel=1e-6)
    with pytest.raises(DataError, match="true_labels"):
        evaluate_under_attack(model, x, target, attack="fgsm", eps=0.25, targeted=True)
    with pytest.raises(DataError, match="only used with targeted=True"):
        evaluate_under_attack(model, x, y_true, attack="fgsm", eps=0.25, true_labels=y_true)
    assert "target_success" not in evaluate_under_attack(model, x, y_true, attack="fgsm", eps=0.25)


def test_evaluate_under_attack_batches_continue_one_seeded_stream():
    from paperworks.attacks import pgd
    from paperworks.metrics import evaluate_under_attack
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3)).eval()
    x = torch.rand(6, 1, 4, 4).repeat(2, 1, 1, 1)                    # the same 6 images twice
    y = torch.arange(12) % 3
    out = evaluate_under_attack(model, x, y, "pgd", batch_size=6, eps=0.2, alpha=0.05, steps=1, seed=3)
    g = torch.Generator().manual_seed(3)
    ref = torch.cat([pgd(model, x[i:i + 6], y[i:i + 6], eps=0.2, alpha=0.05, steps=1, generator=g) for i in (0, 6)])
    d = (ref - x).flatten(1)
    assert out["linf"] == pytest.approx(float(d.abs().amax(1).mean()), abs=0)
    assert out["l2"] == pytest.approx(float(d.norm(dim=1).mean()), abs=0)
    assert not torch.equal(ref[:6], ref[6:])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (run scripts/gpu-check.sh there)")
def test_shifts_run_on_the_inputs_device_with_the_cpu_numbers():
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    for f in (lambda t: gaussian_noise(t, 0.2, seed=3), lambda t: rotate(t, 30.0)):
        got = f(x.cuda())
        assert got.is_cuda
        torch.testing.assert_close(got.cpu(), f(x), rtol=1e-5, atol=1e-5)
