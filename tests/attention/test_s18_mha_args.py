"""MultiHeadAttention's constructor arguments: n_heads = 0 failed with "ZeroDivisionError: integer modulo by
zero", d_model = 0 with "float division by zero", n_heads = -2 was accepted and failed at the first forward with a
view error, and dropout = -0.5 was accepted and failed in training with torch's "Currently do not support dropout
> 0" (the opposite of the problem). torch.nn.MultiheadAttention refuses the first three with a ValueError. Now
each is one ValueError naming the argument; valid arguments build as before."""

import pytest
import torch

from paperworks.attention import EncoderLayer, MultiHeadAttention


@pytest.mark.parametrize("args,kw,key", [((8, 0), {}, "n_heads"), ((8, -2), {}, "n_heads"), ((0, 1), {}, "d_model"),
                                         ((8, 2), dict(dropout=-0.5), "dropout"),
                                         ((8, 2), dict(dropout=1.5), "dropout"),
                                         ((8, 2), dict(dropout=float("nan")), "dropout")])
def test_bad_arguments_are_one_value_error_naming_them(args, kw, key):
    with pytest.raises(ValueError, match=rf"MultiHeadAttention: .*{key}"):
        MultiHeadAttention(*args, **kw)


def test_attention_dropout_of_a_layer_is_checked_by_its_attention():
    with pytest.raises(ValueError, match=r"MultiHeadAttention: .*dropout"):
        EncoderLayer(8, 2, 16, attention_dropout=-1.0)


def test_valid_arguments_unchanged():
    torch.manual_seed(0)
    m = MultiHeadAttention(8, 2, dropout=0.0)
    torch.manual_seed(0)
    m2 = MultiHeadAttention(8, 2)
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), m2.state_dict().values()))
    with pytest.raises(ValueError, match=r"d_model \(8\) must be divisible by n_heads \(3\)"):
        MultiHeadAttention(8, 3)
    x = torch.randn(2, 3, 8)
    assert MultiHeadAttention(8, 1, dropout=1.0)(x, x, x).shape == (2, 3, 8)   # 1.0 is a valid dropout for torch
