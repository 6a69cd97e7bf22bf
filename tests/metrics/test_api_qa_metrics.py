"""Python-API QA of the metrics: low-precision inputs agree with the same values in float32 / torchmetrics."""

import pytest
import torch
from torchmetrics.functional.classification import multiclass_calibration_error

from paperworks import metrics


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_probabilities(dtype):
    g = torch.Generator().manual_seed(0)
    n = 3000
    y = torch.randint(0, 3, (n,), generator=g)
    p = torch.softmax(torch.randn(n, 3, generator=g), 1).to(dtype)   # rows sum to 1 within half ulps
    assert float(p.max()) < 1.0      # torchmetrics bins a confidence of exactly 1 apart (documented)
    # float16 / bfloat16 softmax outputs were refused as "not probabilities" (row sums 0.9995), and bfloat16
    # bin counts stopped at 256-step integers (5000 equal confidences counted as 4992)
    ref = p.double()
    for norm in ("l1", "l2", "max"):
        got = metrics.expected_calibration_error(p, y, 15, norm)
        assert got == pytest.approx(float(multiclass_calibration_error(p.float(), y, 3, 15, norm)), abs=1e-6)
    onehot = torch.nn.functional.one_hot(y, 3).double()
    assert metrics.brier_score(p, y) == pytest.approx(float((ref - onehot).pow(2).sum(1).mean()), abs=1e-6)
    assert metrics.negative_log_likelihood(p, y) == pytest.approx(float(-ref.gather(1, y[:, None]).log().mean()),
                                                                  abs=1e-6)
    flat = torch.tensor([[0.75, 0.25]], dtype=dtype).expand(5000, 2)
    assert metrics.reliability_bins(flat, torch.zeros(5000, dtype=torch.long), 10)["count"][7] == 5000
    with pytest.raises(Exception, match="sum to 1"):
        metrics.brier_score(torch.tensor([[0.6, 0.6]], dtype=dtype), torch.tensor([0]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (run scripts/gpu-check.sh there)")
def test_calibration_on_cuda_matches_cpu():
    # the bin edges and accumulators were made on the CPU: every CUDA input was a device-mismatch RuntimeError
    # (seen on an H100: "boundaries is on cpu, different from other tensors on cuda:0")
    g = torch.Generator().manual_seed(0)
    p = torch.softmax(torch.randn(500, 4, generator=g), 1)
    y = torch.randint(0, 4, (500,), generator=g)
    for norm in ("l1", "l2", "max"):
        assert metrics.expected_calibration_error(p.cuda(), y.cuda(), 15, norm) == pytest.approx(
            metrics.expected_calibration_error(p, y, 15, norm), abs=1e-6)
    assert metrics.reliability_bins(p.cuda(), y.cuda())["count"].is_cuda
    m = metrics.classification_metrics(torch.log(p).cuda(), y.cuda())
    assert m["ece"] == pytest.approx(metrics.classification_metrics(torch.log(p), y)["ece"], abs=1e-6)
