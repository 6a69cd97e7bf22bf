"""Closed forms: positional encoding, the warm-up schedule, label-smoothed cross-entropy, length penalty."""

import math

import pytest
import torch
import torch.nn.functional as F

from paperworks.attention import (label_smoothed_cross_entropy, length_penalty, noam_lambda, noam_lr,
                                  sinusoidal_positional_encoding)


def test_positional_encoding_closed_form():
    d = 12
    pe = sinusoidal_positional_encoding(50, d, dtype=torch.float64)
    for pos in (0, 1, 7, 49):
        for i in range(d // 2):
            w = 1.0 / 10000 ** (2 * i / d)
            assert pe[pos, 2 * i].item() == pytest.approx(math.sin(pos * w), abs=1e-12)
            assert pe[pos, 2 * i + 1].item() == pytest.approx(math.cos(pos * w), abs=1e-12)


def test_positional_encoding_shift_is_a_fixed_rotation():
    """PE(pos + k) = R_k PE(pos) per frequency pair, with R_k independent of pos (Sec. 3.5)."""
    d, k = 8, 5
    pe = sinusoidal_positional_encoding(40, d, dtype=torch.float64)
    for i in range(d // 2):
        w = 1.0 / 10000 ** (2 * i / d)
        R = torch.tensor([[math.cos(k * w), math.sin(k * w)], [-math.sin(k * w), math.cos(k * w)]],
                         dtype=torch.float64)
        for pos in (0, 3, 20):
            torch.testing.assert_close(pe[pos + k, 2 * i: 2 * i + 2], R @ pe[pos, 2 * i: 2 * i + 2])


def test_noam_schedule_closed_form_and_peak():
    d, w = 512, 4000
    assert noam_lr(4000, d, w) == pytest.approx(d ** -0.5 * 4000 ** -0.5, rel=1e-12)
    assert noam_lr(100, d, w) == pytest.approx(d ** -0.5 * 100 * w ** -1.5, rel=1e-12)
    assert noam_lr(10000, d, w) == pytest.approx(d ** -0.5 * 10000 ** -0.5, rel=1e-12)
    lrs = [noam_lr(s, d, w) for s in range(1, 20001)]
    assert max(range(len(lrs)), key=lrs.__getitem__) + 1 == w
    assert max(lrs) == pytest.approx(6.987712429686844e-04, rel=1e-9)  # "about 7e-4"


def test_noam_lambda_agrees_with_trainer_schedule():
    from paperworks.core.trainer import Trainer, TrainerConfig, noam_factor

    for s in (1, 2, 17, 400, 401, 3000):
        assert noam_lr(s, 64, 400) == pytest.approx(noam_factor(s, 64, 400), rel=1e-15)
    model = torch.nn.Linear(2, 1)
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randn(8, 1))
    cfg = TrainerConfig(max_steps=6, batch_size=4, lr=2.0, schedule="noam", warmup_steps=3, d_model=64,
                        log_every=1, progress=False, betas=(0.9, 0.98), eps=1e-9)
    tr = Trainer(model, data, lambda m, b: F.mse_loss(m(b[0]), b[1]), cfg)
    recs = tr.fit()
    lam = noam_lambda(64, 3, factor=2.0)
    assert [r["lr"] for r in recs] == pytest.approx([lam(k) for k in range(6)], rel=1e-12)


def test_label_smoothing_closed_form_and_torch():
    torch.manual_seed(0)
    V, eps = 7, 0.1
    logits = torch.randn(4, 5, V, dtype=torch.float64)
    target = torch.randint(1, V, (4, 5))
    target[0, 3:] = 0  # padding
    got = label_smoothed_cross_entropy(logits, target, eps, ignore_index=0)
    # closed form: q = (1 - eps) onehot + eps / V everywhere; loss = -sum q log p, mean over kept tokens
    q = (1 - eps) * F.one_hot(target, V).double() + eps / V
    per = -(q * torch.log_softmax(logits, -1)).sum(-1)
    keep = target != 0
    torch.testing.assert_close(got, per[keep].mean())
    want = F.cross_entropy(logits.view(-1, V), target.view(-1), ignore_index=0, label_smoothing=eps)
    torch.testing.assert_close(got, want)
    none = label_smoothed_cross_entropy(logits, target, eps, ignore_index=0, reduction="none")
    assert (none[~keep] == 0).all()
    torch.testing.assert_close(none.sum(), label_smoothed_cross_entropy(logits, target, eps, 0, "sum"))


def test_label_smoothing_zero_eps_is_cross_entropy_and_errors():
    logits = torch.randn(6, 5)
    t = torch.randint(0, 5, (6,))
    torch.testing.assert_close(label_smoothed_cross_entropy(logits, t, 0.0), F.cross_entropy(logits, t))
    with pytest.raises(ValueError, match="epsilon"):
        label_smoothed_cross_entropy(logits, t, 1.0)
    with pytest.raises(ValueError, match="disagree"):
        label_smoothed_cross_entropy(logits, t[:3], 0.1)


def test_length_penalty_gnmt_form():
    assert length_penalty(1, 0.6) == pytest.approx(1.0)
    assert length_penalty(7, 0.6) == pytest.approx((12 / 6) ** 0.6)
    assert float(length_penalty(torch.tensor(13), 0.6)) == pytest.approx(3.0 ** 0.6)
