"""Parameters (and names) only Theano had: symgraph's own API refuses them, the compat
layer takes them as Theano did (working where they matter here, warning where they have
no effect)."""

import contextlib
import pickle
import warnings

import numpy as np
import pytest

import symgraph
import symgraph.compat.theano as theano
import symgraph.tensor as T
from symgraph.compat.theano._util import TheanoDeprecationWarning
from symgraph.compat.theano.tensor.signal import pool
from symgraph.compile import In

with warnings.catch_warnings():
    warnings.simplefilter("ignore", TheanoDeprecationWarning)  # its import-time notice
    from symgraph.compat.theano.tensor.signal import downsample

# --------------------------------------------------------------------------------------
# the core refuses them


def _cost():
    x = T.dvector("x")
    return x, (x**2).sum()


def _grad_null_gradients():
    x, cost = _cost()
    symgraph.grad(cost, x, null_gradients="raise")


def _grad_return_disconnected():
    x, cost = _cost()
    symgraph.grad(cost, x, return_disconnected="Disconnected")


def _function():
    x = T.dvector("x")
    return symgraph.function([x], x * 2)


CORE_REFUSES = [
    # (the parameter, a core call passing it, the error type)
    ("null_gradients", _grad_null_gradients, TypeError),
    ("return_disconnected", _grad_return_disconnected, ValueError),
    ("out_type", lambda: symgraph.verify_grad(T.exp, [np.ones(2)], out_type="float64"), TypeError),
    (
        "cast_to_output_type",
        lambda: symgraph.verify_grad(T.exp, [np.ones(2)], cast_to_output_type=True),
        TypeError,
    ),
    (
        "no_debug_ref",
        lambda: symgraph.verify_grad(T.exp, [np.ones(2)], no_debug_ref=True),
        TypeError,
    ),
    ("ids", lambda: symgraph.debugprint(T.dvector("x"), file="str", ids="CHAR"), TypeError),
    ("borrow", lambda: In(T.dvector("x"), value=np.ones(2), borrow=True), TypeError),
    ("mutable", lambda: In(T.dvector("x"), mutable=True), TypeError),
    ("implicit", lambda: In(T.dvector("x"), implicit=False), TypeError),
    (
        "return_internal_type",
        lambda: symgraph.shared(np.ones(2)).get_value(return_internal_type=True),
        TypeError,
    ),
    ("share_memory", lambda: _function().copy(share_memory=True), TypeError),
    (
        "image_shape",
        lambda: T.conv2d(T.dtensor4("x"), T.dtensor4("w"), image_shape=(1, 1, 5, 5)),
        TypeError,
    ),
    ("imshp", lambda: T.nnet.conv2d(T.dtensor4("x"), T.dtensor4("w"), imshp=None), TypeError),
    ("prob", lambda: T.random.RandomStreams(1).binomial((2,), prob=0.5), TypeError),
    ("ds", lambda: T.pool_2d(T.dtensor4("x"), ds=(2, 2), ignore_border=True), TypeError),
    ("st", lambda: T.pool_2d(T.dtensor4("x"), (2, 2), True, st=(1, 1)), TypeError),
    ("padding", lambda: T.pool_2d(T.dtensor4("x"), (2, 2), True, padding=(0, 0)), TypeError),
]


@pytest.mark.parametrize("parameter, call, error", CORE_REFUSES, ids=[c[0] for c in CORE_REFUSES])
def test_the_core_refuses_theano_only_parameters(parameter, call, error):
    with pytest.raises(error, match=parameter):
        call()


def test_the_core_has_no_theano_only_names():
    for name in ("max_pool_2d", "max_and_argmax", "floor_div", "minimum_"):
        assert not hasattr(T, name), name
    assert not hasattr(symgraph.verify_grad, "E_grad")
    assert callable(T.max_pool_2d_same_size)


# --------------------------------------------------------------------------------------
# the compat layer takes them


@contextlib.contextmanager
def _no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_tensor_names():
    x = T.dmatrix("x")
    top, where = theano.tensor.max_and_argmax(x, axis=1)
    f = theano.function([x], [top, where, theano.tensor.floor_div(x, 2.0)])
    top, where, halved = f(np.array([[1.0, 5.0, 2.0], [-3.0, -4.0, -5.0]]))
    assert top.tolist() == [5.0, -3.0] and where.tolist() == [1, 0]
    assert halved.tolist() == [[0.0, 2.0, 1.0], [-2.0, -2.0, -3.0]]
    assert [v.ndim for v in theano.tensor.max_and_argmax(x, 0, keepdims=True)] == [2, 2]


def test_grad_null_gradients_and_disconnected():
    x, cost = _cost()
    unused = T.dvector("unused")
    with _no_warning():
        theano.grad(cost, x, null_gradients="raise")
    with _no_warning():
        gx = theano.grad(cost, x, null_gradients="return")
    assert theano.function([x], gx)(np.array([1.0, 2.0])).tolist() == [2.0, 4.0]
    grads = theano.grad(
        cost, [x, unused], disconnected_inputs="ignore", return_disconnected="Disconnected"
    )
    assert isinstance(grads[1].type, theano.gradient.DisconnectedType)


def test_verify_grad_parameters():
    with _no_warning():
        theano.gradient.verify_grad(T.exp, [np.ones(2)], cast_to_output_type=True)
    with pytest.warns(UserWarning, match="no_debug_ref, out_type"):
        theano.gradient.verify_grad(T.exp, [np.ones(2)], out_type="float64", no_debug_ref=False)
    assert theano.gradient.verify_grad.E_grad is symgraph.GradientError
    assert theano.tensor.verify_grad is theano.gradient.verify_grad


def test_debugprint_ids():
    y = T.exp(T.dvector("x"))
    with _no_warning():
        text = theano.printing.debugprint(y, file="str", ids="CHAR")
    assert "[id A]" in text
    with pytest.warns(UserWarning, match="ids"):
        assert theano.printing.debugprint(y, file="str", ids="int") == text


def test_in_borrow_keeps_the_default_itself():
    x = T.dvector("x")
    value = np.ones(2)
    copied = theano.function([theano.In(x, value=value)], x * 2)
    borrowed = theano.function([theano.In(x, value=value, borrow=True)], x * 2)
    value[0] = 5.0
    np.testing.assert_array_equal(copied(), [2.0, 2.0])
    np.testing.assert_array_equal(borrowed(), [10.0, 2.0])
    with pytest.warns(TheanoDeprecationWarning):
        param = theano.Param(x, default=value, borrow=True)
    assert param.borrow and param.value is value


def test_in_mutable_and_implicit_have_no_effect():
    x = T.dvector("x")
    with _no_warning():
        theano.In(x, mutable=False, implicit=False)
    with pytest.warns(UserWarning, match="In: ignoring the argument.s. implicit, mutable"):
        spec = theano.In(x, mutable=True, implicit=True)
    value = np.ones(2)
    theano.function([spec], x * 2)(value)
    np.testing.assert_array_equal(value, [1.0, 1.0])  # inputs are never overwritten


def test_get_value_return_internal_type():
    w = theano.shared(np.ones(2), name="w")
    assert isinstance(w, theano.SharedVariable)
    with _no_warning():
        internal = w.get_value(borrow=True, return_internal_type=True)
    assert type(internal) is np.ndarray and internal is w.get_value(borrow=True)
    for again in (w.clone(), pickle.loads(pickle.dumps(w))):
        assert again.get_value(return_internal_type=True).tolist() == [1.0, 1.0]


def test_shared_takes_theanos_argument_order():
    value = np.ones(2)
    w = theano.shared(value, "w", True)  # strict, third in Theano
    assert w.strict and w.name == "w"
    assert w.get_value(borrow=True) is not value
    borrowed = theano.shared(value, borrow=True)
    assert np.shares_memory(borrowed.get_value(borrow=True), value)
    row = theano.shared(np.ones((1, 3)), broadcastable=(True, False))
    assert row.broadcastable == (True, False)


def test_function_copy_share_memory():
    x = T.dvector("x")
    w = theano.shared(np.zeros(2), name="w")
    f = theano.function([x], x * 2, updates=[(w, w + x)])
    with _no_warning():
        plain = f.copy(share_memory=False)
    with pytest.warns(UserWarning, match="share_memory"):
        shared_copy = f.copy(share_memory=True, name="g")
    assert shared_copy.name == "g"
    for copied in (plain, shared_copy, shared_copy.copy(delete_updates=True)):
        assert isinstance(copied, theano.compile.Function)
        np.testing.assert_array_equal(copied(np.ones(2)), [2.0, 2.0])
    assert w.get_value().tolist() == [2.0, 2.0]  # two copies kept the update
    loaded = pickle.loads(pickle.dumps(f))
    with pytest.warns(UserWarning, match="share_memory"):
        loaded.copy(share_memory=True)


def test_tensor_conv2d_takes_the_old_keywords():
    """``theano.tensor.conv2d`` is ``theano.tensor.nnet.conv2d`` (tested with the other
    convolution spellings in test_theano.py), not symgraph's."""
    x, w = T.dtensor4("x"), T.dtensor4("w")
    assert theano.tensor.conv2d is theano.tensor.nnet.conv2d
    with pytest.warns(TheanoDeprecationWarning, match="image_shape"):
        out = theano.tensor.conv2d(x, w, image_shape=(2, 1, 6, 6), filter_shape=(3, 1, 3, 3))
    assert out.type.shape == (2, 3, 4, 4)


def test_random_streams_binomial_prob():
    from symgraph.compat.theano.tensor.shared_randomstreams import RandomStreams

    x = T.dvector("x")
    srng = RandomStreams(1)
    with pytest.warns(TheanoDeprecationWarning, match="'prob'"):
        mask = srng.binomial(x.shape, prob=0.0, dtype="float64")
    assert theano.function([x], mask)(np.ones(3)).tolist() == [0.0, 0.0, 0.0]


def test_max_pool_2d_lives_in_downsample():
    """Theano's old spelling: ``ds`` is the window, ``st`` the stride, ``padding`` the pad;
    ``ignore_border`` left unset warns and keeps the partial windows."""
    x = T.dtensor4("x")
    value = np.arange(25.0).reshape(1, 1, 5, 5)
    with pytest.warns(UserWarning, match="ignore_border"):
        partial = downsample.max_pool_2d(x, (2, 2))
    np.testing.assert_array_equal(
        theano.function([x], partial)(value)[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]]
    )
    with pytest.warns(TheanoDeprecationWarning):
        old = downsample.max_pool_2d(x, ds=(2, 2), st=(1, 1), padding=(1, 1), ignore_border=True)
    new = pool.pool_2d(x, ws=(2, 2), stride=(1, 1), pad=(1, 1), ignore_border=True)
    np.testing.assert_array_equal(
        theano.function([x], old)(value), theano.function([x], new)(value)
    )
