"""The variational-classification (VC) model and objective, as a drop-in loss for any classifier.

Dhuliawala, Sachan & Allen, "Variational Classification", TMLR 2024, arXiv:2305.10406.

Latent-variable view of a softmax classifier: the encoder output z = f_omega(x) (the softmax layer's input)
is a latent; the output layer is Bayes' rule over class-conditional latent densities p_theta(z|y) and a
class prior p_pi(y):

    p_theta(y|z) = p_theta(z|y) p_pi(y) / sum_y' p_theta(z|y') p_pi(y')

With p_theta(z|y) = N(mu_y, diag(sigma_y^2)) the logits are (the 2 pi constant cancels)

    l_y(z) = -1/2 [ sum_d log sigma_yd^2 + sum_d (z_d - mu_yd)^2 / sigma_yd^2 ] + log p_pi(y).

A shared identity covariance makes l_y(z) = mu_y . z - ||mu_y||^2/2 + log p_pi(y) - ||z||^2/2, i.e. a
linear softmax layer (the last term is the same for every class), which is why CE training is the special
case of VC with that prior and no KL term.

The VC objective (maximised; the paper's ELBO analogue) is

    E_{p(x,y)} E_{q(z|x)} [log p_theta(y|z)] - beta E_{p(y)} KL(q_phi(z|y) || p_theta(z|y)) + E log p_pi(y),

q_phi(z|y) the aggregate latent distribution of class y. KL = E_q[log q(z|y) - log p_theta(z|y)]: the second
part is closed form; the first is estimated with the density-ratio trick (the paper's Algorithm 1): a
per-class critic T_psi(z, y) is trained by logistic regression to tell encoder latents (label 1) from prior
samples z~ ~ p_theta(z|y) (label 0); at its optimum T_psi = log q(z|y)/p_theta(z|y), so E_q[T_psi] ~= KL.

Choices where the paper leaves room, following the official code (shehzaadzd/variational-classification,
``loss.py`` / ``run_vc.sh``): the minimised loss is

    CE(l(z), y) + beta_likelihood * mean(-log p_theta(z|y)) + beta_adversarial * mean(T_psi(z, y))

with beta_likelihood = beta_adversarial = 0.01 (the paper's beta split in two halves; the likelihood term
also reaches the encoder, as in the code); T_psi is one linear map per class (``disc_layers=1``; a 2-layer
tanh critic with 512 hidden units is the code's alternative), trained with its own AdamW (default
settings) on the latents and prior samples of the previous main step (the code's order: main step, then
critic step on the cached batch); means start N(0, 1), log-variances 0; the class prior is uniform unless
given. Deviation: the 1-layer critic's weights start N(0, 1/d) instead of the code's N(0, 1), a stability
choice: with N(0, 1) a third of our prior samples start at |T| > 5 (Fashion-MNIST, d = 16, seed 0); the code's
critic on d = 2048 features starts even more saturated, since the spread of T grows like sqrt(d). The 2-layer
critic starts from the code's ``reset()`` (Xavier-uniform weights, zero biases); ``VC.py`` never calls it, so
the released run would start that critic from N(0, 1) weights.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from paperworks.core.config import is_int, is_real, is_seed
from paperworks.core.errors import ConfigError, DataError

__all__ = ["GaussianHead", "ClassCritic", "VariationalObjective", "LatentClassifier", "gaussian_kl",
           "density_ratio_kl", "split_classifier", "check_latents"]

_LOG_2PI = math.log(2 * math.pi)


def check_latents(z: torch.Tensor, y: torch.Tensor, num_classes: int, feat_dim: int, who: str) -> None:
    """z: finite float [N, feat_dim], N >= 1; y: int [N] in [0, num_classes)."""
    if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != feat_dim or not z.is_floating_point():
        got = f"shape {list(z.shape)}, dtype {z.dtype}" if isinstance(z, torch.Tensor) else type(z).__name__
        raise DataError(f"{who}: expected float latents z of shape [N, {feat_dim}] (got {got})")
    if z.shape[0] == 0:
        raise DataError(f"{who}: empty batch (N = 0): the mean losses would be NaN")
    if not torch.isfinite(z).all():
        raise DataError(f"{who}: latents z contain {int((~torch.isfinite(z)).sum())} NaN/inf entries "
                        f"(the encoder diverged or the input has NaN)")
    if (not isinstance(y, torch.Tensor) or y.ndim != 1 or y.shape[0] != z.shape[0] or y.is_floating_point()
            or y.is_complex() or y.dtype == torch.bool):
        got = f"shape {list(y.shape)}, dtype {y.dtype}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise DataError(f"{who}: expected integer labels y of shape [{z.shape[0]}] (got {got})")
    if y.dtype in (torch.uint16, torch.uint32, torch.uint64):   # no min/max kernels for these: read as int64
        y = y.long()
    lo, hi = (int(v) for v in torch.aminmax(y))          # one pass (N >= 1 here)
    if lo < 0 or hi >= num_classes:
        raise DataError(f"{who}: labels must lie in [0, {num_classes - 1}] (got min {lo}, max {hi})")


class GaussianHead(nn.Module):
    """Bayes-rule output layer over class-conditional Gaussians p_theta(z|y) = N(mu_y, diag(sigma_y^2)).

    covariance: 'diagonal' (learned per class and dimension, the paper's choice) or 'identity'
    (sigma = 1 fixed: the linear-softmax special case). class_prior: probabilities p_pi(y) [C] (uniform
    when None; a fixed buffer, the maximiser of E log p_pi(y) is the empirical class frequency).

    The log prior follows the head's dtype and device: it is built in the dtype of the means (the default
    dtype) on their device, and a head converted to float64 (``head.double()``) gets log p_pi(y) computed in
    float64 from the prior as given, not the float32 values cast up (a buffer changed since, e.g. by
    ``load_state_dict``, is cast as it is).
    """

    def __init__(self, feat_dim: int, num_classes: int, covariance: str = "diagonal",
                 class_prior: torch.Tensor | None = None):
        super().__init__()
        # integers (NumPy too); 4.0 ended in torch.randn's TypeError
        if not (is_int(feat_dim, 1) and is_int(num_classes, 2)):
            raise ConfigError(f"GaussianHead: need integers feat_dim >= 1 and num_classes >= 2 (got {feat_dim!r}, "
                              f"{num_classes!r})")
        feat_dim, num_classes = int(feat_dim), int(num_classes)
        if covariance not in ("diagonal", "identity"):
            raise ConfigError(f"GaussianHead: 'covariance' must be one of diagonal, identity (got {covariance!r})")
        self.feat_dim, self.num_classes, self.covariance = feat_dim, num_classes, covariance
        self.mu = nn.Parameter(torch.randn(num_classes, feat_dim))                 # [C, d]
        self.log_var = nn.Parameter(torch.zeros(num_classes, feat_dim),            # [C, d]
                                    requires_grad=covariance == "diagonal")
        dtype, device = self.mu.dtype, self.mu.device
        if class_prior is None:
            log_prior = torch.full((num_classes,), -math.log(num_classes), dtype=dtype, device=device)
            exact = torch.full((num_classes,), -math.log(num_classes), dtype=torch.float64)
        else:
            # in the head's dtype (it was float32 always: a float64 head got float32-rounded log-priors)
            p = torch.as_tensor(class_prior, dtype=dtype)
            if (p.shape != (num_classes,) or not torch.isfinite(p).all() or (p <= 0).any()
                    or abs(float(p.sum()) - 1) > 1e-5):   # NaN: every comparison False, it passed silently
                raise ConfigError(f"GaussianHead: 'class_prior' must be {num_classes} positive numbers summing "
                                  f"to 1 (got {p.tolist()})")
            log_prior = p.log().to(device)
            exact = torch.as_tensor(class_prior, dtype=torch.float64).detach().cpu().log()
        self.register_buffer("log_prior", log_prior)                                # [C]
        # plain attributes (not saved): the buffer as built, and log p_pi(y) in float64 for a later .double()
        self._log_prior_built, self._log_prior_exact = log_prior.detach().cpu().clone(), exact

    def _apply(self, fn, recurse=True):
        """``.double()`` / ``.float()`` / ``.to(dtype)`` recompute an unchanged log prior in the new dtype
        (float64 from the prior as given; the built dtype gets the built values back) instead of casting it."""
        before = self.log_prior
        out = super()._apply(fn, recurse)
        after = self.log_prior
        if after.dtype != before.dtype and not before.is_meta:
            built, exact = self._log_prior_built, self._log_prior_exact
            ours = (before.dtype == built.dtype and torch.equal(before.detach().cpu(), built)) or \
                   (before.dtype == torch.float64 and torch.equal(before.detach().cpu(), exact))
            if ours and after.dtype in (torch.float64, built.dtype):
                src = exact if after.dtype == torch.float64 else built
                self.log_prior = src.to(device=after.device, dtype=after.dtype)
        return out

    def mahalanobis(self, z: torch.Tensor) -> torch.Tensor:
        """[N, C] squared Mahalanobis distances sum_d (z_d - mu_yd)^2 / sigma_yd^2."""
        # [C, d] / [C] operands broadcast against [N, C, d] / [N, C] without an explicit [None] view: the same
        # values and kernels (autograd reduces a broadcast operand's gradient by the same sum over dim 0),
        # three autograd nodes fewer per call
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.feat_dim:
            # a wrong latent size was torch's bare broadcast error, and [N, C, d] latents (C = the class count)
            # came back as [N, 1, C] logits without a word (a Python check: no tensor operation added)
            got = f"shape {list(z.shape)}" if isinstance(z, torch.Tensor) else type(z).__name__
            raise DataError(f"GaussianHead: expected latents z of shape [N, {self.feat_dim}] (got {got})")
        diff = z[:, None, :] - self.mu                                             # [N, C, d]
        return (diff.pow(2) * torch.exp(-self.log_var)).sum(-1)

    def log_density(self, z: torch.Tensor) -> torch.Tensor:
        """[N, C] log p_theta(z | y) (with the 2 pi constant)."""
        return -0.5 * (self.log_var.sum(-1) + self.mahalanobis(z) + self.feat_dim * _LOG_2PI)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """[N, C] logits l_y(z) = log p(z|y) + log p(y) up to a constant; softmax gives p_theta(y|z)."""
        return -0.5 * (self.log_var.sum(-1) + self.mahalanobis(z)) + self.log_prior

    def sample(self, y: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """[N, d] draws z~ ~ p_theta(z | y_i) (reparameterised)."""
        eps = torch.randn(y.shape[0], self.feat_dim, generator=generator, dtype=self.mu.dtype)
        return self.mu[y] + torch.exp(0.5 * self.log_var[y]) * eps.to(self.mu.device)

    def as_linear(self) -> nn.Linear:
        """The equivalent nn.Linear head (identity covariance only): W = mu, b = -||mu||^2/2 + log p(y)."""
        if self.covariance != "identity":
            raise ConfigError("GaussianHead.as_linear: only the 'identity' covariance is a linear layer")
        lin = nn.Linear(self.feat_dim, self.num_classes, dtype=self.mu.dtype, device=self.mu.device)
        with torch.no_grad():
            lin.weight.copy_(self.mu)
            lin.bias.copy_(-0.5 * self.mu.pow(2).sum(1) + self.log_prior)
        return lin


class ClassCritic(nn.Module):
    """Density-ratio critic T_psi(z, y): one network per class. layers=1: T = w_y . z + b_y;
    layers=2: T = v_y . tanh(W_y z + c_y) + b_y (hidden units per class)."""

    def __init__(self, feat_dim: int, num_classes: int, layers: int = 1, hidden: int = 512):
        super().__init__()
        if layers not in (1, 2):
            raise ConfigError(f"ClassCritic: 'layers' must be 1 or 2 (got {layers})")
        self.layers = layers
        self.feat_dim = feat_dim
        if layers == 1:
            self.w = nn.Parameter(torch.randn(num_classes, feat_dim) / math.sqrt(feat_dim))   # [C, d]
        else:
            self.W1 = nn.Parameter(torch.empty(num_classes, hidden, feat_dim))                # [C, H, d]
            self.b1 = nn.Parameter(torch.zeros(num_classes, hidden))
            self.w = nn.Parameter(torch.empty(num_classes, hidden))                          # [C, H]
            nn.init.xavier_uniform_(self.W1)
            nn.init.xavier_uniform_(self.w)
        self.b = nn.Parameter(torch.zeros(num_classes))

    def _rows(self, y: torch.Tensor) -> tuple:
        """The parameters of the classes y: (w_y, b_y) and, with two layers, (W_y, c_y)."""
        rows = (self.w[y], self.b[y])
        return rows + (self.W1[y], self.b1[y]) if self.layers == 2 else rows

    def _values(self, z: torch.Tensor, rows: tuple) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.feat_dim:
            # GaussianHead's check: [N, 1] latents broadcast against w_y and gave [N] values without a word, other
            # sizes torch's bare broadcast error (a Python check: no tensor operation added)
            got = f"shape {list(z.shape)}" if isinstance(z, torch.Tensor) else type(z).__name__
            raise DataError(f"ClassCritic: expected latents z of shape [N, {self.feat_dim}] (got {got})")
        if self.layers == 1:
            w, b = rows
            return (w * z).sum(-1) + b
        w, b, W1, b1 = rows
        h = torch.tanh(torch.einsum("nhd,nd->nh", W1, z) + b1)
        return (w * h).sum(-1) + b

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """[N] critic values for latents z [N, d] of classes y [N]."""
        return self._values(z, self._rows(y))

    def frozen(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` with the critic's parameters taken as constants: the same values, by the same
        operations, and the same gradient for z, but no gradient (and no autograd graph) for the parameters.
        For the encoder's loss, whose gradient w.r.t. the critic is never used (the critic trains on its own
        logistic loss)."""
        with torch.no_grad():
            rows = self._rows(y)
        return self._values(z, rows)


def critic_loss(critic: ClassCritic, z_real: torch.Tensor, z_prior: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Logistic loss of the critic: -[log sigmoid T(z) + log(1 - sigmoid T(z~))] (mean of the two BCEs)."""
    t_real, t_fake = critic(z_real, y), critic(z_prior, y)
    return (F.binary_cross_entropy_with_logits(t_real, torch.ones_like(t_real))
            + F.binary_cross_entropy_with_logits(t_fake, torch.zeros_like(t_fake)))


class VariationalObjective:
    """The VC loss for latents z = encoder(x) and a :class:`GaussianHead`, with its density-ratio critic.

    ``loss(z, y)`` returns (loss, metrics): loss = CE(head(z), y) + beta_likelihood * mean(-log p(z|y))
    + beta_adversarial * mean(T(z, y)), to be minimised over encoder and head. Each call first takes the
    critic's pending step on the previous call's (detached) latents and prior samples, then caches this
    call's; ``critic_step()`` takes a pending step explicitly. With both betas 0 the loss is exactly the
    Gaussian-mixture ("GM") cross-entropy and the critic is never trained. A call with gradients disabled
    (``torch.no_grad()``, e.g. a validation loss) is an evaluation: it neither steps the critic nor caches
    its batch for the critic (so validation data never train the critic). Integer labels of any width are
    accepted (cast to int64).

    encoder_likelihood: the official code lets the -log p(z|y) term move the encoder too (default True);
    False gives it to the head's parameters only, as in the paper's Algorithm 1.
    """

    def __init__(self, head: GaussianHead, beta_likelihood: float = 0.01, beta_adversarial: float = 0.01,
                 critic_layers: int = 1, critic_lr: float = 1e-3, critic_hidden: int = 512,
                 encoder_likelihood: bool = True, seed: int = 0):
        for name, v in (("beta_likelihood", beta_likelihood), ("beta_adversarial", beta_adversarial)):
            if not (v >= 0) or math.isinf(v):
                raise ConfigError(f"VariationalObjective: '{name}' must be a finite number >= 0 (got {v!r})")
        if not isinstance(head, GaussianHead):
            raise ConfigError(f"VariationalObjective: 'head' must be a GaussianHead (got {type(head).__name__})")
        # critic_lr=0 and critic_hidden=0 (2-layer critic) left the critic untrained / constant without a word;
        # seed=1.5 was torch's bare "manual_seed expected a long", a negative lr AdamW's ValueError
        if not is_real(critic_lr, 0.0, open_low=True):
            raise ConfigError(f"VariationalObjective: 'critic_lr' must be a finite number > 0 (got {critic_lr!r})")
        if not is_int(critic_hidden, 1):
            raise ConfigError(f"VariationalObjective: 'critic_hidden' must be an integer >= 1 (got {critic_hidden!r})")
        if not (is_seed(seed) and int(seed) + 1 < 2 ** 64):   # the prior samples' generator takes seed + 1
            raise ConfigError(f"VariationalObjective: 'seed' must be an integer in [-2**63, 2**64 - 1) (got {seed!r})")
        seed, critic_hidden = int(seed), int(critic_hidden)
        self.head = head
        self.beta_likelihood, self.beta_adversarial = float(beta_likelihood), float(beta_adversarial)
        self.encoder_likelihood = encoder_likelihood
        g = torch.random.fork_rng(devices=[])
        with g:
            torch.manual_seed(seed)
            self.critic = ClassCritic(head.feat_dim, head.num_classes, critic_layers, critic_hidden)
        self.critic.to(device=head.mu.device, dtype=head.mu.dtype)
        self.critic_opt = torch.optim.AdamW(self.critic.parameters(), lr=critic_lr)
        self.generator = torch.Generator().manual_seed(seed + 1)
        self._pending: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self.last_critic_loss = float("nan")

    @property
    def adversarial(self) -> bool:
        return self.beta_adversarial > 0

    def critic_step(self) -> float | None:
        """One AdamW step of the critic on the cached batch (None when nothing is pending)."""
        if self._pending is None:
            return None
        z, zp, y = self._pending
        self._pending = None
        params = [p for g in self.critic_opt.param_groups for p in g["params"]]   # those zero_grad would visit
        for p in params:        # = critic_opt.zero_grad(set_to_none=True), without its bookkeeping
            p.grad = None       # (drops any gradient left here from outside: the main loss leaves none)
        loss = critic_loss(self.critic, z, zp, y)
        loss.backward()
        self.critic_opt.step()
        for p in params:
            p.grad = None
        self.last_critic_loss = float(loss.detach())
        return self.last_critic_loss

    def loss(self, z: torch.Tensor, y: torch.Tensor, validate: bool = True):
        """(loss, metrics) for latents z [N, d] and labels y [N]."""
        if validate:
            check_latents(z, y, self.head.num_classes, self.head.feat_dim, "VariationalObjective.loss")
        y = y.long()                                   # int64 already: the same tensor, nothing copied
        training = torch.is_grad_enabled()             # no_grad: an evaluation call, the critic is left alone
        if self.adversarial and training:
            self.critic_step()
        logits = self.head(z)
        ce = F.cross_entropy(logits, y)
        loss = ce
        metrics = {"ce": float(ce.detach())}
        if self.beta_likelihood > 0:
            zl = z if self.encoder_likelihood else z.detach()
            nll_z = -self.head.log_density(zl).gather(1, y[:, None]).mean()
            loss = loss + self.beta_likelihood * nll_z
            metrics["nll_z"] = float(nll_z.detach())
        if self.adversarial:
            # the critic's parameters as constants: this loss trains encoder and head only (its gradient
            # w.r.t. the critic was computed and then dropped by the next critic step)
            t_mean = self.critic.frozen(z, y).mean()
            loss = loss + self.beta_adversarial * t_mean
            metrics["kl_est"] = float(t_mean.detach())
            if training:
                with torch.no_grad():
                    self._pending = (z.detach(), self.head.sample(y, self.generator).detach(), y.detach())
            metrics["critic_loss"] = self.last_critic_loss
        return loss, metrics

    __call__ = loss


class LatentClassifier(nn.Module):
    """encoder (x -> z [N, d]) followed by a head (z -> logits); ``latent(x)`` exposes z."""

    def __init__(self, encoder: nn.Module, head: nn.Module):
        super().__init__()
        self.encoder, self.head = encoder, head

    def latent(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def split_classifier(model: nn.Module) -> tuple[nn.Module, int, int]:
    """Drop-in use with any library classifier whose last layer is an nn.Linear: returns (encoder, d, C)
    where encoder(x) is the input of that last layer (the softmax layer's input z).

    The last nn.Linear in module order is replaced by an identity inside a deep copy of ``model``; a bare
    nn.Linear (multinomial logistic regression) gives an identity encoder.

    That Linear must give the model's output, the logits: a module other than nn.Identity after it in an
    nn.Sequential (e.g. a trailing Softmax, LogSoftmax, Dropout or activation) would be left in the encoder and
    act on z instead of the logits, so it is refused with a ConfigError naming it (remove it: the head
    outputs the logits and the loss takes their softmax). In a module with its own ``forward`` the order of
    use is not visible; there a Softmax / LogSoftmax / Softmin registered after the last Linear is refused (kept
    in the encoder it would act on z), and a Sigmoid / LogSigmoid there is warned of (it may be a hidden
    activation declared after the layers).
    """
    import copy

    if isinstance(model, nn.Linear):
        return nn.Identity(), model.in_features, model.out_features
    last = None
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear):
            last = name
    if last is None:
        raise ConfigError(f"split_classifier: {type(model).__name__} has no nn.Linear output layer to replace")
    _check_nothing_after(model, last)
    enc = copy.deepcopy(model)
    name = last
    lin = enc.get_submodule(name)
    parent = enc
    *path, leaf = name.split(".")
    for p in path:
        parent = getattr(parent, p)
    setattr(parent, leaf, nn.Identity())
    return enc, lin.in_features, lin.out_features


def _is_identity(m: nn.Module) -> bool:
    """nn.Identity, or a container (Sequential / ModuleList / ModuleDict) of nothing else."""
    if isinstance(m, nn.Identity):
        return True
    return isinstance(m, (nn.Sequential, nn.ModuleList, nn.ModuleDict)) and all(_is_identity(c) for c in m.children())


_OUTPUT_ACTIVATIONS = (nn.Softmax, nn.LogSoftmax, nn.Softmin, nn.Softmax2d)
# also common as hidden activations declared after the layers: from registration order alone these are only warned of
_MAYBE_OUTPUT = (nn.Sigmoid, nn.LogSigmoid)


def _check_nothing_after(model: nn.Module, last: str) -> None:
    """Refuse modules applied after the last nn.Linear ``last`` (see :func:`split_classifier`)."""
    parts = last.split(".")
    for i in range(len(parts)):
        parent = model.get_submodule(".".join(parts[:i]))
        if not isinstance(parent, nn.Sequential):
            continue
        names = list(parent._modules)
        for after in names[names.index(parts[i]) + 1:]:
            m = parent._modules[after]
            if m is not None and not _is_identity(m):
                where = ".".join(parts[:i] + [after])
                raise ConfigError(f"split_classifier: '{where}' ({type(m).__name__}) comes after the last nn.Linear "
                                  f"'{last}' (the output layer: the last nn.Linear in module order) and would act "
                                  "on the latent z instead of the logits; remove it (the head outputs the logits, the "
                                  "loss applies the softmax)")
    found = False
    for name, m in model.named_modules():
        if name == last:
            found = True
        elif found and isinstance(m, _OUTPUT_ACTIVATIONS):
            raise ConfigError(f"split_classifier: '{name}' ({type(m).__name__}) is registered after the last "
                              f"nn.Linear '{last}' and would act on the latent z instead of the logits; remove it "
                              "(the head outputs the logits, the loss applies the softmax)")
        elif found and isinstance(m, _MAYBE_OUTPUT):
            # an output Sigmoid kept in the encoder squashed z into (0, 1) without a word; a hidden one declared
            # after the layers is fine, and registration order cannot tell the two apart
            warnings.warn(f"split_classifier: '{name}' ({type(m).__name__}) is registered after the last nn.Linear "
                          f"'{last}'; if forward applies it to the logits it now acts on the latent z (remove it); "
                          "if it is a hidden activation, ignore this", UserWarning, stacklevel=3)


def gaussian_kl(m_q: torch.Tensor, var_q: torch.Tensor, m_p: torch.Tensor, var_p: torch.Tensor) -> torch.Tensor:
    """Closed-form KL(N(m_q, diag var_q) || N(m_p, diag var_p)) over the last dimension:
    1/2 sum_d [ log(var_p/var_q) + (var_q + (m_q - m_p)^2) / var_p - 1 ]. Variances must be finite and > 0
    and means finite (one DataError; a zero or negative variance would give a silent inf / NaN)."""
    for name, v in (("var_q", var_q), ("var_p", var_p)):
        if not (torch.isfinite(v).all() and (v > 0).all()):
            raise DataError(f"gaussian_kl: '{name}' must hold finite variances > 0")
    if not (torch.isfinite(m_q).all() and torch.isfinite(m_p).all()):
        raise DataError("gaussian_kl: the means contain NaN or inf")
    # written as 1/2 sum_d [ (x - 1 - log x) + (m_q - m_p)^2 / var_p ], x = var_q / var_p: the textbook form
    # overflowed var_p / var_q (float32 var_q = 1e-30, var_p = 1e30: inf, true 68.58), took inf - inf for a
    # ratio past the range (NaN), squared a mean gap past the range, and cancelled x - 1 against log x for
    # near-equal variances (float32 var_q = 1.0001 var_p: 6% off; float64 1 + 1e-9: 0 instead of 5e-19)
    dm = (m_q - m_p) / var_p.sqrt()
    return 0.5 * (_x_minus_1_minus_log_x(var_q, var_p) + dm * dm).sum(-1)


_ATANH_SERIES = tuple(1.0 / k for k in range(3, 24, 2))   # atanh(u) - u = u^3 (1/3 + u^2/5 + u^4/7 + ...)


def _x_minus_1_minus_log_x(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """x - 1 - log x for x = a / b (a, b > 0) to a few ulps: near x = 1 by the series in u = (x - 1)/(x + 1)
    (x - 1 - log x = 2u^2/(1 - u) - 2 (atanh u - u), no cancellation), elsewhere directly, with log x taken as
    log a - log b where the ratio a / b is not a normal number (overflow, underflow). Both branches are
    finite, so the gradient holds no NaN."""
    with torch.no_grad():
        near = (a - b).abs() <= 0.25 * b                       # |x - 1| <= 1/4: |u| <= 1/7
    a_near = torch.where(near, a, b)                           # x = 1 off the near set: the series stays finite
    d = (a_near - b) / b                                       # x - 1 (the difference is exact here)
    u = d / (2 + d)                                            # (x - 1)/(x + 1), without a + b (overflow)
    u2 = u * u
    s = torch.zeros_like(u2)
    for coef in reversed(_ATANH_SERIES):
        s = s * u2 + coef
    series = 2 * u2 / (1 - u) - 2 * u * u2 * s
    a_far = torch.where(near, b, a)                            # x = 1 on the near set: finite there
    x = a_far / b
    with torch.no_grad():
        normal = (x >= torch.finfo(x.dtype).tiny) & (x <= torch.finfo(x.dtype).max)
    # log x of the rounded ratio where it is a normal number (one rounding), else log a - log b
    log_x = torch.where(normal, torch.log(torch.where(normal, x, torch.ones_like(x))),
                        torch.log(a_far) - torch.log(b))
    return torch.where(near, series, x - 1 - log_x)


@torch.no_grad()
def density_ratio_kl(critic: ClassCritic, z: torch.Tensor, y: torch.Tensor) -> float:
    """The critic's KL estimate E_q[T_psi(z, y)] on latents z of classes y."""
    return float(critic(z, y).mean())
