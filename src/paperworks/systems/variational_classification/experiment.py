"""Training and evaluation of CE / GM / VC classifiers on the same encoder and budget (shared Trainer)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from paperworks.core.trainer import Trainer, TrainerConfig, seed_everything
from paperworks.metrics import (classification_metrics, evaluate_under_attack, evaluate_under_shift,
                                label_fraction_indices, logit_reliability_bins, predict_logits)
from paperworks.systems.variational_classification.objective import (GaussianHead, LatentClassifier,
                                                                     VariationalObjective)

METHODS = ("ce", "gm", "vc")


@dataclass
class Task:
    """Tensors of one classification task: x in [0, 1], NCHW (texts: TF-IDF rows as [N, 1, 1, V])."""
    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    x_shift: dict[str, torch.Tensor] | None = None   # extra pre-built shifted test sets (text)


def mlp_encoder(in_dim: int, hidden: int, latent_dim: int) -> nn.Module:
    """x -> z: flatten, two ReLU layers of ``hidden`` units, linear map to the latent (softmax input)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, latent_dim))


def build(method: str, in_dim: int, num_classes: int, cfg, seed: int, class_prior: torch.Tensor | None = None):
    """(model, objective or None) for method ce (linear softmax head), gm (Gaussian head, beta 0), vc.

    class_prior: p_pi(y) of the Gaussian head (the maximiser of E log p_pi(y), i.e. the empirical class
    frequencies of the training labels; None = uniform)."""
    seed_everything(seed)
    enc = mlp_encoder(in_dim, cfg.hidden, cfg.latent_dim)
    if method == "ce":
        return LatentClassifier(enc, nn.Linear(cfg.latent_dim, num_classes)), None
    head = GaussianHead(cfg.latent_dim, num_classes, class_prior=class_prior)
    b1, b2 = (cfg.beta_likelihood, cfg.beta_adversarial) if method == "vc" else (0.0, 0.0)
    obj = VariationalObjective(head, b1, b2, critic_layers=cfg.critic_layers, critic_lr=cfg.critic_lr,
                               critic_hidden=cfg.critic_hidden, seed=seed,
                               encoder_likelihood=getattr(cfg, "encoder_likelihood", True))
    return LatentClassifier(enc, head), obj


SGD_MOMENTUM = 0.9          # official VC.py: SGD(momentum=0.9, nesterov=True) for network and head
STEP_GAMMA = 0.1            # official StepLR(step_size=30, gamma=0.1) over 90 epochs: milestones at 1/3 and 2/3


def step_milestones(total_steps: int) -> tuple[int, int]:
    """Optimizer steps at which the official StepLR (x0.1 after epochs 30 and 60 of 90) decays the learning
    rate, scaled to a budget of ``total_steps``: round(total / 3) and round(2 total / 3)."""
    return round(total_steps / 3), round(2 * total_steps / 3)


class _HeadLrTrainer(Trainer):
    """The shared Trainer with the official code's two parameter groups: the Gaussian head's means and
    log-variances (the code's ``optimizer_2``) train at ``head_lr_scale`` x the encoder's learning rate.
    The optimizer (Adam, or the official SGD with Nesterov momentum) and the learning-rate schedule are the
    Trainer's own, from its config."""

    def __init__(self, *args, head: nn.Module | None = None, head_lr_scale: float = 1.0, **kw):
        self._head, self._head_lr_scale = head, head_lr_scale
        super().__init__(*args, **kw)

    def _param_groups(self) -> list[dict]:
        if self._head is None or self._head_lr_scale == 1.0:
            return super()._param_groups()
        head_ids = {id(p) for p in self._head.parameters()}
        rest = [p for p in self.model.parameters() if p.requires_grad and id(p) not in head_ids]
        head = [p for p in self._head.parameters() if p.requires_grad]
        return [{"params": rest}, {"params": head, "lr": self.cfg.lr * self._head_lr_scale}]


def train(method: str, task: Task, cfg, seed: int, epochs: int, train_idx: np.ndarray | None = None):
    """Train one model on the shared Trainer (cfg.optimizer: adam | sgd_official); returns (model, objective,
    seconds)."""
    x, y = task.x_train, task.y_train
    if train_idx is not None:
        t = torch.as_tensor(train_idx, dtype=torch.long)
        x, y = x[t], y[t]
    in_dim = int(np.prod(x.shape[1:]))
    counts = torch.bincount(y, minlength=task.num_classes).double().clamp_min(1)
    model, obj = build(method, in_dim, task.num_classes, cfg, seed, class_prior=counts / counts.sum())
    bs = min(cfg.batch_size, len(y))
    steps = max(1, epochs * (len(y) // bs))

    def loss_fn(m, batch):
        xb, yb = batch
        if obj is None:
            return F.cross_entropy(m(xb), yb)
        return obj.loss(m.latent(xb), yb, validate=False)

    recipe = getattr(cfg, "optimizer", "adam")
    if recipe == "sgd_official":   # official VC.py recipe (lr 0.1, Nesterov, wd 1e-3, StepLR at 1/3 and 2/3)
        tc = TrainerConfig(max_steps=steps, batch_size=bs, lr=cfg.sgd_lr, optimizer="sgd", momentum=SGD_MOMENTUM,
                           nesterov=True, weight_decay=cfg.sgd_weight_decay, schedule="step",
                           milestones=step_milestones(steps), gamma=STEP_GAMMA, log_every=max(1, steps), seed=seed,
                           progress=False)
        head_scale = cfg.sgd_head_lr_scale
    else:
        tc = TrainerConfig(max_steps=steps, batch_size=bs, lr=cfg.lr, optimizer="adam", log_every=max(1, steps),
                           seed=seed, progress=False)
        head_scale = getattr(cfg, "head_lr_scale", 1.0)
    t0 = time.perf_counter()
    # GM and VC: the Gaussian head trains at head_lr_scale x lr (official code: SGD lr 0.1 for the network,
    # 0.01 for the head); CE's linear head is part of the network, as in the code (the ResNet's fc layer).
    head = model.head if isinstance(model.head, GaussianHead) else None
    _HeadLrTrainer(model, torch.utils.data.TensorDataset(x, y), loss_fn, tc, device="cpu", head=head,
                   head_lr_scale=head_scale).fit()
    model.eval()
    return model, obj, time.perf_counter() - t0


@torch.no_grad()
def latent_fit(model: LatentClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean squared Mahalanobis distance of z to its class Gaussian, divided by d (1 = chi-square fit).

    Gaussian heads only (NaN for a linear head, which anticipates no particular spread)."""
    if not isinstance(model.head, GaussianHead):
        return float("nan")
    z = predict_logits(model.encoder, x)
    return float(model.head.mahalanobis(z).gather(1, y[:, None]).mean() / z.shape[1])


def attack_rows(n: int, k: int) -> torch.Tensor:
    """``k`` distinct row indices of ``n`` (k <= n), spread evenly from the first row to the last (the step
    (n - 1) / (k - 1) is >= 1, so rounding keeps them distinct); on a class-ordered split every class keeps about
    its share."""
    return torch.linspace(0, n - 1, k, dtype=torch.float64).round().long()


def clean_reliability_bins(logits, labels, n_bins: int) -> dict[str, torch.Tensor]:
    """Bins of the reliability diagram on the predictions and confidences that ``classification_metrics``' ECE
    scores (the diagram's title shows that ECE): the logits' argmax and the float64 softmax probability of that
    class. Until 2026-11-28 they took the softmax's argmax, which fbf956a had replaced in the ECE only (float64
    logits [0, 1e-17, -5], label 1: bar accuracy 0 at confidence 0.498 under a title ECE of 0.502)."""
    return logit_reliability_bins(logits.detach(), labels, n_bins)


def evaluate(model, task: Task, cfg, image: bool) -> dict[str, float]:
    """Clean, adversarial (FGSM) and shifted-data metrics of one trained model."""
    out = {}
    logits = predict_logits(model, task.x_test)
    clean = classification_metrics(logits, task.y_test, cfg.n_bins)
    out.update({f"clean_{k}": v for k, v in clean.items()})
    b = clean_reliability_bins(logits, task.y_test, cfg.n_bins)
    out["_bins"] = {k: v.tolist() for k, v in b.items()}          # for the reliability diagram
    n_adv = min(cfg.n_attack, len(task.y_test))
    x_adv, y_adv = task.x_test[:n_adv], task.y_test[:n_adv]
    if not image and n_adv < len(task.y_test):
        # the fortunes test split is ordered by class, so its first n_attack rows held one class only (n_attack=64:
        # all class 0); attack rows spread evenly over it instead. Images (shuffled official splits) and a text
        # subset of every row (the default n_attack) are taken as before.
        idx = attack_rows(len(task.y_test), n_adv)
        x_adv, y_adv = task.x_test[idx], task.y_test[idx]
    eps = cfg.fgsm_eps if image else cfg.text_fgsm_eps
    adv = evaluate_under_attack(model, x_adv, y_adv, "fgsm", n_bins=cfg.n_bins, eps=eps)
    out.update({"fgsm_accuracy": adv["accuracy"], "fgsm_ece": adv["ece"]})
    for mult in getattr(cfg, "fgsm_sweep", ()):      # accuracy-vs-radius curve, reported beside the claim
        a = evaluate_under_attack(model, x_adv, y_adv, "fgsm", n_bins=cfg.n_bins, eps=eps * mult)
        out[f"fgsm_x{mult:g}_accuracy"] = a["accuracy"]
    if image:
        for name, shift, sev in (("noise", "noise", cfg.noise_sigma), ("rotation", "rotation", cfg.rotation_deg)):
            m = evaluate_under_shift(model, task.x_test, task.y_test, shift, sev, seed=0, n_bins=cfg.n_bins)
            out.update({f"{name}_accuracy": m["accuracy"], f"{name}_ece": m["ece"], f"{name}_nll": m["nll"]})
    for name, xs in (task.x_shift or {}).items():
        m = classification_metrics(predict_logits(model, xs), task.y_test, cfg.n_bins)
        out.update({f"{name}_accuracy": m["accuracy"], f"{name}_ece": m["ece"], f"{name}_nll": m["nll"]})
    out["latent_fit"] = latent_fit(model, task.x_test, task.y_test)
    return out


def run_method(method: str, task: Task, cfg, seed: int, image: bool, epochs: int,
               label_fraction: float | None = None) -> dict[str, float]:
    idx = None
    if label_fraction is not None:
        idx = label_fraction_indices(task.y_train, label_fraction, seed=seed)
    model, _, secs = train(method, task, cfg, seed, epochs, idx)
    if label_fraction is not None:
        m = classification_metrics(predict_logits(model, task.x_test), task.y_test, cfg.n_bins)
        return {"lowdata_accuracy": m["accuracy"], "lowdata_ece": m["ece"], "train_seconds": secs}
    out = evaluate(model, task, cfg, image)
    out["train_seconds"] = secs
    return out
