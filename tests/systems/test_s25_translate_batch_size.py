"""systems.transformer.translate with a negative batch_size skipped its batching loop and returned an empty
hypothesis for every sentence (a BLEU of 0, without a word); batch_size=0 failed as range()'s "arg 3 must not
be zero" and 2.5 as a TypeError. Now one ValueError naming batch_size; valid sizes decode as before (the
result does not depend on the batch size)."""

import pytest
import torch

from paperworks.attention import Transformer
from paperworks.systems.transformer import translate

PAIRS = [([4, 5, 6, 2], [4, 2]), ([7, 8, 2], [7, 2]), ([9, 2], [9, 2])]


def _model():
    torch.manual_seed(0)
    return Transformer(vocab_size=12, d_model=16, n_heads=2, d_ff=32, n_encoder_layers=1, n_decoder_layers=1,
                       dropout=0.0).double()


@pytest.mark.parametrize("bad", [-1, 0, 2.5, True])
def test_a_batch_size_that_is_not_a_positive_integer_is_one_error(bad):
    with pytest.raises(ValueError, match=r"translate: batch_size must be an integer >= 1"):
        translate(_model(), PAIRS, beam_size=1, max_len_b=3, batch_size=bad)


@pytest.mark.parametrize("beam", [1, 2])
def test_valid_batch_sizes_give_the_same_hypotheses(beam):
    m = _model()
    want = translate(m, PAIRS, beam_size=beam, max_len_b=3)
    assert beam > 1 or all(len(h) >= 1 for h in want)     # (greedy: no hypothesis is empty here)
    for bs in (1, 2, 3):
        assert translate(m, PAIRS, beam_size=beam, max_len_b=3, batch_size=bs) == want
