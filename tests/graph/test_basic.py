"""The graph IR's nodes: ops compare by value; nodes remember the user line that built
them."""

import linecache

import pytest

import symgraph
import symgraph.tensor as T
from symgraph.tensor.ops.dimshuffle import DimShuffle


def test_ops_compare_by_value():
    assert DimShuffle(2, (1, 0)) == DimShuffle(2, (1, 0))
    assert hash(DimShuffle(2, (1, 0))) == hash(DimShuffle(2, (1, 0)))
    assert DimShuffle(2, (1, 0)) != DimShuffle(2, (0, 1))
    x = T.dmatrix("x")
    a, b = T.exp(x), T.exp(x)
    assert a.owner.op == b.owner.op and a is not b


def test_nodes_remember_user_line():
    x = T.dvector("x")
    y = T.exp(x)  # marker line
    assert y.owner.source.filename.endswith("test_basic.py")
    assert "marker line" in y.owner.source.line


def test_nodes_built_by_grad_and_function_remember_user_line():
    # grad and function are wrapped by a contextmanager decorator: the stack between the
    # user and symgraph passes through contextlib, which is not the user's line either.
    x = T.dvector("x")
    g = symgraph.grad((x**2).sum(), x)  # grad marker
    nodes = [v.owner for v in [g, *g.owner.inputs] if v.owner is not None]
    assert nodes and all("grad marker" in node.source.line for node in nodes)
    f = symgraph.function([x], g)
    assert all(node.source.filename == __file__ for node in f.fgraph.toposort())


def test_warnings_point_at_the_user_line():
    x, y = T.dvector("x"), T.dvector("y")
    cost = (x**2).sum()
    with pytest.warns(UserWarning) as grad_warning:
        symgraph.grad(cost, [x, y], disconnected_inputs="warn")  # grad warns here
    with pytest.warns(UserWarning) as lop_warning:
        symgraph.Lop(x * 2, [x, y], x, disconnected_inputs="warn")  # Lop warns here
    with pytest.warns(UserWarning) as function_warning:
        symgraph.function([x, y], cost, on_unused_input="warn")  # function warns here
    for record, marker in [
        (grad_warning, "grad warns here"),
        (lop_warning, "Lop warns here"),
        (function_warning, "function warns here"),
    ]:
        (warning,) = [w for w in record if w.filename == __file__]
        assert marker in linecache.getline(warning.filename, warning.lineno)
