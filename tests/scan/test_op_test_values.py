"""``config.compute_test_value`` through ``scan``: the step function's arguments get test
values from the sequences and initial states, so a mis-shaped step fails where it is
built, and the loop's outputs get theirs by running it."""

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph.config import config


@pytest.fixture
def raising():
    with config.change_flags(compute_test_value="raise"):
        yield


def test_scan_steps_get_test_values_from_their_sequences(raising):
    x = T.matrix("x", dtype="float64")
    x.tag.test_value = np.arange(6.0).reshape(3, 2)
    start = T.zeros((2,), dtype="float64")
    out, _ = symgraph.scan(lambda row, acc: acc + row, sequences=[x], outputs_info=[start])
    np.testing.assert_allclose(out.tag.test_value, np.cumsum(np.arange(6.0).reshape(3, 2), axis=0))
    w = T.matrix("w", dtype="float64")
    w.tag.test_value = np.ones((3, 3))
    with pytest.raises(ValueError, match="not aligned"):
        symgraph.scan(lambda row, acc: T.dot(w, row) + acc, sequences=[x], outputs_info=[start])
