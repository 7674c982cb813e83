"""The graph IR's nodes: ops compare by value; nodes remember the user line that built
them."""

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
