"""``cumsum``: values and dtypes against NumPy, gradients against finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph
import symgraph.tensor as T
from symgraph.tensor.ops.math import CumSum
from symgraph.tensor.params import AxisError

MODES = ["FAST_RUN", "FAST_COMPILE"]


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=60, deadline=None)
@given(
    value=hnp.arrays(
        st.sampled_from(["float64", "float32", "int32", "int8", "uint16", "bool"]),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    ),
    data=st.data(),
)
def test_cumsum_matches_numpy(mode, value, data):
    axis = data.draw(st.none() | st.integers(-value.ndim, value.ndim - 1)) if value.ndim else None
    x = T.tensor(dtype=value.dtype.name, shape=(None,) * value.ndim, name="x")
    f = symgraph.function([x], T.cumsum(x, axis=axis), mode=mode)
    expected = np.cumsum(value, axis=axis)
    result = f(value)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


def test_method_static_shape_and_theano_name():
    x = T.tensor(dtype="int32", shape=(2, 3), name="x")
    assert x.cumsum(axis=1).type == T.tensor(dtype="int64", shape=(2, 3)).type
    assert x.cumsum().type.shape == (6,)
    from symgraph.compat.theano.tensor import extra_ops

    assert extra_ops.cumsum is T.cumsum


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("mode", MODES)
def test_cumsum_gradient(axis, mode):
    rng = np.random.default_rng(7)
    point = rng.normal(size=(3, 4))
    symgraph.verify_grad(lambda x: T.cumsum(x, axis=axis) ** 2, [point], rng=rng, mode=mode)


def test_cumsum_gradient_matches_the_hand_derivation():
    # d/dx_i sum_j w_j cumsum(x)_j = sum_{j >= i} w_j
    x = T.dvector("x")
    w = np.array([1.0, -2.0, 0.5, 4.0])
    g = symgraph.grad((T.cumsum(x) * w).sum(), x)
    np.testing.assert_allclose(g.eval({x: np.zeros(4)}), np.cumsum(w[::-1])[::-1])


def test_integer_input_gets_no_gradient_through_cumsum():
    x, y = T.ivector("x"), T.dvector("y")
    cost = (T.cumsum(x) * y).sum()
    assert CumSum(None).grad(T.cumsum(x).owner, [y]) == [None]
    gy = symgraph.grad(cost, y)
    value = {x: np.array([1, 2, 3], "int32"), y: np.zeros(3)}
    np.testing.assert_array_equal(gy.eval(value), [1, 3, 6])


def test_bad_axis_names_the_variable():
    x = T.dmatrix("weights")
    with pytest.raises(AxisError, match="weights"):
        T.cumsum(x, axis=2)


# --------------------------------------------------------------------------------------
# cumprod


def running_product(value, axis):
    """Products of prefixes along ``axis`` (of the flattened value when None), by a loop."""
    flat = value.reshape(-1) if axis is None else value
    axis = 0 if axis is None else axis
    moved = np.moveaxis(flat, axis, -1)
    dtype = np.cumprod(np.zeros(1, value.dtype)).dtype
    out = np.empty(moved.shape, dtype=dtype)
    running = np.ones(moved.shape[:-1], dtype=dtype)
    for k in range(moved.shape[-1]):
        running = running * moved[..., k]
        out[..., k] = running
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=60, deadline=None)
@given(
    value=hnp.arrays(
        st.sampled_from(["float64", "float32", "int32", "int8"]),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        elements=st.integers(-2, 2),
    ),
    data=st.data(),
)
def test_cumprod_matches_a_loop(mode, value, data):
    axis = data.draw(st.none() | st.integers(-value.ndim, value.ndim - 1)) if value.ndim else None
    x = T.tensor(dtype=value.dtype.name, shape=(None,) * value.ndim, name="x")
    result = symgraph.function([x], T.cumprod(x, axis=axis), mode=mode)(value)
    expected = running_product(value, None if axis is None else axis % value.ndim)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-6)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("mode", MODES)
def test_cumprod_gradient(axis, mode):
    rng = np.random.default_rng(8)
    point = rng.uniform(0.5, 2.0, size=(3, 4)) * rng.choice([-1, 1], size=(3, 4))
    symgraph.verify_grad(lambda x: T.cumprod(x, axis=axis) ** 2, [point], rng=rng, mode=mode)


def test_cumprod_gradient_matches_the_hand_derivation():
    # d/dx_i sum_j w_j prod_{k <= j} x_k = sum_{j >= i} w_j prod_{k <= j, k != i} x_k
    value = np.array([1.5, -2.0, 0.5, 3.0])
    w = np.array([1.0, -2.0, 0.5, 4.0])
    expected = [
        sum(w[j] * np.prod([value[k] for k in range(j + 1) if k != i]) for j in range(i, 4))
        for i in range(4)
    ]
    x = T.dvector("x")
    g = symgraph.grad((x.cumprod() * w).sum(), x)
    np.testing.assert_allclose(g.eval({x: value}), expected)


def test_cumprod_theano_name():
    from symgraph.compat.theano.tensor import extra_ops

    assert (
        extra_ops.cumprod is T.cumprod
        and str(T.cumprod(T.dmatrix(), 1).owner.op) == "CumProd{axis=1}"
    )
