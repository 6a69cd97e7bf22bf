"""Adversarial-training defenses as training recipes for the shared Trainer.

- ``"fgsm"``: Goodfellow et al., ICLR 2015, Sec. 6: J~ = w * CE(x, y) + (1 - w) * CE(x_FGSM, y), w = 0.5,
  with x_FGSM made from the model being trained at every step.
- ``"ensemble"``: Tramer et al., "Ensemble Adversarial Training", ICLR 2018, Sec. 3.4: the same clean /
  adversarial mix, but the one-step examples of each batch come in turn from the current model or from one
  of the fixed pre-trained ``static_models`` (round-robin over batches; the paper alternates sources, the
  authors' code ftramer/ensemble-adv-training draws the source uniformly at random per batch: the same share
  of each source in expectation). The one-step attack is FGSM (eps 0.3 on MNIST) on the loss of the source
  model's own prediction, not of the true label, and the loss is 0.5 / 0.5 clean / adversarial, as in the
  authors' MNIST code (train_adv.py: ``gen_grad(..., loss='training')``, whose target is the one-hot of the
  source's arg-max, split evenly over tied maxima, "to avoid label leaking"; tf_utils.tf_train: 0.5 (l1 + l2)).
  Until 2026-11-28 the true label was used here, which that code does not do.
- ``"pgd"``: Madry et al., ICLR 2018, Eq. (2): min_theta E max_{||d||_inf <= eps} CE(x + d, y), the inner max
  by PGD with a random start (MNIST: eps 0.3, 40 steps of 0.01); the loss is on adversarial inputs only.

Adversarial examples are made with the model switched to eval mode (dropout off) and back to train mode
for the update, so the attack sees the same function it attacks.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from paperworks.attacks._checks import (check_eps, check_forward, check_images, check_int, check_labels, check_model,
                                        check_seed, parse_norm)
from paperworks.attacks.gradient import _fgm_raw, _pgd_raw, random_ball_point
from paperworks.core.errors import ConfigError, UnknownNameError
from paperworks.core.trainer import eval_mode

__all__ = ["adversarial_loss", "adversarial_training", "DEFENSES"]

DEFENSES = ("fgsm", "ensemble", "pgd")


def _eval_attack(model: nn.Module, fn):
    with eval_mode(model):     # every submodule's own mode comes back (a frozen BN stays frozen)
        return fn()


def _predicted_label_ce_sum(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Summed cross-entropy against the model's own prediction (``y`` unused): the target is the one-hot of the
    arg-max, split evenly over tied maxima, and a constant of the gradient (ensemble adversarial training's
    'training' loss in Tramer et al.'s code)."""
    with torch.no_grad():
        t = (logits == logits.amax(dim=1, keepdim=True)).to(logits.dtype)
        t = t / t.sum(dim=1, keepdim=True)
    return -(t * F.log_softmax(logits, dim=1)).sum()


def adversarial_loss(method: str, *, eps: float, clean_weight: float = 0.5, pgd_steps: int = 40,
                     pgd_alpha: float | None = None, norm: str = "inf",
                     static_models: Sequence[nn.Module] = (), seed: int = 0):
    """``loss_fn(model, batch) -> (loss, metrics)`` for :class:`paperworks.core.trainer.Trainer`.

    ``batch`` is ``(x, y)`` with images in [0, 1]. Static models (ensemble) must be in eval mode. ``norm`` ('inf'
    or 2) is the ball of every recipe: the one-step examples of fgsm / ensemble are FGSM (inf) or the L2 fast
    gradient step eps g / ||g||_2 (2), as :func:`paperworks.attacks.fgsm`.
    """
    who = "adversarial_loss"
    if method not in DEFENSES:
        raise UnknownNameError("defense", str(method), DEFENSES)
    eps = check_eps(who, eps)
    norm = parse_norm(who, norm)
    check_int(who, "pgd_steps", pgd_steps, 1)
    if not 0.0 <= clean_weight <= 1.0:
        raise ConfigError(f"'clean_weight' must be in [0, 1] (got {clean_weight!r})", where=who)
    if method == "ensemble":
        if not static_models:
            raise ConfigError("ensemble adversarial training needs at least one model in 'static_models'",
                              where=who)
        for m in static_models:
            check_model(who, m)   # their parameters keep requires_grad: the one-step attack differentiates w.r.t. x only
    alpha = 2.5 * eps / pgd_steps if pgd_alpha is None else check_eps(who, pgd_alpha, "pgd_alpha")
    gen = torch.Generator().manual_seed(check_seed(who, seed))   # (seed=True ran as seed 1)
    state = {"step": 0}

    def loss_fn(model, batch):
        x, y = batch[0], batch[1].long()
        if method == "pgd":
            def make():
                start = random_ball_point(x, eps, norm, gen)
                return _pgd_raw(model, x, y, eps, alpha, pgd_steps, norm, start, False)
            x_adv = _eval_attack(model, make)
            loss = F.cross_entropy(model(x_adv), y)
            return loss, {"adv_loss": float(loss.detach())}
        # the one-step examples are taken in ``norm`` too (they were L_inf sign steps whatever the norm: for
        # norm=2 a perturbation of L2 size eps sqrt(pixels), far outside the ball)
        if method == "fgsm":
            x_adv = _eval_attack(model, lambda: _fgm_raw(model, x, y, eps, False, norm))
        else:
            k = state["step"] % (len(static_models) + 1)
            source = model if k == 0 else static_models[k - 1]
            # the label of the one-step attack is the source's own prediction (ignores y; see the module docstring)
            x_adv = _eval_attack(model, lambda: _fgm_raw(source, x, y, eps, False, norm, _predicted_label_ce_sum))
        state["step"] += 1
        clean = F.cross_entropy(model(x), y)
        adv = F.cross_entropy(model(x_adv), y)
        loss = clean_weight * clean + (1 - clean_weight) * adv
        return loss, {"clean_loss": float(clean.detach()), "adv_loss": float(adv.detach())}

    # the recipe's own state (the pgd random starts' generator, the ensemble's round-robin position) goes into the
    # Trainer's checkpoints: a resumed run restarted both from the seed (pgd starts of steps 1, 2, ... again; the
    # ensemble's source sequence from the current model), so it differed from an uninterrupted run
    def state_dict() -> dict:
        return {"step": state["step"], "generator": gen.get_state()}

    def load_state_dict(sd: dict) -> None:
        if not isinstance(sd, dict) or not {"step", "generator"} <= set(sd):
            raise ConfigError(f"not a state of this recipe (got {type(sd).__name__})", where=who)
        gen.set_state(torch.as_tensor(sd["generator"], dtype=torch.uint8).cpu())
        state["step"] = int(sd["step"])

    loss_fn.state_dict = state_dict
    loss_fn.load_state_dict = load_state_dict
    return loss_fn


def adversarial_training(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, method: str, eps: float,
                         max_steps: int = 1000, batch_size: int = 64, lr: float = 1e-3, seed: int = 0,
                         run_dir=None, trainer_config=None, **loss_kwargs) -> nn.Module:
    """Train ``model`` in place with a defense recipe through the shared Trainer; returns it in eval mode.

    ``trainer_config`` (a TrainerConfig) overrides max_steps / batch_size / lr / seed when given. Like every
    ``Trainer.fit``, it seeds the global python / numpy / torch generators with the seed and (with the trainer's
    default ``deterministic=True``) turns on ``torch.use_deterministic_algorithms(True, warn_only=True)``; neither
    is undone afterwards, so random draws after the call follow from the seed, not from the state before it.
    """
    from paperworks.core.trainer import Trainer, TrainerConfig

    who = "adversarial_training"
    check_images(who, x, model)
    check_labels(who, y, x.shape[0])
    check_forward(who, model, x, y)
    tc = trainer_config or TrainerConfig(max_steps=max_steps, batch_size=batch_size, lr=lr, seed=seed,
                                         log_every=max(max_steps // 10, 1), progress=False)
    loss_fn = adversarial_loss(method, eps=eps, seed=tc.seed, **loss_kwargs)
    data = torch.utils.data.TensorDataset(x, y.long())   # int32 / int16 labels: cross_entropy takes int64
    Trainer(model, data, loss_fn, tc, run_dir=run_dir).fit()
    return model.eval()
