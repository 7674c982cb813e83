"""``theano.gof.graph``: inputs in Theano's order, is_same_graph, Theano's Apply."""

import numpy as np
import pytest

import symgraph.compat.theano as theano
from symgraph.compat.theano import gof
from symgraph.compat.theano import tensor as T
from symgraph.compat.theano.gof.graph import ancestors, inputs, is_same_graph


def _theano_order(variables):
    """Theano's walk, written as its documentation states it: a stack of the variables
    (the last given on top); a popped variable not seen yet is listed, and its owner's
    inputs pushed last-first, so that the first input is popped next."""
    stack, seen, order = list(variables), [], []
    while stack:
        v = stack.pop()
        if any(v is s for s in seen):
            continue
        seen.append(v)
        order.append(v)
        if v.owner is not None:
            stack.extend(v.owner.inputs[::-1])
    return order


def test_inputs_come_in_theanos_order():
    a, b, c, d = (T.dscalar(name) for name in "abcd")
    total = a + b
    left = total * c
    right = d - (b * a)
    assert inputs([left]) == [a, b, c]
    assert inputs([left, right]) == [d, b, a, c]
    assert inputs([right, left]) == [a, b, c, d]
    assert ancestors([left, right]) == _theano_order([left, right])
    # a blocker is not expanded (and, having an owner, is no input)
    assert inputs([left], blockers=[total]) == [c]
    assert all(v.owner is None for v in inputs([left, right]))


def test_inputs_include_constants_and_shared_variables():
    x = T.dvector("x")
    weights = theano.shared(np.array([1.0, 2.0]))
    found = inputs([(x + 3) * weights])
    assert found[0] is x and found[2] is weights and np.ravel(found[1].data).tolist() == [3]


@pytest.mark.parametrize(
    ("build", "same"),
    [
        (lambda x, y, z: (x + 1, x + 1, None), True),
        (lambda x, y, z: (x + 1, y + 1, None), False),
        (lambda x, y, z: (x + 1, y + 1, {x: y}), True),
        (lambda x, y, z: (x * (y * z), (x * y) * z, None), False),
        (lambda x, y, z: (T.exp(x) + z, T.exp(x) + z, None), True),
        (lambda x, y, z: (T.sum(x, axis=0), T.sum(x, axis=1), None), False),
        (lambda x, y, z: (x + 1, x + 2, None), False),
    ],
)
def test_is_same_graph(build, same):
    x, y, z = T.dmatrix("x"), T.dmatrix("y"), T.dmatrix("z")
    first, second, givens = build(x, y, z)
    assert is_same_graph(first, second, givens=givens) is same


def test_theano_apply_adopts_the_output_variables():
    class Identity(gof.Op):
        def make_node(self, x):
            out = x.type()
            node = gof.Apply(self, [x], [out])
            assert node.outputs[0] is out and out.owner is node and out.index == 0
            return node

    x = T.dvector("x")
    Identity()(x)
    with pytest.raises(ValueError, match="already belongs to"):
        gof.Apply(Identity(), [x], [T.exp(x)])
