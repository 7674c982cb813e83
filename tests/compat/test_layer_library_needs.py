"""What a Theano layer library needs beyond the tutorials, as Theano 1.0 behaved:
``allow_input_downcast=False``, ``grad`` of an integer cost, ``tensordot`` with axes as an
array, indexing with a list of slices with symbolic bounds, ``repeat`` with a symbolic
count, and NumPy arrays on the left of operators."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symgraph.compat.theano as theano
from symgraph.compat.theano import tensor as T


def test_allow_input_downcast_false_refuses_inexact_python_floats():
    with theano.config.change_flags(floatX="float32"):
        x = T.fvector("x")
        strict = theano.function([x], x * 2, allow_input_downcast=False)
        default = theano.function([x], x * 2)
        np.testing.assert_array_equal(strict([1.0, 2.5]), [2.0, 5.0])  # exact: accepted
        with pytest.raises(TypeError, match="'x'"):
            strict([0.1, 2.0])
        with pytest.raises(TypeError, match="'x'"):
            strict(np.array([1.0, 2.0]))  # float64 array: never without downcasting
        with pytest.raises(TypeError, match="'x'"):
            default([0.1, 2.0])  # a list is checked for exactness even by default
        s = T.fscalar("s")
        assert theano.function([s], s)(0.1) == np.float32(0.1)  # a lone Python float goes
        with pytest.raises(TypeError, match="'s'"):
            theano.function([s], s, allow_input_downcast=False)(0.1)
        loose = theano.function([s], s, allow_input_downcast=True)
        assert loose(0.1) == np.float32(0.1)


def test_grad_of_an_integer_cost_is_zero():
    x = T.dvector("x")
    k = T.lvector("k")
    cost = T.sum(T.argmax(x.reshape((2, -1)), axis=1)) + T.sum(k)
    assert cost.dtype == "int64"
    gx, gk = T.grad(cost, [x, k])
    f = theano.function([x, k], [gx, gk])
    got_x, got_k = f(np.array([1.0, 3.0, 2.0, 0.5]), np.array([4, 5]))
    np.testing.assert_array_equal(got_x, np.zeros(4))
    np.testing.assert_array_equal(got_k, np.zeros(2))
    assert got_x.dtype == np.float64
    assert T.grad(T.cast(T.sum(x), "int32"), x).dtype == "float64"
    other = T.dvector("other")
    with pytest.raises(theano.gradient.DisconnectedInputError):
        T.grad(cost, other)
    zero = T.grad(cost, other, disconnected_inputs="ignore")
    np.testing.assert_array_equal(zero.eval({other: np.ones(2)}), np.zeros(2))


def test_grad_of_an_integer_cost_keeps_known_grads():
    x = T.dvector("x")
    h = x * 3.0
    cost = T.cast(T.sum(h), "int64")
    g = T.grad(cost, x, known_grads={h: T.ones_like(h)})
    np.testing.assert_allclose(g.eval({x: np.ones(2)}), [3.0, 3.0])


def test_grad_of_a_non_scalar_integer_cost_still_fails():
    with pytest.raises(TypeError, match="scalar"):
        T.grad(T.lvector("k"), T.lvector("k"))


@settings(deadline=None, max_examples=20)
@given(st.sampled_from([[[1], [0]], [[0, 1], [0, 1]], [[1], [1]], 1, 2]))
def test_tensordot_with_axes_as_an_array(axes):
    rng = np.random.default_rng(0)
    a, b = T.dmatrices("ab")
    av, bv = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    got = theano.function([a, b], T.tensordot(a, b, axes=np.array(axes)))(av, bv)
    np.testing.assert_allclose(got, np.tensordot(av, bv, axes=np.array(axes).tolist()))


def test_list_of_slices_with_symbolic_bounds():
    x = T.dtensor3("x")
    start, stop = T.lscalars("start", "stop")
    value = np.arange(24.0).reshape(2, 3, 4)
    cropped = x[[slice(None), slice(start, stop), slice(start, None)]]
    got = theano.function([x, start, stop], cropped)(value, 1, 3)
    np.testing.assert_array_equal(got, value[:, 1:3, 1:])


def test_repeat_with_a_symbolic_count():
    x, n = T.dmatrix("x"), T.iscalar("n")
    value = np.arange(6.0).reshape(2, 3)
    f = theano.function([x, n], T.repeat(x, n, axis=0))
    np.testing.assert_array_equal(f(value, 3), np.repeat(value, 3, axis=0))


def test_numpy_array_on_the_left():
    x = T.dvector("x")
    mean = np.array([1.0, 2.0])
    centred = mean - x
    assert isinstance(centred, T.TensorVariable)
    f = theano.function([x], [centred, mean < x, 2.0**x])
    value = np.array([3.0, 1.0])
    got = f(value)
    np.testing.assert_allclose(got[0], mean - value)
    np.testing.assert_array_equal(got[1], mean < value)
    np.testing.assert_allclose(got[2], 2.0**value)


def test_compute_test_value_raise_as_in_theanos_debugging_faq():
    """Theano's FAQ example: with test values, the mis-shaped dot fails where it is built."""
    with theano.change_flags(compute_test_value="raise"):
        x = T.matrix("x", dtype="float64")
        x.tag.test_value = np.random.default_rng(0).random((5, 10))
        W1 = theano.shared(np.ones((10, 15)), "W1")
        W2 = theano.shared(np.ones((15, 20)), "W2")
        h1 = T.dot(x, W1)  # (5, 15): fine
        assert h1.tag.test_value.shape == (5, 15)
        with pytest.raises(ValueError, match="not aligned"):
            T.dot(W2, h1)  # (15, 20) x (5, 15)
    assert theano.config.compute_test_value == "off"


def test_compute_test_value_warn_and_pdb():
    with theano.change_flags(compute_test_value="warn"):
        y = T.dvector("y")
        with pytest.warns(UserWarning, match="'y'"):
            y * 2
    with pytest.warns(UserWarning, match="pdb"):
        with theano.change_flags(compute_test_value="pdb"):
            assert theano.config.compute_test_value == "raise"
