"""Called under torch.no_grad() (an evaluation block), hvp / exact_hessian / data_grad / the per-sample loop /
InverseHVP failed with "element 0 of tensors does not require grad" and KFAC said "the loss does not depend on a
trainable weight of the chosen layers", while hvp_func, the vmap per-sample gradients and ggn_matrix returned the
answer. All now give the same results as with gradients enabled; under torch.inference_mode() (no graph can be
recorded) they raise one error naming it, and the caller's grad mode is left as it was."""

import pytest
import torch
from _curvature_toy import toy_loss as _loss
from _curvature_toy import toy_model_and_batch as _setup

import paperworks.curvature as C
from paperworks.core.errors import PaperworksError


def _calls():
    m, data = _setup()
    v = torch.linspace(-1, 1, 12, dtype=torch.float64)
    P = ["2.weight"]
    return {
        "hvp": lambda: C.hvp(m, _loss, data, v, P, batch_size=3),
        "exact_hessian": lambda: C.exact_hessian(m, _loss, data, P),
        "data_grad": lambda: C.data_grad(m, _loss, data, P),
        "per_sample_loop": lambda: C.per_sample_grads(m, _loss, data, P, method="loop"),
        "cg": lambda: C.InverseHVP(m, _loss, data, P, damping=0.1, solver="cg").solve(v),
        "exact": lambda: C.InverseHVP(m, _loss, data, P, damping=0.1, solver="exact").solve(v),
        "kfac": lambda: C.KFAC(m, _loss, data, eigen_correct=True).fit().dense(),
    }


@pytest.mark.parametrize("name", list(_calls()))
def test_no_grad_gives_the_same_answer(name):
    ref = _calls()[name]()
    with torch.no_grad():
        got = _calls()[name]()
        assert not torch.is_grad_enabled()      # the caller's mode is restored
    assert torch.equal(got, ref)


@pytest.mark.parametrize("name", ["hvp", "exact_hessian", "data_grad", "per_sample_loop", "kfac"])
def test_inference_mode_is_named(name):
    f = _calls()[name]
    with torch.inference_mode():
        with pytest.raises(PaperworksError, match="inference_mode"):
            f()
