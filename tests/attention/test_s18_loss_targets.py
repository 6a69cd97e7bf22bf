"""label_smoothed_cross_entropy with a target id outside the logits' vocabulary (a vocabulary mismatch between
the data and the model) failed inside gather with "index 7 is out of bounds for dimension 2 with size 7", naming
neither the target nor the vocabulary (negative ids: "index -1 is out of bounds"). It is now one ValueError
naming both; ignored positions may hold any id (e.g. -100), as in torch's cross_entropy."""

import pytest
import torch
import torch.nn.functional as F

from paperworks.attention import label_smoothed_cross_entropy


def _data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(3, 4, 7, generator=g, dtype=torch.float64), torch.randint(0, 7, (3, 4), generator=g)


@pytest.mark.parametrize("bad", [7, 100, -1])
@pytest.mark.parametrize("ignore_index", [None, 0])
def test_target_outside_the_vocabulary_is_one_clear_error(bad, ignore_index):
    logits, target = _data()
    target[1, 2] = bad
    with pytest.raises(ValueError, match=r"label_smoothed_cross_entropy: target holds class ids outside "
                                         r"\[0, 7\) \(the logits' last dimension\)"):
        label_smoothed_cross_entropy(logits, target, 0.1, ignore_index=ignore_index)


def test_ignored_positions_may_hold_any_id_and_values_equal_torch():
    logits, target = _data()
    target[0, :2] = -100
    got = label_smoothed_cross_entropy(logits, target, 0.1, ignore_index=-100)
    want = F.cross_entropy(logits.reshape(-1, 7), target.reshape(-1), ignore_index=-100, label_smoothing=0.1)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-14)
    empty = label_smoothed_cross_entropy(logits[:0], target[:0], 0.1)
    assert float(empty) == 0.0


def test_per_sample_losses_under_vmap_still_work():
    from torch.func import grad, vmap

    logits, target = _data()
    per = vmap(lambda lg, t: label_smoothed_cross_entropy(lg, t, 0.1, ignore_index=0))(logits, target)
    want = torch.stack([label_smoothed_cross_entropy(logits[i], target[i], 0.1, ignore_index=0) for i in range(3)])
    torch.testing.assert_close(per, want, rtol=0, atol=1e-14)
    g = vmap(grad(lambda lg, t: label_smoothed_cross_entropy(lg, t, 0.1, ignore_index=0)))(logits, target)
    assert g.shape == logits.shape and torch.isfinite(g).all()
