"""Evaluation helper (hand-counted oracle) and the adversarial-training recipes."""

import pytest
import torch

from paperworks import attacks
from paperworks.core.errors import ConfigError, DataError, UnknownNameError
from paperworks.models.mnist import SmallCNN


def test_evaluate_counts_match_hand_count(small_setup):
    model, x, y = small_setup
    x_adv = attacks.fgsm(model, x, y, eps=0.2)
    rep = attacks.evaluate_attack(model, x_adv, x, y)
    with torch.no_grad():
        p0, p1 = model(x).argmax(1), model(x_adv).argmax(1)
    assert rep.success_rate == pytest.approx(float((p1 != y).float().mean()))
    corr = p0 == y
    assert rep.success_rate_on_correct == pytest.approx(float((p1[corr] != y[corr]).float().mean()))
    assert rep.clean_accuracy == pytest.approx(float(corr.float().mean()))
    assert rep.mean_linf == pytest.approx(float((x_adv - x).abs().flatten(1).amax(1).mean()))
    assert rep.mean_l2 == pytest.approx(float((x_adv - x).flatten(1).norm(dim=1).mean()))
    ok = p1 != y
    assert 0 < int(ok.sum()) < len(y)   # both kinds of example, so the 'successful only' mean is a real subset
    assert rep.mean_l2_successful == pytest.approx(float((x_adv - x)[ok].flatten(1).norm(dim=1).mean()))
    assert rep.adversarial_accuracy == pytest.approx(float((p1 == y).float().mean()))
    timed = attacks.evaluate_attack(model, "fgsm", x, y, eps=0.2, batch_size=8)
    torch.testing.assert_close(timed.x_adv, x_adv)
    assert timed.time_per_example_s > 0


def test_evaluate_success_matches_foolbox_convention(small_setup):
    """Foolbox's `success` is `criterion(x_adv)`: misclassified (untargeted) / equal to target (targeted)."""
    model, x, y = small_setup
    t = (y + 1) % 4
    x_adv = attacks.pgd(model, x, t, eps=0.3, steps=10, seed=0, targeted=True)
    rep = attacks.evaluate_attack(model, x_adv, x, t, targeted=True, true_labels=y)
    with torch.no_grad():
        hit = model(x_adv).argmax(1) == t
    assert torch.equal(rep.success, hit)
    assert rep.adversarial_accuracy == pytest.approx(float((model(x_adv).argmax(1) == y).float().mean()))


def test_evaluate_bad_input(small_setup):
    model, x, y = small_setup
    with pytest.raises(UnknownNameError, match="fgsm"):
        attacks.evaluate_attack(model, "fgsn", x, y)
    with pytest.raises(DataError, match="x_adv"):
        attacks.evaluate_attack(model, x[:3], x, y)


def _toy(n=128, s=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    protos = torch.rand(2, 1, s, s, generator=g)
    y = torch.arange(n) % 2
    x = (protos[y] + 0.1 * torch.randn(n, 1, s, s, generator=g)).clamp(0, 1)
    return x, y


@pytest.mark.parametrize("method", ["fgsm", "pgd", "ensemble"])
def test_adversarial_training_improves_robustness(method):
    """Each defense lowers PGD success compared with plain training of the same model and budget."""
    x, y = _toy()
    torch.manual_seed(0)
    plain = SmallCNN(num_classes=2, image_size=8, width=8)
    torch.manual_seed(0)
    robust = SmallCNN(num_classes=2, image_size=8, width=8)
    from paperworks.core.trainer import Trainer, TrainerConfig

    tc = TrainerConfig(max_steps=60, batch_size=32, lr=1e-2, progress=False, log_every=30)
    Trainer(plain, torch.utils.data.TensorDataset(x, y),
            lambda m, b: torch.nn.functional.cross_entropy(m(b[0]), b[1]), tc).fit()
    plain.eval()
    kw = {"static_models": [plain]} if method == "ensemble" else {"pgd_steps": 5}
    attacks.adversarial_training(robust, x, y, method=method, eps=0.15, trainer_config=tc, **kw)
    assert not robust.training
    a_plain = attacks.evaluate_attack(plain, "pgd", x, y, eps=0.15, steps=10, seed=0)
    a_rob = attacks.evaluate_attack(robust, "pgd", x, y, eps=0.15, steps=10, seed=0)
    assert a_rob.clean_accuracy > 0.9
    assert a_rob.success_rate < a_plain.success_rate


def test_defense_bad_input():
    x, y = _toy(32)
    with pytest.raises(UnknownNameError, match="ensemble"):
        attacks.adversarial_loss("madry", eps=0.1)
    with pytest.raises(ConfigError, match="static_models"):
        attacks.adversarial_loss("ensemble", eps=0.1)
    with pytest.raises(ConfigError, match="'eps'"):
        attacks.adversarial_loss("fgsm", eps=0.0)
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        attacks.adversarial_training(SmallCNN(image_size=8), x * 3, y, method="fgsm", eps=0.1)


def test_targeted_evaluation_needs_true_labels_and_real_targets(small_setup):
    """'Targeted without targets': y holds the targets, so the true classes must come separately (before, the
    clean accuracy was silently measured against the targets)."""
    model, x, y = small_setup
    t = (y + 1) % 4
    with pytest.raises(ConfigError, match="true_labels"):
        attacks.evaluate_attack(model, "fgsm", x, t, eps=0.1, targeted=True)
    with pytest.raises(DataError, match="32 target"):
        attacks.evaluate_attack(model, "fgsm", x, y, eps=0.1, targeted=True, true_labels=y)
    with pytest.raises(DataError, match="true_labels"):
        attacks.evaluate_attack(model, "fgsm", x, t, eps=0.1, targeted=True, true_labels=y[:5])
    with pytest.raises(DataError, match="class index 4"):
        attacks.evaluate_attack(model, "fgsm", x, y, eps=0.1, true_labels=torch.where(y == 3, 4, y))


def test_defense_bad_labels_and_steps():
    x, y = _toy(32)
    with pytest.raises(ConfigError, match="'pgd_steps' must be an integer >= 1"):
        attacks.adversarial_loss("pgd", eps=0.1, pgd_steps=0)
    model = SmallCNN(num_classes=2, image_size=8, width=8)
    with pytest.raises(DataError, match="class index 2 but the model has 2 classes"):
        attacks.adversarial_training(model, x, y + 1, method="fgsm", eps=0.1, max_steps=1)
    assert model.training   # the check's forward pass left the mode alone


def _linear(k, seed):
    from paperworks.models.mnist import LinearSoftmax

    torch.manual_seed(seed)
    return LinearSoftmax(in_channels=1, num_classes=k, image_size=4).double()


def _pred(m, x):
    """A linear softmax model's own prediction (arg-max of its logits)."""
    return (x.flatten(1) @ m.linear.weight.detach().T + m.linear.bias.detach()).argmax(1)


def _fgsm_by_hand(m, x, y, eps):
    """FGSM on a linear softmax model: d CE / d x = W^T (p - e_y)."""
    W, b = m.linear.weight.detach(), m.linear.bias.detach()
    p = torch.softmax(x.flatten(1) @ W.T + b, 1)
    g = (p - torch.nn.functional.one_hot(y, W.shape[0]).double()) @ W
    return (x + eps * g.sign().view_as(x)).clamp(0, 1)


def _ce_by_hand(m, x, y):
    z = x.flatten(1) @ m.linear.weight.detach().T + m.linear.bias.detach()
    return float((torch.logsumexp(z, 1) - z[torch.arange(len(y)), y]).mean())


def test_defense_losses_closed_form_on_linear_models():
    """The three recipes' training losses against hand-made adversarial examples on linear softmax models:
    FGSM (Goodfellow): w CE(x) + (1 - w) CE(x_FGSM of the model being trained); ensemble (Tramer): the same mix with
    the one-step examples taken in turn from the model and each static model, each on its own prediction; PGD
    (Madry): CE on the adversarial inputs only, which for a 2-class linear model is the box-clipped vertex
    x + eps sign(w_other - w_y) of the L_inf ball whatever the random start. Before, the recipes were only checked
    to 'improve robustness'."""
    g = torch.Generator().manual_seed(0)
    x = 0.2 + 0.6 * torch.rand(10, 1, 4, 4, generator=g, dtype=torch.float64)
    x[:, :, 0] = 0.95                                    # pixels where the box clip is active
    y = torch.randint(0, 3, (10,), generator=g)
    model = _linear(3, 0).train()
    loss, parts = attacks.adversarial_loss("fgsm", eps=0.1, clean_weight=0.3)(model, (x, y))
    clean, adv = _ce_by_hand(model, x, y), _ce_by_hand(model, _fgsm_by_hand(model, x, y, 0.1), y)
    assert float(loss) == pytest.approx(0.3 * clean + 0.7 * adv, rel=1e-10)
    assert parts["adv_loss"] == pytest.approx(adv, rel=1e-10) and adv > clean
    statics = [_linear(3, 1).eval(), _linear(3, 2).eval()]
    fn = attacks.adversarial_loss("ensemble", eps=0.1, static_models=statics)
    for step, source in enumerate([model, *statics, model]):
        loss, _ = fn(model, (x, y))
        # the one-step attack of ensemble training uses the source's own prediction (Tramer et al.'s code)
        want = 0.5 * clean + 0.5 * _ce_by_hand(model, _fgsm_by_hand(source, x, _pred(source, x), 0.1), y)
        assert float(loss) == pytest.approx(want, rel=1e-10), step
    two = _linear(2, 3).train()
    y2 = y % 2
    w = two.linear.weight.detach()
    vertex = (x + 0.1 * (w[1 - y2] - w[y2]).sign().view_as(x)).clamp(0, 1)
    for seed in (0, 1):
        loss, _ = attacks.adversarial_loss("pgd", eps=0.1, pgd_steps=10, seed=seed)(two, (x, y2))
        assert float(loss) == pytest.approx(_ce_by_hand(two, vertex, y2), rel=1e-10)


def test_batched_seeded_pgd_draws_one_stream_not_the_same_starts_per_batch(small_setup):
    model, x, y = small_setup
    xx, yy = torch.cat([x[:8], x[:8]]), torch.cat([y[:8], y[:8]])   # the same 8 images twice
    kw = dict(eps=0.3, alpha=0.05, steps=2, seed=5)
    rep = attacks.evaluate_attack(model, "pgd", xx, yy, batch_size=8, **kw)
    # batches continue one seeded stream: hand-written reference with one generator consumed in order
    g = torch.Generator().manual_seed(5)
    ref = torch.cat([attacks.pgd(model, xx[i:i + 8], yy[i:i + 8], eps=0.3, alpha=0.05, steps=2, generator=g)
                     for i in (0, 8)])
    torch.testing.assert_close(rep.x_adv, ref, rtol=0, atol=0)
    assert not torch.equal(rep.x_adv[:8], rep.x_adv[8:])            # re-seeding per batch made these equal
    # unbatched: unchanged (the seed goes to the attack as before)
    one = attacks.evaluate_attack(model, "pgd", xx, yy, **kw)
    torch.testing.assert_close(one.x_adv, attacks.pgd(model, xx, yy, **kw), rtol=0, atol=0)
