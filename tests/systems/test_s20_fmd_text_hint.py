"""The fortunes_gender no-pairs error told users to raise n_train even when n_train=0 (all texts already)."""

import pytest

from paperworks.core.errors import DataError
from paperworks.systems.fmd import FMDConfig, _text_task as text_task


@pytest.mark.data
@pytest.mark.parametrize("n_train, hint", [(0, "raise text_features"), (40, "or n_train")])
def test_no_pairs_hint_names_only_what_can_be_raised(n_train, hint):
    cfg = FMDConfig(text_features=2, n_train=n_train)
    with pytest.raises(DataError, match=hint) as e:
        text_task(cfg, seed=0)
    if n_train == 0:
        assert "n_train" not in str(e.value).split("raise", 1)[1]
