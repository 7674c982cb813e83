"""``TensorType``: static shapes, broadcastable flags, equality and ``is_super``."""

import numpy as np
import pytest

from symgraph.graph import TensorType


def test_tensor_type_broadcastable_and_equality():
    t = TensorType("float32", (1, None, 3))
    assert t.broadcastable == (True, False, False)
    assert t == TensorType("float32", (1, None, 3))
    assert t != TensorType("float64", (1, None, 3))
    assert TensorType("float64", broadcastable=(True, False)).shape == (1, None)
    assert TensorType("float64", (True, False)).shape == (1, None)  # Theano's positional form
    assert str(t) == "f32[1,?,3]"
    assert TensorType("float64", (None, None)).is_super(TensorType("float64", (2, 3)))
    assert not TensorType("float64", (2, 3)).is_super(TensorType("float64", (None, 3)))


def test_python_floats_follow_allow_downcast():
    """A Python float goes to float32 by default (Theano's floatX literals), but not when
    downcasting was refused explicitly, unless it converts exactly."""
    ftype = TensorType("float32", ())
    assert ftype.filter(0.1).dtype == np.float32
    with pytest.raises(TypeError, match="cannot be converted exactly"):
        ftype.filter(0.1, allow_downcast=False)
    assert ftype.filter(0.5, allow_downcast=False) == np.float32(0.5)
    assert ftype.filter(0.1, allow_downcast=True) == np.float32(0.1)
    vtype = TensorType("float32", (None,))
    np.testing.assert_array_equal(vtype.filter([1.0, 2.5], allow_downcast=False), [1.0, 2.5])
    with pytest.raises(TypeError, match="float32"):
        vtype.filter([1.0, 0.1], allow_downcast=False)
