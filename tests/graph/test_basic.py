"""The graph IR: value-equal ops, source locations, traversal, FunctionGraph editing."""

import numpy as np
import pytest

import symgraph.tensor as T
from symgraph.graph import FunctionGraph, MissingInputError, TensorType, clone_replace, toposort
from symgraph.graph.fgraph import OUTPUT
from symgraph.tensor.ops.dimshuffle import DimShuffle


def test_ops_compare_by_value():
    assert DimShuffle(2, (1, 0)) == DimShuffle(2, (1, 0))
    assert hash(DimShuffle(2, (1, 0))) == hash(DimShuffle(2, (1, 0)))
    assert DimShuffle(2, (1, 0)) != DimShuffle(2, (0, 1))
    x = T.dmatrix("x")
    a, b = T.exp(x), T.exp(x)
    assert a.owner.op == b.owner.op and a is not b


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


def test_nodes_remember_user_line():
    x = T.dvector("x")
    y = T.exp(x)  # marker line
    assert y.owner.source.filename.endswith("test_basic.py")
    assert "marker line" in y.owner.source.line


def test_toposort_orders_dependencies_deterministically():
    x = T.dvector("x")
    a = T.exp(x)
    b = T.log(a)
    c = a + b
    order = toposort([c])
    assert [n.outputs[0] for n in order] == [a, b, c]
    assert toposort([c]) == order


def test_clone_replace_rebuilds_dependents_only():
    x, y = T.dvector("x"), T.dvector("y")
    shared_part = T.exp(y)
    out = x * 2 + shared_part
    z = T.dvector("z")
    (new,) = clone_replace([out], {x: z})
    assert new is not out
    inputs = {v for n in toposort([new]) for v in n.inputs if v.owner is None}
    assert z in inputs and x not in inputs and y in inputs


def test_function_graph_clients_and_replace():
    x = T.dvector("x")
    a = T.exp(x)
    b = a * 2
    fg = FunctionGraph([x], [b])
    (node_b,) = [n for n in fg.apply_nodes if n.op.scalar_op.name == "mul"]
    new_a = fg.outputs[0].owner.inputs[0]
    assert fg.clients[new_a] == [(node_b, 0)]
    assert fg.clients[fg.outputs[0]] == [(OUTPUT, 0)]
    replacement = T.log(x)
    fg.replace(new_a, replacement)
    assert fg.outputs[0].owner.inputs[0] is replacement
    assert not any(
        getattr(n.op, "scalar_op", None) and n.op.scalar_op.name == "exp" for n in fg.apply_nodes
    )  # the dead exp node was pruned
    # the user's graph is untouched
    assert b.owner.inputs[0] is a


def test_function_graph_replace_refuses_type_change():
    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x)])
    with pytest.raises(TypeError, match="changes its type"):
        fg.replace(fg.outputs[0], T.fvector("f"))


def test_function_graph_missing_input():
    x, y = T.dvector("x"), T.dvector("y")
    with pytest.raises(MissingInputError, match="'y'"):
        FunctionGraph([x], [x + y])


def test_constant_data_is_read_only():
    c = T.constant(np.arange(3.0))
    with pytest.raises(ValueError):
        c.data[0] = 1.0
