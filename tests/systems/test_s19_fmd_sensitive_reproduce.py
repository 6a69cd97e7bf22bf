"""fmd reproduce: 'sensitive' is validated against `dataset` only, but reproduce hands it to Adult and COMPAS too.
sensitive=color (the default dataset's attribute) or dataset=fortunes_gender sensitive=gender passed, ran the
whole Colored-MNIST experiment and then failed with "no sensitive attribute of 'adult' named 'color'". Now
reproduce refuses it before any experiment, naming the key."""

import pytest

from paperworks.core.errors import ConfigError
from paperworks.core.registry import get_system
from paperworks.core.rundir import RunDir


@pytest.mark.parametrize("kw", [{"sensitive": "color"}, {"dataset": "fortunes_gender", "sensitive": "gender"}])
def test_reproduce_refuses_a_sensitive_attribute_adult_lacks_before_any_work(kw, tmp_path, monkeypatch):
    S = get_system("fmd")
    cfg = S.make_config(kw, preset="smoke")
    system = S(cfg)

    def no_experiment(*a, **k):
        raise AssertionError("an experiment ran before the config was refused")

    monkeypatch.setattr(system, "experiment", no_experiment)
    with pytest.raises(ConfigError, match="sensitive"):
        system.reproduce(RunDir(tmp_path), quick=True)


def test_tabular_attribute_still_reaches_reproduce(tmp_path, monkeypatch):
    S = get_system("fmd")
    system = S(S.make_config({"dataset": "adult", "sensitive": "race"}, preset="smoke"))
    seen = []

    def stop(d, s, baselines=True):
        seen.append(d)
        raise RuntimeError("stop")

    monkeypatch.setattr(system, "experiment", stop)
    with pytest.raises(RuntimeError, match="stop"):
        system.reproduce(RunDir(tmp_path), quick=True)
    assert seen == ["colored_mnist"]      # passed the check (race is an attribute of adult and compas)
