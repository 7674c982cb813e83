"""Tensor variables and constants: a constant's data is read-only."""

import numpy as np
import pytest

import symgraph.tensor as T


def test_constant_data_is_read_only():
    c = T.constant(np.arange(3.0))
    with pytest.raises(ValueError):
        c.data[0] = 1.0
