"""Accuracy (and calibration) under adversarial attack and under distribution shift.

Attacks come from :mod:`paperworks.attacks` (``fgsm``, ``pgd``, ``cw_l2``: ``(model, x, y, **params) ->
x_adv``); shifts are the two the brief asks for, applied to NCHW images in [0, 1]:

- ``noise``: x + sigma * N(0, I), clipped back to [0, 1] (a seeded generator, so the shifted set is fixed).
- ``rotation``: rotation by a fixed angle about the image centre, bilinear, zero (black) fill, the same
  ``affine_grid``/``grid_sample`` warp torchvision's ``rotate`` performs (not imported: no torchvision).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from paperworks.attacks._checks import check_images, check_seed
from paperworks.attacks.evaluate import run_batched
from paperworks.core.config import check_int, is_real
from paperworks.core.errors import DataError, UnknownNameError
from paperworks.core.trainer import eval_mode
from paperworks.metrics._checks import as_tensor, check_labels
from paperworks.metrics.calibration import classification_metrics

__all__ = ["predict_logits", "gaussian_noise", "rotate", "apply_shift", "evaluate_under_shift",
           "evaluate_under_attack", "SHIFTS", "ATTACKS"]

SHIFTS = ("noise", "rotation")
ATTACKS = ("fgsm", "pgd", "cw_l2")


def _check_images(x, where: str) -> torch.Tensor:
    """NCHW float images in [0, 1], finite (numpy arrays accepted): the attack engine's one image check."""
    x = as_tensor(x, "x", where)
    check_images(where, x)
    return x


@torch.no_grad()
def predict_logits(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Logits of ``model`` on ``x`` in eval mode, batched (every submodule's mode is restored afterwards)."""
    # (0 / -1 failed inside range() / torch.cat)
    batch_size = check_int("batch_size", batch_size, 1, where="predict_logits")
    with eval_mode(model):
        out = [model(x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)]
    return torch.cat(out)


def gaussian_noise(x: torch.Tensor, sigma: float, seed: int = 0, clip: bool = True) -> torch.Tensor:
    """x + sigma * eps, eps ~ N(0, I) from a generator seeded with ``seed``; clipped to [0, 1] if clip."""
    x = _check_images(x, "gaussian_noise")
    if not is_real(sigma, 0.0):
        raise DataError(f"gaussian_noise: 'sigma' must be a finite number >= 0 (got {sigma!r})")
    # int(seed) ran seed=1.5 and seed=True as seed 1 (and '3' as 3) without a word, 2**70 failed in a bare
    # "Overflow when unpacking long long": one seed rule with the attacks engine
    g = torch.Generator().manual_seed(check_seed("gaussian_noise", seed))
    # drawn on the CPU generator (the same numbers on every device), then moved to x's device
    out = x + sigma * torch.randn(x.shape, generator=g, dtype=x.dtype).to(x.device)
    return out.clamp(0, 1) if clip else out


def rotate(x: torch.Tensor, degrees: float) -> torch.Tensor:
    """Rotate NCHW images counter-clockwise by ``degrees`` about the centre (bilinear, zero fill)."""
    x = _check_images(x, "rotate")
    if not math.isfinite(degrees):
        raise DataError(f"rotate: 'degrees' must be finite (got {degrees!r})")
    a = -math.radians(degrees)  # y grows downwards in image coordinates: negate for counter-clockwise
    n, _, h, w = x.shape
    # output pixel (u, v) in normalised coordinates samples the input at R(-a) (u, v); the aspect ratio
    # enters because normalised x and y have different pixel scales when H != W
    c, s = math.cos(a), math.sin(a)
    theta = torch.tensor([[c, s * h / w, 0.0], [-s * w / h, c, 0.0]], dtype=x.dtype, device=x.device)
    grid = F.affine_grid(theta.expand(n, 2, 3), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def apply_shift(x: torch.Tensor, shift: str, severity: float, seed: int = 0) -> torch.Tensor:
    """Shifted copy of images ``x``: shift='noise' (severity = sigma) or 'rotation' (severity = degrees)."""
    x = _check_images(x, "apply_shift")
    if shift == "noise":
        return gaussian_noise(x, float(severity), seed)
    if shift == "rotation":
        return rotate(x, float(severity))
    raise UnknownNameError("shift", str(shift), SHIFTS)


def evaluate_under_shift(model, x, y, shift: str, severity: float, seed: int = 0, n_bins: int = 15,
                         batch_size: int = 512) -> dict[str, float]:
    """accuracy / ece / nll / brier of ``model`` on the shifted images (see :func:`apply_shift`)."""
    batch_size = check_int("batch_size", batch_size, 1, where="evaluate_under_shift")
    xs = apply_shift(x, shift, severity, seed)
    return classification_metrics(predict_logits(model, xs, batch_size), y, n_bins)


def _attack_fn(attack) -> Callable:
    if callable(attack):
        return attack
    if attack not in ATTACKS:
        raise UnknownNameError("attack", str(attack), ATTACKS)
    try:
        import paperworks.attacks as A
    except ImportError as e:  # pragma: no cover - the engine ships with the library
        raise DataError(f"evaluate_under_attack: paperworks.attacks is not available ({e})") from None
    return getattr(A, attack)


def evaluate_under_attack(model, x, y, attack="fgsm", n_bins: int = 15, batch_size: int = 512,
                          true_labels=None, **params) -> dict[str, float]:
    """Metrics of ``model`` on adversarial examples ``attack(model, x, y, **params)``.

    attack: 'fgsm', 'pgd', 'cw_l2' (from :mod:`paperworks.attacks`) or any callable with that signature.
    The model is put in eval mode for the attack and the evaluation (every submodule's own mode is restored
    afterwards). Besides
    accuracy / ece / nll / brier the result holds the mean L-inf and L2 perturbation sizes.

    Targeted attacks (``targeted=True`` among ``params``): ``y`` holds the target classes the attack is
    steered to, and ``true_labels`` (required then) the true classes that accuracy / ECE / NLL / Brier are
    measured against; the result also holds ``target_success``, the fraction classified as their target.
    """
    fn = _attack_fn(attack)
    x = _check_images(x, "evaluate_under_attack")
    batch_size = check_int("batch_size", batch_size, 1, where="evaluate_under_attack")
    targeted = bool(params.get("targeted", False))
    if targeted and true_labels is None:
        raise DataError("evaluate_under_attack: targeted=True: 'y' holds the target classes, so pass the true "
                        "classes as 'true_labels' (the metrics are measured against them)")
    if true_labels is not None and not targeted:
        raise DataError("evaluate_under_attack: 'true_labels' is only used with targeted=True (untargeted "
                        "attacks take the true classes as 'y')")
    with eval_mode(model):
        xa = run_batched(fn, model, x, y, batch_size, **params)
    logits = predict_logits(model, xa, batch_size)
    out = classification_metrics(logits, true_labels if targeted else y, n_bins)
    if targeted:
        t = check_labels(y, logits.shape[0], logits.shape[1], "evaluate_under_attack")
        out["target_success"] = float(logits.argmax(1).eq(t).float().mean())
    d = (xa - x).flatten(1)
    out["linf"] = float(d.abs().amax(1).mean())
    out["l2"] = float(d.norm(dim=1).mean())
    return out
