"""average_checkpoints summed each tensor in place, so a parameter of shape [1] in a later checkpoint was broadcast
into the [3] of the first one and averaged silently ([3, 3, 3] and [1] gave [2, 2, 2]); in the other order torch's
broadcast error came out. Differing shapes are now one CheckpointError naming the parameter and both files."""

import pytest
import torch
from torch import nn

from paperworks.core.errors import CheckpointError
from paperworks.core.trainer import average_checkpoints, save_checkpoint


class _W(nn.Module):
    def __init__(self, values):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(values, dtype=torch.float32))


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_s18_checkpoints_with_other_shapes_are_refused(tmp_path, order):
    models = [_W([3.0, 3.0, 3.0]), _W([1.0])]
    paths = [save_checkpoint(tmp_path / f"c{i}", i, models[i]) for i in order]
    with pytest.raises(CheckpointError, match=r"'w' has shape \[\d\] in .* but \[\d\] in"):
        average_checkpoints(paths)


def test_s18_same_shapes_still_average(tmp_path):
    paths = [save_checkpoint(tmp_path / f"c{i}", i, _W(v)) for i, v in enumerate(([3.0, 1.0], [1.0, 2.0]))]
    assert torch.equal(average_checkpoints(paths)["w"], torch.tensor([2.0, 1.5]))
