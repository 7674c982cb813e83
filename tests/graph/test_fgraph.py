"""``FunctionGraph``: clients, replacing a variable (pruning what it leaves dead), type
checks, missing inputs."""

import pytest

import symgraph.tensor as T
from symgraph.graph import FunctionGraph, MissingInputError
from symgraph.graph.fgraph import OUTPUT


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
