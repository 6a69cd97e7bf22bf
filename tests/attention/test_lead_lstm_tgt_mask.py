"""LSTMSeq2Seq.forward took `tgt_padding_mask` and ignored it: a left-padded target (pads read by the recurrent
decoder before the real tokens) or a mask of the wrong shape passed silently. Right padding needs no mask
(the decoder is causal: real positions equal those of the unpadded target)."""

import pytest
import torch

from paperworks.attention.rnn import LSTMSeq2Seq


def _model():
    torch.manual_seed(0)
    return LSTMSeq2Seq(vocab_size=20, d_model=16, n_layers=1, pad_id=0).eval()


def test_right_padded_target_mask_is_accepted_and_real_positions_match_the_unpadded_target():
    m = _model()
    src = torch.tensor([[3, 4, 5, 6]])
    tgt = torch.tensor([[1, 7, 8]])
    padded = torch.tensor([[1, 7, 8, 0, 0]])
    mask = padded == 0
    with torch.no_grad():
        full = m(src, padded, tgt_padding_mask=mask)
        ref = m(src, tgt)
    assert torch.allclose(full[:, :3], ref, atol=1e-6, rtol=0)


def test_left_padded_target_mask_is_refused():
    m = _model()
    src = torch.tensor([[3, 4, 5, 6]])
    tgt = torch.tensor([[0, 1, 7, 8]])
    with pytest.raises(ValueError, match="tgt_padding_mask must mark right padding"):
        m(src, tgt, tgt_padding_mask=tgt == 0)


@pytest.mark.parametrize("bad", [torch.zeros(1, 3, dtype=torch.bool), torch.zeros(1, 4), "x"])
def test_misshaped_or_non_bool_target_mask_is_refused(bad):
    m = _model()
    with pytest.raises(ValueError, match="tgt_padding_mask must be bool"):
        m(torch.tensor([[3, 4, 5, 6]]), torch.tensor([[1, 7, 8, 9]]), tgt_padding_mask=bad)
