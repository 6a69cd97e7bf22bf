"""Input validation shared by the attacks (run once, at the public entry points)."""

from __future__ import annotations

import math

import torch
from torch import nn

from paperworks.core.config import as_flag, check_int as core_check_int, check_seed as core_check_seed, is_int, is_real
from paperworks.core.errors import ConfigError, DataError
from paperworks.core.trainer import eval_mode

__all__ = ["check_model", "check_not_meta", "check_not_meta_tensor", "check_images", "check_labels", "check_eps", "check_attack_inputs", "parse_norm",
           "check_forward", "check_int", "check_label_range", "check_flag", "check_seed"]


def check_not_meta(who: str, model: nn.Module) -> None:
    """No parameter or buffer of ``model`` on the meta device (shapes, no values). Such a model failed in the
    first forward pass, reported as a wrong image size ("the model cannot take 'x' ... (Tensor on device meta is
    not on the expected device cpu!); check the channel count and image size"), or in a bare torch error
    (predict, success_rate); the curvature engine's error (meta_device_error) names it instead."""
    from paperworks.curvature.params import meta_device_error

    meta = [n for n, t in list(model.named_parameters()) + list(model.named_buffers()) if t.is_meta]
    if meta:
        listed = ", ".join(meta[:5]) + (" ..." if len(meta) > 5 else "")
        raise meta_device_error(who, f"the model's parameter(s) {listed} are", DataError)


def check_not_meta_tensor(who: str, t, name: str) -> None:
    """A tensor input on the meta device (no values) failed in a bare "Tensor.item() cannot be called on meta
    tensors" from the range checks."""
    if isinstance(t, torch.Tensor) and t.is_meta:
        raise DataError(f"{who}: '{name}' is on the meta device (no values); create it on a real device")


def check_model(who: str, model) -> None:
    """The target must be an ``nn.Module`` in eval mode (dropout / batch-norm would make attacks random), with
    real weights (not on the meta device)."""
    if not isinstance(model, nn.Module):
        raise DataError(f"{who}: 'model' must be a torch.nn.Module (got {type(model).__name__})")
    check_not_meta(who, model)
    training = [n or type(model).__name__ for n, m in model.named_modules() if m.training]
    if training:
        raise DataError(f"{who}: the target model is in train mode (module '{training[0]}'); call model.eval() "
                        "first so that dropout / batch-norm do not change between gradient steps")


def _expected_channels(model: nn.Module) -> int | None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return int(m.in_channels)
    return None


def check_images(who: str, x, model: nn.Module | None = None, name: str = "x") -> None:
    """``x``: float tensor [N, C, H, W] with finite values in [0, 1]; C matches the model's first conv."""
    if not isinstance(x, torch.Tensor):
        raise DataError(f"{who}: '{name}' must be a torch.Tensor of images [N, C, H, W] (got {type(x).__name__})")
    if x.dim() != 4:
        raise DataError(f"{who}: expected '{name}' of shape [N, C, H, W] (got shape {list(x.shape)})")
    if not x.is_floating_point():
        raise DataError(f"{who}: expected '{name}' with a floating dtype and values in [0, 1] (got {x.dtype})")
    if x.numel() == 0:   # (an image side of 0 failed in x.min() with "Expected reduction dim to be specified")
        raise DataError(f"{who}: '{name}' is empty (shape {list(x.shape)})")
    check_not_meta_tensor(who, x, name)
    if not torch.isfinite(x).all():
        raise DataError(f"{who}: '{name}' contains NaN or infinite values")
    lo, hi = float(x.detach().min()), float(x.detach().max())   # (a user x that requires grad: no warning)
    if lo < 0.0 or hi > 1.0:
        raise DataError(f"{who}: images in '{name}' must lie in [0, 1] (got values in [{lo:.4g}, {hi:.4g}]); "
                        "scale them (e.g. uint8 / 255) before attacking")
    if model is not None:
        c = _expected_channels(model)
        if c is not None and c != x.shape[1]:
            raise DataError(f"{who}: '{name}' has {x.shape[1]} channel(s) but the model's first convolution "
                            f"expects {c} (shape {list(x.shape)}, NCHW)")


def check_labels(who: str, y, n: int, name: str = "y") -> None:
    """``y``: integer class indices of shape [N] (true labels, or target labels for targeted attacks)."""
    if not isinstance(y, torch.Tensor):
        raise DataError(f"{who}: '{name}' must be a torch.Tensor of class indices [N] (got {type(y).__name__})")
    if y.dim() != 1 or y.shape[0] != n:
        raise DataError(f"{who}: expected '{name}' of shape [{n}] (got shape {list(y.shape)})")
    if y.is_floating_point() or y.dtype == torch.bool:
        raise DataError(f"{who}: expected integer class indices in '{name}' (got {y.dtype})")
    check_not_meta_tensor(who, y, name)
    if n and int(y.min()) < 0:
        raise DataError(f"{who}: '{name}' contains a negative class index ({int(y.min())})")


def check_forward(who: str, model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, name: str = "x",
                  label_name: str = "y") -> int:
    """One no-grad forward pass of ``model`` on ``x[:1]`` (in eval mode; the mode is restored): the model must
    accept ``x`` and return logits [1, C], C >= 2, and ``y`` (when given) must hold class indices < C.
    Returns C. Catches what the shape checks cannot see (e.g. the channel count or image size of a model
    without convolutions) and labels beyond the model's classes, with one clear error instead of an
    IndexError from deep inside the loss."""
    check_not_meta(who, model)     # (adversarial_training calls this without check_model)
    try:
        with eval_mode(model), torch.no_grad():
            out = model(x[:1])
    except (RuntimeError, ValueError, IndexError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"{who}: the model cannot take '{name}' of shape {list(x.shape)} ({first}); check the "
                        "channel count and image size it was built for") from None
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != 1 or out.shape[1] < 2:
        got = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise DataError(f"{who}: the model must return logits of shape [N, num_classes >= 2] (got {got} for "
                        "one input)")
    n_classes = int(out.shape[1])
    if y is not None:
        check_label_range(who, y, n_classes, label_name)
    return n_classes


def check_label_range(who: str, y: torch.Tensor, n_classes: int, name: str = "y") -> None:
    """Class indices in ``y`` below the model's class count (e.g. as returned by :func:`check_forward`)."""
    if y.numel() and int(y.max()) >= n_classes:
        raise DataError(f"{who}: '{name}' contains class index {int(y.max())} but the model has {n_classes} "
                        f"classes (valid: 0..{n_classes - 1})")


def check_flag(who: str, name: str, value) -> bool:
    """A bool (numpy bool, or a 0-d boolean array / tensor too: core.config.as_flag), as a Python bool. The attacks
    read their flags by truth value, so targeted='no' ran a targeted attack and random_start='no' drew a random
    start, without a word."""
    flag = as_flag(value)
    if flag is None:
        raise ConfigError(f"'{name}' must be True or False (got {value!r})", where=who)
    return flag


def check_int(who: str, name: str, value, low: int) -> int:
    return core_check_int(name, value, low, where=who)


def check_seed(who: str, seed) -> int:
    """core.config.check_seed with the engine's argument order (who first)."""
    return core_check_seed(seed, who)


def check_eps(who: str, value, name: str = "eps") -> float:
    # is_real: numpy scalars too (eps=np.float32(0.1) was refused as "must be a finite number > 0")
    if not is_real(value):
        raise ConfigError(f"'{name}' must be a finite number > 0 (got {value!r})", where=who)
    if value <= 0:
        raise ConfigError(f"'{name}' must be > 0 (got {value!r})", where=who)
    return float(value)


def parse_norm(who: str, norm) -> str:
    """'inf' | '2' from inf, 'inf', 'linf', 2, '2', 'l2'."""
    key = norm
    if isinstance(norm, str):
        key = norm.lower()
        key = key[1:] if key.startswith("l") else key
    if key == "inf" or (isinstance(key, float) and math.isinf(key) and key > 0):
        return "inf"
    if key == "2" or (isinstance(key, (int, float)) and not isinstance(key, bool) and key == 2):
        return "2"
    raise ConfigError(f"'norm' must be one of inf, 2 (got {norm!r})", where=who)


def check_attack_inputs(who: str, model, x, y, needs_grad: bool = True) -> int:
    """Model in eval mode, images, labels, and one forward pass (labels < the model's class count).
    Returns the number of classes. ``needs_grad=False``: the caller takes no input gradient itself (evaluate_attack,
    whose precomputed images are measured under torch.inference_mode() too; its attacks check for themselves)."""
    if needs_grad and torch.is_inference_mode_enabled():
        # (it failed deep inside autograd: "element 0 of tensors does not require grad and does not have a grad_fn")
        raise DataError(f"{who}: called inside torch.inference_mode(), where no input gradient can be taken; "
                        "call it outside that block (torch.no_grad() around it is fine)")
    check_model(who, model)
    check_images(who, x, model)
    check_labels(who, y, x.shape[0])
    return check_forward(who, model, x, y)
