"""collate_pairs of no pairs was max()'s bare ValueError, and of pairs whose targets are all empty an IndexError
at tin[i, 0], so translate() of source-only pairs ([(src, [])]) failed whenever a batch held only such pairs
(a mixed batch worked). label_smoothed_cross_entropy(epsilon='0.1' / None / [0.1]) was the comparison's bare
TypeError, a tensor of several values a RuntimeError. Now one ValueError each; batches with a non-empty target
and valid epsilons unchanged."""
import pytest
import torch

from paperworks.attention import Transformer
from paperworks.attention.functional import label_smoothed_cross_entropy
from paperworks.systems.transformer import collate_pairs, translate


def test_collate_no_pairs_is_one_value_error():
    with pytest.raises(ValueError, match="collate_pairs: no"):
        collate_pairs([])


def test_collate_all_empty_targets_gives_bos_column():
    src, tin, tout = collate_pairs([([4, 5, 2], []), ([7, 2], [])])
    assert src.tolist() == [[4, 5, 2], [7, 2, 0]]
    assert tin.tolist() == [[1], [1]] and tout.tolist() == [[0], [0]]


def test_collate_with_targets_unchanged():
    src, tin, tout = collate_pairs([([4, 5, 2], [6, 2]), ([7, 2], [])])
    assert src.tolist() == [[4, 5, 2], [7, 2, 0]]
    assert tin.tolist() == [[1, 6], [1, 0]] and tout.tolist() == [[6, 2], [0, 0]]


def test_translate_source_only_pairs():
    torch.manual_seed(0)
    m = Transformer(vocab_size=20, d_model=16, n_heads=2, d_ff=32, n_encoder_layers=1, n_decoder_layers=1).eval()
    alone = translate(m, [([4, 5, 2], [])], beam_size=1, max_len_b=4)
    with_target = translate(m, [([4, 5, 2], [6, 2])], beam_size=1, max_len_b=4)
    assert alone == with_target and len(alone) == 1


@pytest.mark.parametrize("eps", ["0.1", None, [0.1], torch.tensor([0.1, 0.2]), 1.0, -0.1, float("nan")])
def test_bad_epsilon_is_one_value_error(eps):
    with pytest.raises(ValueError, match="epsilon must be a number in"):
        label_smoothed_cross_entropy(torch.randn(3, 5), torch.tensor([1, 2, 3]), epsilon=eps)


def test_good_epsilons_unchanged():
    torch.manual_seed(1)
    lg, t = torch.randn(4, 7), torch.tensor([0, 3, 6, 2])
    for eps in (0.0, 0.1, torch.tensor(0.1)):
        got = label_smoothed_cross_entropy(lg, t, epsilon=eps)
        want = torch.nn.functional.cross_entropy(lg, t, label_smoothing=float(eps))
        torch.testing.assert_close(got, want)
