"""Evaluation of an attack: success rate, perturbation norms and generation time per example."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from paperworks.attacks._checks import (check_attack_inputs, check_images, check_int, check_label_range, check_labels,
                                        check_flag, check_not_meta, check_not_meta_tensor, check_seed)
from paperworks.attacks.losses import attack_success
from paperworks.core.errors import ConfigError, DataError, UnknownNameError
from paperworks.core.trainer import eval_mode

__all__ = ["AttackReport", "evaluate_attack", "success_rate", "perturbation_norms", "predict", "accuracy"]


@torch.no_grad()
def predict(model, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Arg-max class of ``model`` on ``x`` (batched, no gradient), in eval mode (every submodule's own mode is
    restored afterwards, as :func:`paperworks.metrics.predict_logits`). Returns int64 [N].

    (A model left in train mode was run as it was: dropout made the predictions random and each batch norm
    normalised by the batch and moved its running statistics, so measuring an accuracy changed the model.)"""
    batch_size = check_int("predict", "batch_size", batch_size, 1)   # 0 / -1 failed inside range() / torch.cat
    _check_real("predict", model, x)
    if x.shape[0] == 0:   # (torch.cat failed on the empty list: "expected a non-empty list of Tensors")
        return torch.empty(0, dtype=torch.long, device=x.device)
    with eval_mode(model):
        return torch.cat([model(x[i:i + batch_size]).argmax(1) for i in range(0, x.shape[0], batch_size)])


def accuracy(model, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Fraction of ``x`` classified as ``y`` (class indices [N]; a [N, 1] column broadcast to an N x N
    comparison: refused). A numpy label array is read as a tensor (it compared element-wise before).
    No examples: nan, as :func:`success_rate`."""
    y = _from_numpy(y, x)
    check_labels("accuracy", y, x.shape[0])
    return float((predict(model, x, batch_size) == y).float().mean())


def success_rate(model, x_adv: torch.Tensor, y: torch.Tensor, targeted: bool = False,
                 mask: torch.Tensor | None = None) -> float:
    """Fraction of examples where the attack succeeds (prediction == target, or != true label).

    ``mask``: bool [N], True for the examples to count (an integer tensor would index instead of mask:
    refused; a numpy bool array [N] is a mask too, as it was before that check). No examples counted: nan.

    Untargeted, an input the model already misclassifies counts as a success (the rate over all inputs, as the
    advgan tables report it); :func:`evaluate_attack` also gives ``success_rate_on_correct``, over the inputs
    classified correctly before the attack."""
    mask = _from_numpy(mask, x_adv)
    if mask is not None and (not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool
                             or mask.shape != (x_adv.shape[0],)):
        got = f"{mask.dtype}, shape {list(mask.shape)}" if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise DataError(f"success_rate: 'mask' must be a bool tensor of shape [{x_adv.shape[0]}] (got {got}); "
                        "an integer tensor would pick examples by index")
    y = _from_numpy(y, x_adv)
    check_labels("success_rate", y, x_adv.shape[0])   # (labels [N, 1] broadcast against [N] predictions)
    targeted = check_flag("success_rate", "targeted", targeted)
    _check_real("success_rate", model, x_adv, "x_adv")
    with torch.no_grad(), eval_mode(model):   # as predict (train mode: random answers, batch-norm stats moved)
        ok = attack_success(model(x_adv), y, targeted)
    if mask is not None:
        ok = ok[mask]
    return float(ok.float().mean()) if ok.numel() else float("nan")


def _check_real(who: str, model, x, name: str = "x") -> None:
    """Model and images off the meta device (they failed in a bare "Tensor on device meta is not on the expected
    device cpu!"), named as the attacks name them."""
    if isinstance(model, nn.Module):
        check_not_meta(who, model)
    check_not_meta_tensor(who, x, name)


def _from_numpy(a, like):
    """A numpy array as a tensor on ``like``'s device (anything else as it is: the checks name it)."""
    return torch.as_tensor(a, device=like.device) if isinstance(a, np.ndarray) and isinstance(like, torch.Tensor) \
        else a


def perturbation_norms(x: torch.Tensor, x_adv: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-example L_inf, L_2 and L_0 (count of changed pixels) norms of x_adv - x (same shapes [N, ...]), in the
    images' dtype; float32 for float16 / bfloat16 images (in bfloat16 a count of 774 changed pixels read 776 and
    777 read 776: it holds integers exactly only up to 256; float16 up to 2048)."""
    if not (isinstance(x, torch.Tensor) and isinstance(x_adv, torch.Tensor)) or x.shape != x_adv.shape \
            or x.dim() < 2:
        got = [list(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in (x, x_adv)]
        # (x_adv [1, ...] against x [N, ...] broadcast to N rows of norms without a word)
        raise DataError(f"perturbation_norms: 'x' and 'x_adv' must be tensors of the same shape [N, ...] (got {got[0]} "
                        f"and {got[1]})")
    if torch.promote_types(x.dtype, x_adv.dtype) in (torch.float16, torch.bfloat16):
        x, x_adv = x.float(), x_adv.float()
    d = (x_adv - x).flatten(1)
    return {"linf": d.abs().amax(1), "l2": d.norm(dim=1), "l0": (d != 0).sum(1).to(d.dtype)}


@dataclass
class AttackReport:
    """Outcome of one attack on one batch of inputs (see :func:`evaluate_attack`)."""

    name: str
    n: int
    success_rate: float            # over all n inputs
    success_rate_on_correct: float  # over the inputs the model classifies correctly before the attack
    clean_accuracy: float
    adversarial_accuracy: float
    mean_linf: float
    mean_l2: float
    mean_l2_successful: float
    time_per_example_s: float
    success: torch.Tensor = field(repr=False)
    x_adv: torch.Tensor = field(repr=False)

    def as_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in ("n", "success_rate", "success_rate_on_correct", "clean_accuracy",
                                               "adversarial_accuracy", "mean_linf", "mean_l2",
                                               "mean_l2_successful", "time_per_example_s")}


def _resolve(attack):
    if callable(attack):
        return getattr(attack, "__name__", type(attack).__name__), attack
    from paperworks import attacks as _atk

    table = {"fgsm": _atk.fgsm, "pgd": _atk.pgd, "cw_l2": _atk.cw_l2}
    if attack not in table:
        raise UnknownNameError("attack", str(attack), table)
    return attack, table[attack]


def _takes_generator(fn) -> bool:
    try:
        return "generator" in inspect.signature(fn).parameters
    except (TypeError, ValueError):          # a callable without an inspectable signature (C functions)
        return False


def run_batched(fn: Callable, model, x: torch.Tensor, y: torch.Tensor, batch_size: int | None,
                **params) -> torch.Tensor:
    """``fn(model, x_b, y_b, **params)`` over batches of ``batch_size`` (None: one batch), concatenated.

    With ``seed`` and several batches, an attack that takes a ``generator`` gets ONE generator seeded once,
    so the batches continue a single random stream (seeding each batch anew gave every batch the same
    random starts)."""
    # (0 ran as one batch, -1 failed inside torch.cat with an empty list)
    bs = x.shape[0] if batch_size is None else check_int("run_batched", "batch_size", batch_size, 1)
    if params.get("seed") is not None and bs < x.shape[0] and params.get("generator") is None \
            and _takes_generator(fn):
        seed = check_seed("run_batched", params["seed"])   # (int(1.5) seeded 1 without a word)
        params = {**params, "generator": torch.Generator(device=x.device).manual_seed(seed), "seed": None}
    return torch.cat([fn(model, x[i:i + bs], y[i:i + bs], **params).detach() for i in range(0, x.shape[0], bs)])


def evaluate_attack(model, attack: str | Callable | torch.Tensor, x: torch.Tensor, y: torch.Tensor, *,
                    targeted: bool = False, true_labels: torch.Tensor | None = None,
                    batch_size: int | None = None, name: str | None = None, **params) -> AttackReport:
    """Run ``attack(model, x, y, targeted=..., **params)`` (a function, one of 'fgsm', 'pgd', 'cw_l2', or a
    tensor of precomputed adversarial images) and measure it.

    For a targeted attack ``y`` holds the targets and ``true_labels`` (required then) the true classes used
    for the clean / adversarial accuracy; a target equal to its true label is refused (that "attack" succeeds
    without changing anything). Time per example is wall time / n (nan for precomputed images).
    """
    who = "evaluate_attack"
    n_classes = check_attack_inputs(who, model, x, y, needs_grad=False)   # fgsm / pgd / cw_l2 check it
    targeted = check_flag(who, "targeted", targeted)
    if batch_size is not None:
        check_int(who, "batch_size", batch_size, 1)
    if targeted and true_labels is None:
        raise ConfigError("targeted=True: 'y' holds the target classes, so pass the true classes as "
                          "'true_labels' (needed for the clean and adversarial accuracy)", where=who)
    if true_labels is not None:
        check_labels(who, true_labels, x.shape[0], name="true_labels")
        check_label_range(who, true_labels, n_classes, name="true_labels")
    if not targeted and true_labels is not None:
        # an untargeted attack counts success against y (the true classes) and measured the accuracies against
        # true_labels: with the two different, success 1.0 sat beside an adversarial accuracy of 0.33
        differ = int((true_labels.to(y.device).long() != y.long()).sum())
        if differ:
            raise DataError(f"{who}: untargeted, 'y' holds the true classes, but 'true_labels' differs from it at "
                            f"{differ} example(s); pass the true classes as 'y' (true_labels is for targeted=True)")
    if targeted:
        same = int((true_labels == y).sum())
        if same:
            raise DataError(f"{who}: {same} target(s) equal the true label; a targeted attack needs targets "
                            "different from the true classes")
    if isinstance(attack, torch.Tensor):
        label, x_adv, elapsed = name or "precomputed", attack, float("nan")
    else:
        label, fn = _resolve(attack)
        label = name or label
        t0 = time.perf_counter()
        x_adv = run_batched(fn, model, x, y, batch_size, targeted=targeted, **params)
        elapsed = time.perf_counter() - t0
    # an attack function's images are checked as precomputed ones are (one outside [0, 1] was measured as it came:
    # success 0.75 for x + noise, which the same images passed as a tensor are refused for)
    check_images("evaluate_attack", x_adv, model, name="x_adv")
    if x_adv.shape != x.shape:
        raise DataError(f"evaluate_attack: x_adv has shape {list(x_adv.shape)}, x has {list(x.shape)}")
    x_adv = x_adv.detach()
    n = x.shape[0]
    truth = y if true_labels is None else true_labels
    with torch.no_grad():
        pred_clean = predict(model, x)
        pred_adv = predict(model, x_adv)
    ok = (pred_adv == y) if targeted else (pred_adv != y)
    correct = pred_clean == truth
    norms = perturbation_norms(x, x_adv)
    return AttackReport(
        name=label, n=n, success_rate=float(ok.float().mean()),
        success_rate_on_correct=float(ok[correct].float().mean()) if correct.any() else float("nan"),
        clean_accuracy=float(correct.float().mean()),
        adversarial_accuracy=float((pred_adv == truth).float().mean()),
        mean_linf=float(norms["linf"].mean()), mean_l2=float(norms["l2"].mean()),
        mean_l2_successful=float(norms["l2"][ok].mean()) if ok.any() else float("nan"),
        time_per_example_s=elapsed / n, success=ok, x_adv=x_adv)
