"""``theano.scan_module``: ``until`` and the ``scan_utils`` names Theano code imported."""

import numpy as np
import pytest

import symgraph


def test_until_is_the_cores_and_stops_a_theano_while_loop(theano):
    from theano.scan_module import scan_utils, until

    assert until is symgraph.until is scan_utils.until
    T = theano.tensor
    max_value = T.scalar("max_value")

    def power_of_2(previous_power, max_value):
        return previous_power * 2, theano.scan_module.until(previous_power * 2 > max_value)

    values, _ = theano.scan(
        power_of_2, outputs_info=T.constant(1.0), non_sequences=max_value, n_steps=1024
    )
    f = theano.function([max_value], values)
    expected, power = [], 1.0
    while True:  # the reference: Python's while loop
        power *= 2
        expected.append(power)
        if power > 45:
            break
    np.testing.assert_array_equal(f(45), expected)


def test_clone_lives_in_scan_utils_as_in_theano(theano):
    from theano.scan_module.scan_utils import clone

    assert clone is theano.clone
    T = theano.tensor
    x, y = T.scalar("x"), T.scalar("y")
    (doubled,) = clone([x * 2], replace=[(x, y)])
    np.testing.assert_allclose(doubled.eval({y: 3.0}), 6.0)
    np.testing.assert_allclose(clone(x + 1, replace={x: y * 10}).eval({y: 2.0}), 21.0)


def test_equal_computations(theano):
    from theano.scan_module.scan_utils import equal_computations

    T = theano.tensor
    x, y, z = T.vector("x"), T.vector("y"), T.vector("z")
    assert equal_computations([T.tanh(x) + 1], [T.tanh(x) + 1])
    assert not equal_computations([T.tanh(x) + 1], [T.tanh(x) + 2])
    assert not equal_computations([T.tanh(x) + 1], [T.tanh(y) + 1])
    assert equal_computations([T.tanh(x) * z], [T.tanh(y) * z], in_xs=[x], in_ys=[y])
    assert not equal_computations([T.tanh(x) * z], [T.tanh(y) * x], in_xs=[x], in_ys=[y])
    assert not equal_computations([x, x], [x])


def test_infer_shape_from_given_input_shapes(theano):
    from theano.scan_module.scan_utils import infer_shape

    T = theano.tensor
    x, W = T.matrix("x"), T.matrix("W")
    rows, cols = T.lscalar("rows"), T.lscalar("cols")
    out = T.dot(x, W).sum(axis=0)
    ((length,),) = infer_shape([out], [x, W], [(rows, 4), (4, cols)])
    assert symgraph.function([cols], length, on_unused_input="ignore")(7) == 7
    # an input whose shape is not given keeps its own
    ((length,),) = infer_shape([x.sum(axis=1)], [], [])
    assert symgraph.function([x], length)(np.zeros((5, 2))) == 5
    with pytest.raises(ValueError, match="has 2 dimensions but its shape"):
        infer_shape([out], [x], [(3,)])


def test_map_variables_as_theanos_docstring_uses_it(theano):
    from theano.scan_module.scan_utils import map_variables

    T = theano.tensor
    a, b, c = T.scalar("a"), T.scalar("b"), T.scalar("c")
    ab = a + b
    ab.tag.replacement = a * b
    u = ab + c
    (v,) = map_variables(lambda graph: getattr(graph.tag, "replacement", graph), [u])
    f = symgraph.function([a, b, c], [u, v])
    got_u, got_v = f(2.0, 3.0, 10.0)
    assert (got_u, got_v) == (15.0, 16.0)


def test_map_variables_replacements_read_the_mapped_graph(theano):
    from theano.scan_module.scan_utils import map_variables

    T = theano.tensor
    x, scale = T.vector("x"), T.scalar("scale")
    hidden = T.tanh(x)
    hidden.name = "hidden"
    out = (hidden * 2).sum()

    def replacer(variable):
        if variable.name == "hidden":  # "dropout": a scaled copy of the hidden layer
            return variable * scale
        if variable is x:
            return x + 1
        return variable

    (new,) = map_variables(replacer, [out])
    value = np.array([0.1, -0.3])
    got = symgraph.function([x, scale], new)(value, 0.5)
    np.testing.assert_allclose(got, (np.tanh(value + 1) * 0.5 * 2).sum())


def test_map_variables_refuses_a_graph_holding_a_loop(theano):
    from theano.scan_module.scan_utils import map_variables

    T = theano.tensor
    x = T.vector("x")
    ys, _ = theano.scan(lambda v: v * 2, sequences=x)
    with pytest.raises(NotImplementedError, match="inner graph"):
        map_variables(lambda v: v, [ys])
