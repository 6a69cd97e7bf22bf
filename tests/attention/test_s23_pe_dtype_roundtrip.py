"""The sinusoidal position table is a fixed function of (position, d_model), not a weight: a dtype round trip of
the model (``model.bfloat16().float()``, ``model.half().float()``) used to leave the non-persistent ``pe`` buffer
rounded to 8 / 11 mantissa bits (up to 2e-3 off after bfloat16), so the model's outputs differed from those of
the same weights loaded into a fresh model (3e-3 in the logits): saving and reloading changed the model."""

import pytest
import torch

from paperworks.attention import Transformer
from paperworks.attention.functional import sinusoidal_positional_encoding

KW = dict(vocab_size=50, d_model=32, n_heads=4, d_ff=64, n_encoder_layers=1, n_decoder_layers=1, dropout=0.0)


@pytest.mark.parametrize("low", [torch.bfloat16, torch.float16])
def test_dtype_round_trip_keeps_the_positions(low):
    torch.manual_seed(0)
    m = Transformer(**KW).eval()
    m.to(low).float()
    fresh = Transformer(**KW).eval()
    fresh.load_state_dict(m.state_dict())
    src, tgt = torch.randint(3, 50, (2, 7)), torch.randint(3, 50, (2, 5))
    with torch.no_grad():
        assert torch.equal(m(src, tgt), fresh(src, tgt))
        assert torch.equal(m.embed(tgt, offset=3), fresh.embed(tgt, offset=3))


@pytest.mark.parametrize("low", [torch.bfloat16, torch.float16])
def test_low_precision_model_positions_unchanged(low):
    """A half / bfloat16 model adds the exact table rounded once to its dtype (as before)."""
    torch.manual_seed(0)
    m = Transformer(**KW).eval().to(low)
    exact = sinusoidal_positional_encoding(9, KW["d_model"]).to(low)
    assert m._positions(9).dtype == low
    assert torch.equal(m._positions(9), exact)
    assert torch.equal(m._positions(4, offset=5), exact[5:])
