"""ECE / reliability bins on many float32 confidences (session 18): the per-bin sums ran in float32, whose
spacing above 2^20 is 0.125, so every further 0.95 added 1.0 (and counts stopped at 2^24). Oracle: closed form.
torchmetrics 1.9 accumulates in float32 as well and gives the same wrong number, so it cannot be the oracle here."""

import torch

from paperworks.metrics import expected_calibration_error, reliability_bins


def test_a_perfectly_calibrated_large_float32_set_has_zero_ece():
    n = 2_000_000
    p = torch.empty(n, 2)
    p[:, 0], p[:, 1] = 0.95, 0.05
    y = torch.zeros(n, dtype=torch.long)
    y[: n // 20] = 1                                   # exactly 95 % right at confidence 0.95
    exact = abs(0.95 - float(torch.tensor(0.95)))      # float32(0.95) = 0.949999988...
    # the old code gave 0.0172 (mean confidence of the bin 0.967)
    assert abs(expected_calibration_error(p, y) - exact) < 1e-12
    b = reliability_bins(p, y)
    assert b["confidence"].dtype == torch.float32 and b["accuracy"].dtype == torch.float32
    assert float(b["confidence"][-1]) == float(torch.tensor(0.95))
    assert float(b["accuracy"][-1]) == float(torch.tensor(0.95))
    assert float(b["count"][-1]) == n
