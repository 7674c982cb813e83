"""The merge and inplace passes."""

import numpy as np

import symgraph
import symgraph.tensor as T
from symgraph.graph import FunctionGraph
from symgraph.rewrite.passes import inplace, merge


def test_merge_fires_on_duplicates_and_not_on_different_ops():
    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x) + T.exp(x)])
    assert merge(fg)["merge_nodes"] == 1
    assert len(fg.apply_nodes) == 2
    fg2 = FunctionGraph([x], [T.exp(x) + T.log(x)])
    assert merge(fg2)["merge_nodes"] == 0
    assert len(fg2.apply_nodes) == 3


def test_inplace_fires_on_dead_temporary_only():
    x = T.dvector("x")
    t = T.exp(x)
    fg = FunctionGraph([x], [T.tanh(t)])
    assert sum(inplace(fg).values()) == 1  # tanh may overwrite exp's result
    # exp's result is also an output: it must not be overwritten
    fg2 = FunctionGraph([x], [T.tanh(t), t])
    assert sum(inplace(fg2).values()) == 0
    # the input itself must never be overwritten
    fg3 = FunctionGraph([x], [T.tanh(x)])
    assert sum(inplace(fg3).values()) == 0


def test_inplace_skips_buffer_read_later():
    x = T.dvector("x")
    t = T.exp(x)
    u = T.tanh(t)  # cannot overwrite t: t is read again below
    out = u + t
    fg = FunctionGraph([x], [out])
    inplace(fg)
    tanh_nodes = [n for n in fg.apply_nodes if n.op.scalar_op.name == "tanh"]
    assert tanh_nodes[0].op.inplace is None
    f = symgraph.function([x], out)
    value = np.array([0.1, 0.2])
    np.testing.assert_allclose(f(value), np.tanh(np.exp(value)) + np.exp(value))


def test_merge_keeps_the_more_precise_of_two_equal_nodes():
    """A rewrite that replaced an input by a more precisely typed variable leaves two
    equal nodes whose output types differ: whichever comes first, the precise one stays."""
    r, n = T.dvector("r"), T.lscalar("n")
    for loose_first in (True, False):
        row = r.dimshuffle("x", 0)  # f64[1,?]
        loose = T.reshape(r, (n, -1))  # f64[?,?]
        outputs = [T.exp(loose), T.exp(row)]
        fg = FunctionGraph([r, n], outputs if loose_first else outputs[::-1])
        loose_copy, row_copy = (fg.memo[loose], fg.memo[row])
        fg.replace(loose_copy, row_copy)
        assert merge(fg)["merge_nodes"] == 1
        assert fg.outputs[0] is fg.outputs[1]
        assert fg.outputs[0].type.shape == (1, None)
