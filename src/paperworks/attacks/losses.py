"""Attack objectives on logits: cross-entropy and the Carlini-Wagner margin."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["cw_margin", "attack_success", "cross_entropy_sum"]


def cw_margin(logits: torch.Tensor, y: torch.Tensor, targeted: bool = False, kappa: float = 0.0) -> torch.Tensor:
    """Carlini & Wagner (S&P 2017) objective f_6 on logits Z, per example.

    targeted to class t = y:   max(max_{i != t} Z_i - Z_t, -kappa)
    untargeted, true label y:  max(Z_y - max_{i != y} Z_i, -kappa)

    It is <= 0 exactly when the attack succeeds with confidence kappa (ties count as success, the
    argmax convention aside). Returns: Tensor [N].
    """
    onehot = F.one_hot(y.long(), logits.shape[1]).to(torch.bool)   # int32 / uint8 labels are class indices too
    z_y = logits[onehot]
    z_other = logits.masked_fill(onehot, float("-inf")).amax(dim=1)
    gap = (z_other - z_y) if targeted else (z_y - z_other)
    return gap.clamp(min=-kappa)


def attack_success(logits: torch.Tensor, y: torch.Tensor, targeted: bool = False) -> torch.Tensor:
    """Bool [N]: prediction == target (targeted) or prediction != true label (untargeted)."""
    pred = logits.argmax(dim=1)
    return pred == y if targeted else pred != y


def cross_entropy_sum(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Summed cross-entropy (so that each example's input gradient is its own loss gradient)."""
    return F.cross_entropy(logits, y.long(), reduction="sum")   # int32 / int16 targets: cross_entropy takes int64
