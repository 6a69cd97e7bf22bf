"""AdvGAN: Xiao, Li, Zhu, He, Liu & Song, "Generating Adversarial Examples with Adversarial Networks",
IJCAI 2018, arXiv:1801.02610.

A generator G maps an image x to a perturbation; the adversarial example is x_A = clip_[0,1](x + d),
d = clip_[-eps, eps](G(x)) (Sec. 3.1 / 4: an L_inf budget eps = 0.3 on MNIST). G is trained against a
frozen target f with (Sec. 3.1, Eq. (4))

    L = L_adv + alpha * L_GAN + beta * L_hinge
    L_adv   = E max(f(x_A)_y - max_{i != y} f(x_A)_i, -kappa)        (untargeted, C&W margin on logits)
            = E max(max_{i != t} f(x_A)_i - f(x_A)_t, -kappa)        (targeted to t)
    L_GAN   = E log D(x) + E log(1 - D(x_A))     (D maximises; least-squares form by default, see below)
    L_hinge = E max(0, ||d||_2 - c)     (d = the eps-clipped perturbation G(x) that is added)

Semi-whitebox (Sec. 3.2): f is needed only while training; an attack is one forward pass of G.
Black-box (Sec. 3.3): a surrogate f is distilled from the black box b's output probabilities,
min_f E H(f(x), b(x)) (static distillation); dynamic distillation alternates (1) G, D steps against
f_{i-1} and (2) f_i <- min_f E H(f(x), b(x)) + E H(f(x_A), b(x_A)), querying b on the current x_A.

Defenses (Sec. 4.3): the paper's threat model is an adversary that is not aware of the defense, so every
attack crafts its examples on the normally trained model and the adversarially trained models (FGSM, ensemble,
PGD adversarial training) only classify them (``transfer_column``).

MNIST challenge (Sec. 4.3, emulated): the paper's black-box entry to the MadryLab MNIST challenge lowered Madry et
al.'s secret PGD-trained model to 92.76 % accuracy. The secret model is emulated by our PGD-trained copy of
``defended_model``; ``dynamic_distillation`` reaches it only through ``BlackBox.probs`` (surrogate
``surrogate_model``, the same AdvGAN config as the other targets); FGSM / PGD transferred from the naturally trained
copy, PGD on the distilled surrogate and white-box PGD are the references (``AdvGAN._challenge``).

Choices where the paper is vague (stated; the authors released no code, unofficial re-implementations are
named where they settle a point):
- architectures as in the paper's appendix / CycleGAN notation: G = c3s1-8 - d16 - d32 (stride 2) -
  4 residual blocks (32) - u16 - u8 (transposed, stride 2) - c3s1 - tanh, InstanceNorm + ReLU (the layer list
  "c3s1-8, d16, d32, r32 x 4, u16, u8, c3s1-3" as independent re-implementations quote the appendix; CycleGAN's
  own first layer is 7x7); zero padding and PyTorch's default initialisation (CycleGAN: reflection padding,
  N(0, 0.02) weights; not fixed by the paper);
  D = C8 (no norm) - C16 - C32 (4x4 stride 2, InstanceNorm, LeakyReLU 0.2) - linear score.
- GAN loss: least squares (LSGAN, the CycleGAN objective the paper builds on); ``gan_loss=bce`` gives the
  log form of Eq. (2).
- one D step then one G step per minibatch, Adam(lr, betas 0.5/0.999: the GAN setting of CycleGAN / DCGAN and
  of the advGAN_tf2 re-implementation; the paper names Adam, lr 0.001, batch 128 only, and mathcbc/advGAN_pytorch
  keeps Adam's default 0.9); lr divided by 10 for the last 20% of the epochs (the re-implementations' step decay,
  compressed to short budgets).
- alpha, beta, c are not tabulated in the paper; alpha = beta = 0.1 in Eq. (4), all three terms batch means, i.e.
  per example 10 on L_adv and 1 on the GAN and perturbation terms. This is the nominal 10 : 1 : 1 of
  mathcbc/advGAN_pytorch, not its effective weighting: that code sums its margin over the batch (x128 per
  example against the mean GAN and norm terms) and takes it on softmax probabilities, not logits (Eq. (4) here:
  expectations, logits). The hinge is taken on the eps-clipped perturbation that is added (validation: raw
  tanh output 0.857 vs clipped 0.896 at c = 5; re-implementations differ: advGAN_tf2 hinges the clipped
  perturbation, mathcbc/advGAN_pytorch and AdvGAN-tf penalise the mean L2 of the raw output, no hinge). The hinge bound c
  (L2, MNIST, eps = 0.3) was chosen on 1,000 held-out training images (not the test split) by semi-whitebox
  success against model C: c = 5 / 7 / 10 gave 0.896 / 0.902 / 0.902; the smallest best value, c = 7, is used.
- kappa (the C&W confidence; the brief's default is 0) was chosen the same way, with the rule fixed before
  looking: highest validation semi-whitebox success on the undefended model C (1,000 images at the end of the
  training permutation), differences below 0.005 broken towards the smaller kappa. kappa = 0 / 2 / 5 / 10 gave
  0.908 / 0.944 / 0.945 / 0.936, so kappa = 2. The FGSM baseline has no hyperparameter at a fixed eps.
- defenses (quick run): 8,000 training images, 5 epochs of FGSM / ensemble training and 8 epochs of 5-step PGD
  training (Madry et al.: 40 steps of 0.01 on all of MNIST for ~100k iterations); the FGSM- and PGD-trained
  copies train in a spawned worker process (``workers = 2``), with the same numbers as one process.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from paperworks import attacks
from paperworks.attacks._checks import check_eps, check_forward, check_images, check_int, check_labels, check_model
from paperworks.core import Claim, Paper, Report, RunDir, System, check_choice, check_interval, check_positive
from paperworks.core.config import Config, check_unique
from paperworks.core.errors import ConfigError, DataError
from paperworks.core.registry import register
from paperworks.core.parallel import in_background
from paperworks.core.threads import torch_threads
from paperworks.core.trainer import Trainer, TrainerConfig, eval_mode, seed_everything
from paperworks.models.mnist import make_model

__all__ = ["AdvGANConfig", "AdvGAN", "Generator", "Discriminator", "advgan_perturb", "train_advgan",
           "distill", "BlackBox", "advgan_generator_loss", "transfer_column", "hinge_loss", "discriminator_loss",
           "train_classifier", "dynamic_distillation", "CHALLENGE_LEADERBOARD"]


# ------------------------------------------------------------------------------------------ networks
class _ResBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.InstanceNorm2d(ch), nn.ReLU(),
            nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.InstanceNorm2d(ch))

    def forward(self, h):
        return h + self.body(h)


class Generator(nn.Module):
    """Perturbation network G: image [N, C, H, W] -> raw perturbation in (-1, 1)^{C x H x W} (H, W % 4 == 0)."""

    def __init__(self, in_channels: int = 1, n_res: int = 4):
        super().__init__()

        def block(conv, ch):
            return [conv, nn.InstanceNorm2d(ch), nn.ReLU()]

        layers = [*block(nn.Conv2d(in_channels, 8, 3, padding=1, bias=False), 8),
                  *block(nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), 16),
                  *block(nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False), 32)]
        layers += [_ResBlock(32) for _ in range(n_res)]
        layers += [*block(nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1, bias=False), 16),
                   *block(nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1, bias=False), 8),
                   nn.Conv2d(8, in_channels, 3, padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x):  # x [N, C, H, W] -> [N, C, H, W]
        return self.net(x)


def _disc_size_problem(h: int, w: int) -> str | None:
    """Why the default Discriminator cannot take h x w images (None when it can): its three 4x4 stride-2
    convolutions (padding 1) halve each side, rounding down, and the InstanceNorm after the last one needs more
    than one position (8 x 8 images end at 1 x 1)."""
    h3, w3 = h // 8, w // 8
    if h3 * w3 < 2:
        return (f"the default Discriminator (three stride-2 convolutions, then InstanceNorm) needs images of at least "
                f"16 x 8 or 8 x 16 pixels (got {h} x {w}: {h3} x {w3} after its convolutions)")
    return None


class Discriminator(nn.Module):
    """D: image -> real/fake score (a logit; LSGAN reads it as the least-squares output).

    image_size: the side of square images, or (H, W)."""

    def __init__(self, in_channels: int = 1, image_size: int | tuple[int, int] = 28):
        super().__init__()
        # one side: any integer scalar (numpy ints and 0-d tensors were accepted before (H, W) was)
        vals = (image_size.reshape(-1).tolist() if isinstance(image_size, torch.Tensor)
                else np.atleast_1d(np.asarray(image_size, dtype=object)).ravel().tolist())
        if len(vals) not in (1, 2) or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                              for v in vals):
            raise DataError(f"Discriminator: image_size must be one integer side or integers (H, W) (got {image_size!r})")
        size = tuple(int(v) for v in vals)
        h, w = size * 2 if len(size) == 1 else size
        problem = _disc_size_problem(h, w)
        if problem is not None:
            raise DataError(f"Discriminator: {problem}")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 8, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(8, 16, 4, stride=2, padding=1), nn.InstanceNorm2d(16), nn.LeakyReLU(0.2),
            nn.Conv2d(16, 32, 4, stride=2, padding=1), nn.InstanceNorm2d(32), nn.LeakyReLU(0.2),
            nn.Flatten())
        with torch.no_grad():
            n = self.features(torch.zeros(1, in_channels, h, w)).shape[1]
        self.score = nn.Linear(n, 1)

    def forward(self, x):  # [N, C, H, W] -> [N]
        return self.score(self.features(x)).squeeze(1)


# ---------------------------------------------------------------------------------------- the method
def _check_net_dtype(who: str, name: str, net: nn.Module, x: torch.Tensor) -> None:
    """One DataError when the network's floating parameters are not in the images' dtype."""
    w = next((p for p in net.parameters() if p.is_floating_point()), None)
    if w is not None and w.dtype != x.dtype:
        raise DataError(f"{who}: 'x' is {x.dtype} but the {name} is {w.dtype}; convert one (e.g. "
                        f"{name}.double() for float64 images)")


def advgan_perturb(generator: nn.Module, x: torch.Tensor, eps: float) -> torch.Tensor:
    """x_A = clip_[0,1](x + clip_[-eps,eps](G(x))): one forward pass, no access to the target; G runs in eval
    mode (its own modes restored), so a generator with dropout / batch norm gives deterministic examples."""
    who = "advgan_perturb"
    check_images(who, x, generator)
    eps = check_eps(who, eps)
    _check_net_dtype(who, "generator", generator, x)
    with eval_mode(generator), torch.no_grad():
        raw = generator(x)
    if not isinstance(raw, torch.Tensor) or raw.shape != x.shape:
        got = list(raw.shape) if isinstance(raw, torch.Tensor) else type(raw).__name__
        raise DataError(f"{who}: the generator must return a perturbation of the input's shape {list(x.shape)} "
                        f"(got {got}); the default Generator needs H and W divisible by 4")
    return attacks.clip_to_ball(_apply(raw, x, eps), x, eps, "inf")


def _apply(raw, x, eps):
    x_a = (x + raw.clamp(-eps, eps)).clamp(0.0, 1.0)
    # guard one-ulp rounding outside the eps-ball
    return torch.minimum(torch.maximum(x_a, x - eps), x + eps).clamp(0.0, 1.0)


def _check_nonneg(who, name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v >= 0) or v == float("inf"):
        raise ConfigError(f"'{name}' must be a finite number >= 0 (got {v!r})", where=who)
    return float(v)


GAN_LOSSES = ("ls", "bce")


def _check_gan_loss(who, kind):
    if kind not in GAN_LOSSES:
        raise ConfigError(f"'gan_loss' must be one of {', '.join(GAN_LOSSES)} (got {kind!r})", where=who)


def hinge_loss(raw: torch.Tensor, c: float) -> torch.Tensor:
    """L_hinge = mean_x max(0, ||G(x)||_2 - c) (Eq. (3)); zero with zero gradient inside the ball."""
    _check_nonneg("hinge_loss", "c", c)
    return F.relu(raw.flatten(1).norm(dim=1) - c).mean()


def discriminator_loss(d_real, d_fake, kind="ls"):
    """D's loss: 'ls' (D(x) -> 1, D(x_A) -> 0 in least squares) or 'bce' (-Eq. (2), D maximises L_GAN)."""
    _check_gan_loss("discriminator_loss", kind)
    if kind == "ls":
        return ((d_real - 1) ** 2).mean() + (d_fake ** 2).mean()
    return (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
            + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))


def advgan_generator_loss(target, disc, raw, x, y, *, eps, alpha, beta, c, kappa=0.0, targeted=False,
                          gan_loss="ls"):
    """L = L_adv + alpha L_GAN + beta L_hinge for the generator; returns (L, parts dict)."""
    _check_gan_loss("advgan_generator_loss", gan_loss)
    x_a = _apply(raw, x, eps)
    l_adv = attacks.cw_margin(target(x_a), y, targeted, kappa).mean()
    s = disc(x_a)
    l_gan = ((s - 1) ** 2).mean() if gan_loss == "ls" else F.binary_cross_entropy_with_logits(
        s, torch.ones_like(s))
    # the hinge bounds the perturbation that is actually added: G's output after the eps-clip (as advGAN_tf2;
    # mathcbc/advGAN_pytorch and AdvGAN-tf take the raw output's norm); on the raw tanh output it would also
    # penalise values beyond eps that the clip removes anyway (module docstring: validation-chosen)
    l_hinge = hinge_loss(raw.clamp(-eps, eps), c)
    loss = l_adv + alpha * l_gan + beta * l_hinge
    return loss, {"l_adv": float(l_adv.detach()), "l_gan": float(l_gan.detach()),
                  "l_hinge": float(l_hinge.detach())}


def train_advgan(target: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float = 0.3, alpha: float = 0.1,
                 beta: float = 0.1, c: float = 5.0, kappa: float = 0.0, epochs: int = 10, batch_size: int = 128,
                 lr: float = 1e-3, gan_loss: str = "ls", targeted: bool = False, seed: int = 0,
                 generator: Generator | None = None, discriminator: Discriminator | None = None,
                 log=None) -> tuple[Generator, Discriminator]:
    """Train G and D against a frozen target (Sec. 3.1). ``y``: true labels (or targets when targeted).

    The target's parameters are never updated (requires_grad is switched off while training and restored); a
    target in train mode is refused (check_model). G and D train in train mode (also when passed back in eval
    mode, as dynamic distillation does). Side effects: the global torch RNG is reseeded with ``seed`` (G and D
    are initialised from it); G and D are returned in eval mode with no gradient left on their parameters.
    """
    who = "train_advgan"
    check_model(who, target)
    check_images(who, x, target)
    check_labels(who, y, x.shape[0])
    check_forward(who, target, x, y)
    eps = check_eps(who, eps)
    alpha, beta = _check_nonneg(who, "alpha", alpha), _check_nonneg(who, "beta", beta)
    c, kappa = _check_nonneg(who, "c", c), _check_nonneg(who, "kappa", kappa)
    lr = check_eps(who, lr, "lr")
    check_int(who, "epochs", epochs, 1)
    check_int(who, "batch_size", batch_size, 1)
    _check_gan_loss(who, gan_loss)
    C, H = x.shape[1], x.shape[2]
    if generator is None and (H % 4 or x.shape[3] % 4):
        raise DataError(f"{who}: the default Generator (two stride-2 convolutions and their transposes) needs H and "
                        f"W divisible by 4 (got {H}x{x.shape[3]}); pad the images or pass generator=")
    if discriminator is None and (problem := _disc_size_problem(H, x.shape[3])) is not None:
        # (it failed inside torch: a ValueError from InstanceNorm for 8 x 8 or 12 x 12 images, and for non-square
        # images a shape mismatch in D's linear layer after G's first forward pass, D being built for H x H)
        raise DataError(f"{who}: {problem}; pad the images or pass discriminator=")
    for name, m in (("generator", generator), ("discriminator", discriminator)):
        if m is not None:   # it failed inside torch ("expected scalar type Double ...")
            _check_net_dtype(who, name, m, x)
    torch.manual_seed(seed)
    # the default networks compute in the images' dtype (built as before, then cast: float32 images, no change)
    G = generator or Generator(C).to(x.dtype)
    D = discriminator or Discriminator(C, (H, x.shape[3])).to(x.dtype)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    flags = [p.requires_grad for p in target.parameters()]
    for p in target.parameters():
        p.requires_grad_(False)
    gen = torch.Generator().manual_seed(seed)
    n = x.shape[0]
    G.train()
    D.train()   # a G / D passed back in eval mode (dynamic distillation) trains in train mode again
    try:
        for ep in range(epochs):
            scale = 1.0 if ep < max(0.8 * epochs, 1) else 0.1
            for o in (opt_g, opt_d):
                for gr in o.param_groups:
                    gr["lr"] = lr * scale
            perm = torch.randperm(n, generator=gen)
            sums = {}
            for i in range(0, n - batch_size + 1 if n >= batch_size else 1, batch_size):
                idx = perm[i:i + batch_size]
                xb, yb = x[idx], y[idx]
                raw = G(xb)
                # D step: real x vs x_A (G fixed)
                d_loss = discriminator_loss(D(xb), D(_apply(raw.detach(), xb, eps)), gan_loss)
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
                # G step
                g_loss, parts = advgan_generator_loss(target, D, raw, xb, yb, eps=eps, alpha=alpha, beta=beta,
                                                      c=c, kappa=kappa, targeted=targeted, gan_loss=gan_loss)
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                opt_g.step()
                parts["d_loss"] = float(d_loss.detach())
                for k, v in parts.items():
                    sums[k] = sums.get(k, 0.0) + v
                sums["n"] = sums.get("n", 0) + 1
            if log is not None:
                log({"epoch": ep + 1, **{k: v / sums["n"] for k, v in sums.items() if k != "n"}})
    finally:
        for p, f in zip(target.parameters(), flags):
            p.requires_grad_(f)
    opt_g.zero_grad(set_to_none=True)
    opt_d.zero_grad(set_to_none=True)   # the G steps' backward also reaches D's parameters
    return G.eval(), D.eval()


class BlackBox:
    """Query-only access to a model: ``probs(x)`` returns softmax outputs, nothing else is exposed.

    ``queries`` counts the images the attack itself sent; ``diagnostic_queries`` those sent with
    ``diagnostic=True`` (measurements of the attack's progress that are not part of the attack, e.g. the
    surrogate / black-box agreement in ``dynamic_distillation``), so both are reported and neither is hidden."""

    def __init__(self, model: nn.Module):
        check_model("BlackBox", model)
        self._model = model
        self.queries = 0
        self.diagnostic_queries = 0

    @torch.no_grad()
    def probs(self, x: torch.Tensor, batch_size: int = 1000, *, diagnostic: bool = False) -> torch.Tensor:
        check_images("BlackBox.probs", x, self._model)
        # before counting: a batch_size of 0 / -1 / 2.5 failed inside range() or torch.cat with the queries counted
        batch_size = check_int("BlackBox.probs", "batch_size", batch_size, 1)
        if diagnostic:
            self.diagnostic_queries += x.shape[0]
        else:
            self.queries += x.shape[0]
        return torch.cat([F.softmax(self._model(x[i:i + batch_size]), 1) for i in range(0, x.shape[0], batch_size)])


def distill(surrogate: nn.Module, blackbox: BlackBox, x: torch.Tensor, *, x_adv: torch.Tensor | None = None,
            epochs: int = 1, batch_size: int = 128, lr: float = 1e-3, seed: int = 0,
            x_probs: torch.Tensor | None = None) -> nn.Module:
    """Fit f to the black box: min_f E H(f(x), b(x)) [+ E H(f(x_A), b(x_A)) when ``x_adv`` is given]. Returns f
    in eval mode; f passed in train mode keeps its eval-mode submodules (a frozen BatchNorm) in eval mode.
    ``x_probs``: b(x) from an earlier ``blackbox.probs(x)`` (the black box is a fixed, eval-mode model: its
    answer on the same x does not change), so that x is not queried again; None queries it here."""
    who = "distill"
    check_images(who, x, surrogate)
    if x_adv is not None:
        check_images(who, x_adv, surrogate, name="x_adv")
        if x_adv.shape != x.shape:
            raise DataError(f"{who}: 'x_adv' has shape {list(x_adv.shape)} but 'x' has {list(x.shape)} (one "
                            "adversarial example per query image)")
    check_int(who, "epochs", epochs, 1)
    check_int(who, "batch_size", batch_size, 1)
    # the surrogate's class count (one no-grad forward pass in eval mode: no state or random number is touched); a
    # black box of another class count failed inside the loss with a bare RuntimeError ("size of tensor a (5) must
    # match the size of tensor b (3)")
    n_classes = check_forward(who, surrogate, x)
    if x_probs is not None:
        _check_x_probs(who, x_probs, x.shape[0], n_classes)
    p = blackbox.probs(x) if x_probs is None else x_probs
    if p.shape[1] != n_classes:
        raise DataError(f"{who}: the black box answers {p.shape[1]} classes but the surrogate has {n_classes}; "
                        "build the surrogate with the black box's class count")
    pa = blackbox.probs(x_adv) if x_adv is not None else None
    data = [x, p] + ([x_adv, pa] if x_adv is not None else [])

    def loss_fn(model, batch):
        loss = -(batch[1] * F.log_softmax(model(batch[0]), 1)).sum(1).mean()
        if len(batch) == 4:
            loss = loss - (batch[3] * F.log_softmax(model(batch[2]), 1)).sum(1).mean()
        return loss

    # full batches per epoch at the batch size actually used (a batch_size above len(x) is one batch of all x:
    # len(x) // batch_size was 0 there, so any number of epochs trained one step)
    bs = min(batch_size, x.shape[0])
    steps = epochs * (x.shape[0] // bs)
    tc = TrainerConfig(max_steps=steps, batch_size=bs, lr=lr, seed=seed,
                       progress=False, log_every=max(steps, 1), deterministic=False)
    return _fit(surrogate, torch.utils.data.TensorDataset(*data), loss_fn, tc)


def _check_x_probs(who: str, x_probs, n: int, n_classes: int) -> None:
    """``x_probs`` as the black box answers: a floating [n, n_classes] tensor of probability rows. Logits passed
    instead were fitted as 'probabilities' without a word (the cross-entropy of negative targets), NaN rows ended
    in 'loss is nan ... lower the learning rate', another class count in a bare RuntimeError inside the loss."""
    if (not isinstance(x_probs, torch.Tensor) or x_probs.dim() != 2 or x_probs.shape != (n, n_classes)
            or not x_probs.is_floating_point()):
        got = (f"shape {list(x_probs.shape)}, dtype {x_probs.dtype}" if isinstance(x_probs, torch.Tensor)
               else type(x_probs).__name__)
        raise DataError(f"{who}: 'x_probs' must be the black box's outputs on x, a floating tensor [N, classes] "
                        f"with N = {n} and the surrogate's {n_classes} classes (got {got})")
    q = x_probs.detach().double()
    nonfinite = ~torch.isfinite(q).all(1)
    if nonfinite.any():
        raise DataError(f"{who}: 'x_probs' holds NaN/inf in {int(nonfinite.sum())} row(s) (first: row "
                        f"{int(nonfinite.nonzero()[0])})")
    tol = max(1e-3, 2 * n_classes * torch.finfo(x_probs.dtype).eps)     # rounded rows (e.g. stored in float16)
    bad = (q < 0).any(1) | (q > 1).any(1) | ((q.sum(1) - 1).abs() > tol)
    if bad.any():
        i = int(bad.nonzero()[0])
        raise DataError(f"{who}: 'x_probs' must hold probabilities (each row in [0, 1], summing to 1), as "
                        f"blackbox.probs(x) returns; row {i} is {[round(v, 4) for v in q[i, :6].tolist()]}"
                        f"{' ...' if n_classes > 6 else ''} (logits? pass them through softmax)")


def _fit(model: nn.Module, data, loss_fn, tc: TrainerConfig) -> nn.Module:
    """Train ``model`` in train mode on the shared Trainer and return it in eval mode. A model passed in train
    mode keeps its submodules that are in eval mode (e.g. a frozen BatchNorm: its running statistics do not
    move) in eval mode while it trains; a model passed in eval mode trains entirely in train mode. If training
    fails, every submodule gets back its own mode."""
    modes = [(m, m.training) for m in model.modules()]
    try:
        Trainer(model, data, loss_fn, tc).fit()     # the Trainer keeps a train-mode model's frozen submodules
    except BaseException:
        for m, training in modes:
            m.training = training
        raise
    return model.eval()


def dynamic_distillation(blackbox: BlackBox, surrogate: nn.Module, x: torch.Tensor, y: torch.Tensor, *,
                         rounds: int, distill_epochs: int, epochs_per_round: int, eps: float, alpha: float,
                         beta: float, c: float, kappa: float, batch_size: int, lr: float, gan_loss: str, seed: int,
                         log=None) -> tuple[Generator, nn.Module, list[tuple[float, float]]]:
    """Black-box AdvGAN with dynamic distillation (Sec. 3.3); the black box is reached only through
    ``blackbox.probs``. ``surrogate`` (freshly initialised) is first distilled statically on (x, b(x)); then
    ``rounds`` times: G, D train ``epochs_per_round`` epochs against f_{i-1}, and f_i is refit on
    (x, b(x)) and (x_A, b(x_A)) with fresh queries on the current x_A; a last G phase follows the last refit.
    b(x) is queried once and kept (the black box is deterministic), so the attack costs
    ``blackbox.queries`` = n * (1 + rounds) for n = len(x). The agreement measurements are diagnostics, not part
    of the attack: they query b(x_A) before and after each refit as ``blackbox.diagnostic_queries``
    (2 * n * rounds).
    ``y``: the attacker's own labels of ``x`` (the public training set). Returns (G, final surrogate,
    [(surrogate / black-box label agreement on x_A before, after) per refit])."""
    for name, v in (("rounds", rounds), ("distill_epochs", distill_epochs), ("epochs_per_round", epochs_per_round)):
        check_int("dynamic_distillation", name, v, 1)
    px = blackbox.probs(x)      # b(x), once: every refit reuses it (an eval-mode black box answers the same)
    f = distill(surrogate, blackbox, x, epochs=distill_epochs, batch_size=batch_size, seed=seed, x_probs=px)
    kw = dict(eps=eps, alpha=alpha, beta=beta, c=c, kappa=kappa, epochs=epochs_per_round, batch_size=batch_size,
              lr=lr, gan_loss=gan_loss)
    G, D = None, None
    agree = []
    for r in range(rounds):
        G, D = train_advgan(f, x, y, seed=seed + 10 + r, generator=G, discriminator=D, **kw)
        x_a = advgan_perturb(G, x, eps)
        # label agreement of the surrogate with the black box on x_A, before and after the refit
        before = attacks.accuracy(f, x_a, blackbox.probs(x_a, diagnostic=True).argmax(1))
        f = distill(f, blackbox, x, x_adv=x_a, epochs=1, batch_size=batch_size, seed=seed + r, x_probs=px)
        after = attacks.accuracy(f, x_a, blackbox.probs(x_a, diagnostic=True).argmax(1))
        agree.append((before, after))
        if log is not None:
            log({"round": r + 1, "agreement_before": before, "agreement_after": after})
    G, _ = train_advgan(f, x, y, seed=seed + 99, generator=G, discriminator=D, **kw)
    return G, f, agree


def train_classifier(model: nn.Module, x, y, *, epochs: int = 2, batch_size: int = 128, lr: float = 1e-3,
                     seed: int = 0) -> nn.Module:
    """Plain cross-entropy training through the shared Trainer; returns the model in eval mode. A model passed
    in train mode keeps its eval-mode submodules (e.g. a frozen BatchNorm) in eval mode while it trains."""
    who = "train_classifier"
    check_images(who, x, model)
    check_labels(who, y, x.shape[0])
    check_forward(who, model, x, y)
    # epochs 0 / -3 / 1.5 / True trained (at least one step) without a word, batch_size=0 was a ZeroDivisionError
    epochs, batch_size = check_int(who, "epochs", epochs, 1), check_int(who, "batch_size", batch_size, 1)
    steps = max(epochs * (x.shape[0] // batch_size), 1)
    tc = TrainerConfig(max_steps=steps, batch_size=batch_size, lr=lr, seed=seed, progress=False,
                       log_every=steps, deterministic=False)
    return _fit(model, torch.utils.data.TensorDataset(x, y), lambda m, b: F.cross_entropy(m(b[0]), b[1]), tc)


# ---------------------------------------------------------------------------------------------- system
def _names(text: str) -> list[str]:
    """The comma-separated names of a config string, spaces around each stripped ("B, C" -> ["B", "C"])."""
    return [t.strip() for t in text.split(",") if t.strip()]


@dataclass(frozen=True)
class AdvGANConfig(Config):
    dataset: str = "mnist"               # mnist | fashion_mnist
    n_train: int = 4000                  # training images (quick subset of the 60k)
    n_test: int = 200                    # test images attacked
    n_cw: int = 30                       # test images attacked by C&W (slow)
    targets: str = "B,C"                 # semi-whitebox targets (quick: B, C; the paper preset: A, B, C)
    defended_model: str = "C"            # architecture trained with the defenses
    defenses: str = "fgsm,ensemble,pgd"  # any of fgsm, ensemble, pgd ("" = none); the paper's three
    target_epochs: int = 5               # enough for ~97-99% clean accuracy on the subset
    defense_n_train: int = 8000          # images the defenses train on (first of the same permutation)
    defense_epochs: int = 5
    defense_pgd_epochs: int = 8          # PGD training converges slowest at eps 0.3 (clean accuracy still rising)
    defense_pgd_steps: int = 5           # Madry et al. use 40 on MNIST; fewer in the quick run
    eps: float = 0.3                     # L_inf budget (paper, MNIST)
    alpha: float = 0.1                   # weight of L_GAN
    beta: float = 0.1                    # weight of L_hinge
    c: float = 7.0                       # soft L2 bound of the hinge (chosen on a validation split)
    kappa: float = 2.0                   # C&W confidence of L_adv (chosen on a validation split)
    gan_loss: str = "ls"                 # ls | bce
    epochs: int = 6                      # AdvGAN epochs
    batch_size: int = 128
    lr: float = 1e-3
    pgd_steps: int = 40                  # baseline PGD (Madry MNIST: 40 steps of 0.01)
    pgd_alpha: float = 0.01
    cw_steps: int = 100
    cw_binary_steps: int = 3
    cw_c: float = 0.1
    cw_lr: float = 0.05
    blackbox: bool = True                # also run static vs dynamic distillation
    blackbox_model: str = "B"
    surrogate_model: str = "C"
    distill_epochs: int = 3
    dynamic_rounds: int = 2
    challenge: bool = True               # emulated MadryLab MNIST challenge against the PGD-trained copy (needs pgd)
    challenge_rounds: int = 2            # its dynamic-distillation rounds (default: the black-box experiment's)
    challenge_distill_epochs: int = 3    # its initial distillation epochs (default: the black-box experiment's)
    workers: int = 2                     # 2: FGSM / PGD training in a second (spawned, 1-thread) process
    bench_n_test: int = 256              # `bench`: test images each method attacks (smoke: 16)
    seed: int = 0

    def validate(self):
        check_choice("dataset", self.dataset, ("mnist", "fashion_mnist"))
        check_choice("gan_loss", self.gan_loss, ("ls", "bce"))
        targets = _names(self.targets)
        if not targets:  # an empty list passed and ended in an IndexError inside run/reproduce
            raise ConfigError("'targets' must name at least one target model of A, B, C, small (got none)")
        # each model named by its own key (the message said 'model' whichever key was wrong)
        for key, m in [("targets", t) for t in targets] + [(k, getattr(self, k)) for k in
                                                           ("defended_model", "blackbox_model", "surrogate_model")]:
            check_choice(key, m, ("A", "B", "C", "small"))
        for d in _names(self.defenses):
            check_choice("defenses", d, attacks.DEFENSES)
        for key in ("targets", "defenses"):
            check_unique(key, _names(getattr(self, key)), getattr(self, key))
        check_interval("workers", self.workers, 1, 2, closed="both")
        for k in ("n_train", "defense_n_train", "n_test", "n_cw", "epochs", "batch_size", "target_epochs",
                  "defense_epochs", "defense_pgd_steps", "defense_pgd_epochs", "pgd_steps", "cw_steps",
                  "cw_binary_steps", "distill_epochs", "dynamic_rounds", "challenge_rounds",
                  "challenge_distill_epochs", "bench_n_test"):
            check_positive(k, getattr(self, k))
        for k in ("eps", "c", "lr", "pgd_alpha", "cw_c", "cw_lr"):
            check_positive(k, getattr(self, k))
        n_train, n_test = _SPLIT_SIZES[self.dataset]   # a larger subset would silently be the whole split
        for k, n, split in (("n_train", n_train, "training"), ("defense_n_train", n_train, "training"),
                            ("n_test", n_test, "test"), ("bench_n_test", n_test, "test")):
            if getattr(self, k) > n:
                raise ConfigError(f"'{k}' = {getattr(self, k)} is more than the {n} {split} images of "
                                  f"{self.dataset}", where=k)
        if _names(self.defenses) and self.batch_size > self.defense_n_train:
            # the adversarial training (Trainer) needs one full batch; it failed only after the targets, the
            # AdvGANs and the black-box experiment had been trained
            raise ConfigError(f"'defense_n_train' = {self.defense_n_train} is fewer than one batch ('batch_size' = "
                              f"{self.batch_size}) for the adversarial training of {self.defenses}",
                              where="defense_n_train")
        check_interval("eps", self.eps, 0.0, 1.0, closed="right")
        check_positive("alpha", self.alpha, strict=False)
        check_positive("beta", self.beta, strict=False)
        check_positive("kappa", self.kappa, strict=False)


_SPLIT_SIZES = {"mnist": (60000, 10000), "fashion_mnist": (60000, 10000)}   # (training, test) images
_DATA_NAME = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}


def _load(cfg: AdvGANConfig, defense_set: bool = False):
    """Seeded subsets: (x_train, y_train, x_test, y_test) [+ (x_def, y_def) when ``defense_set``].

    The defense set is the first ``defense_n_train`` images of the same training permutation (a superset of
    the attack training set when larger); the test subset does not depend on either size."""
    from paperworks.data import load

    d = load(cfg.dataset)
    g = np.random.default_rng(cfg.seed)
    perm = g.permutation(d["x_train"].shape[0])
    tr = perm[:cfg.n_train]
    te = g.permutation(d["x_test"].shape[0])[:cfg.n_test]

    def t(x):
        return torch.from_numpy(np.ascontiguousarray(x)).float().div_(255.0).unsqueeze(1)

    out = (t(d["x_train"][tr]), torch.from_numpy(d["y_train"][tr]).long(),
           t(d["x_test"][te]), torch.from_numpy(d["y_test"][te]).long())
    if defense_set:
        de = perm[:cfg.defense_n_train]
        out += (t(d["x_train"][de]), torch.from_numpy(d["y_train"][de]).long())
    return out


def transfer_column(defended: nn.Module, source: dict[str, attacks.AttackReport], x: torch.Tensor,
                    y: torch.Tensor) -> dict[str, attacks.AttackReport]:
    """Success of fixed adversarial examples on a defended model (paper Sec. 4.3: the adversary is not aware
    of the defense). ``source`` maps attack name -> report of that attack on the undefended model (its
    ``x_adv`` covers the first ``n`` images of ``x``); the defended model is only queried for predictions."""
    out = {}
    for name, r in source.items():
        k = r.x_adv.shape[0]
        out[name] = attacks.evaluate_attack(defended, r.x_adv, x[:k], y[:k], name=name)
        out[name].time_per_example_s = r.time_per_example_s
    return out


def _cw_in_ball(model, x, y, cfg):
    """C&W L2 ("Opt." in the paper) restricted afterwards to the same L_inf budget as the other attacks."""
    adv = attacks.cw_l2(model, x, y, c=cfg.cw_c, steps=cfg.cw_steps, lr=cfg.cw_lr,
                        binary_search_steps=cfg.cw_binary_steps)
    return attacks.clip_to_ball(adv, x, cfg.eps, "inf")


def _defense_worker(cfg_fields: dict, methods: list[str]):
    """Worker-process entry (spawned): part of the defense phase of ``reproduce`` on one intra-op thread;
    returns plain numpy state dicts, the robustness numbers (the models are rebuilt in the parent), the
    worker's CPU seconds and the emulated MNIST challenge's results (None unless it ran here)."""
    cpu0 = time.process_time()
    cfg = AdvGANConfig(**cfg_fields)
    xtr, ytr, xte, yte, xdef, ydef = _load(cfg, defense_set=True)
    system = AdvGAN(cfg)
    models, robust = system._defense_phase(methods, xtr, ytr, xdef, ydef, xte, yte)
    # the emulated MNIST challenge runs where its (PGD-trained) model is, after everything else here
    challenge = system._challenge(models["pgd"], xtr, ytr, xte, yte) if cfg.challenge and "pgd" in models else None
    states = {m: {k: v.numpy() for k, v in f.state_dict().items()} for m, f in models.items()}
    return states, robust, time.process_time() - cpu0, challenge


#: test images on which the defended models' white-box PGD robustness is measured (reference table)
ROBUST_PGD_IMAGES = 100

# (model, setting) -> paper's success rate. Table 2 of the paper (semi-whitebox, MNIST); the brief marks these
# as unverified (not found in a stored source): they are printed as "paper (unverified)".
PAPER_SEMIWHITEBOX = {"A": 0.979, "B": 0.971, "C": 0.983}


def paper_semiwhitebox_min(targets) -> float | None:
    """The paper's value for the claim 'success >= 0.90 on every undefended model': the smallest Tab. 2 rate
    among the targets actually attacked (``targets``: model names), None when none of them is in Tab. 2."""
    vals = [PAPER_SEMIWHITEBOX[t] for t in targets if t in PAPER_SEMIWHITEBOX]
    return min(vals) if vals else None

#: The MNIST challenge (Madry et al.'s secret PGD-trained model, eps 0.3, all 10,000 MNIST test images): accuracy
#: of that model under each black-box entry of the MadryLab/mnist_challenge README's "Black-Box Leaderboard
#: (Original Challenge)" (checked in the stored README; the AdvGAN paper's own copy of the table could not be read in
#: a stored source). Lower = stronger attack. Key -> (entry as the leaderboard words it, accuracy).
CHALLENGE_LEADERBOARD = {
    "advgan": ("AdvGAN (the paper's entry, Sep 25 2017)", 0.9276),
    "pgd_adv_copies": ("PGD against three independently and adversarially trained copies (Tramèr)", 0.9354),
    "fgsm_cw_model_b": ("FGSM on the CW loss for model B of Tramèr et al. (Tramèr)", 0.9436),
    "fgsm_cw_natural": ("FGSM on the CW loss for the naturally trained public network", 0.9608),
    "pgd_xent_natural": ("PGD on the cross-entropy loss for the naturally trained public network", 0.9681),
    "gaussian_adv": ("Gaussian filter for selected pixels on the adversarially trained public network", 0.9733),
    "fgsm_xent_adv": ("FGSM on the cross-entropy loss for the adversarially trained public network", 0.9766),
    "pgd_xent_adv": ("PGD on the cross-entropy loss for the adversarially trained public network", 0.9779),
}
#: same README, white-box leaderboard (the released model): "100-step PGD on the cross-entropy loss" (initial entry)
CHALLENGE_WHITEBOX_PGD100 = 0.9252


@register("advgan", paper=Paper("C. Xiao, B. Li, J.-Y. Zhu, W. He, M. Liu, D. Song",
                                "Generating Adversarial Examples with Adversarial Networks", "IJCAI", 2018,
                                "1801.02610"), config=AdvGANConfig)
class AdvGAN(System):
    """AdvGAN (Xiao et al., IJCAI 2018): a generator of adversarial perturbations trained against a frozen
    target with the C&W margin, an LSGAN realism term and a hinge on the perturbation's L2 norm;
    semi-whitebox and black-box (static / dynamic distillation) modes. See the module docstring."""

    full_scale = False  # one scale: reproduce(quick=False) runs what quick=True runs
    presets = {
        # seconds: 64 images, one tiny target, one defense; the black-box path is kept (it costs < 1 s here)
        "smoke": {"n_train": 64, "n_test": 16, "n_cw": 4, "targets": "small", "defended_model": "small",
                  "defenses": "fgsm,pgd", "target_epochs": 1, "defense_n_train": 64, "defense_epochs": 1,
                  "defense_pgd_epochs": 1, "defense_pgd_steps": 2, "workers": 1,
                  "epochs": 1, "batch_size": 32, "pgd_steps": 2, "cw_steps": 2, "cw_binary_steps": 1,
                  "blackbox_model": "small", "surrogate_model": "small", "distill_epochs": 1,
                  "dynamic_rounds": 1, "challenge_rounds": 1, "challenge_distill_epochs": 1, "bench_n_test": 16},
        "paper": {"n_train": 60000, "n_test": 10000, "n_cw": 1000, "targets": "A,B,C",
                  "defenses": "fgsm,ensemble,pgd", "target_epochs": 10, "defense_n_train": 60000,
                  "defense_epochs": 10, "defense_pgd_epochs": 10,
                  "defense_pgd_steps": 40, "epochs": 60, "cw_steps": 1000, "cw_binary_steps": 9,
                  "distill_epochs": 5, "dynamic_rounds": 5, "challenge_distill_epochs": 5,
                  "challenge_rounds": 5},
    }

    # -- pieces
    def _train_target(self, name, x, y, seed):
        torch.manual_seed(seed)
        return train_classifier(make_model(name), x, y, epochs=self.config.target_epochs,
                                batch_size=self.config.batch_size, seed=seed)

    def _train_defended(self, method, x, y, statics, seed):
        cfg = self.config
        torch.manual_seed(seed)
        model = make_model(cfg.defended_model)
        epochs = cfg.defense_pgd_epochs if method == "pgd" else cfg.defense_epochs
        steps = max(epochs * (x.shape[0] // cfg.batch_size), 1)
        kw = {"static_models": statics} if method == "ensemble" else {}
        if method == "pgd":
            kw = {"pgd_steps": cfg.defense_pgd_steps, "pgd_alpha": 2.5 * cfg.eps / cfg.defense_pgd_steps}
        tc = TrainerConfig(max_steps=steps, batch_size=cfg.batch_size, lr=1e-3, seed=seed, progress=False,
                           log_every=steps, deterministic=False)
        return attacks.adversarial_training(model, x, y, method=method, eps=cfg.eps, trainer_config=tc, **kw)

    def _static_specs(self):
        """(name, seed) of the static pre-trained models of ensemble adversarial training: the undefended
        targets other than the defended architecture (at most two), else that architecture's own undefended
        model (the seeds are those the targets are trained with in ``reproduce``)."""
        cfg = self.config
        targets = _names(cfg.targets)
        specs = [(n, cfg.seed + i) for i, n in enumerate(targets) if n != cfg.defended_model][:2]
        if specs:
            return specs
        if cfg.defended_model in targets:
            return [(cfg.defended_model, cfg.seed + targets.index(cfg.defended_model))]
        return [(cfg.defended_model, cfg.seed + 40)]

    def _defense_phase(self, methods, xtr, ytr, xdef, ydef, xte, yte, statics=None):
        """One adversarially trained copy of ``defended_model`` per defense in ``methods``, plus its white-box
        robustness on the test subset (reference only). Every step is seeded (the seed depends on the defense's
        position in ``defenses``), so the result is the same in this process or in a worker; ``statics``
        (ensemble training only) are retrained from ``_static_specs`` when None.
        Returns ({method: model}, {method: {clean, fgsm_acc, pgd_acc}})."""
        cfg = self.config
        order = _names(cfg.defenses)
        if statics is None and "ensemble" in methods:
            statics = [self._train_target(n, xtr, ytr, sd) for n, sd in self._static_specs()]
        models, robust = {}, {}
        k = min(ROBUST_PGD_IMAGES, xte.shape[0])
        for method in methods:
            f = self._train_defended(method, xdef, ydef, statics, cfg.seed + 50 + order.index(method))
            models[method] = f
            xf = attacks.fgsm(f, xte, yte, eps=cfg.eps)
            xp = attacks.pgd(f, xte[:k], yte[:k], eps=cfg.eps, alpha=cfg.pgd_alpha, steps=cfg.pgd_steps, seed=cfg.seed)
            robust[method] = {"clean": attacks.accuracy(f, xte, yte), "fgsm_acc": attacks.accuracy(f, xf, yte),
                              "pgd_acc": attacks.accuracy(f, xp, yte[:k])}
        return models, robust

    def _advgan(self, target, x, y, seed, log=None):
        cfg = self.config
        return train_advgan(target, x, y, eps=cfg.eps, alpha=cfg.alpha, beta=cfg.beta, c=cfg.c, kappa=cfg.kappa,
                            epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, gan_loss=cfg.gan_loss,
                            seed=seed, log=log)

    def _baselines(self, model, x, y):
        cfg = self.config
        out = {"FGSM": attacks.evaluate_attack(model, "fgsm", x, y, eps=cfg.eps),
               "PGD": attacks.evaluate_attack(model, "pgd", x, y, eps=cfg.eps, alpha=cfg.pgd_alpha,
                                              steps=cfg.pgd_steps, seed=cfg.seed)}
        k = min(cfg.n_cw, x.shape[0])
        out["C&W (Opt.)"] = attacks.evaluate_attack(model, lambda m, a, b, targeted=False: _cw_in_ball(m, a, b, cfg),
                                                   x[:k], y[:k], name="cw_l2")
        return out

    def _advgan_eval(self, G, model, x, y):
        t0 = time.perf_counter()
        x_a = advgan_perturb(G, x, self.config.eps)
        dt = (time.perf_counter() - t0) / x.shape[0]
        rep = attacks.evaluate_attack(model, x_a, x, y, name="AdvGAN")
        rep.time_per_example_s = dt
        return rep

    def _blackbox(self, xtr, ytr, xte, yte, log):
        """Static vs dynamic distillation against a black box (Sec. 3.3); returns success rates on b."""
        cfg = self.config
        b_model = self._train_target(cfg.blackbox_model, xtr, ytr, cfg.seed + 100)
        bb = BlackBox(b_model)
        torch.manual_seed(cfg.seed + 200)
        f = distill(make_model(cfg.surrogate_model), bb, xtr, epochs=cfg.distill_epochs,
                    batch_size=cfg.batch_size, seed=cfg.seed)
        q_static = bb.queries
        G_static, _ = self._advgan(f, xtr, ytr, cfg.seed + 1)
        static = attacks.evaluate_attack(b_model, advgan_perturb(G_static, xte, cfg.eps), xte, yte)
        # dynamic: alternate G/D epochs against f_{i-1} and surrogate refits on (x, b(x)), (x_A, b(x_A))
        torch.manual_seed(cfg.seed + 200)
        G, _, agree = dynamic_distillation(
            bb, make_model(cfg.surrogate_model), xtr, ytr, rounds=cfg.dynamic_rounds,
            distill_epochs=cfg.distill_epochs, epochs_per_round=max(cfg.epochs // cfg.dynamic_rounds, 1),
            eps=cfg.eps, alpha=cfg.alpha, beta=cfg.beta, c=cfg.c, kappa=cfg.kappa, batch_size=cfg.batch_size,
            lr=cfg.lr, gan_loss=cfg.gan_loss, seed=cfg.seed,
            log=lambda d: log({"blackbox_round": d["round"], "agreement_before": d["agreement_before"],
                               "agreement_after": d["agreement_after"]}))
        dynamic = attacks.evaluate_attack(b_model, advgan_perturb(G, xte, cfg.eps), xte, yte)
        # the attacks' own queries (static: b(x); dynamic: b(x) once + b(x_A) per round) and, apart, the
        # diagnostic ones of the agreement measurement
        return {"static": static.success_rate, "dynamic": dynamic.success_rate, "agreement": agree,
                "queries": bb.queries, "queries_static": q_static, "queries_dynamic": bb.queries - q_static,
                "diagnostic_queries": bb.diagnostic_queries, "b_accuracy": static.clean_accuracy}

    def _challenge(self, challenge_model, xtr, ytr, xte, yte):
        """Emulated MadryLab MNIST challenge (the paper's black-box leaderboard experiment): the PGD-trained copy
        of ``defended_model`` plays the secret challenge model. The attacker only gets ``BlackBox.probs``:
        dynamic distillation of a ``surrogate_model`` (the challenge publishes its architecture; ours is the
        existing black-box setting's surrogate C) with the AdvGAN config of the other targets. The challenge
        model then classifies the submitted examples (the organisers' scoring). References: PGD crafted on the
        final distilled surrogate (transfer) and white-box PGD on the challenge model (a lower bound). Seeded
        from its own seeds (``seed + 300 / 500``), so the result is the same in the worker or in this process."""
        cfg = self.config
        cpu0 = time.process_time()
        bb = BlackBox(challenge_model)
        torch.manual_seed(cfg.seed + 500)
        surrogate = make_model(cfg.surrogate_model)
        G, f, agree = dynamic_distillation(
            bb, surrogate, xtr, ytr, rounds=cfg.challenge_rounds, distill_epochs=cfg.challenge_distill_epochs,
            epochs_per_round=max(cfg.epochs // cfg.challenge_rounds, 1), eps=cfg.eps, alpha=cfg.alpha,
            beta=cfg.beta, c=cfg.c, kappa=cfg.kappa, batch_size=cfg.batch_size, lr=cfg.lr, gan_loss=cfg.gan_loss,
            seed=cfg.seed + 300)
        queries, diagnostic_queries = bb.queries, bb.diagnostic_queries
        x_adv = advgan_perturb(G, xte, cfg.eps)
        x_sur = attacks.pgd(f, xte, yte, eps=cfg.eps, alpha=cfg.pgd_alpha, steps=cfg.pgd_steps, seed=cfg.seed)
        x_wb = attacks.pgd(challenge_model, xte, yte, eps=cfg.eps, alpha=cfg.pgd_alpha, steps=cfg.pgd_steps,
                           seed=cfg.seed)
        acc = lambda z: attacks.accuracy(challenge_model, z, yte)  # noqa: E731
        return {"clean": acc(xte), "advgan": acc(x_adv), "pgd_surrogate": acc(x_sur), "whitebox_pgd": acc(x_wb),
                "surrogate_clean_agreement": attacks.accuracy(f, xte, attacks.predict(challenge_model, xte)),
                "advgan_mean_l2": float((x_adv - xte).flatten(1).norm(dim=1).mean()),
                "advgan_surrogate_success": float((attacks.predict(f, x_adv) != yte).float().mean()),
                "queries": queries, "diagnostic_queries": diagnostic_queries, "agreement": agree,
                "cpu_s": time.process_time() - cpu0}

    # -- entry points
    def run(self, run_dir: RunDir) -> dict[str, float]:
        """Semi-whitebox AdvGAN against the first target in ``targets``; baselines on the same inputs."""
        cfg = self.config
        seed_everything(cfg.seed, deterministic=False)
        xtr, ytr, xte, yte = _load(cfg)
        name = _names(cfg.targets)[0]
        f = self._train_target(name, xtr, ytr, cfg.seed)
        frozen = [p.detach().clone() for p in f.parameters()]
        G, _ = self._advgan(f, xtr, ytr, cfg.seed, log=run_dir.log_metrics)
        if not all(torch.equal(a, p) for a, p in zip(frozen, f.parameters())):
            raise RuntimeError("AdvGAN.run: the target model changed during AdvGAN training")
        rep = self._advgan_eval(G, f, xte, yte)
        metrics = {"clean_accuracy": rep.clean_accuracy, "advgan_success": rep.success_rate,
                   "advgan_mean_l2": rep.mean_l2, "advgan_time_per_example_s": rep.time_per_example_s}
        for k, r in self._baselines(f, xte, yte).items():
            key = k.split()[0].lower().replace("&", "")
            metrics[f"{key}_success"] = r.success_rate
            metrics[f"{key}_time_per_example_s"] = r.time_per_example_s
        run_dir.log_metrics(metrics)
        return metrics

    def reproduce(self, run_dir: RunDir, quick: bool = True) -> Report:
        cfg = self.config
        t_start = time.time()
        cpu0 = time.process_time()
        methods = _names(cfg.defenses)
        # the defenses are independent of the rest and fully seeded: with workers = 2 a spawned worker trains
        # the FGSM- and PGD-trained copies while this process trains the targets, the AdvGANs, the black-box
        # attack and the ensemble-trained copy (it reuses this process's static models); same numbers as 1 worker
        remote = [m for m in methods if m != "ensemble"] if cfg.workers > 1 else []
        if not remote:
            return self._reproduce(run_dir, quick, t_start, cpu0, methods, remote, None)
        with in_background(_defense_worker, cfg_fields=dataclasses.asdict(cfg), methods=remote) as fut, \
                torch_threads(1):
            return self._reproduce(run_dir, quick, t_start, cpu0, methods, remote, fut)

    def _reproduce(self, run_dir, quick, t_start, cpu0, methods, remote, fut):
        cfg = self.config
        seed_everything(cfg.seed, deterministic=False)
        xtr, ytr, xte, yte, xdef, ydef = _load(cfg, defense_set=True)
        rep = Report(self.name, quick)
        log = run_dir.log_metrics
        columns: dict[str, dict[str, attacks.AttackReport]] = {}
        gens = {}
        undefended = {}
        for i, name in enumerate(_names(cfg.targets)):
            f = self._train_target(name, xtr, ytr, cfg.seed + i)
            undefended[name] = f
            frozen = [p.detach().clone() for p in f.parameters()]
            G, _ = self._advgan(f, xtr, ytr, cfg.seed + i, log=lambda r, n=name: log({"target": n, **r}))
            unchanged = all(torch.equal(a, p) for a, p in zip(frozen, f.parameters()))
            if not unchanged:
                raise RuntimeError("AdvGAN: the target's parameters changed during training")
            gens[name] = G
            col = self._baselines(f, xte, yte)
            col["AdvGAN"] = self._advgan_eval(G, f, xte, yte)
            columns[f"model {name}"] = col
            log({"target": name, **{f"{k}_success": v.success_rate for k, v in col.items()}})
        # Paper Sec. 4.3 ("threat model"): the adversary is not aware of the defense. Every attack (FGSM, PGD,
        # C&W, AdvGAN) crafts its examples on the normally trained model of the defended architecture; the
        # adversarially trained models are then only asked to classify those fixed examples.
        src = cfg.defended_model
        if src not in undefended:
            undefended[src] = self._train_target(src, xtr, ytr, cfg.seed + 40)
            gens[src], _ = self._advgan(undefended[src], xtr, ytr, cfg.seed + 40)
            source_col = self._baselines(undefended[src], xte, yte)
            source_col["AdvGAN"] = self._advgan_eval(gens[src], undefended[src], xte, yte)
        else:
            source_col = columns[f"model {src}"]
        bb = self._blackbox(xtr, ytr, xte, yte, log) if cfg.blackbox else None
        statics = [undefended[n] for n, _ in self._static_specs()]
        defended, robust = self._defense_phase([m for m in methods if m not in remote], xtr, ytr, xdef, ydef,
                                               xte, yte, statics)
        challenge = None
        if cfg.challenge and "pgd" in defended:  # one process: after everything else (own seeds either way)
            challenge = self._challenge(defended["pgd"], xtr, ytr, xte, yte)
        cpu = {"cpu_s_main": time.process_time() - cpu0}
        if fut is not None:
            states, remote_robust, cpu["cpu_s_worker"], remote_challenge = fut.result()
            challenge = challenge or remote_challenge
            robust.update(remote_robust)
            for m in remote:
                f = make_model(cfg.defended_model)
                f.load_state_dict({k: torch.from_numpy(v) for k, v in states[m].items()})
                defended[m] = f.eval()
        log(cpu)
        if challenge is not None:
            log({f"challenge_{k}": v for k, v in challenge.items() if k != "agreement"})
        defended_cols = []
        for method in methods:
            col = transfer_column(defended[method], source_col, xte, yte)
            label = {"fgsm": "FGSM adv. training", "ensemble": "ensemble adv. training",
                     "pgd": "PGD (Madry) adv. training"}[method]
            key = f"{cfg.defended_model} + {label}"
            columns[key] = col
            defended_cols.append(key)
            log({"defense": method, **{f"{k}_success": v.success_rate for k, v in col.items()},
                 **{f"whitebox_{k}": v for k, v in robust[method].items()}})

        # ---- tables
        names = list(columns)
        att = ["FGSM", "PGD", "C&W (Opt.)", "AdvGAN"]
        on_mnist = cfg.dataset == "mnist"   # the paper's numbers (Tab. 2, the challenge) are MNIST's, not Fashion's
        rows = [["clean accuracy"] + [f"{columns[c]['AdvGAN'].clean_accuracy:.3f}" for c in names]]
        for a in att:
            rows.append([a] + [f"{columns[c][a].success_rate:.3f}" for c in names])
        rows.append(["AdvGAN, paper Tab. 2 (unverified)"] + [
            f"{PAPER_SEMIWHITEBOX[c.split()[1]]:.3f}" if on_mnist and c.startswith("model ")
            and c.split()[1] in PAPER_SEMIWHITEBOX
            else "—" for c in names])
        rep.add_table(f"Attack success rate (untargeted, L_inf eps = {cfg.eps}, {cfg.dataset} test subset)",
                      ["attack"] + names, rows,
                      note=f"FGSM/PGD/AdvGAN on {xte.shape[0]} test images, C&W on the first {min(cfg.n_cw, xte.shape[0])}"
                           " (C&W's L2 result is clipped to the same L_inf ball). Success = prediction != label, "
                           "over all attacked images. Defended columns follow the paper's threat model (Sec. 4.3): "
                           f"the examples are crafted on the normally trained model {cfg.defended_model} without "
                           "knowledge of the defense and then classified by the adversarially trained model.")
        first = names[0]
        und = [c for c in names if c.startswith("model ")]
        t_adv = float(np.mean([columns[c]["AdvGAN"].time_per_example_s for c in und]))
        t_cw = float(np.mean([columns[c]["C&W (Opt.)"].time_per_example_s for c in und]))
        t_pgd = float(np.mean([columns[c]["PGD"].time_per_example_s for c in und]))
        t_fgsm = float(np.mean([columns[c]["FGSM"].time_per_example_s for c in und]))
        rep.add_table("Generation time per example (seconds, mean over targets; CPU, contended machine)",
                      ["attack", "s / example", "C&W time / attack time"],
                      [["FGSM", f"{t_fgsm:.2e}", f"{t_cw / t_fgsm:.0f}"],
                       [f"PGD-{cfg.pgd_steps}", f"{t_pgd:.2e}", f"{t_cw / t_pgd:.1f}"],
                       [f"C&W ({cfg.cw_binary_steps} x {cfg.cw_steps} steps)", f"{t_cw:.2e}", "1"],
                       ["AdvGAN (one G pass)", f"{t_adv:.2e}", f"{t_cw / t_adv:.0f}"]])
        if methods:
            k = min(ROBUST_PGD_IMAGES, xte.shape[0])
            rep.add_table(f"Defended models ({cfg.defended_model}): white-box robustness on the test subset "
                          "(reference)",
                          ["defense", "clean accuracy", f"accuracy under white-box FGSM (eps {cfg.eps})",
                           f"accuracy under white-box PGD-{cfg.pgd_steps} (first {k} images)"],
                          [[m] + [f"{robust[m][q]:.3f}" for q in ("clean", "fgsm_acc", "pgd_acc")] for m in methods],
                          note=f"{cfg.defense_n_train} training images, {cfg.defense_epochs} epochs (PGD training: "
                               f"{cfg.defense_pgd_epochs} epochs of {cfg.defense_pgd_steps}-step PGD). These attacks "
                               "query the defended model's gradients; the claims use the paper's transfer threat "
                               "model instead.")
        norm_rows = [[c] + [f"{columns[c][a].mean_l2:.2f} / {columns[c][a].mean_linf:.2f}" for a in att] for c in names]
        rep.add_table("Mean perturbation L2 / L_inf", ["target"] + att, norm_rows)

        # ---- claims
        worst = min(columns[c]["AdvGAN"].success_rate for c in und)
        paper_min = paper_semiwhitebox_min([c.split()[1] for c in und]) if on_mnist else None
        rep.add_claim(Claim.at_least(f"semi-whitebox AdvGAN success on every undefended {_DATA_NAME[cfg.dataset]} "
                                     "model", "min success rate over " + ", ".join(und), worst, 0.90, paper=paper_min))
        for c in defended_cols:
            rep.add_claim(Claim.beats(f"AdvGAN beats FGSM against {c}", "success rate",
                                      columns[c]["AdvGAN"].success_rate, columns[c]["FGSM"].success_rate))
            # C&W is slow and attacks only the first n_cw images: compare AdvGAN on those same images
            cw = columns[c]["C&W (Opt.)"]
            adv_same = float(columns[c]["AdvGAN"].success[:cw.n].float().mean())
            rep.add_claim(Claim.beats(f"AdvGAN beats C&W (Opt.) against {c} (on the {cw.n} images C&W attacked)",
                                      "success rate", adv_same, cw.success_rate))
        rep.add_claim(Claim.at_least("AdvGAN generation is orders of magnitude faster than C&W",
                                     "C&W time / AdvGAN time per example", t_cw / t_adv, 100.0))
        if bb is not None:
            rep.add_claim(Claim.beats("black-box: dynamic distillation beats static distillation",
                                      f"success rate on black box {cfg.blackbox_model}", bb["dynamic"], bb["static"],
                                      margin=0.02))
            rep.add_table(f"Black-box attack on model {cfg.blackbox_model} (surrogate: model {cfg.surrogate_model})",
                          ["distillation", "success rate on the black box"],
                          [["static", f"{bb['static']:.3f}"], ["dynamic", f"{bb['dynamic']:.3f}"]],
                          note=f"black box accuracy {bb['b_accuracy']:.3f}; {bb['queries']} queries by the "
                               f"attacks (static distillation {bb['queries_static']}, dynamic "
                               f"{bb['queries_dynamic']}); "
                               f"surrogate/black-box label agreement on x_A (measured with {bb['diagnostic_queries']} "
                               "diagnostic queries (agreement measurement), not counted above) before -> after each "
                               "refit: "
                               + ", ".join(f"{a:.2f} -> {b:.2f}" for a, b in bb["agreement"]))
        if challenge is not None:
            self._challenge_report(rep, challenge, columns[f"{cfg.defended_model} + PGD (Madry) adv. training"])
        elif cfg.challenge:
            rep.add_text(f"The emulated {_DATA_NAME[cfg.dataset]} challenge did not run: its challenge model is the "
                         "PGD-trained copy, and "
                         f"`defenses` ({cfg.defenses}) has no `pgd`. Add it, or set challenge=false.")
        # ---- picture grid
        fig = _grid(xte[:8], gens[first.split()[1]], undefended[first.split()[1]], cfg.eps)
        rep.add_plot(run_dir, fig, "advgan_grid",
                     f"AdvGAN on {first}: originals (top), perturbations (middle, grey = 0), adversarial (bottom); "
                     "titles are the target's predictions")
        rep.add_text(
            f"Data: {cfg.dataset}, {xtr.shape[0]} training and {xte.shape[0]} test images (seeded subset). Targets "
            f"trained {cfg.target_epochs} epochs with Adam; defended models ({cfg.defended_model}) trained "
            f"{cfg.defense_epochs} epochs on {cfg.defense_n_train} images with each defense (PGD training: "
            f"{cfg.defense_pgd_epochs} epochs, {cfg.defense_pgd_steps} PGD steps). AdvGAN: "
            f"{cfg.epochs} epochs, alpha={cfg.alpha}, beta={cfg.beta}, c={cfg.c}, kappa={cfg.kappa}, eps={cfg.eps}, {cfg.gan_loss} GAN loss. "
            "Under defenses we follow the paper's threat model (Sec. 4.3): the adversary does not know the defense, "
            f"so all four attacks craft their examples on the normally trained model {cfg.defended_model} and the "
            "adversarially trained copies only classify them (no gradient access to the defended models). "
            "The paper's numbers come from full MNIST training of the targets and longer AdvGAN training; the paper "
            "values shown are marked unverified because only part of the paper could be checked here. The MadryLab "
            "MNIST challenge (92.76% accuracy under AdvGAN) needs the secret challenge model: it is emulated with our "
            "PGD-trained copy as the challenge model (see its table). "
            f"Wall time {time.time() - t_start:.0f} s; CPU seconds (one intra-op thread per process): "
            + ", ".join(f"{k[6:]} {v:.0f}" for k, v in cpu.items())
            + " (on two idle cores the wall time is about the larger of these)"
            + (f"; the emulated challenge took {challenge['cpu_s']:.0f} of them (in the "
               f"{'worker' if remote else 'main'} process)." if challenge is not None else "."))
        return rep

    def _challenge_report(self, rep, ch, transfer):
        """Table and claim of the emulated MNIST challenge. ``transfer``: the PGD-trained column of the transfer
        table (examples crafted on the naturally trained copy, only classified by the challenge model).

        Off MNIST (dataset=fashion_mnist) the title and claim name the dataset used, and the MadryLab leaderboard
        column and its leaderboard-only rows are left out: those numbers are MNIST's (they were shown beside the
        Fashion-MNIST accuracies under an MNIST title until 2026-11-27). MNIST reports are unchanged."""
        cfg = self.config
        on_mnist = cfg.dataset == "mnist"
        data = _DATA_NAME[cfg.dataset]
        lb = CHALLENGE_LEADERBOARD
        n = len(transfer["FGSM"].success)
        acc = {k: transfer[k].adversarial_accuracy for k in ("FGSM", "PGD", "AdvGAN")}
        pct = lambda v: f"{100 * v:.2f} %"  # noqa: E731
        na = "not run"
        src = cfg.defended_model
        rows = [
            ["none (clean test images)", "—", f"{ch['clean']:.3f}", "—"],
            [f"AdvGAN, dynamic distillation of surrogate {cfg.surrogate_model} ({cfg.challenge_rounds} "
             f"round{'s' if cfg.challenge_rounds != 1 else ''})",
             f"probs queries ({ch['queries']})", f"{ch['advgan']:.3f}", f"{pct(lb['advgan'][1])} (AdvGAN)"],
            [f"FGSM (cross-entropy) on the naturally trained copy {src}", "none (transfer)", f"{acc['FGSM']:.3f}",
             f"{pct(lb['fgsm_cw_natural'][1])} (FGSM, CW loss, natural copy)"],
            [f"PGD-{cfg.pgd_steps} (cross-entropy) on the naturally trained copy {src}", "none (transfer)",
             f"{acc['PGD']:.3f}", f"{pct(lb['pgd_xent_natural'][1])} (PGD, cross-entropy, natural copy)"],
            [f"AdvGAN (semi-whitebox) on the naturally trained copy {src}", "none (transfer)",
             f"{acc['AdvGAN']:.3f}", "—"],
            [f"PGD-{cfg.pgd_steps} on the distilled surrogate (AdvGAN's final f)", "probs queries (its distillation)",
             f"{ch['pgd_surrogate']:.3f}", "—"],
            ["PGD against three independently and adversarially trained copies", "none (transfer)", na,
             pct(lb["pgd_adv_copies"][1])],
            ["FGSM (CW loss) on Tramèr et al.'s model B", "none (transfer)", na, pct(lb["fgsm_cw_model_b"][1])],
            ["FGSM / PGD (cross-entropy) on an adversarially trained copy", "none (transfer)", na,
             f"{pct(lb['fgsm_xent_adv'][1])} / {pct(lb['pgd_xent_adv'][1])}"],
            [f"white-box PGD-{cfg.pgd_steps} on the challenge model (reference lower bound)", "gradients",
             f"{ch['whitebox_pgd']:.3f}",
             f"{pct(CHALLENGE_WHITEBOX_PGD100)} (white-box leaderboard, 100-step PGD, cross-entropy)"]]
        columns = ["attack (crafted on)", "access to the challenge model", "accuracy (ours)",
                   "MadryLab black-box leaderboard (Madry's secret model, 10,000 images)"]
        if on_mnist:
            board = ("Leaderboard accuracies: checked in the MadryLab "
                     "mnist_challenge README (the paper's copy of the table could not be read in a stored source); "
                     "they are for Madry et al.'s model (40-step PGD training on all of MNIST), ours for a far weaker "
                     f"one ({cfg.defense_pgd_steps}-step PGD training, {cfg.defense_pgd_epochs} epochs on "
                     f"{cfg.defense_n_train} images).")
        else:   # MNIST leaderboard numbers are no reference for another dataset: no column, no leaderboard-only rows
            columns = columns[:3]
            rows = [r[:3] for r in rows if r[2] != na]
            board = (f"The MadryLab leaderboard is not shown: its accuracies are for MNIST, this run is on {data}. "
                     f"Our challenge model: {cfg.defense_pgd_steps}-step PGD training, {cfg.defense_pgd_epochs} "
                     f"epochs on {cfg.defense_n_train} images.")
        rep.add_table(
            f"{data} challenge (emulated{'' if on_mnist else ', the MadryLab MNIST challenge protocol'}): accuracy "
            f"of the PGD-trained model {src} on the {n} test images (L_inf eps = {cfg.eps}; lower = stronger attack)",
            columns, rows,
            note=f"The challenge model is our PGD-trained copy of {src} (the 'PGD (Madry) adv. training' column "
                 "above), reached by the AdvGAN attack only through BlackBox.probs; it then classifies the submitted "
                 "examples, as the challenge organisers did. The transfer rows are the PGD-training column of the "
                 "success-rate table (accuracy = 1 - success). " + board + " Surrogate / challenge-model agreement "
                 "on the clean test images "
                 f"{ch['surrogate_clean_agreement']:.3f}; on x_A (measured with {ch['diagnostic_queries']} "
                 "diagnostic queries (agreement measurement), not counted in the attack's "
                 f"{ch['queries']}) before -> after each refit: "
                 + ", ".join(f"{a:.2f} -> {b:.2f}" for a, b in ch["agreement"])
                 + f"; AdvGAN mean L2 {ch['advgan_mean_l2']:.2f}; AdvGAN's examples fool the final surrogate on "
                 f"{ch['advgan_surrogate_success']:.3f} of the test images.")
        base = min(acc["FGSM"], acc["PGD"])
        rep.add_claim(Claim.beats(
            f"{data} challenge (emulated): AdvGAN's black-box attack (dynamic distillation, queries only) leaves the "
            "PGD-trained challenge model less accurate than FGSM and PGD transferred from the naturally trained copy",
            "challenge-model accuracy under attack (baseline: the lower of FGSM / PGD transfer)", ch["advgan"], base,
            higher_is_better=False, paper=CHALLENGE_LEADERBOARD["advgan"][1] if on_mnist else None))

    def bench(self, run_dir: RunDir | None = None, quick: bool = True) -> dict:
        """Adversarial examples per second on the same trained model C: AdvGAN vs our and ART's PGD / FGSM / C&W."""
        from paperworks.data import load  # noqa: F401  (dataset registry)

        # the bench attacks its own bench_n_test images (256 by default, whatever n_test is, as it always did)
        cfg = self.config.replace(n_train=min(self.config.n_train, 4000), n_test=self.config.bench_n_test)
        xtr, ytr, xte, yte = _load(cfg)
        torch.manual_seed(0)
        f = train_classifier(make_model("C"), xtr, ytr, epochs=1, batch_size=min(128, xtr.shape[0]))  # smoke: 64
        G, _ = train_advgan(f, xtr, ytr, eps=cfg.eps, epochs=1, c=cfg.c)
        n = xte.shape[0]

        def rate(fn, k=n):
            t0 = time.perf_counter()
            fn(k)
            return k / (time.perf_counter() - t0)

        out = {"advgan": rate(lambda k: advgan_perturb(G, xte[:k], cfg.eps)),
               "pgd": rate(lambda k: attacks.pgd(f, xte[:k], yte[:k], eps=cfg.eps, alpha=0.01, steps=40,
                                                  random_start=False)),
               "fgsm": rate(lambda k: attacks.fgsm(f, xte[:k], yte[:k], eps=cfg.eps)),
               "cw": rate(lambda k: attacks.cw_l2(f, xte[:k], yte[:k], c=0.1, lr=0.05, steps=20,
                                                  binary_search_steps=1, abort_early=False), min(64, n))}
        try:
            from art.attacks.evasion import CarliniL2Method, FastGradientMethod, ProjectedGradientDescent
            from art.estimators.classification import PyTorchClassifier

            clf = PyTorchClassifier(model=f, loss=nn.CrossEntropyLoss(), input_shape=(1, 28, 28), nb_classes=10,
                                    clip_values=(0.0, 1.0), device_type="cpu")  # ART moves models to a visible GPU
            xn, yn = xte.numpy(), np.eye(10, dtype=np.float32)[yte.numpy()]
            out["art_pgd"] = rate(lambda k: ProjectedGradientDescent(clf, eps=cfg.eps, eps_step=0.01, max_iter=40,
                                                                     num_random_init=0, batch_size=k,
                                                                     verbose=False).generate(xn[:k], yn[:k]))
            out["art_fgsm"] = rate(lambda k: FastGradientMethod(clf, eps=cfg.eps, batch_size=k).generate(xn[:k], yn[:k]))
            out["art_cw"] = rate(lambda k: CarliniL2Method(clf, confidence=0.0, learning_rate=0.05, max_iter=20,
                                                           binary_search_steps=1, initial_const=0.1, batch_size=k,
                                                           verbose=False).generate(xn[:k], yn[:k]), min(16, n))
        except ImportError:  # pragma: no cover - ART is a test dependency
            out["art_pgd"] = out["art_fgsm"] = out["art_cw"] = float("nan")
        res = {f"{k}_examples_per_s": v for k, v in out.items()}
        res.update({"ratio": out["advgan"] / out["art_pgd"], "advgan_vs_our_pgd": out["advgan"] / out["pgd"],
                    "advgan_vs_our_cw": out["advgan"] / out["cw"], "our_pgd_vs_art_pgd": out["pgd"] / out["art_pgd"],
                    "our_fgsm_vs_art_fgsm": out["fgsm"] / out["art_fgsm"], "our_cw_vs_art_cw": out["cw"] / out["art_cw"]})
        res["summary"] = (f"AdvGAN {out['advgan']:.0f} ex/s vs ART PGD-40 {out['art_pgd']:.0f} ex/s "
                          f"(ratio {res['ratio']:.0f}x); our PGD/ART PGD {res['our_pgd_vs_art_pgd']:.2f}, "
                          f"our C&W/ART C&W {res['our_cw_vs_art_cw']:.1f} (same model C, CPU)")
        return res


def _grid(x, G, model, eps):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with torch.no_grad():
        xa = advgan_perturb(G, x, eps)
        p0, p1 = model(x).argmax(1), model(xa).argmax(1)
    k = x.shape[0]
    fig, ax = plt.subplots(3, k, figsize=(1.3 * k, 4.2))
    for j in range(k):
        for i, (img, kw, title) in enumerate([(x[j, 0], {"cmap": "gray", "vmin": 0, "vmax": 1}, f"pred {int(p0[j])}"),
                                              ((xa - x)[j, 0], {"cmap": "RdBu", "vmin": -eps, "vmax": eps}, ""),
                                              (xa[j, 0], {"cmap": "gray", "vmin": 0, "vmax": 1}, f"pred {int(p1[j])}")]):
            ax[i, j].imshow(img.numpy(), **kw)
            ax[i, j].set_xticks([])
            ax[i, j].set_yticks([])
            if title:
                ax[i, j].set_title(title, fontsize=8)
    ax[0, 0].set_ylabel("original")
    ax[1, 0].set_ylabel("perturbation")
    ax[2, 0].set_ylabel("adversarial")
    fig.tight_layout()
    return fig
