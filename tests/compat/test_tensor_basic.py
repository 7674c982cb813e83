"""``theano.tensor``'s op objects and TensorType instances, and the helpers of
``theano.tensor.basic``, as Theano 1.0 documented them."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph.compat.theano as theano
from symgraph.compat.theano import tensor as T
from symgraph.compat.theano.tensor.basic import ELEMWISE_OPS

# Theano's name -> a NumPy reference, for the op objects that take floats
FLOAT_REFERENCES = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "true_div": np.true_divide,
    "pow": np.power,
    "neg": np.negative,
    "abs_": np.abs,
    "sgn": np.sign,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "sqr": np.square,
    "tanh": np.tanh,
    "sin": np.sin,
    "cos": np.cos,
    "eq": np.equal,
    "neq": np.not_equal,
    "lt": np.less,
    "gt": np.greater,
    "le": np.less_equal,
    "ge": np.greater_equal,
    "floor": np.floor,
    "ceil": np.ceil,
    "round_half_to_even": np.rint,
    "int_div": np.floor_divide,
}


@pytest.mark.parametrize("name", sorted(ELEMWISE_OPS))
def test_op_objects_print_as_theano(name):
    op = getattr(T, name)
    assert str(op) == f"Elemwise{{{name},no_inplace}}"
    assert isinstance(op, T.Elemwise)
    assert op.scalar_op == getattr(theano.scalar, name)


@pytest.mark.parametrize("name", sorted(FLOAT_REFERENCES))
def test_op_objects_build_core_nodes_equal_to_themselves(name):
    op = getattr(T, name)
    inputs = [T.dvector(f"x{i}") for i in range(op.scalar_op.nin)]
    out = op(*inputs)
    assert out.owner.op == op and op == out.owner.op and hash(op) == hash(out.owner.op)
    assert type(out.owner.op) is T.Elemwise  # the graph holds the core's op
    assert isinstance(out.owner.op, T.Elemwise) and out.owner.op.scalar_op == op.scalar_op


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(sorted(FLOAT_REFERENCES)),
    data=st.data(),
)
def test_op_objects_compute_as_numpy(name, data):
    op = getattr(T, name)
    values = [
        data.draw(hnp.arrays("float64", 4, elements=st.floats(0.5, 3.0)))
        for _ in range(op.scalar_op.nin)
    ]
    inputs = [T.dvector() for _ in values]
    f = theano.function(inputs, op(*inputs))
    np.testing.assert_allclose(f(*values), FLOAT_REFERENCES[name](*values))


def test_operators_build_the_op_objects():
    x, y = T.dmatrices("xy")
    assert (x + y).owner.op == T.add and (x * y).owner.op == T.mul
    assert (x - y).owner.op == T.sub and (x / y).owner.op == T.true_div
    assert (-x).owner.op == T.neg and (x**y).owner.op == T.pow
    assert (x + y).owner.op != T.mul and T.add != T.mul


def test_add_and_mul_take_any_number_of_inputs():
    a, b, c = T.dvectors("abc")
    values = [np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.5, 4.0])]
    f = theano.function([a, b, c], [T.add(a, b, c), T.mul(a, b, c), T.add(a), T.mul(b)])
    total, product, alone_a, alone_b = f(*values)
    np.testing.assert_allclose(total, values[0] + values[1] + values[2])
    np.testing.assert_allclose(product, values[0] * values[1] * values[2])
    np.testing.assert_allclose(alone_a, values[0])
    np.testing.assert_allclose(alone_b, values[1])
    with pytest.raises(TypeError, match="exp takes 1 inputs"):
        T.exp(a, b)


def test_gradient_through_op_objects():
    x = T.dvector("x")
    rng = np.random.default_rng(0)
    theano.gradient.verify_grad(
        lambda v: T.mul(T.tanh(v), T.exp(v), v), [rng.uniform(0.1, 1, 3)], rng=rng
    )
    g = theano.function([x], T.grad(T.sum(T.sqr(x)), x))
    np.testing.assert_allclose(g(np.array([1.0, -2.0])), [2.0, -4.0])


def test_op_objects_pickle_as_themselves():
    assert pickle.loads(pickle.dumps(T.add)) is T.add
    assert pickle.loads(pickle.dumps(T.abs_)) is T.abs_


def test_elemwise_class_builds_ops_from_scalar_ops():
    x = T.dvector()
    op = T.Elemwise(theano.scalar.mul)
    assert op == T.mul and op(x, x).owner.op == T.mul


def test_floor_div_and_fill_are_theanos_synonyms():
    assert T.floor_div is T.int_div and T.fill is T.second


def test_reductions_stay_functions():
    assert callable(T.sum) and not isinstance(T.sum, T.Elemwise)
    assert not isinstance(T.max, T.Elemwise)


# --------------------------------------------------------------------------------------
# TensorType instances

TYPED = [
    ("lscalar", "int64", ()),
    ("iscalar", "int32", ()),
    ("dmatrix", "float64", (False, False)),
    ("fvector", "float32", (False,)),
    ("frow", "float32", (True, False)),
    ("dcol", "float64", (False, True)),
    ("btensor3", "int8", (False,) * 3),
    ("ctensor3", "complex64", (False,) * 3),
    ("zmatrix", "complex128", (False, False)),
    ("wtensor4", "int16", (False,) * 4),
    ("dtensor5", "float64", (False,) * 5),
]


@pytest.mark.parametrize("name, dtype, broadcastable", TYPED)
def test_typed_constructors_are_tensor_types(name, dtype, broadcastable):
    ttype = getattr(T, name)
    assert isinstance(ttype, T.TensorType)
    assert (ttype.dtype, ttype.broadcastable) == (dtype, broadcastable)
    assert ttype.ndim == len(broadcastable)
    x = ttype("x")
    assert x.name == "x" and x.type == ttype and ttype == x.type and not (x.type != ttype)
    assert ttype == T.TensorType(dtype, broadcastable)
    assert hash(ttype) == hash(x.type)
    assert isinstance(x.type, T.TensorType)
    assert pickle.loads(pickle.dumps(ttype)) == ttype


def test_tensor_types_print_as_theano():
    assert str(T.dmatrix) == "TensorType(float64, matrix)"
    assert str(T.lscalar) == "TensorType(int64, scalar)"
    assert str(T.frow) == "TensorType(float32, row)"
    assert str(T.ctensor3) == "TensorType(complex64, 3D)"
    assert str(T.TensorType("int8", (True, False, True))) == "TensorType(int8, (True, False, True))"
    assert str(T.TensorType("float32", (False,), name="features")) == "features"


def test_tensor_types_differ_by_dtype_and_pattern():
    assert T.dmatrix != T.fmatrix and T.dmatrix != T.drow
    assert T.dmatrix("x").type != T.fmatrix


def test_tensor_type_with_name_and_floatx():
    with theano.config.change_flags(floatX="float32"):
        ttype = T.TensorType("floatX", [False, True], name="input")
    assert ttype.dtype == "float32" and ttype.name == "input"
    x = ttype("x")
    assert x.type.shape == (None, 1)
    f = theano.function([x], x * 2)
    np.testing.assert_allclose(f(np.ones((3, 1), dtype="float32")), 2 * np.ones((3, 1)))


def test_typed_variables_compute():
    x = T.ctensor3("x")
    value = (np.arange(8) + 1j * np.arange(8)).reshape(2, 2, 2).astype("complex64")
    np.testing.assert_allclose(theano.function([x], x * 2)(value), value * 2)
    a, b = T.zvectors("ab")
    assert a.type == T.zvector and b.name == "b"


def test_core_variable_types_are_instances_of_theanos_tensor_type():
    assert isinstance(T.matrix().type, T.TensorType)
    assert issubclass(type(T.matrix().type), T.TensorType)
    assert not isinstance(theano.scalar.int32, T.TensorType)


def test_tensor_type_needs_a_pattern():
    with pytest.raises(TypeError, match="broadcastable"):
        T.TensorType("float64")


# --------------------------------------------------------------------------------------
# _allclose and get_scalar_constant_value


def test_allclose_tolerances_follow_the_narrowest_float():
    # float32: atol + rtol = 2e-5 around 1; float64: 1e-8 + 1e-5
    assert T._allclose(np.float32(1.0), np.float32(1.0 + 1.5e-5))
    assert T._allclose(np.float64(1.0), np.float32(1.0 + 1.5e-5))
    assert not T._allclose(np.float64(1.0), np.float64(1.0 + 1.5e-5))
    assert T._allclose(np.float64(1.0), np.float64(1.0 + 1.5e-5), rtol=1e-4)
    assert T._allclose(np.float16(1.0), np.float16(1.0009765625))
    assert not T._allclose(np.array([1.0, 2.0]), np.array([1.0, 2.1]))


@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_get_scalar_constant_value_of_constants(a, b):
    assert T.get_scalar_constant_value(a) == a
    assert T.get_scalar_constant_value(np.full((2, 3), a)) == a
    assert T.get_scalar_constant_value(T.constant(a)) == a
    folded = T.get_scalar_constant_value(T.constant(a) * b + 1)
    assert folded == a * b + 1 and isinstance(folded, np.ndarray) and folded.ndim == 0


def test_get_scalar_constant_value_reads_static_sizes():
    x = T.matrix(shape=(3, None))
    assert T.get_scalar_constant_value(T.shape_i(x, 0)) == 3
    with pytest.raises(T.NotScalarConstantError):
        T.get_scalar_constant_value(T.shape_i(x, 1))


def test_get_scalar_constant_value_refuses_non_constants():
    x = T.dscalar("x")
    with pytest.raises(T.NotScalarConstantError, match="x"):
        T.get_scalar_constant_value(x + 1)
    with pytest.raises(T.NotScalarConstantError):
        T.get_scalar_constant_value(np.array([1, 2]))
    with pytest.raises(T.NotScalarConstantError):
        T.get_scalar_constant_value(T.constant(2) * 3, only_process_constants=True)
    with pytest.raises(T.NotScalarConstantError):
        T.get_scalar_constant_value(np.zeros(0))
    with pytest.raises(T.NotScalarConstantError):
        T.get_scalar_constant_value("2")
