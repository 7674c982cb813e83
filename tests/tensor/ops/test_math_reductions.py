"""Reductions (sum mean prod max min argmax argmin var std) over ``axis`` with
``keepdims``, driven by one table checked against NumPy, plus their gradients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from helpers import (
    MODES,
    SETTINGS,
    assert_close,
    assert_no_float64,
    compile_and_run,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph
import symgraph.tensor as T


@dataclass(frozen=True)
class Row:
    name: str
    build: Callable  # (x, axis, keepdims) -> symbolic
    ref: Callable  # (array, axis, keepdims) -> NumPy result
    dtypes: tuple[str, ...]
    grad: bool = True
    single_axis: bool = False  # argmax/argmin: one axis or None


def _method(name):
    return lambda x, axis, keepdims: getattr(x, name)(axis=axis, keepdims=keepdims)


def _function(name):
    return lambda x, axis, keepdims: getattr(T, name)(x, axis=axis, keepdims=keepdims)


def _numpy(name):
    return lambda a, axis, keepdims: getattr(np, name)(a, axis=axis, keepdims=keepdims)


ALL = ("float32", "float64", "int8", "int32", "int64", "bool")
ROWS = [
    Row("sum", _function("sum"), _numpy("sum"), ALL),
    Row("sum_method", _method("sum"), _numpy("sum"), ALL),
    Row("mean", _function("mean"), _numpy("mean"), ALL),
    Row("mean_method", _method("mean"), _numpy("mean"), ALL),
    Row("prod", _function("prod"), _numpy("prod"), ALL),
    Row("max", _function("max"), _numpy("max"), ALL),
    Row("max_method", _method("max"), _numpy("max"), ALL),
    Row("min", _function("min"), _numpy("min"), ALL),
    Row("var", _function("var"), _numpy("var"), ALL),
    Row("std", _function("std"), _numpy("std"), ALL),
    Row("argmax", _function("argmax"), _numpy("argmax"), ALL, grad=False, single_axis=True),
    Row("argmax_method", _method("argmax"), _numpy("argmax"), ALL, grad=False, single_axis=True),
    Row("argmin", _function("argmin"), _numpy("argmin"), ALL, grad=False, single_axis=True),
]


@st.composite
def axes(draw, ndim: int, single: bool):
    """None, an int (maybe negative), or (unless ``single``) a tuple of distinct axes."""
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
        if not single:
            choices.append(
                st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple)
            )
    return draw(st.one_of(*choices))


def _tolerance(dtype: str, array: np.ndarray) -> dict:
    """float32 results accumulate rounding errors proportional to the summed magnitudes."""
    if dtype != "float32":
        return {}
    scale = float(np.abs(array.astype(np.float64)).sum()) + 1.0
    return {"rtol": 1e-4, "atol": 1e-6 * scale}


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
@SETTINGS
@given(data=st.data())
def test_reduction_matches_numpy(row, data):
    dtype = data.draw(st.sampled_from(row.dtypes), label="dtype")
    ndim = data.draw(st.integers(0, 3), label="ndim")
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    static = tuple(s if data.draw(st.booleans()) else None for s in shape)
    axis = data.draw(axes(ndim, row.single_axis), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    if dtype == "bool":
        elements = st.booleans()
    elif dtype.startswith("int"):
        elements = st.integers(-3, 3)
    else:
        elements = st.floats(-3, 3, width=32 if dtype == "float32" else 64)
    value = data.draw(hnp.arrays(dtype, shape, elements=elements), label="x")

    x = T.tensor(dtype, shape=static, name="x")
    out = row.build(x, axis, keepdims)
    natural = np.asarray(row.ref(value, axis, keepdims))
    assert out.dtype == natural.dtype.name, (row.name, dtype)
    # static shape: reduced axes vanish (or are 1 with keepdims), the others keep theirs
    reduced = (
        set(range(ndim))
        if axis is None
        else {a % ndim for a in (axis if isinstance(axis, tuple) else (axis,))}
    )
    kept = [1 if i in reduced else s for i, s in enumerate(static) if keepdims or i not in reduced]
    assert out.type.shape == tuple(kept)
    result = compile_and_run([x], out, [value])
    if natural.dtype.kind == "f" and value.dtype.kind == "f":
        expected = row.ref(value.astype(np.float64), axis, keepdims)
    else:
        expected = natural
    assert_close(result, expected, out.dtype, **_tolerance(out.dtype, value))


GRAD_CASES = [
    (None, False),
    (0, False),
    (1, True),
    (-1, False),
    ((0, 2), True),
    ((0, 2), False),
    ((), False),
]


@pytest.mark.parametrize("axis, keepdims", GRAD_CASES)
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "var", "std"])
def test_reduction_grad_float64(name, axis, keepdims):
    rng = np.random.default_rng(3)
    point = rng.uniform(0.5, 2.0, size=(2, 3, 4)) * rng.choice([-1, 1], size=(2, 3, 4))
    if name in ("var", "std") and axis == ():
        return  # the variance over no axis is identically 0; covered below
    for mode in MODES:
        symgraph.verify_grad(
            lambda x: getattr(T, name)(x, axis=axis, keepdims=keepdims),
            [point],
            rng=rng,
            mode=mode,
        )


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "var", "std"])
def test_reduction_grad_float32(name):
    rng = np.random.default_rng(5)
    point = rng.uniform(0.5, 1.5, size=(3, 4)).astype(np.float32)
    x = T.fmatrix("x")
    g = symgraph.grad(getattr(T, name)(x, axis=0).sum(), x)
    assert g.dtype == "float32"
    assert_no_float64(g)
    symgraph.verify_grad(lambda x: getattr(T, name)(x, axis=1), [point], rng=rng)


def test_variance_of_nothing_and_ddof():
    x = T.matrix("x")
    xv = np.random.default_rng(0).normal(size=(3, 5))
    assert_close(compile_and_run([x], T.var(x, axis=()), [xv]), np.zeros_like(xv))
    for ddof in (0, 1, 2):
        out = [T.var(x, axis=1, ddof=ddof), T.std(x, axis=0, ddof=ddof), x.var(ddof=ddof)]
        results = compile_and_run([x], out, [xv])
        assert_close(results[0], xv.var(axis=1, ddof=ddof))
        assert_close(results[1], xv.std(axis=0, ddof=ddof))
        assert_close(results[2], xv.var(ddof=ddof))
    symgraph.verify_grad(lambda x: T.std(x, axis=1, ddof=1), [xv])


@pytest.mark.parametrize(
    "value",
    [
        [2.0, 0.0, 3.0, 4.0],  # one zero: only the zero's gradient is nonzero
        [0.0, 5.0, 0.0, 2.0],  # two zeros: all gradients are zero
        [1.5, -2.0, 3.0, 0.5],
    ],
)
def test_prod_grad_with_zeros(value):
    x = T.vector("x")
    value = np.array(value)
    expected = np.array([np.prod(np.delete(value, i)) for i in range(value.size)])
    g = symgraph.grad(T.prod(x), x)
    result = compile_and_run([x], g, [value])
    assert_close(result, expected)
    m = T.matrix("m")
    rows = np.stack([value, value[::-1] + 1.0])
    g = symgraph.grad((T.prod(m, axis=1) * np.array([1.0, 2.0])).sum(), m)
    expected_rows = np.stack(
        [
            w * np.array([np.prod(np.delete(r, i)) for i in range(r.size)])
            for w, r in zip((1.0, 2.0), rows)
        ]
    )
    assert_close(compile_and_run([m], g, [rows]), expected_rows)


def test_max_grad_goes_to_every_tied_maximum():
    x = T.vector("x")
    g = symgraph.grad(T.max(x), x)
    assert_close(compile_and_run([x], g, [np.array([1.0, 3.0, 3.0, -1.0])]), [0, 1, 1, 0])


def test_sum_dtype_argument_and_integer_accumulators():
    x = T.bvector("x")
    xv = np.array([100, 100, 100], dtype=np.int8)
    assert T.sum(x).dtype == "int64"
    assert int(compile_and_run([x], T.sum(x), [xv])) == 300  # NumPy's accumulator, no wrap
    assert T.sum(x, dtype="float32").dtype == "float32"
    assert_close(compile_and_run([x], x.sum(dtype="float64"), [xv]), 300.0)
    assert T.mean(T.ivector()).dtype == "float64"
    assert T.mean(T.fvector()).dtype == "float32"
    assert T.argmax(T.fmatrix(), axis=0).dtype == "int64"


def test_reductions_of_integers_have_no_gradient():
    # integer values are reached only through non-differentiable ops: disconnected
    x = T.ivector("x")
    w = T.vector("w")
    cost = T.sum(w) * T.cast(T.sum(x), "float64")
    with pytest.raises(symgraph.DisconnectedInputError, match="'x'"):
        symgraph.grad(cost, [x, w])
    gx, gw = symgraph.grad(cost, [x, w], disconnected_inputs="ignore")
    assert gx.dtype == symgraph.config.floatX
    xv = np.array([1, 2], dtype=np.int32)
    results = compile_and_run([x, w], [gx, gw], [xv, np.ones(3)])
    assert_close(results[0], np.zeros(2))
    assert_close(results[1], np.full(3, 3.0))


def test_axis_errors_name_the_variable():
    x = T.matrix("activations")
    with pytest.raises(ValueError) as info:
        T.sum(x, axis=2)
    assert "activations" in str(info.value) and "axis 2" in str(info.value)
    with pytest.raises(ValueError, match="activations"):
        x.max(axis=-3)
    with pytest.raises(ValueError, match="repeated"):
        T.sum(x, axis=(0, -2))
    with pytest.raises(TypeError, match="Python ints"):
        T.sum(x, axis=T.iscalar("a"))
    with pytest.raises(ValueError, match="repeated"):
        T.argmax(x, axis=(0, -2))
    with pytest.raises(ValueError, match="activations"):
        T.argmax(x, axis=2)


@pytest.mark.parametrize("kind", ["argmax", "argmin"])
@pytest.mark.parametrize("keepdims", [False, True])
@given(
    value=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=4),
        elements=st.floats(-5, 5),
    ),
    axes=st.sampled_from([(0, 2), (2, 0), (1, 2), (0, 1, 2), (-1, 0), (), (0, 1)]),
)
@SETTINGS
def test_arg_reduction_over_several_axes_indexes_them_flattened(kind, keepdims, value, axes):
    """Over several axes (Theano's semantics): the index into those axes, sorted and
    flattened, with the kept axes first; no axis listed means all of them."""
    x = T.tensor3("x")
    out = getattr(T, kind)(x, axis=axes, keepdims=keepdims)
    reduced = sorted(a % 3 for a in axes) if axes else [0, 1, 2]
    kept = [a for a in range(3) if a not in reduced]
    moved = np.transpose(value, kept + reduced)
    expected = getattr(moved.reshape(moved.shape[: len(kept)] + (-1,)), kind)(-1)
    if keepdims:
        expected = np.expand_dims(expected, tuple(reduced))
    assert np.array_equal(compile_and_run([x], out, [value]), expected)
