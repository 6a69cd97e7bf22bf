"""Python-API QA of FMD and its data helpers (2026-11-26): silent NaNs, side effects, edge cases."""

import numpy as np
import pytest
import torch
from torch import nn

from paperworks.core.errors import DataError
from paperworks.data.fairness import flip_sensitive
from paperworks.systems.fmd import counterfactual_bias, fit_head, fmd_unlearn


def test_api_qa_fmd_bias_of_nan_logits_is_an_error():
    lg = torch.tensor([[float("nan"), 0.0], [1.0, 2.0]])
    with pytest.raises(DataError, match="NaN or inf"):        # old code: tensor(nan), silently
        counterfactual_bias(lg, torch.zeros(2, 2), torch.tensor([0, 1]))
    with pytest.raises(DataError, match="NaN or inf"):
        counterfactual_bias(torch.zeros(2, 2), lg.flip(0), torch.tensor([0, 1]))


def test_api_qa_fmd_bias_of_empty_set_is_an_error():
    with pytest.raises(DataError, match="no pairs"):          # old code: tensor(nan), silently
        counterfactual_bias(torch.zeros(0, 3), torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))


def test_api_qa_fmd_bias_zero_for_model_ignoring_the_attribute_and_closed_form():
    torch.manual_seed(0)
    head = nn.Linear(4, 3).double()
    x = torch.randn(9, 4, dtype=torch.float64)
    x_cf = x.clone()
    x_cf[:, 0] = -x_cf[:, 0]
    with torch.no_grad():
        head.weight[:, 0] = 0.0                                # the model ignores feature 0 (the attribute)
    y = torch.randint(0, 3, (9,))
    b = counterfactual_bias(head(x), head(x_cf), y)
    assert b.item() == 0.0 and b.dtype == torch.float64
    # one pair, two classes: |sigmoid(a) - sigmoid(c)|
    b1 = counterfactual_bias(torch.tensor([[0.0, 2.0]], dtype=torch.float64),
                             torch.tensor([[0.0, -1.0]], dtype=torch.float64), torch.tensor([1]))
    assert abs(b1.item() - abs(1 / (1 + np.exp(-2.0)) - 1 / (1 + np.exp(1.0)))) < 1e-15


def test_api_qa_flip_sensitive_rejects_non_binary_column():
    with pytest.raises(DataError, match="not a 0/1 attribute"):  # old code: 1 - 2.0 = -1.0, silently
        flip_sensitive(np.array([[0.5, 2.0], [0.1, 1.0]]), 1)
    with pytest.raises(DataError, match="not a 0/1 attribute"):  # a standardized column
        flip_sensitive(torch.tensor([[0.0, -0.7], [1.0, 1.3]]), 1)
    with pytest.raises(DataError, match="not a 0/1 attribute"):
        flip_sensitive(torch.tensor([[0.0, float("nan")]]), 1)


def test_api_qa_flip_sensitive_dtypes_and_no_mutation():
    x = torch.tensor([[0.3, 1.0], [0.2, 0.0]])
    keep = x.clone()
    out = flip_sensitive(x, 1)
    assert torch.equal(x, keep)                                # input untouched
    assert torch.equal(out, torch.tensor([[0.3, 0.0], [0.2, 1.0]]))
    xb = torch.tensor([[True, False], [False, True]])
    assert torch.equal(flip_sensitive(xb, 0), torch.tensor([[False, False], [True, True]]))  # old: RuntimeError
    xi = np.array([[5, 1], [6, 0]], dtype=np.int32)
    oi = flip_sensitive(xi, -1)
    assert oi.dtype == np.int32 and oi.tolist() == [[5, 0], [6, 1]] and xi.tolist() == [[5, 1], [6, 0]]
    with pytest.raises(DataError, match="column index"):
        flip_sensitive(x, 2)
    with pytest.raises(DataError, match=r"\[N, F\]"):
        flip_sensitive(torch.tensor([0.0, 1.0]), 0)


def test_api_qa_fit_head_leaves_no_gradient_and_checks_inputs():
    torch.manual_seed(0)
    head = nn.Linear(3, 2, bias=False)
    f = torch.randn(30, 3)
    y = torch.randint(0, 2, (30,))
    fit_head(head, f, y, 1e-3)
    assert head.weight.grad is None                            # old code: the last L-BFGS gradient stayed there
    # at the optimum the gradient of the convex objective vanishes (independent check of the fit)
    w = head.weight.detach().clone().requires_grad_(True)
    loss = nn.functional.cross_entropy(f @ w.T, y) + 0.5e-3 * (w ** 2).sum()
    (g,) = torch.autograd.grad(loss, w)
    assert g.abs().max() < 1e-5
    f2 = f.clone()
    f2[0, 0] = float("nan")
    with pytest.raises(DataError, match="NaN or inf"):         # old code: an L-BFGS overflow RuntimeError
        fit_head(nn.Linear(3, 2, bias=False), f2, y, 1e-3)
    with pytest.raises(DataError, match="int64"):              # old code: cross_entropy's RuntimeError
        fit_head(nn.Linear(3, 2, bias=False), f, y.int(), 1e-3)


def test_api_qa_fmd_unlearn_zero_step_leaves_head_bit_identical():
    torch.manual_seed(0)
    head = nn.Linear(3, 2, bias=False)
    f = torch.randn(20, 3)
    y = torch.randint(0, 2, (20,))
    fit_head(head, f, y, 1e-3)
    w0 = head.weight.detach().clone()
    info = fmd_unlearn(head, f[:4], f[:4].clone(), y[:4], f, y, 1e-3)   # pairs identical: the step is 0
    assert torch.equal(head.weight.detach(), w0) and info["step_norm"] == 0.0
    assert head.weight.grad is None


def test_api_qa_colorize_rejects_unscaled_gray_and_fractional_colors():
    from paperworks.data.colored_mnist import PALETTE, colorize

    g8 = np.full((2, 2, 2), 255, np.uint8)
    ref = colorize(g8, np.array([2, 3]))
    assert torch.equal(ref[:, :, 0, 0], torch.as_tensor(PALETTE[[2, 3]]))
    assert torch.equal(colorize(g8.astype(np.float32) / 255, [2, 3]), ref)        # float in [0, 1]: same image
    assert torch.equal(colorize(g8, np.array([2.0, 3.0])), ref)                    # integral floats accepted
    with pytest.raises(DataError, match=r"\[0, 1\]"):         # old code: a 255x too bright image, silently
        colorize(g8.astype(np.float32), [2, 3])
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        colorize(np.full((1, 2, 2), np.nan, np.float32), [0])
    with pytest.raises(DataError, match="integers"):          # old code: 2.7 truncated to colour 2, silently
        colorize(g8, np.array([2.7, 3.0]))


def test_api_qa_attribute_counts_non_string_is_data_error():
    from paperworks.data.text_counterfactual import attribute_counts, attribute_of, swap_attribute

    with pytest.raises(DataError, match="string"):            # old code: TypeError from the regex
        attribute_counts(None)
    with pytest.raises(DataError, match="string"):
        attribute_of(b"he said")
    t = "He gave HIS sister a book; the manager smiled."
    assert swap_attribute(swap_attribute(t)) == t
    assert attribute_counts(t) == (2, 1) and attribute_counts(swap_attribute(t)) == (1, 2)


def test_api_qa_fmd_float64_end_to_end_and_dtype_mismatch():
    torch.manual_seed(0)
    head = nn.Linear(3, 2, bias=False).double()
    f = torch.randn(30, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (30,))
    fit_head(head, f, y, 1e-3)
    assert head.weight.dtype == torch.float64
    with pytest.raises(DataError, match="float64 but the head is torch.float32"):  # old: matmul RuntimeError
        fmd_unlearn(nn.Linear(3, 2, bias=False), f[:4], f[:4] + 0.1, y[:4], f, y, 1e-3)
