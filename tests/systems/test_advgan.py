"""AdvGAN oracles: constraints, hinge, margin sign, frozen target, distillation agreement; smoke reproduce."""

import pytest
import torch
from _advgan_toy import toy_images as _toy

from paperworks import attacks
from paperworks.core.errors import ConfigError, DataError
from paperworks.models.mnist import SmallCNN
from paperworks.systems import advgan as advgan_module
from paperworks.systems.advgan import (AdvGAN, BlackBox, Discriminator, Generator, advgan_generator_loss,
                                       advgan_perturb, distill, hinge_loss, train_advgan, train_classifier,
                                       transfer_column)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def target():
    x, y = _toy(96)
    torch.manual_seed(0)
    return train_classifier(SmallCNN(num_classes=3, image_size=16, width=8), x, y, epochs=8, batch_size=32, lr=1e-2), x, y


def test_generator_shapes_and_constraints():
    torch.manual_seed(0)
    for c, s in [(1, 28), (3, 32)]:
        G = Generator(c)
        x = torch.rand(5, c, s, s)
        assert G(x).shape == x.shape and Discriminator(c, s)(x).shape == (5,)
        # scale the last layer up so that the raw perturbation saturates beyond eps
        with torch.no_grad():
            G.net[-2].weight.mul_(50)
        xa = advgan_perturb(G, x, 0.1)
        assert xa.min() >= 0 and xa.max() <= 1
        # exactly inside the ball (float64 differences of float32 values are exact; no rounding slack)
        assert float((xa.double() - x.double()).abs().max()) <= 0.1 and bool((xa - x).abs().max() <= 0.1)


def test_hinge_is_zero_with_zero_gradient_inside_the_ball():
    raw = torch.full((4, 1, 5, 5), 0.1, requires_grad=True)  # ||raw||_2 = 0.5
    loss = hinge_loss(raw, c=0.6)
    loss.backward()
    assert float(loss.detach()) == 0.0 and torch.count_nonzero(raw.grad) == 0
    raw2 = torch.full((2, 1, 5, 5), 0.2, requires_grad=True)   # norm 1.0 -> hinge 0.4
    torch.testing.assert_close(hinge_loss(raw2, c=0.6), torch.tensor(0.4))


def test_generator_hinge_bounds_the_added_perturbation(target):
    """L_hinge is taken on the eps-clipped perturbation that x_A receives, not on G's raw output."""
    model, x, y = target
    raw = torch.full((4, 1, 16, 16), 0.8)  # raw norm 12.8; clipped to 0.3 -> norm 4.8 per example
    raw[1] = -0.1                          # norm 1.6 -> inside the ball
    _, parts = advgan_generator_loss(model, Discriminator(1, 16), raw, x[:4], y[:4], eps=0.3, alpha=0.0, beta=1.0,
                                     c=2.0)
    assert parts["l_hinge"] == pytest.approx((3 * (4.8 - 2.0) + 0.0) / 4, rel=1e-5)


def test_generator_loss_adv_term_is_cw_margin(target):
    model, x, y = target
    G, D = Generator(1), Discriminator(1, 16)
    raw = G(x[:16])
    loss, parts = advgan_generator_loss(model, D, raw, x[:16], y[:16], eps=0.3, alpha=0.0, beta=0.0, c=1.0)
    xa = (x[:16] + raw.clamp(-0.3, 0.3)).clamp(0, 1)
    want = attacks.cw_margin(model(xa), y[:16]).mean()
    torch.testing.assert_close(loss, want)
    # L_adv <= 0 exactly on successful examples (kappa = 0)
    m = attacks.cw_margin(model(xa), y[:16])
    assert torch.equal(m <= 0, model(xa).argmax(1) != y[:16])


def test_training_freezes_target_and_attacks(target):
    model, x, y = target
    before = [p.detach().clone() for p in model.parameters()]
    G, _ = train_advgan(model, x, y, eps=0.3, c=2.0, epochs=6, batch_size=32, seed=0)
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters()))
    assert all(p.requires_grad for p in model.parameters())
    rep = attacks.evaluate_attack(model, advgan_perturb(G, x, 0.3), x, y)
    fgsm = attacks.evaluate_attack(model, "fgsm", x, y, eps=0.3)
    assert rep.clean_accuracy > 0.95
    assert rep.success_rate > 0.5
    assert rep.mean_linf <= 0.3 + 1e-6
    del fgsm


def test_distillation_raises_agreement_on_adversarial_inputs(target):
    model, x, y = target
    bb = BlackBox(model)
    torch.manual_seed(1)
    f = distill(SmallCNN(num_classes=3, image_size=16, width=4), bb, x, epochs=3, batch_size=32, lr=1e-2)
    G, _ = train_advgan(f, x, y, eps=0.3, c=2.0, epochs=3, batch_size=32)
    xa = advgan_perturb(G, x, 0.3)
    agree = lambda: float((attacks.predict(f, xa) == bb.probs(xa).argmax(1)).float().mean())  # noqa: E731
    a0 = agree()
    distill(f, bb, x, x_adv=xa, epochs=5, batch_size=32, lr=1e-2)
    assert agree() > a0
    assert bb.queries > 0


class _Spy(torch.nn.Module):
    """Wraps a defended / challenge model and records, per forward call, (gradient enabled, phase) where
    ``phase`` is whatever the test put in ``state["phase"]`` at that moment."""

    def __init__(self, inner, state):
        super().__init__()
        self.inner, self.state, self.calls = inner, state, []

    def forward(self, z):
        self.calls.append((torch.is_grad_enabled(), self.state.get("phase")))
        return self.inner(z)


def test_transfer_column_only_classifies_the_source_examples(target):
    """Paper Sec. 4.3 threat model: examples come from the undefended model; the defended one only classifies."""
    model, x, y = target
    src = {"FGSM": attacks.evaluate_attack(model, "fgsm", x, y, eps=0.3),
           "C&W": attacks.evaluate_attack(model, "pgd", x[:10], y[:10], eps=0.3, steps=3, seed=0)}
    torch.manual_seed(3)
    other = train_classifier(SmallCNN(num_classes=3, image_size=16, width=4), x, y, epochs=2, batch_size=32)
    spy = _Spy(other, {}).eval()
    col = transfer_column(spy, src, x, y)
    calls = [g for g, _ in spy.calls]
    assert calls and not any(calls)  # no gradient access to the defended model
    for k, r in src.items():
        n = r.x_adv.shape[0]
        assert torch.equal(col[k].x_adv, r.x_adv) and col[k].n == n
        with torch.no_grad():
            want = float((other(r.x_adv).argmax(1) != y[:n]).float().mean())
        assert col[k].success_rate == pytest.approx(want)


def test_challenge_model_is_reached_only_through_probs_during_the_attack(target, monkeypatch):
    """Emulated MNIST challenge: while the black-box AdvGAN attack (dynamic distillation) runs, every forward
    pass of the challenge model happens inside ``BlackBox.probs`` without gradients, and the attack is handed a
    ``BlackBox``, never the model; only the scoring afterwards (and the white-box reference) use it directly."""
    model, x, y = target
    state = {}
    spy = _Spy(model, state).eval()
    probs, attack = BlackBox.probs, advgan_module.dynamic_distillation
    handed = []

    def probs_spy(self, z, *a, **k):
        outer = state.get("phase")
        if outer == "attack":
            state["phase"] = "probs"
        try:
            return probs(self, z, *a, **k)
        finally:
            state["phase"] = outer

    def attack_spy(blackbox, *a, **k):
        handed.append(blackbox)
        state["phase"] = "attack"
        try:
            return attack(blackbox, *a, **k)
        finally:
            state["phase"] = "after"

    monkeypatch.setattr(BlackBox, "probs", probs_spy)
    monkeypatch.setattr(advgan_module, "dynamic_distillation", attack_spy)
    cfg = AdvGAN.make_config({"surrogate_model": "small", "defended_model": "small", "batch_size": "32",
                              "pgd_steps": "2"}, preset="smoke")
    # a 16x16, 3-class toy: the surrogate is rebuilt by make_model, so give it the toy's shape
    monkeypatch.setattr(advgan_module, "make_model",
                        lambda name: SmallCNN(num_classes=3, image_size=16, width=4))
    out = AdvGAN(cfg)._challenge(spy, x, y, x[:24], y[:24])
    assert len(handed) == 1 and isinstance(handed[0], BlackBox) and handed[0]._model is spy
    during = [c for c in spy.calls if c[1] in ("attack", "probs")]
    assert during and all(phase == "probs" and not grad for grad, phase in during)
    assert out["queries"] == handed[0].queries > 0
    assert any(phase == "after" for _, phase in spy.calls)  # scoring happens after the attack
    for k in ("clean", "advgan", "pgd_surrogate", "whitebox_pgd"):
        assert 0.0 <= out[k] <= 1.0


def test_bad_input(target):
    model, x, y = target
    with pytest.raises(DataError, match="train mode"):
        train_advgan(model.train(), x, y)
    model.eval()
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        train_advgan(model, x * 4, y)
    with pytest.raises(DataError, match="channel"):
        train_advgan(model, x.repeat(1, 3, 1, 1), y)
    with pytest.raises(ConfigError, match="'eps' must be > 0"):
        train_advgan(model, x, y, eps=0)
    with pytest.raises(ConfigError, match="'eps'"):
        AdvGAN.make_config({"eps": "-0.1"})
    with pytest.raises(ConfigError, match="targets|model"):
        AdvGAN.make_config({"targets": "A,Z"})
    with pytest.raises(ConfigError, match="'workers'"):
        AdvGAN.make_config({"workers": "3"})


def test_bad_hyperparameters_labels_and_black_box_inputs(target):
    """Each used to run silently (gan_loss typo -> BCE, negative alpha / beta / c / kappa, epochs 0 -> an untrained
    G, rounds 0 -> static distillation) or fail deep inside torch (labels >= C, H % 4, NaN queries)."""
    model, x, y = target
    bad = [({"gan_loss": "lsgan"}, "'gan_loss' must be one of ls, bce"), ({"alpha": -1.0}, "'alpha'"),
           ({"beta": float("nan")}, "'beta'"), ({"c": -1.0}, "'c'"), ({"kappa": -0.5}, "'kappa'"),
           ({"epochs": 0}, "'epochs'"), ({"batch_size": 0}, "'batch_size'"), ({"lr": 0.0}, "'lr'")]
    for kw, msg in bad:
        with pytest.raises(ConfigError, match=msg):
            train_advgan(model, x, y, **kw)
    with pytest.raises(DataError, match="class index 3 but the model has 3 classes"):
        train_advgan(model, x, torch.where(y == 0, 3, y), epochs=1)
    odd = SmallCNN(num_classes=3, image_size=18, width=8).eval()
    with pytest.raises(DataError, match="divisible by 4"):
        train_advgan(odd, torch.rand(8, 1, 18, 18), y[:8], epochs=1)
    with pytest.raises(ConfigError, match="gan_loss"):
        advgan_module.discriminator_loss(torch.zeros(2), torch.zeros(2), "lsq")
    with pytest.raises(ConfigError, match="'c'"):
        hinge_loss(torch.zeros(2, 1, 4, 4), -1.0)
    bb = BlackBox(model)
    nan = torch.full_like(x[:4], float("nan"))
    with pytest.raises(DataError, match="BlackBox.probs: 'x' contains NaN"):
        bb.probs(nan)
    with pytest.raises(DataError, match="distill: 'x' contains NaN"):
        distill(SmallCNN(num_classes=3, image_size=16, width=8), bb, nan)
    with pytest.raises(DataError, match="one adversarial example per query image"):
        distill(SmallCNN(num_classes=3, image_size=16, width=8), bb, x[:8], x_adv=x[:3])
    with pytest.raises(ConfigError, match="'rounds'"):
        advgan_module.dynamic_distillation(bb, SmallCNN(num_classes=3, image_size=16, width=8), x, y, rounds=0,
                                           distill_epochs=1, epochs_per_round=1, eps=0.3, alpha=0.1, beta=0.1, c=5.0,
                                           kappa=0.0, batch_size=32, lr=1e-3, gan_loss="ls", seed=0)
    assert bb.queries == 0   # every refusal came before a query


def test_reproduce_smoke(reproduce_smoke):
    d = reproduce_smoke("advgan")
    assert d["tables"][0]["rows"][0][0] == "clean accuracy"
    assert any(p["file"].endswith("advgan_grid.png") for p in d["plots"])
    assert {c["claim"].split(" ")[0] for c in d["claims"]} >= {"semi-whitebox", "AdvGAN", "black-box:"}
    assert any(t["title"].startswith("Defended models") for t in d["tables"])
    ch = [t for t in d["tables"] if t["title"].startswith("MNIST challenge (emulated)")]
    assert len(ch) == 1 and ch[0]["rows"][1][0].startswith("AdvGAN, dynamic distillation")
    assert ch[0]["rows"][1][3].startswith("92.76 %")
    claim = [c for c in d["claims"] if c["claim"].startswith("MNIST challenge (emulated)")]
    assert len(claim) == 1 and claim[0]["paper"] == pytest.approx(0.9276) and claim[0]["rule"] == "ours < baseline"


def test_challenge_without_a_pgd_defense_is_reported_not_silently_dropped(reproduce_smoke):
    d = reproduce_smoke("advgan", defenses="fgsm")
    assert not any(t["title"].startswith("MNIST challenge") for t in d["tables"])
    assert not any(c["claim"].startswith("MNIST challenge") for c in d["claims"])
    assert any("MNIST challenge did not run" in t and "no `pgd`" in t for t in d["text"])


def test_reproduce_worker_process_gives_the_sequential_numbers(reproduce_smoke):
    """workers = 2 trains the FGSM / PGD defended copies in a spawned process: every number must equal the
    one-process run (all three defenses, so the ensemble copy trained here is covered too)."""
    runs = [reproduce_smoke("advgan", defenses="fgsm,ensemble,pgd", workers=w) for w in (1, 2)]
    tables = [{t["title"]: t["rows"] for t in d["tables"] if not t["title"].startswith("Generation time")}
              for d in runs]
    assert len(tables[0]["Defended models (small): white-box robustness on the test subset (reference)"]) == 3
    assert tables[0] == tables[1]
    assert [(c["ours"], c["baseline"]) for c in runs[0]["claims"] if "time" not in c["metric"]] == \
        [(c["ours"], c["baseline"]) for c in runs[1]["claims"] if "time" not in c["metric"]]


def test_semiwhitebox_claim_quotes_the_paper_only_for_the_models_attacked(reproduce_smoke):
    # Tab. 2 (unverified): A 0.979, B 0.971, C 0.983; the claim's paper value is the smallest among the targets
    # attacked (the old code printed 0.971, model B's, whatever the targets, e.g. for C alone or a non-paper model)
    assert advgan_module.paper_semiwhitebox_min(["C"]) == pytest.approx(0.983)
    assert advgan_module.paper_semiwhitebox_min(["A", "C"]) == pytest.approx(0.979)
    assert advgan_module.paper_semiwhitebox_min(["B", "C"]) == pytest.approx(0.971)
    assert advgan_module.paper_semiwhitebox_min(["small"]) is None
    d = reproduce_smoke("advgan", defenses="fgsm", challenge="false", blackbox="false")
    claim = [c for c in d["claims"] if c["claim"].startswith("semi-whitebox")]
    assert len(claim) == 1 and claim[0]["paper"] is None   # the smoke target 'small' is not a paper model


class _ScriptedD(torch.nn.Module):
    """A discriminator with a known output: 3 x the mean pixel of each image, minus 1."""

    def forward(self, z):
        return 3 * z.flatten(1).mean(1) - 1


def test_gan_losses_closed_form_and_weighting(target):
    """LS-GAN (official code) and BCE losses against hand arithmetic, and L = L_adv + alpha L_GAN + beta L_hinge
    with a scripted discriminator (before, only L_adv alone and the hinge part were checked: a dropped or
    swapped alpha / beta, or D's real / fake targets swapped, passed every test)."""
    import math

    d_real, d_fake = torch.tensor([0.2, 1.5]), torch.tensor([0.1, -0.4])
    ls = ((0.2 - 1) ** 2 + (1.5 - 1) ** 2) / 2 + (0.1 ** 2 + 0.4 ** 2) / 2
    assert float(advgan_module.discriminator_loss(d_real, d_fake, "ls")) == pytest.approx(ls, rel=1e-6)
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    bce = -(math.log(sig(0.2)) + math.log(sig(1.5))) / 2 - (math.log(1 - sig(0.1)) + math.log(1 - sig(-0.4))) / 2
    assert float(advgan_module.discriminator_loss(d_real, d_fake, "bce")) == pytest.approx(bce, rel=1e-6)

    model, x, y = target
    xs, ys = x[:6].double(), y[:6]
    model64 = SmallCNN(num_classes=3, image_size=16, width=8).double().eval()
    model64.load_state_dict(model.state_dict())
    raw = 0.5 * torch.randn(6, 1, 16, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    eps, alpha, beta, c = 0.3, 0.3, 0.7, 2.0
    xa = (xs + raw.clamp(-eps, eps)).clamp(0, 1)
    s = [3 * float(v.mean()) - 1 for v in xa]
    with torch.no_grad():
        z = model64(xa)
    l_adv = sum(max(float(z[i, ys[i]]) - max(float(z[i, k]) for k in range(3) if k != ys[i]), 0.0)
                for i in range(6)) / 6
    assert l_adv > 0.1   # some examples keep a positive margin
    norms = [float(v.norm()) for v in raw.clamp(-eps, eps)]
    assert min(norms) > c   # the hinge is active for every example
    l_hinge = sum(nv - c for nv in norms) / 6
    for kind, l_gan in (("ls", sum((v - 1) ** 2 for v in s) / 6), ("bce", -sum(math.log(sig(v)) for v in s) / 6)):
        loss, parts = advgan_generator_loss(model64, _ScriptedD(), raw, xs, ys, eps=eps, alpha=alpha, beta=beta,
                                            c=c, gan_loss=kind)
        assert parts["l_gan"] == pytest.approx(l_gan, rel=1e-9)
        assert parts["l_adv"] == pytest.approx(l_adv, rel=1e-9, abs=1e-12)
        assert parts["l_hinge"] == pytest.approx(l_hinge, rel=1e-9)
        assert float(loss) == pytest.approx(l_adv + alpha * l_gan + beta * l_hinge, rel=1e-9)


def test_distillation_loss_is_cross_entropy_to_the_black_box_on_clean_and_adversarial_queries(target, monkeypatch):
    """distill's training loss on a batch, against hand arithmetic: -mean_i sum_k b_k(x_i) log softmax(f(x_i))_k,
    plus the same on (x_A, b(x_A)) when adversarial queries are given (paper Sec. 3.3, dynamic distillation);
    the black box is queried once per image. (Before: 'agreement goes up' only, which static distillation alone
    - the adversarial term dropped - can pass.)"""
    import math

    model, x, y = target
    seen = {}

    class Capture:
        def __init__(self, m, ds, loss_fn, tc, **kw):
            seen["loss_fn"], seen["data"] = loss_fn, ds.tensors

        def fit(self, resume=False):
            return []

    monkeypatch.setattr(advgan_module, "Trainer", Capture)
    bb = BlackBox(model)
    torch.manual_seed(2)
    f = SmallCNN(num_classes=3, image_size=16, width=4)
    xa = (x[:8] + 0.1).clamp(0, 1)
    distill(f, bb, x[:8], x_adv=xa, epochs=1, batch_size=8)
    assert bb.queries == 16
    xs, ps, xas, pas = seen["data"]
    assert torch.equal(xs, x[:8]) and torch.equal(xas, xa)
    f.eval()
    with torch.no_grad():
        loss = float(seen["loss_fn"](f, (xs, ps, xas, pas)))
        lf, lfa, pb, pba = f(xs), f(xas), bb.probs(xs), bb.probs(xas)
    want = 0.0
    for logits, probs in ((lf, pb), (lfa, pba)):
        for i in range(8):
            lse = math.log(sum(math.exp(float(v)) for v in logits[i]))
            want -= sum(float(probs[i, k]) * (float(logits[i, k]) - lse) for k in range(3)) / 8
    assert loss == pytest.approx(want, rel=1e-5)


def test_training_steps_are_a_d_step_then_a_g_step_against_the_updated_d(target):
    """Two batches of one epoch, float64, replayed by hand with the (separately checked) losses: per batch (in the
    loop's seeded order) D takes an Adam (beta1 0.5) step on its loss with G's output detached, then G takes an
    Adam step on L_adv + alpha L_GAN + beta L_hinge scored by the UPDATED D, with the target frozen. (Before, the
    loop was only checked to 'attack and freeze the target': G stepping first, D seeing the raw output with
    gradient, or Adam's default beta1 passed.)"""
    import copy

    model, x, y = target
    m64 = SmallCNN(num_classes=3, image_size=16, width=8).double().eval()
    m64.load_state_dict(model.state_dict())
    xs, ys = x[:32].double(), y[:32]
    torch.manual_seed(5)
    G0, D0 = Generator(1).double(), Discriminator(1, 16).double()
    kw = dict(eps=0.3, alpha=0.4, beta=0.2, c=1.0)
    G, D = train_advgan(m64, xs, ys, epochs=1, batch_size=16, lr=1e-3, seed=3, generator=copy.deepcopy(G0),
                        discriminator=copy.deepcopy(D0), **kw)
    Gr, Dr = copy.deepcopy(G0), copy.deepcopy(D0)
    opt_g = torch.optim.Adam(Gr.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(Dr.parameters(), lr=1e-3, betas=(0.5, 0.999))
    for p in m64.parameters():
        p.requires_grad_(False)
    perm = torch.randperm(32, generator=torch.Generator().manual_seed(3))
    for idx in (perm[:16], perm[16:]):
        xb, yb = xs[idx], ys[idx]
        raw = Gr(xb)
        xa = (xb + raw.detach().clamp(-0.3, 0.3)).clamp(0, 1)
        opt_d.zero_grad()
        advgan_module.discriminator_loss(Dr(xb), Dr(xa), "ls").backward()
        opt_d.step()
        opt_g.zero_grad()
        advgan_generator_loss(m64, Dr, raw, xb, yb, **kw)[0].backward()
        opt_g.step()
    for a, b in zip(list(G.parameters()) + list(D.parameters()), list(Gr.parameters()) + list(Dr.parameters())):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
    assert any(not torch.equal(a, b) for a, b in zip(D.parameters(), D0.parameters()))


def test_config_errors_name_the_model_key_and_refuse_no_target():
    """Every wrong model name was reported as "'model' must be one of ..." (whichever of targets /
    defended_model / blackbox_model / surrogate_model it was), and targets= (none) passed validation and ended in
    an IndexError inside run()."""
    for key in ("targets", "defended_model", "blackbox_model", "surrogate_model"):
        with pytest.raises(ConfigError, match=f"'{key}' must be one of A, B, C, small \\(got 'Z'\\)"):
            AdvGAN.make_config({key: "Z"})
    for empty in ("", ","):
        with pytest.raises(ConfigError, match="'targets' must name at least one target model"):
            AdvGAN.make_config({"targets": empty}, preset="smoke")


def test_a_target_or_defense_named_twice_is_refused():
    """targets=B,B or defenses=fgsm,fgsm trained the same model twice and listed it twice in the report."""
    with pytest.raises(ConfigError, match="'targets' names B more than once"):
        AdvGAN.make_config({"targets": "B,C,B"})
    with pytest.raises(ConfigError, match="'defenses' names fgsm more than once"):
        AdvGAN.make_config({"defenses": "fgsm,pgd,fgsm"})


def test_bench_runs_on_the_smoke_preset():
    # the smoke preset has 64 training images: the bench's classifier used a fixed batch of 128 and refused
    # it, and the bench ignored the preset's 16 test images (256 fixed)
    out = AdvGAN(AdvGAN.make_config({}, preset="smoke")).bench(None, quick=True)
    assert out["ratio"] > 0 and all(out[f"{k}_examples_per_s"] > 0 for k in ("advgan", "pgd", "fgsm", "cw"))


@pytest.mark.parametrize("preset, overrides, want", [(None, {}, (4000, 256)), ("paper", {}, (4000, 256)),
                                                     (None, {"n_test": "50"}, (4000, 256)),
                                                     ("smoke", {}, (64, 16))])
def test_bench_attacks_the_same_images_as_before_unless_the_preset_says(monkeypatch, preset, overrides, want):
    # the bench always drew 256 test images (min(n_train, 4000) training images); following n_test made the
    # default bench attack 200, which moved its throughput numbers. Only the smoke preset asks for fewer.
    seen = []

    class Stop(Exception):
        pass

    def fake_load(cfg, defense_set=False):
        seen.append((cfg.n_train, cfg.n_test))
        raise Stop

    monkeypatch.setattr(advgan_module, "_load", fake_load)
    with pytest.raises(Stop):
        AdvGAN(AdvGAN.make_config(overrides, preset=preset)).bench(None, quick=True)
    assert seen == [want]
    with pytest.raises(ConfigError, match="bench_n_test"):
        AdvGAN.make_config({"bench_n_test": "0"})


def test_comma_separated_names_may_have_spaces():
    # "B, C" was refused as "' C'"; each name is stripped, the parsed lists equal the spaceless spelling's
    from paperworks.systems.advgan import _names
    assert _names("B, C") == _names("B,C") == ["B", "C"] and _names(" fgsm , pgd ,") == ["fgsm", "pgd"]
    cfg = AdvGAN.make_config({"targets": "B, C", "defenses": "fgsm, pgd"})
    assert _names(cfg.targets) == ["B", "C"] and _names(cfg.defenses) == ["fgsm", "pgd"]
    with pytest.raises(ConfigError, match="targets"):
        AdvGAN.make_config({"targets": "B, B"})     # duplicates are still caught after stripping


def test_subset_sizes_beyond_the_split_are_refused_not_silently_the_whole_split():
    """MNIST / Fashion-MNIST have 60k training and 10k test images: asking for more would silently attack (or
    train on) the whole split while the report printed the asked-for size."""
    for key, ok, bad in (("n_train", 60000, 60001), ("defense_n_train", 60000, 60001), ("n_test", 10000, 10001),
                         ("bench_n_test", 10000, 10001)):
        for dataset in ("mnist", "fashion_mnist"):
            AdvGAN.make_config({key: str(ok), "dataset": dataset})
            with pytest.raises(ConfigError, match=rf"'{key}' = {bad} is more than the {ok} .* images of {dataset}"):
                AdvGAN.make_config({key: str(bad), "dataset": dataset})
    AdvGAN.make_config({}, preset="paper")   # the paper preset uses the full splits
