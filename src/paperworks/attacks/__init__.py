"""Adversarial attacks and adversarial-training defenses (engine; no paper-specific systems here).

Functional API, images in [0, 1], NCHW, batched; ``y`` = true labels, or target labels when targeted::

    from paperworks import attacks
    x_adv = attacks.fgsm(model.eval(), x, y, eps=0.3)
    x_adv = attacks.pgd(model, x, y, eps=0.3, alpha=0.01, steps=40, norm="inf", random_start=True, seed=0)
    x_adv = attacks.pgd(model, x, y, eps=2.0, norm=2)
    x_adv = attacks.cw_l2(model, x, y, c=1e-3, steps=100, binary_search_steps=5)
    rep = attacks.evaluate_attack(model, "pgd", x, y, eps=0.3)   # success rate, norms, time/example

Defenses (training recipes): ``adversarial_loss("fgsm" | "pgd" | "ensemble", ...)`` gives a
``loss_fn(model, batch)`` for the shared Trainer; ``adversarial_training(model, x, y, method=...)`` runs it.
"""

from paperworks.attacks.cw import cw_l2
from paperworks.attacks.evaluate import (AttackReport, accuracy, evaluate_attack, perturbation_norms, predict,
                                         success_rate)
from paperworks.attacks.gradient import clip_to_ball, fgsm, input_gradient, pgd, random_ball_point
from paperworks.attacks.losses import attack_success, cw_margin

__all__ = ["fgsm", "pgd", "cw_l2", "evaluate_attack", "AttackReport", "success_rate", "perturbation_norms",
           "predict", "accuracy", "cw_margin", "attack_success", "input_gradient", "random_ball_point", "clip_to_ball",
           "adversarial_loss", "adversarial_training", "DEFENSES"]


def __getattr__(name):  # defenses import the trainer lazily (it is optional for the attacks)
    if name in ("adversarial_loss", "adversarial_training", "DEFENSES"):
        from paperworks.attacks import defenses

        return getattr(defenses, name)
    raise AttributeError(f"module 'paperworks.attacks' has no attribute '{name}'")
