"""`distill(..., x_probs=)` checked only the row count: logits passed instead of probabilities were fitted as
'probabilities' without a word (cross-entropy against negative targets), NaN rows ended in 'loss is nan ... lower
the learning rate', and x_probs (or a black box) of another class count than the surrogate failed inside the loss
with a bare RuntimeError ('The size of tensor a (5) must match the size of tensor b (3)'). Now one DataError each.
The check is one no-grad forward pass of the surrogate in eval mode: the distilled surrogate is bit-identical."""

import pytest
import torch
from _advgan_toy import toy_images as _toy

from paperworks.core.errors import DataError
from paperworks.models.mnist import SmallCNN
from paperworks.systems.advgan import BlackBox, distill

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _net(seed, k=3):
    torch.manual_seed(seed)
    return SmallCNN(num_classes=k, image_size=16, width=4)


@pytest.mark.parametrize("x_probs, match", [
    (lambda: torch.randn(16, 3, generator=torch.Generator().manual_seed(0)) * 5, r"must hold probabilities.*logits"),
    (lambda: torch.full((16, 3), 0.5), r"must hold probabilities"),                    # rows sum to 1.5
    (lambda: torch.full((16, 3), float("nan")), r"NaN/inf in 16 row"),
    (lambda: torch.full((16, 5), 0.2), r"surrogate's 3 classes \(got shape \[16, 5\]"),
    (lambda: torch.zeros(16, 3, dtype=torch.long), r"floating tensor"),
])
def test_bad_x_probs_is_one_data_error(x_probs, match):
    x, _ = _toy(16)
    bb = BlackBox(_net(5).eval())
    with pytest.raises(DataError, match=match):
        distill(_net(2), bb, x, epochs=1, batch_size=8, x_probs=x_probs())
    assert bb.queries == 0


def test_black_box_of_another_class_count_is_one_data_error():
    x, _ = _toy(16)
    bb = BlackBox(_net(5, k=5).eval())
    with pytest.raises(DataError, match=r"black box answers 5 classes but the surrogate has 3"):
        distill(_net(2), bb, x, epochs=1, batch_size=8)


def test_valid_x_probs_gives_the_same_surrogate_as_querying():
    x, _ = _toy(16)
    bb = BlackBox(_net(5).eval())
    a = distill(_net(2), bb, x, epochs=2, batch_size=8, seed=3)
    b = distill(_net(2), bb, x, epochs=2, batch_size=8, seed=3, x_probs=bb.probs(x).half())
    c = distill(_net(2), bb, x, epochs=2, batch_size=8, seed=3, x_probs=bb.probs(x))
    assert all(torch.equal(u, v) for u, v in zip(a.state_dict().values(), c.state_dict().values()))
    assert all(torch.isfinite(v).all() for v in b.state_dict().values() if v.is_floating_point())
