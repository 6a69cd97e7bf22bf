"""The `paper` preset's black-box query counts are stated in docs/systems/advgan.md (they were not: only the quick
config's 4,000 / 12,000 / 16,000 were). Each number is checked against the preset and the closed form, and the
closed form against the code at the preset's 5 rounds (the existing test covers 1-3 rounds)."""

import re
from pathlib import Path

import pytest
import torch
from _advgan_toy import toy_images as _toy

from paperworks.models.mnist import SmallCNN
from paperworks.systems.advgan import AdvGAN, BlackBox, distill, dynamic_distillation

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

DOC = Path(__file__).resolve().parents[2] / "docs" / "systems" / "advgan.md"


def _net(seed):
    torch.manual_seed(seed)
    return SmallCNN(num_classes=3, image_size=16, width=4)


def _paragraph():
    text = DOC.read_text()
    m = re.search(r"Black-box queries of the `paper` preset(.*?)\n\n", text, re.S)
    assert m, "docs/systems/advgan.md states no black-box query counts for the `paper` preset"
    return " ".join(m.group(1).split())


def test_doc_states_the_paper_preset_query_counts():
    cfg = AdvGAN.make_config(preset="paper")
    n, r, rc = cfg.n_train, cfg.dynamic_rounds, cfg.challenge_rounds
    assert (n, r, rc) == (60000, 5, 5)
    par = _paragraph()
    fmt = lambda v: f"{v:,}"    # noqa: E731
    assert f"n = {fmt(n)} attacker images, {r} rounds" in par
    assert f"static distillation {fmt(n)}, dynamic distillation {fmt(n * (1 + r))}" in par
    assert f"({fmt(n + n * (1 + r))} by the attacks in all) plus {fmt(2 * n * r)} diagnostic" in par
    assert f"emulated challenge {fmt(n * (1 + rc))} plus {fmt(2 * n * rc)} diagnostic" in par


def test_closed_form_holds_at_the_paper_presets_rounds():
    rounds = AdvGAN.make_config(preset="paper").dynamic_rounds
    n = 8
    x, y = _toy(n)
    bb = BlackBox(_net(5).eval())
    torch.manual_seed(1)
    distill(_net(2), bb, x, epochs=1, batch_size=8)
    assert bb.queries == n                                            # static distillation: b(x) once
    torch.manual_seed(1)
    dynamic_distillation(bb, _net(2), x, y, rounds=rounds, distill_epochs=1, epochs_per_round=1, eps=0.3,
                         alpha=0.1, beta=0.1, c=2.0, kappa=0.0, batch_size=8, lr=1e-3, gan_loss="ls", seed=0)
    assert bb.queries - n == n * (1 + rounds)
    assert bb.diagnostic_queries == 2 * n * rounds
