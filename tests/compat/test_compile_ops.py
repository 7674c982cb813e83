"""``theano.compile.ops.as_op``: a Python function of arrays made an op."""

import pickle

import numpy as np
import pytest
from helpers import SETTINGS
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph.compat.theano as theano
from symgraph.compat.theano import tensor as T
from symgraph.compat.theano.compile.ops import FromFunctionOp, as_op


def _dot_shape(node, input_shapes):
    a, b = input_shapes
    return [a[:-1] + b[-1:]]


@as_op(itypes=[T.dmatrix, T.dmatrix], otypes=[T.dmatrix], infer_shape=_dot_shape)
def numpy_dot(a, b):
    return np.dot(a, b)


@as_op(itypes=[T.dvector], otypes=[T.dvector, T.dvector])
def sorted_and_order(v):
    order = np.argsort(v, kind="stable")
    return v[order], order.astype("float64")


shapes = st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4))


@SETTINGS
@given(shapes, st.data())
def test_as_op_computes_like_its_function(dims, data):
    n, k, m = dims
    floats = st.floats(-10, 10)
    av = data.draw(hnp.arrays(np.float64, (n, k), elements=floats))
    bv = data.draw(hnp.arrays(np.float64, (k, m), elements=floats))
    a, b = T.dmatrix("a"), T.dmatrix("b")
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        f = theano.function([a, b], numpy_dot(a, b), mode=mode)
        np.testing.assert_allclose(f(av, bv), av @ bv, rtol=1e-12, atol=1e-12)


def test_as_op_with_several_outputs():
    v = T.dvector("v")
    values, order = sorted_and_order(v)
    f = theano.function([v], [values, order])
    got_values, got_order = f(np.array([3.0, 1.0, 2.0]))
    assert got_values.tolist() == [1.0, 2.0, 3.0] and got_order.tolist() == [1.0, 2.0, 0.0]


def test_as_op_infer_shape_spares_running_it():
    calls = []

    def counted(a, b):
        calls.append(1)
        return np.dot(a, b)

    op = as_op([T.dmatrix, T.dmatrix], [T.dmatrix], infer_shape=_dot_shape)(counted)
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = theano.function([a, b], op(a, b).shape)
    assert tuple(f(np.zeros((2, 3)), np.zeros((3, 5)))) == (2, 5) and not calls


def test_as_op_equality_printing_and_types():
    assert isinstance(numpy_dot, FromFunctionOp) and str(numpy_dot) == "FromFunctionOp{numpy_dot}"
    same = as_op([T.dmatrix, T.dmatrix], [T.dmatrix])(numpy_dot.fn)
    assert same == numpy_dot and hash(same) == hash(numpy_dot)
    assert as_op([T.dvector], [T.dvector])(np.sort) != numpy_dot
    with pytest.raises(TypeError, match=r"input 1 'b' is float32 matrix, expected float64"):
        numpy_dot(T.dmatrix("a"), T.fmatrix("b"))


def test_a_function_with_an_as_op_pickles():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = theano.function([a, b], numpy_dot(a, b) * 2)
    assert pickle.loads(pickle.dumps(numpy_dot)) is numpy_dot
    g = pickle.loads(pickle.dumps(f))
    av, bv = np.arange(6.0).reshape(2, 3), np.ones((3, 2))
    np.testing.assert_array_equal(g(av, bv), f(av, bv))
    # made from a function reachable by its own name: the function is stored
    sort_op = as_op([T.dvector], [T.dvector])(np.sort)
    assert pickle.loads(pickle.dumps(sort_op)) == sort_op


def test_a_wrong_number_of_results_is_refused():
    bad = as_op([T.dvector], [T.dvector, T.dvector])(lambda v: v)
    v = T.dvector("v")
    f = theano.function([v], bad(v))
    with pytest.raises(TypeError, match="must return 2 values"):
        f(np.zeros(2))
