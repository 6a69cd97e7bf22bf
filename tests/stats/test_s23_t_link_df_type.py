"""The t link's df must be a finite number > 0: df='3' failed inside np.isfinite with a TypeError that named no
argument, and df=True was read as nu = 1 (a Cauchy link) without a word."""

import numpy as np
import pytest

from paperworks.stats import MultinomialLinkModel
from paperworks.stats.links import make_link


@pytest.mark.parametrize("bad", ["3", True, False, None, [3], 0, -1, np.inf, np.nan])
def test_bad_df_is_one_named_value_error(bad):
    with pytest.raises(ValueError, match="link 't' needs"):
        make_link("t", bad, "w")


def test_bad_df_in_the_model():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="link 't' needs df > 0"):
        MultinomialLinkModel(rng.integers(0, 3, 50), rng.normal(size=50), link="t", df=True)


@pytest.mark.parametrize("good", [3, 2.5, np.float32(4.0), np.int64(7), np.array(5.0), 1e6])
def test_numbers_still_accepted(good):
    lk = make_link("t", good, "w")
    assert lk.df == float(good)


def test_a_0d_torch_tensor_still_accepted():
    # the check first refused it (not a numbers.Real); the old code read it as its value
    import torch

    assert make_link("t", torch.tensor(3.0), "w").df == 3.0
    with pytest.raises(ValueError, match="df > 0"):
        make_link("t", torch.tensor(True), "w")
