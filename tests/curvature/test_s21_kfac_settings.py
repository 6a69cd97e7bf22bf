"""KFAC took eigen_correct='no' as True (EK-FAC's second pass ran: the dense curvature moved by 0.041 on a small
MLP) and reported layers=[] as 'the model has no Linear or Conv2d layer to approximate'."""

import numpy as np
import pytest
import torch
from _curvature_toy import kfac_toy_setup as _setup

import paperworks.curvature as C
from paperworks.core.errors import PaperworksError


@pytest.mark.parametrize("flag", ["no", "yes", 1, None])
def test_eigen_correct_must_be_a_bool(flag):
    m, lf, data = _setup()
    with pytest.raises(PaperworksError, match="eigen_correct must be True or False"):
        C.KFAC(m, lf, data, eigen_correct=flag)


def test_numpy_bool_and_plain_bools_still_work():
    m, lf, data = _setup()
    a = C.KFAC(m, lf, data, eigen_correct=np.bool_(True)).fit().dense()
    b = C.KFAC(m, lf, data, eigen_correct=True).fit().dense()
    assert torch.equal(a, b)


def test_empty_layer_list_is_named():
    m, lf, data = _setup()
    with pytest.raises(PaperworksError, match="'layers' is empty"):
        C.KFAC(m, lf, data, layers=[])
