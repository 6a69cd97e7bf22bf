"""Variational classification: Dhuliawala, Sachan & Allen, "Variational Classification", TMLR 2024,
arXiv:2305.10406. The model and objective live in :mod:`.objective`; this module registers the system.

    from paperworks.systems.variational_classification import GaussianHead, VariationalObjective
    head = GaussianHead(feat_dim=16, num_classes=10)
    vc = VariationalObjective(head, beta_likelihood=0.01, beta_adversarial=0.01)
    loss, stats = vc.loss(encoder(x), y)          # minimise over encoder and head parameters
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from paperworks.core import Claim, Paper, Report, RunDir, System, check_choice, check_interval, check_positive, register
from paperworks.core.config import Config
from paperworks.core.errors import ConfigError
from paperworks.systems.variational_classification.objective import (ClassCritic, GaussianHead, LatentClassifier,
                                                                     VariationalObjective, check_latents,
                                                                     critic_loss, density_ratio_kl, gaussian_kl,
                                                                     split_classifier)

__all__ = ["VariationalClassification", "VariationalClassificationConfig", "GaussianHead", "ClassCritic",
           "VariationalObjective", "LatentClassifier", "gaussian_kl", "density_ratio_kl", "critic_loss",
           "split_classifier", "check_latents"]

PAPER = Paper("S. Dhuliawala, M. Sachan, C. Allen", "Variational Classification", "TMLR", 2024, "2305.10406")


@dataclass(frozen=True)
class VariationalClassificationConfig(Config):
    dataset: str = "fashion_mnist"      # image task: fashion_mnist | mnist
    method: str = "vc"                  # for `run`: ce | gm | vc
    n_train: int = 4000                 # training images (first n of the official training split)
    n_test: int = 2000                  # test images (first n of the official test split)
    epochs: int = 30                    # same budget for every method; no weight decay (CE over-fits)
    text_epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3                    # Adam, encoder (and CE's linear head)
    head_lr_scale: float = 1.0          # Gaussian head (GM, VC) lr / encoder lr under Adam (official SGD: 0.1,
                                        # see sgd_head_lr_scale); under Adam and ~930 steps 0.1 leaves the head at init
    optimizer: str = "adam"             # adam (lr, head_lr_scale, no weight decay) | sgd_official (the official
                                        # VC.py recipe scaled to our epochs: SGD Nesterov momentum 0.9, sgd_lr,
                                        # sgd_weight_decay, head at sgd_head_lr_scale x, lr x0.1 at 1/3 and 2/3)
    sgd_lr: float = 0.1                 # official --lr
    sgd_weight_decay: float = 1e-3      # official --wd (network and head)
    sgd_head_lr_scale: float = 0.1      # official optimizer_2: args.lr * 0.1
    hidden: int = 256
    latent_dim: int = 16
    beta_likelihood: float = 0.01       # official code l1 (weight of -log p(z|y))
    beta_adversarial: float = 0.01      # official code l2 (weight of the critic's KL estimate)
    critic_layers: int = 1              # official default --disc_layers 1
    critic_hidden: int = 512
    critic_lr: float = 1e-3             # AdamW default
    encoder_likelihood: bool = True     # official code: -log p(z|y) also trains the encoder; False = the
                                        # paper's Algorithm 1 (that term trains the Gaussian head only)
    seeds: int = 3
    seed: int = 0
    n_bins: int = 20                    # ECE bins: 20 equal-width, as the official evaluation (create_fine_bins)
    fgsm_eps: float = 0.05              # image FGSM L-inf radius (pixels in [0, 1])
    text_fgsm_eps: float = 0.005        # FGSM radius on TF-IDF rows (unit L2 norm, 2000 dims): L2 size <= 0.22
    fgsm_sweep: tuple[float, ...] = (0.4, 2.0)  # extra FGSM radii (x fgsm_eps / text_fgsm_eps), reported only
    n_attack: int = 1000                # test examples attacked
    noise_sigma: float = 0.3            # Gaussian pixel noise shift
    rotation_deg: float = 30.0          # rotation shift
    word_dropout: float = 0.5           # text shift: each word deleted with this probability
    label_fraction: float = 0.1         # low-data experiment: fraction of training labels kept
    label_fraction_sweep: tuple[float, ...] = (0.01, 0.05)  # extra label fractions, reported only (no claim)
    text_max_features: int = 2000
    text: bool = True                   # include the fortunes text task in reproduce

    def validate(self):
        problems = []
        for fn in (lambda: check_choice("dataset", self.dataset, ("fashion_mnist", "mnist")),
                   lambda: check_choice("method", self.method, ("ce", "gm", "vc")),
                   lambda: check_choice("critic_layers", self.critic_layers, (1, 2)),
                   lambda: check_interval("beta_likelihood", self.beta_likelihood, 0.0, None),
                   lambda: check_interval("beta_adversarial", self.beta_adversarial, 0.0, None),
                   lambda: check_interval("label_fraction", self.label_fraction, 0.0, 1.0, closed="right"),
                   lambda: check_interval("word_dropout", self.word_dropout, 0.0, 1.0),
                   lambda: check_interval("noise_sigma", self.noise_sigma, 0.0, None),
                   lambda: check_positive("fgsm_eps", self.fgsm_eps),
                   lambda: check_positive("text_fgsm_eps", self.text_fgsm_eps),
                   lambda: check_positive("lr", self.lr),
                   lambda: check_positive("head_lr_scale", self.head_lr_scale),
                   lambda: check_choice("optimizer", self.optimizer, ("adam", "sgd_official")),
                   lambda: check_positive("sgd_lr", self.sgd_lr),
                   lambda: check_interval("sgd_weight_decay", self.sgd_weight_decay, 0.0, None),
                   lambda: check_positive("sgd_head_lr_scale", self.sgd_head_lr_scale),
                   lambda: check_positive("critic_lr", self.critic_lr),
                   lambda: check_interval("rotation_deg", self.rotation_deg, -360.0, 360.0)):
            try:
                fn()
            except ConfigError as e:
                problems.extend(e.problems)
        if any(not (0 < f <= 1) for f in self.label_fraction_sweep):
            problems.append("'label_fraction_sweep' must hold fractions in (0, 1] "
                            f"(got {list(self.label_fraction_sweep)})")
        if any(not (m > 0) or math.isinf(m) for m in self.fgsm_sweep):
            problems.append(f"'fgsm_sweep' must hold finite numbers > 0 (got {list(self.fgsm_sweep)})")
        for k in ("n_train", "n_test", "epochs", "text_epochs", "batch_size", "hidden", "latent_dim", "seeds",
                  "n_bins", "n_attack", "critic_hidden", "text_max_features"):
            if getattr(self, k) < 1:
                problems.append(f"'{k}' must be >= 1 (got {getattr(self, k)})")
        if problems:
            raise ConfigError(problems, where="VariationalClassificationConfig")


def _image_task(cfg):
    from paperworks.data import load
    from paperworks.systems.variational_classification.experiment import Task

    d = load(cfg.dataset)
    if cfg.n_train > len(d["y_train"]) or cfg.n_test > len(d["y_test"]):
        raise ConfigError(f"n_train/n_test exceed the {cfg.dataset} splits ({len(d['y_train'])}/{len(d['y_test'])})")

    def prep(x):
        return torch.as_tensor(np.asarray(x)).float().div(255.0)[:, None]

    return Task(cfg.dataset, prep(d["x_train"][:cfg.n_train]), torch.as_tensor(np.asarray(d["y_train"][:cfg.n_train])).long(),
                prep(d["x_test"][:cfg.n_test]), torch.as_tensor(np.asarray(d["y_test"][:cfg.n_test])).long(), 10)


def _text_task(cfg):
    from paperworks.data import load
    from paperworks.data.text import BagOfWords, word_dropout
    from paperworks.systems.variational_classification.experiment import Task

    d = load("fortunes")
    bow = BagOfWords(min_df=2, max_features=cfg.text_max_features).fit(d["texts_train"])

    def vec(texts):
        return bow.transform(texts)[:, None, None, :]       # [N, 1, 1, V]: TF-IDF rows in [0, 1]

    shifted = vec(word_dropout(d["texts_test"], cfg.word_dropout, seed=0))
    return Task("fortunes", vec(d["texts_train"]), d["y_train"], vec(d["texts_test"]), d["y_test"],
                len(d["classes"]), x_shift={"word_dropout": shifted})


def _pct(fraction: float) -> str:
    """A label fraction as a percentage for the report: 0.1 -> '10%', 0.001 -> '0.1%', 0.014 -> '1.4%'
    (the '.0%' format printed 0.001 as '0%' and 0.011 / 0.014 both as '1%')."""
    return f"{100 * fraction:g}%"


def _keys(rows):
    return [k for k in rows[0] if not k.startswith("_")]


def _mean_std(rows, key):
    v = np.array([r[key] for r in rows], dtype=float)
    if np.isnan(v).all():
        return float("nan"), float("nan")
    return float(np.nanmean(v)), float(np.nanstd(v))


@register("variational_classification", paper=PAPER, config=VariationalClassificationConfig)
class VariationalClassification(System):
    """Variational classification (VC) vs softmax cross-entropy (CE) and the Gaussian-mixture head (GM = VC
    with beta = 0) on the same MLP encoder and training budget; image (MNIST / Fashion-MNIST) and text
    (Debian fortunes categories, TF-IDF). See :mod:`.objective` for the equations and every choice made."""

    num_threads = 1  # small MLP/CNN models: a 2nd OpenMP thread only spin-waits on a shared 2-core machine
    full_scale = False  # one scale: reproduce(quick=False) runs what quick=True runs
    presets = {
        "smoke": {"n_train": 256, "n_test": 128, "epochs": 1, "text_epochs": 1, "seeds": 1, "hidden": 32,
                  "n_attack": 64, "text_max_features": 200, "batch_size": 64},
        # the official settings that transfer to our MLP: l1 = l2 = 0.01, 1-layer critic, head at 0.1 x the encoder's
        # lr, 20 ECE bins. The official optimizer recipe verbatim (optimizer=sgd_official, batch 256, 90 epochs) is
        # not part of it: the plain-CE MLP diverges under it (seed 2: loss inf at update 39; the official ResNet has
        # BatchNorm and normalised inputs, our MLP neither)
        "paper": {"beta_likelihood": 0.01, "beta_adversarial": 0.01, "critic_layers": 1, "head_lr_scale": 0.1,
                  "n_bins": 20},
    }

    # ----------------------------------------------------------------------------------------- run
    def run(self, run_dir: RunDir) -> dict[str, float]:
        from paperworks.systems.variational_classification.experiment import run_method

        cfg = self.config
        task = _image_task(cfg)
        out = run_method(cfg.method, task, cfg, cfg.seed, image=True, epochs=cfg.epochs)
        out = {k: v for k, v in out.items() if not k.startswith("_")}
        run_dir.log_metrics({"method": cfg.method, "dataset": cfg.dataset, **out})
        return out

    # ----------------------------------------------------------------------------------- reproduce
    def _sweep(self, task, image, epochs, methods=("ce", "gm", "vc"), label_fraction=None):
        from paperworks.systems.variational_classification.experiment import run_method

        cfg = self.config
        res = {}
        for m in methods:
            res[m] = [run_method(m, task, cfg, cfg.seed + s, image, epochs, label_fraction)
                      for s in range(cfg.seeds)]
        return res

    def reproduce(self, run_dir: RunDir, quick: bool = True) -> Report:
        cfg = self.config
        t0 = time.time()
        rep = Report(self.name, quick)
        blocks = [("image", _image_task(cfg), True, cfg.epochs)]
        if cfg.text:
            blocks.append(("text", _text_task(cfg), False, cfg.text_epochs))
        all_res = {}
        for kind, task, image, epochs in blocks:
            res = self._sweep(task, image, epochs)
            low = self._sweep(task, image, epochs, methods=("ce", "vc"), label_fraction=cfg.label_fraction)
            # accuracy with 1-10% of the labels: the extra fractions are reported beside the claim's, never asserted
            fractions = {f: self._sweep(task, image, epochs, methods=("ce", "vc"), label_fraction=f)
                         for f in sorted(set(cfg.label_fraction_sweep) - {cfg.label_fraction})}
            fractions[cfg.label_fraction] = low
            all_res[kind] = (task, res, low)
            run_dir.log_metrics({"block": kind, "task": task.name,
                                 **{f"{m}/{k}": _mean_std(v, k)[0] for m, v in res.items() for k in _keys(v)},
                                 **{f"{m}/{k}": _mean_std(v, k)[0] for m, v in low.items() for k in _keys(v)}})
            self._claims_and_table(rep, kind, task, res, low, image)
            if len(fractions) > 1:
                self._label_fraction_table(rep, kind, task, fractions)
                run_dir.log_metrics({"block": kind, **{
                    f"{m}/lowdata_accuracy@{f:g}": _mean_std(v, "lowdata_accuracy")[0]
                    for f, r in fractions.items() for m, v in r.items()}})
            self._reliability_plot(rep, run_dir, kind, task, res)
        rep.add_text(self._summary_text(all_res, time.time() - t0))
        return rep

    def _claims_and_table(self, rep, kind, task, res, low, image):
        cfg = self.config
        ms = {m: {k: _mean_std(v, k) for k in _keys(v)} for m, v in res.items()}
        lo = {m: {k: _mean_std(v, k) for k in _keys(v)} for m, v in low.items()}
        ce, vc = ms["ce"], ms["vc"]
        shift = "noise" if image else "word_dropout"
        tag = f"{task.name}, mean of {cfg.seeds} seeds"
        rep.add_claim(Claim.no_worse(f"{kind}: VC accuracy within 1 point of CE ({tag})", "accuracy",
                                     vc["clean_accuracy"][0], ce["clean_accuracy"][0], tolerance=0.01))
        rep.add_claim(Claim.beats(f"{kind}: VC ECE lower than CE ({tag})", "ECE", vc["clean_ece"][0],
                                  ce["clean_ece"][0], higher_is_better=False))
        rep.add_claim(Claim.no_worse(f"{kind}: VC accuracy under FGSM not lower than CE ({tag})",
                                     "FGSM accuracy", vc["fgsm_accuracy"][0], ce["fgsm_accuracy"][0]))
        rep.add_claim(Claim.beats(f"{kind}: VC ECE under distribution shift ({shift}) lower than CE ({tag})",
                                  f"{shift} ECE", vc[f"{shift}_ece"][0], ce[f"{shift}_ece"][0],
                                  higher_is_better=False))
        rep.add_claim(Claim.no_worse(f"{kind}: VC accuracy with {_pct(cfg.label_fraction)} of the labels not lower "
                                     f"than CE ({tag})", "low-data accuracy", lo["vc"]["lowdata_accuracy"][0],
                                     lo["ce"]["lowdata_accuracy"][0]))

        def f(d, k, pct=True):
            m, s = d[k]
            return f"{100 * m:.2f} ± {100 * s:.2f}" if pct else f"{m:.3f} ± {s:.3f}"

        cols = ["method", "acc %", "ECE %", "NLL", "FGSM acc %", "FGSM ECE %"]
        shifts = ["noise", "rotation"] if image else ["word_dropout"]
        for s in shifts:
            cols += [f"{s} acc %", f"{s} ECE %"]
        cols += [f"acc % ({_pct(cfg.label_fraction)} labels)", "latent fit (E[maha]/d)", "train s"]
        rows = []
        for m in ("ce", "gm", "vc"):
            d = ms[m]
            row = [m.upper(), f(d, "clean_accuracy"), f(d, "clean_ece"), f(d, "clean_nll", False),
                   f(d, "fgsm_accuracy"), f(d, "fgsm_ece")]
            for s in shifts:
                row += [f(d, f"{s}_accuracy"), f(d, f"{s}_ece")]
            row += [f(lo[m], "lowdata_accuracy") if m in lo else "—",
                    "—" if math.isnan(d["latent_fit"][0]) else f(d, "latent_fit", False), f"{d['train_seconds'][0]:.1f}"]
            rows.append(row)
        eps = cfg.fgsm_eps if image else cfg.text_fgsm_eps
        rep.add_table(f"{kind}: {task.name} (mean ± std over {cfg.seeds} seeds)", cols, rows,
                      note=f"FGSM eps={eps:g} (L-inf); shifts: " +
                           (f"Gaussian noise sigma={cfg.noise_sigma:g}, rotation {cfg.rotation_deg:g} deg"
                            if image else f"word dropout p={cfg.word_dropout:g}") +
                           f"; ECE with {cfg.n_bins} equal-width bins (official code: 20).")
        if cfg.fgsm_sweep:
            mults = sorted(set(cfg.fgsm_sweep) | {1.0})
            key = {m: "fgsm_accuracy" if m == 1.0 else f"fgsm_x{m:g}_accuracy" for m in mults}
            rep.add_table(f"{kind}: {task.name}, FGSM accuracy % vs radius (mean ± std over {cfg.seeds} seeds)",
                          ["method"] + [f"eps={eps * m:g}" + (" (claim)" if m == 1.0 else "") for m in mults],
                          [[m.upper()] + [f(ms[m], key[k]) for k in mults] for m in ("ce", "gm", "vc")],
                          note="Only the claim's radius is asserted; the other radii are reported to show how the "
                               "comparison depends on the attack size (they were not used to choose it).")

    def _label_fraction_table(self, rep, kind, task, fractions):
        """Test accuracy of CE and VC trained on stratified subsets holding each fraction of the training labels
        (same epochs, seeds and everything else); only the claim's fraction is asserted."""
        cfg = self.config
        fs = sorted(fractions)
        n = len(task.y_train)

        def cell(f, m):
            mean, std = _mean_std(fractions[f][m], "lowdata_accuracy")
            return f"{100 * mean:.2f} ± {100 * std:.2f}"

        rep.add_table(f"{kind}: {task.name}, test accuracy % with a fraction of the training labels (mean ± std over "
                      f"{cfg.seeds} seeds)",
                      ["method"] + [f"{_pct(f)} labels" + (" (claim)" if f == cfg.label_fraction else "") for f in fs],
                      [[m.upper()] + [cell(f, m) for f in fs] for m in ("ce", "vc")],
                      note=f"Stratified subsets of the {n} training examples (label_fraction_indices: at least one per "
                           "class, nested in the fraction for a fixed seed); same epochs per method. Only the claim's "
                           "fraction is asserted; the others are reported to show the 1-10% range.")

    def _reliability_plot(self, rep, run_dir, kind, task, res):
        """Reliability diagram (seed 0) of CE, GM and VC on the clean test set."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(10, 3.3), sharey=True)
        for ax, m in zip(axes, ("ce", "gm", "vc")):
            b = res[m][0]["_bins"]
            e = np.asarray(b["edges"])
            mids, w = (e[:-1] + e[1:]) / 2, e[1] - e[0]
            acc, cnt = np.asarray(b["accuracy"]), np.asarray(b["count"])
            ax.bar(mids[cnt > 0], acc[cnt > 0], width=w * 0.95, color="tab:blue", label="accuracy")
            ax.plot([0, 1], [0, 1], "k--", lw=1, label="ideal")
            ax.set_title(f"{m.upper()} (ECE {100 * res[m][0]['clean_ece']:.1f}%)")
            ax.set_xlabel("confidence")
        axes[0].set_ylabel("accuracy")
        axes[0].legend(loc="upper left")
        fig.suptitle(f"{task.name}: reliability on the clean test set (seed {self.config.seed})", y=1.04)
        rep.add_plot(run_dir, fig, f"reliability_{kind}", f"Reliability diagrams, {task.name}, seed "
                     f"{self.config.seed}: bar = accuracy per confidence bin; dashed = perfect calibration.")

    def _summary_text(self, all_res, secs):
        cfg = self.config
        opt = (f"Adam (lr {cfg.lr:g}, no weight decay; the Gaussian head of GM and VC at {cfg.head_lr_scale:g} x lr)"
               if cfg.optimizer == "adam" else
               f"official SGD recipe (lr {cfg.sgd_lr:g}, Nesterov momentum 0.9, weight decay {cfg.sgd_weight_decay:g}, "
               f"lr x0.1 after 1/3 and 2/3 of the updates; the Gaussian head of GM and VC at "
               f"{cfg.sgd_head_lr_scale:g} x lr)")
        parts = [f"Setup: MLP encoder (2 x {cfg.hidden} ReLU units) to a {cfg.latent_dim}-d latent z; CE uses a linear "
                 f"softmax head, GM the Gaussian Bayes-rule head (VC with beta = 0), VC adds "
                 f"beta_likelihood={cfg.beta_likelihood:g} * E[-log p(z|y)] + beta_adversarial={cfg.beta_adversarial:g} "
                 f"* E[T(z,y)] with a {cfg.critic_layers}-layer per-class density-ratio critic. Same {opt}, batch "
                 f"{cfg.batch_size}, epochs and seeds for every method. ECE in %, {cfg.n_bins} "
                 f"equal-width confidence bins (the official evaluation uses 20). "
                 f"Image: first {cfg.n_train} training / {cfg.n_test} test images of {cfg.dataset}, {cfg.epochs} "
                 f"epochs." + (f" Text: Debian fortunes, 6 categories, TF-IDF ({cfg.text_max_features} terms), "
                               f"{cfg.text_epochs} epochs." if cfg.text else "") +
                 f" Low-data: {_pct(cfg.label_fraction)} of the training labels (stratified), same epochs. "
                 f"Wall time {secs:.0f} s.",
                 "Paper numbers: the paper reports these comparisons on MNIST, CIFAR-10/100, Tiny-ImageNet and text "
                 "with ResNet/transformer encoders; its tables were not available to us offline, so the 'paper' "
                 "column is left empty rather than filled with unverified numbers. The claims are the paper's "
                 "qualitative ones (abstract and experiments summary): accuracy on par, lower ECE, better "
                 "robustness to attacks and shift, better in low-data settings.",
                 "Why claims can fail here (validation-split study, 2026-11-26; docs/systems/variational_classification.md "
                 "has every number): (1) clean image ECE: on Fashion-MNIST validation images the Gaussian Bayes-rule "
                 "head (GM) is less calibrated than the linear head at every setting tried, and VC recovers only part "
                 "of that gap (Adam lr 1e-3: CE 6.8, GM 8.2, VC 7.8; lr 3e-4: CE 2.5, GM 5.3, VC 4.9; longer training "
                 "raises all three alike); the paper's Algorithm 1, a 2-layer critic and beta 0.1 give 7.0 at -1.2 "
                 "points of accuracy, beta 1 gives 4.9 at -8.6 points. (2) 10% labels: both models plateau by ~180 "
                 "steps and more steps favour CE, so the gap is not under-training. (3) text FGSM: the outcome "
                 "depends on the radius (see the radius table); at the claim's radius the quadratic Gaussian head is "
                 "more fragile in TF-IDF space (GM as much as VC), and PGD confirms it is not gradient masking of VC.",
                 "Caveat on a claim that can hold here (budget audit, 2026-11-27): with few labelled texts one epoch is "
                 "about one update, so at the quick budget CE is still near the majority class when the text "
                 "low-data accuracy is measured; on a validation split CE caught up with VC at 60 updates and led at "
                 "90 (the official epoch count). Read that claim as 'VC learns faster from few labels', not as a "
                 "higher final accuracy."]
        return "\n\n".join(parts)

    # --------------------------------------------------------------------------------------- bench
    def bench(self, run_dir=None, quick: bool = True) -> dict:
        """Training-step time of the VC objective vs plain CE on the same encoder and batch.

        ratio = VC throughput / CE throughput (= CE step time / VC step time; < 1 means VC is slower);
        'ours' is VC (encoder + Gaussian head + likelihood term + critic forward and its AdamW step),
        the 'peer' is softmax cross-entropy with a linear head."""
        from paperworks.core.trainer import seed_everything
        from paperworks.systems.variational_classification.experiment import build

        cfg = self.config
        torch.manual_seed(0)
        x = torch.rand(cfg.batch_size, 1, 28, 28)
        y = torch.randint(0, 10, (cfg.batch_size,))
        times = {}
        reps = 30 if quick else 200
        for method in ("ce", "vc"):
            seed_everything(0)
            model, obj = build(method, 784, 10, cfg, 0)
            opt = torch.optim.Adam(model.parameters(), cfg.lr)

            def step():
                if obj is None:
                    loss = torch.nn.functional.cross_entropy(model(x), y)
                else:
                    loss = obj.loss(model.latent(x), y)[0]
                opt.zero_grad()
                loss.backward()
                opt.step()

            for _ in range(5):
                step()
            best = float("inf")
            for _ in range(3):
                t = time.perf_counter()
                for _ in range(reps):
                    step()
                best = min(best, (time.perf_counter() - t) / reps)
            times[method] = best
        ratio = times["ce"] / times["vc"]
        return {"ratio": ratio, "vc_step_ms": 1e3 * times["vc"], "ce_step_ms": 1e3 * times["ce"],
                "summary": f"VC training step {1e3 * times['vc']:.2f} ms vs CE {1e3 * times['ce']:.2f} ms "
                           f"(batch {cfg.batch_size}, MLP encoder, CPU): VC/CE throughput ratio {ratio:.2f}"}
