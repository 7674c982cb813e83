"""Operators and methods are installed on tensor variables once, from one class."""

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T
from symgraph.tensor import operators, variable


def test_every_operator_is_installed_on_variables_and_constants():
    methods = [
        name for name in vars(operators.TensorOperators) if name not in operators._CLASS_PLUMBING
    ]
    assert {"__add__", "__getitem__", "sum", "reshape", "cumsum", "T", "shape"} <= set(methods)
    for name in methods:
        member = vars(operators.TensorOperators)[name]
        assert vars(variable._TensorMethods)[name] is member
        assert getattr(T.TensorVariable, name) is getattr(T.TensorConstant, name)


def test_as_tensor_stacks_a_list_of_variables():
    x, y = T.dscalar("x"), T.dscalar("y")
    stacked = T.as_tensor([x, 2.0, y])
    assert stacked.type.shape == (3,)
    np.testing.assert_array_equal(stacked.eval({x: 1.0, y: 3.0}), [1.0, 2.0, 3.0])


def test_variables_compare_by_identity():
    x = T.dvector("x")
    assert x == x and x != T.dvector("x")
    with pytest.raises(TypeError, match="truth value"):
        bool(x < 1)


@pytest.mark.parametrize("method", ["sum", "mean", "prod"])
def test_reduction_methods_take_the_functions_dtype(method):
    """``x.mean(dtype=...)`` (the HMC tutorial's acceptance rate of a boolean vector)
    is ``T.mean(x, dtype=...)``: same dtype, same values as NumPy's."""
    x = T.bvector("x")
    value = np.array([1, 0, 1, 1], dtype="int8")
    reduced = getattr(x, method)(axis=0, dtype="float32")
    assert reduced.dtype == "float32"
    expected = getattr(np, method)(value, axis=0, dtype="float32")
    assert reduced.eval({x: value}).dtype == np.float32
    np.testing.assert_allclose(reduced.eval({x: value}), expected)


NUMPY_LEFT_OPERATORS = [
    ("+", lambda a, b: a + b),
    ("-", lambda a, b: a - b),
    ("*", lambda a, b: a * b),
    ("/", lambda a, b: a / b),
    ("**", lambda a, b: a**b),
    ("<", lambda a, b: a < b),
    ("<=", lambda a, b: a <= b),
    (">", lambda a, b: a > b),
    (">=", lambda a, b: a >= b),
]


@pytest.mark.parametrize(
    "name, apply", NUMPY_LEFT_OPERATORS, ids=[n for n, _ in NUMPY_LEFT_OPERATORS]
)
@pytest.mark.parametrize("left", ["array", "scalar"])
def test_a_numpy_value_on_the_left_gives_a_symbolic_result(name, apply, left):

    x = T.vector("x", dtype="float64")
    rng = np.random.default_rng(0)
    value = rng.uniform(0.5, 2.0, size=3)
    array = rng.uniform(0.5, 2.0, size=3) if left == "array" else np.float64(1.5)
    result = apply(array, x)
    assert isinstance(result, variable.TensorVariable), type(result)
    got = symgraph.function([x], result)(value)
    expected = apply(array, value)  # NumPy's own result, computed here
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected)


def test_a_numpy_array_on_the_left_keeps_the_variables_dtype_rules():
    x = T.vector("x", dtype="float32")
    assert (np.ones(3, dtype="float32") + x).dtype == "float32"
    assert (np.ones(3, dtype="float64") * x).dtype == "float64"
    assert (np.array([1, 2, 3]) + T.lvector("k")).dtype == "int64"
