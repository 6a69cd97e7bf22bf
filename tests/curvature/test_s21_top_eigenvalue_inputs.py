"""top_eigenvalue with iters = 0 or -2 ran no power-iteration step and returned 0.0 (lissa reads that as "the
Hessian is zero"); iters = 2.5 and an integer dtype failed inside range() / torch.randn."""

import pytest
import torch

from paperworks.core.errors import PaperworksError
from paperworks.curvature import top_eigenvalue


@pytest.mark.parametrize("kw,msg", [({"iters": 0}, "'iters' must be an integer >= 1"),
                                    ({"iters": -2}, "'iters' must be an integer >= 1"),
                                    ({"iters": 2.5}, "'iters' must be an integer >= 1"),
                                    ({"dtype": torch.int64}, "dtype must be a floating torch dtype")])
def test_bad_settings_are_refused(kw, msg):
    with pytest.raises(PaperworksError, match=msg):
        top_eigenvalue(lambda v: 3 * v, 4, **kw)


def test_value_unchanged():
    H = torch.diag(torch.tensor([1.0, -5.0, 2.0], dtype=torch.float64))
    assert top_eigenvalue(lambda v: H @ v, 3) == pytest.approx(5.0, rel=1e-12)
    assert top_eigenvalue(lambda v: H @ v, 3, iters=1) > 0
