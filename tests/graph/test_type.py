"""``TensorType``: static shapes, broadcastable flags, equality and ``is_super``."""

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
