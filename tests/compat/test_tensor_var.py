"""``theano.tensor.TensorVariable``, ``TensorConstant`` and ``TensorSharedVariable`` answer
``isinstance`` as Theano's three sibling classes did: layer libraries branch on it (a
parameter given as an expression is used as it is, a shared one is tiled over the batch)."""

import numpy as np
import pytest

import symgraph


def test_tensor_variable_excludes_shared_variables_and_constants(theano):
    T = theano.tensor
    x = T.matrix("x")
    w = theano.shared(np.ones((1, 3)), name="w")
    c = T.constant(np.ones(3))
    assert isinstance(x, T.TensorVariable)
    assert isinstance(x * w, T.TensorVariable)
    assert not isinstance(w, T.TensorVariable)
    assert not isinstance(c, T.TensorVariable)
    assert isinstance(w, T.TensorSharedVariable) and isinstance(w, theano.compile.SharedVariable)
    assert isinstance(c, T.TensorConstant) and not isinstance(x, T.TensorConstant)
    assert not isinstance(np.ones(3), T.TensorVariable)
    assert issubclass(symgraph.tensor.TensorVariable, T.TensorVariable)
    assert not issubclass(type(w), T.TensorVariable)


def test_every_tensor_has_the_operators(theano):
    from theano.tensor.var import _tensor_py_operators

    T = theano.tensor
    x, w, c = T.vector(), theano.shared(np.ones(2)), T.constant(1.0)
    assert all(isinstance(v, _tensor_py_operators) for v in (x, w, c))
    assert not isinstance(1.0, _tensor_py_operators)


def test_var_is_still_the_variance_function(theano):
    T = theano.tensor
    x = T.vector()
    f = theano.function([x], T.var(x))
    np.testing.assert_allclose(f([1.0, 2.0, 4.0]), np.var([1.0, 2.0, 4.0]))
    from theano.tensor.var import TensorVariable

    assert TensorVariable is T.TensorVariable


def test_subclass_of_tensor_variable_checks_its_own_instances(theano):
    T = theano.tensor

    class Tagged(T.TensorVariable):
        pass

    tagged = Tagged(T.dvector)  # T.dvector is a TensorType, as in Theano
    assert isinstance(tagged, Tagged) and isinstance(tagged, T.TensorVariable)
    assert not isinstance(T.vector(), Tagged)


def test_dimshuffle_class_takes_theano_constructor(theano):
    """``DimShuffle(input_broadcastable, new_order)`` as Theano code builds it directly; the
    op is the core's, equal to the one ``x.dimshuffle`` makes."""
    T = theano.tensor
    y = T.dtensor3("x").sum(axis=1)
    op = T.DimShuffle(y.type.broadcastable, [0, "x", 1])
    z = op(y)
    assert op == y.dimshuffle(0, "x", 1).owner.op
    assert isinstance(z.owner.op, T.DimShuffle)
    assert isinstance(y.dimshuffle(1, 0).owner.op, theano.tensor.elemwise.DimShuffle)
    value = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(
        theano.function([y.owner.inputs[0]], z)(value), value.sum(axis=1)[:, None, :]
    )
    with pytest.raises(TypeError, match="broadcastable pattern"):
        T.DimShuffle(2, [1, 0])
