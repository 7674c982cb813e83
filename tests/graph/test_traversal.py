"""Walking and copying graphs: a deterministic toposort; ``clone_replace`` rebuilds only
what depends on the replaced variables."""

import symgraph.tensor as T
from symgraph.graph import clone_replace, toposort


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
