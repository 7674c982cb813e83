"""``theano.tensor.xlogx``: x*log(x) and x*log(y), 0 where x is 0."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph.compat.theano as theano
from symgraph.compat.theano import tensor as T
from symgraph.compat.theano.tensor.xlogx import xlogx, xlogy0

nonnegative = hnp.arrays("float64", 5, elements=st.floats(0, 10) | st.just(0.0))


def _reference_xlogx(x):
    return np.array([0.0 if v == 0 else v * np.log(v) for v in x])


@settings(deadline=None, max_examples=30)
@given(nonnegative, hnp.arrays("float64", 5, elements=st.floats(0.01, 10)))
def test_values_match_the_limit_at_zero(x, y):
    a, b = T.dvectors("ab")
    f = theano.function([a, b], [xlogx(a), xlogy0(a, b)])
    got_xlogx, got_xlogy0 = f(x, y)
    np.testing.assert_allclose(got_xlogx, _reference_xlogx(x), atol=1e-12)
    expected = np.array([0.0 if u == 0 else u * np.log(v) for u, v in zip(x, y)])
    np.testing.assert_allclose(got_xlogy0, expected, atol=1e-12)


def test_xlogy0_is_zero_where_x_is_zero_even_for_y_zero():
    a, b = T.dvectors("ab")
    f = theano.function([a, b], xlogy0(a, b))
    np.testing.assert_array_equal(f(np.array([0.0, 0.0]), np.array([0.0, 5.0])), [0.0, 0.0])


def test_gradients():
    rng = np.random.default_rng(0)
    theano.gradient.verify_grad(xlogx, [rng.uniform(0.2, 3, 4)], rng=rng)
    theano.gradient.verify_grad(xlogy0, [rng.uniform(0.2, 3, 4), rng.uniform(0.2, 3, 4)], rng=rng)
    a = T.dvector("a")
    g = theano.function([a], T.grad(T.sum(xlogx(a)), a))
    got = g(np.array([0.0, 2.0]))
    assert np.isfinite(got).all() and np.isclose(got[1], np.log(2.0) + 1)
    assert T.xlogx.xlogx is xlogx
