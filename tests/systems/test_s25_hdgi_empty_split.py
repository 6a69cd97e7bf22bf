"""HDGI.prepare took a split mask that selects no node: an empty val split made the logistic-regression probe keep
C = 1 without a word (docs/systems/hdgi.md: C is chosen on the validation split), and an empty train / test split
failed only after the whole training, in logreg_probe. Now one DataError naming the mask at prepare (as GTN's);
non-empty splits prepare as before."""
import pytest
import torch

from paperworks.core import get_system
from paperworks.core.errors import DataError


def _system_and_graph():
    cls = get_system("hdgi")
    sysm = cls(cls.make_config({}, preset="smoke"))
    return sysm, sysm._graph(0)


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_empty_split_is_one_data_error(split):
    sysm, d = _system_and_graph()
    store = d[d.target]
    setattr(store, f"{split}_mask", torch.zeros_like(getattr(store, f"{split}_mask")))
    with pytest.raises(DataError, match=f"HDGI: '{split}_mask' of '{d.target}' selects no node"):
        sysm.prepare(d)


def test_non_empty_splits_prepare_as_before():
    sysm, d = _system_and_graph()
    prep = sysm.prepare(d)
    store = d[d.target]
    for split in ("train", "val", "test"):
        assert torch.equal(prep[split], torch.nonzero(getattr(store, f"{split}_mask")).flatten())
        assert prep[split].numel() > 0
