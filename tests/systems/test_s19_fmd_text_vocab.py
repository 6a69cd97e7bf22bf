"""fmd, dataset=fortunes_gender: a vocabulary with no gendered word (tiny text_features / n_train) leaves no
counterfactual pair. It used to pass validation, train the ERM model and then fail with
'model_bias: no pairs (m = 0)', which names neither the cause nor the key to change; now the task builder
refuses it with one DataError naming text_features and n_train."""

import pytest

from paperworks.core.errors import DataError
from paperworks.systems.fmd import FMDConfig, make_task


@pytest.mark.parametrize("kw", [{"text_features": 1}, {"text_features": 3}, {"n_train": 3}])
def test_vocabulary_without_gender_words_is_named(kw):
    cfg = FMDConfig(dataset="fortunes_gender", hidden_text=(4,), epochs_text=1, **kw)
    with pytest.raises(DataError, match="text_features.*n_train"):
        make_task(cfg, "fortunes_gender", 0)


def test_small_vocabulary_with_gender_words_still_builds():
    cfg = FMDConfig(dataset="fortunes_gender", text_features=50, hidden_text=(4,), epochs_text=1)
    task = make_task(cfg, "fortunes_gender", 0)
    assert task.cf_test.x.shape[0] > 0 and task.pool_x.shape[0] > 0
