"""noam_lr / noam_lambda checked ``d_model < 1 or warmup < 1``, which NaN passes: warmup=NaN gave
min(step^-0.5, NaN) = step^-0.5 (no warm-up at all: 0.0198 at step 5 for d_model 512, instead of a refusal),
factor=NaN a NaN rate, factor=-1 a negative one, d_model=inf a rate of 0."""

import math

import pytest

from paperworks.attention import noam_lambda, noam_lr


@pytest.mark.parametrize("kw,msg", [
    ({"warmup": math.nan}, "d_model and warmup must be finite numbers >= 1"),
    ({"d_model": math.inf}, "d_model and warmup must be finite numbers >= 1"),
    ({"warmup": 0}, "d_model and warmup must be finite numbers >= 1"),
    ({"d_model": "512"}, "d_model and warmup must be finite numbers >= 1"),
    ({"factor": math.nan}, "factor must be a finite number > 0"),
    ({"factor": -1.0}, "factor must be a finite number > 0"),
])
def test_nonsense_schedule_settings_are_refused(kw, msg):
    args = {"d_model": 512, "warmup": 4000, "factor": 1.0, **kw}
    with pytest.raises(ValueError, match=f"noam_lr: {msg}"):
        noam_lr(5, **args)
    with pytest.raises(ValueError, match=f"noam_lambda: {msg}"):
        noam_lambda(**args)


def test_valid_schedule_unchanged():
    assert noam_lr(5, 512, 4000) == pytest.approx(512 ** -0.5 * 5 * 4000 ** -1.5, rel=1e-14)
    assert noam_lambda(512, 4000, 2.0)(4) == pytest.approx(2.0 * 512 ** -0.5 * 5 * 4000 ** -1.5, rel=1e-14)
