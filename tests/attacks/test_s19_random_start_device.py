"""The random start of PGD for inputs on another device than the generator (session 19). adversarial_loss("pgd")
(the pgd adversarial-training recipe) keeps a CPU torch.Generator and random_ball_point drew with
``device=x.device``: on CUDA inputs torch refuses a CPU generator ("Expected a 'cuda' device type for generator
but found 'cpu'"); the same happened for ``pgd(..., generator=<CPU generator>)`` with CUDA inputs. The noise is now
drawn on the generator's device and moved to x's.

No GPU is used: these tests stand in the meta device for the accelerator and replace torch.rand / torch.randn by
wrappers that enforce CUDA's rule (a generator must live on the device drawn on), which torch does not check for
meta tensors. They show that no draw mixes devices and that the moved start has x's device, shape and dtype; they
do not run CUDA kernels. The tests with the rule fail on the code before the fix."""

import pytest
import torch
from torch import nn

import paperworks.attacks.defenses as defenses
from paperworks.attacks import adversarial_loss, pgd, random_ball_point


class _Sentinel(Exception):
    pass


def _strict(monkeypatch):
    """torch.rand / torch.randn that refuse a generator on another device type than the one drawn on."""
    calls = []
    for name in ("rand", "randn"):
        real = getattr(torch, name)

        def fake(*a, _real=real, generator=None, device=None, **k):
            dev = torch.device(device) if device is not None else torch.device("cpu")
            if generator is not None and generator.device.type != dev.type:
                raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found "
                                   f"'{generator.device.type}'")
            calls.append((None if generator is None else generator.device.type, dev.type))
            return _real(*a, generator=generator, device=device, **k)

        monkeypatch.setattr(torch, name, fake)
    return calls


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_random_ball_point_with_a_cpu_generator_for_inputs_on_another_device(monkeypatch, norm):
    calls = _strict(monkeypatch)
    x = torch.empty(3, 1, 4, 4, device="meta", dtype=torch.float64)
    r = random_ball_point(x, 0.3, norm, torch.Generator().manual_seed(0))
    assert r.device.type == "meta" and r.shape == x.shape and r.dtype == x.dtype
    assert calls and all(g == d for g, d in calls)


def _stop_at_pgd_raw(monkeypatch, module):
    """Replace ``module._pgd_raw`` by a stub that records the start it is given and stops the call; returns
    (record, meta-device model, meta-device inputs)."""
    seen = {}

    def stop(model, x, y, eps, alpha, steps, norm, start, targeted):
        seen["start"] = start
        raise _Sentinel

    monkeypatch.setattr(module, "_pgd_raw", stop)
    return seen, nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).to("meta"), torch.empty(2, 1, 4, 4, device="meta")


def test_pgd_training_recipe_draws_its_start_on_the_generators_device(monkeypatch):
    calls = _strict(monkeypatch)
    seen, model, x = _stop_at_pgd_raw(monkeypatch, defenses)
    with pytest.raises(_Sentinel):
        adversarial_loss("pgd", eps=0.3, pgd_steps=2)(model, (x, torch.zeros(2, dtype=torch.long, device="meta")))
    assert seen["start"].device.type == "meta" and seen["start"].shape == x.shape
    assert calls and all(g == d == "cpu" for g, d in calls)


def test_pgd_with_a_cpu_generator_and_inputs_on_another_device(monkeypatch):
    calls = _strict(monkeypatch)
    import paperworks.attacks.gradient as gradient

    seen, model, x = _stop_at_pgd_raw(monkeypatch, gradient)
    monkeypatch.setattr(gradient, "check_attack_inputs", lambda *a, **k: 2)   # value checks need real tensors
    with pytest.raises(_Sentinel):
        pgd(model, x, torch.zeros(2, dtype=torch.long, device="meta"), eps=0.3, steps=2,
            generator=torch.Generator().manual_seed(0))
    assert seen["start"].device.type == "meta"
    assert calls and all(g == d == "cpu" for g, d in calls)


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_cpu_draws_are_unchanged(norm):
    """On CPU the start is the one the seeded generator always gave (same draws, same order)."""
    x = torch.rand(3, 1, 4, 4, generator=torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(0)
    got = random_ball_point(x, 0.3, norm, g)
    ref_g = torch.Generator().manual_seed(0)
    if norm == "inf":
        ref = (x + (2 * torch.rand(x.shape, generator=ref_g) - 1) * 0.3).clamp(0, 1)
    else:
        # (since test_s24_l2_start_batch_size: one example at a time, its direction then its radius)
        rows = []
        for _ in range(3):
            n = torch.randn(x.shape[1:], generator=ref_g)
            r = torch.rand((), generator=ref_g) ** (1.0 / 16)
            rows.append(n / n.norm().clamp_min(1e-12) * (0.3 * r))
        ref = (x + torch.stack(rows)).clamp(0, 1)
    assert torch.equal(got, ref)
    assert torch.equal(g.get_state(), ref_g.get_state())
