"""variational_classification: the text block's FGSM metric with n_attack below the fortunes test size.

The fortunes test split is ordered by class; the attacked subset was its first n_attack rows, so n_attack=64
(the smoke preset) attacked class 0 only. Now the rows are spread over the split; images and the default
n_attack (every text row) are attacked as before."""

import torch

import paperworks.systems.variational_classification.experiment as E
from paperworks.systems.variational_classification import VariationalClassification


def _spy_attacked(monkeypatch, task, cfg, image):
    seen = []
    orig = E.evaluate_under_attack

    def spy(model, x, y, *a, **k):
        seen.append((x.clone(), y.clone()))
        return orig(model, x, y, *a, **k)

    monkeypatch.setattr(E, "evaluate_under_attack", spy)
    model, _, _ = E.train("ce", task, cfg, 0, 1)
    E.evaluate(model, task, cfg, image=image)
    return seen


def _sorted_task(n_test=60, classes=6, dim=8):
    g = torch.Generator().manual_seed(0)
    y_test = torch.arange(classes).repeat_interleave(n_test // classes)          # ordered by class, as fortunes
    y_train = torch.arange(classes).repeat(10)
    return E.Task("toy", torch.rand(len(y_train), 1, 1, dim, generator=g), y_train,
                  torch.rand(n_test, 1, 1, dim, generator=g), y_test, classes)


def _cfg(**kw):
    return VariationalClassification.make_config({"hidden": 8, "latent_dim": 4, "fgsm_sweep": "0.5", **kw},
                                                 preset="smoke")


def test_text_subset_covers_every_class(monkeypatch):
    task = _sorted_task()
    seen = _spy_attacked(monkeypatch, task, _cfg(n_attack=12), image=False)
    assert len(seen) == 2                                         # the claim's radius and the sweep's
    for x, y in seen:
        assert len(y) == 12
        assert torch.bincount(y, minlength=6).tolist() == [2] * 6   # was [10, 2, 0, 0, 0, 0]
        rows = [int((task.x_test == xi).all(dim=(1, 2, 3)).nonzero()) for xi in x]
        assert len(set(rows)) == 12 and rows == sorted(rows) and rows[0] == 0 and rows[-1] == 59


def test_every_row_and_images_unchanged(monkeypatch):
    task = _sorted_task()
    for n_attack, image, expect in ((1000, False, 60), (60, False, 60), (12, True, 12)):
        seen = _spy_attacked(monkeypatch, task, _cfg(n_attack=n_attack), image=image)
        x, y = seen[0]
        assert torch.equal(x, task.x_test[:expect]) and torch.equal(y, task.y_test[:expect])
        monkeypatch.undo()


def test_attack_rows_distinct_and_in_range():
    assert E.attack_rows(506, 1).tolist() == [0]
    for n in (2, 7, 100, 506):
        for k in range(1, n + 1):
            r = E.attack_rows(n, k)
            assert len(set(r.tolist())) == k and int(r.min()) == 0 and int(r.max()) == (n - 1 if k > 1 else 0)
