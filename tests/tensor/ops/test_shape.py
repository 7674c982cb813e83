"""Shape ops: ``x.shape``, reshape with symbolic shapes, flatten(ndim), concatenate,
stack, arange, zeros_like/ones_like, alloc."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import MODES, SETTINGS, assert_close, compile_and_run
from hypothesis import given
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T


def _verify_grad_both_modes(fun, point):
    for mode in MODES:
        symgraph.verify_grad(fun, point, rng=np.random.default_rng(0), mode=mode)


# --------------------------------------------------------------------------------------
# shape


@pytest.mark.parametrize("static", [(), (None,), (3, None), (None, 1, None), (2, 3, 4)])
def test_shape_is_an_int64_vector(static):
    value = np.zeros(tuple(s if s is not None else 2 + i for i, s in enumerate(static)))
    x = T.tensor("float64", shape=static, name="x")
    s = x.shape
    assert (s.dtype, s.type.shape) == ("int64", (len(static),))
    outputs = [s] + [x.shape[i] for i in range(len(static))]
    results = compile_and_run([x], outputs, [value], on_unused_input="ignore")
    np.testing.assert_array_equal(results[0], value.shape)
    for i, r in enumerate(results[1:]):
        assert r.shape == () and r.dtype == np.int64 and int(r) == value.shape[i]


def test_static_shape_is_known_without_the_input():
    x = T.tensor("float32", shape=(2, 3), name="x")
    np.testing.assert_array_equal(x.shape.eval(), [2, 3])
    y = T.tensor("float32", shape=(None, 3), name="y")
    assert int(y.shape[1].eval()) == 3
    assert int(symgraph.function([y], y.shape[0])(np.zeros((5, 3), np.float32))) == 5


# --------------------------------------------------------------------------------------
# reshape


def test_reshape_with_symbolic_shapes():
    x = T.tensor3("x")
    value = np.arange(24.0).reshape(2, 3, 4)
    n = T.lscalar("n")
    cases = [
        (x.reshape((x.shape[0], -1)), value.reshape(2, -1), (None, None)),
        (x.reshape((x.shape[0] * x.shape[1], x.shape[2])), value.reshape(6, 4), (None, None)),
        (x.reshape((-1,)), value.reshape(-1), (None,)),
        (x.reshape((4, 6)), value.reshape(4, 6), (4, 6)),
        (x.reshape((2, -1, 2)), value.reshape(2, -1, 2), (2, None, 2)),
        (
            T.reshape(x, (x.shape[2], x.shape[0], x.shape[1])),
            value.reshape(4, 2, 3),
            (None, None, None),
        ),
        (x.reshape(24), value.reshape(24), (24,)),
        (x.reshape((2, 12)), value.reshape(2, 12), (2, 12)),
    ]
    for out, expected, static in cases:
        assert out.type.shape == static, out
        np.testing.assert_array_equal(compile_and_run([x], out, [value]), expected)
    out = x.reshape((n, -1))
    result = compile_and_run([x, n], out, [value, np.int64(3)])
    np.testing.assert_array_equal(result, value.reshape(3, -1))
    shape_vector = T.lvector("s")
    out = x.reshape(shape_vector, ndim=2)
    assert out.ndim == 2
    result = compile_and_run([x, shape_vector], out, [value, np.array([12, 2])])
    np.testing.assert_array_equal(result, value.reshape(12, 2))
    i32 = T.iscalar("i")
    out = x.reshape((i32, 12))
    np.testing.assert_array_equal(
        compile_and_run([x, i32], out, [value, np.int32(2)]), value.reshape(2, 12)
    )


def test_reshape_static_shapes_are_inferred():
    x = T.tensor("float32", shape=(2, 3, 4), name="x")
    assert x.reshape((6, -1)).type.shape == (6, 4)
    assert x.reshape((-1,)).type.shape == (24,)
    assert x.reshape((x.shape[0], -1)).type.shape == (2, 12)
    y = T.tensor("float32", shape=(None, 3), name="y")
    assert y.reshape((y.shape[1], y.shape[0])).type.shape == (3, None)
    assert T.scalar().reshape((1, 1)).type.shape == (1, 1)


def test_reshape_to_scalar_and_from_scalar():
    x = T.tensor("float64", shape=(1, 1), name="x")
    out = x.reshape(())
    assert out.type.shape == ()
    result = compile_and_run([x], out, [np.array([[3.0]])])
    assert result.shape == () and float(result) == 3.0
    s = T.scalar("s")
    out = s.reshape((1, 1, 1))
    np.testing.assert_array_equal(compile_and_run([s], out, [np.array(2.0)]), [[[2.0]]])


def test_reshape_errors_name_the_variable():
    x = T.tensor("float64", shape=(2, 3), name="images")
    for shape in [(4, 5), (-1, 4), (5, -1)]:
        with pytest.raises(ValueError) as info:
            x.reshape(shape)
        message = str(info.value)
        assert "images" in message and "(2, 3)" in message, message
    with pytest.raises(ValueError, match="ndim"):
        T.matrix("m").reshape(T.lvector("s"))
    with pytest.raises(TypeError, match="integer"):
        T.matrix("m").reshape(T.vector("s"), ndim=2)
    m = T.matrix("m")
    f = symgraph.function([m], m.reshape((m.shape[0], 5)))
    with pytest.raises(ValueError):
        f(np.zeros((2, 3)))


def test_reshape_grad():
    value = np.random.default_rng(1).normal(size=(2, 3, 4))
    _verify_grad_both_modes(lambda x: x.reshape((x.shape[0], -1)) ** 2, [value])
    _verify_grad_both_modes(lambda x: T.reshape(x, (4, 6)).T * 3.0, [value])


# --------------------------------------------------------------------------------------
# flatten


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4), (2, 1, 3, 2), (0, 3, 2), (3, 0, 2)])
def test_flatten_keeps_the_first_ndim_minus_1_axes(shape):
    value = np.arange(float(np.prod(shape))).reshape(shape)
    for static in [(None,) * len(shape), shape]:
        x = T.tensor("float64", shape=static, name="x")
        for ndim in range(1, len(shape) + 1):
            out = T.flatten(x, ndim)
            expected = (
                value.reshape(shape[: ndim - 1] + (-1,))
                if value.size
                else value.reshape(shape[: ndim - 1] + (int(np.prod(shape[ndim - 1 :])),))
            )
            kept = static[: ndim - 1]
            rest = static[ndim - 1 :]
            merged = None if None in rest else int(np.prod(rest))
            assert out.type.shape == (*kept, merged)
            assert x.flatten(ndim).type == out.type
            result = compile_and_run([x], out, [value])
            np.testing.assert_array_equal(result, expected)
    if value.size:
        _verify_grad_both_modes(
            lambda v: T.flatten(v, 2) * 2.0 if len(shape) > 1 else v.flatten() * 2.0, [value]
        )


def test_flatten_errors_and_deprecated_outdim():
    x = T.matrix("pixels")
    for ndim in (0, 3):
        with pytest.raises(ValueError) as info:
            T.flatten(x, ndim)
        assert "pixels" in str(info.value)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = x.flatten(outdim=1)
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    assert out.ndim == 1


# --------------------------------------------------------------------------------------
# concatenate / stack


@SETTINGS
@given(data=st.data())
def test_concatenate_matches_numpy(data):
    ndim = data.draw(st.integers(1, 3), label="ndim")
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    n = data.draw(st.integers(1, 3), label="n")
    base = [data.draw(st.integers(1, 3)) for _ in range(ndim)]
    dtypes = [data.draw(st.sampled_from(["float64", "float32", "int32"])) for _ in range(n)]
    values, variables = [], []
    for i in range(n):
        shape = list(base)
        shape[axis] = data.draw(st.integers(0, 3))
        static = [s if data.draw(st.booleans()) else None for s in shape]
        values.append(np.arange(float(np.prod(shape))).reshape(shape).astype(dtypes[i]))
        variables.append(T.tensor(dtypes[i], shape=static, name=f"t{i}"))
    out = T.concatenate(variables, axis=axis)
    expected = np.concatenate(values, axis=axis)
    assert out.dtype == expected.dtype.name
    result = compile_and_run(variables, out, values)
    np.testing.assert_array_equal(result, expected)
    statics = [v.type.shape for v in variables]
    a = axis % ndim
    along = [s[a] for s in statics]
    assert out.type.shape[a] == (None if None in along else sum(along))


def test_concatenate_grad_and_static_shape():
    a = T.tensor("float64", shape=(2, 3), name="a")
    b = T.tensor("float64", shape=(2, None), name="b")
    assert T.concatenate([a, b], axis=1).type.shape == (2, None)
    assert T.concatenate([a, a], axis=0).type.shape == (4, 3)
    assert T.concatenate([a, b], axis=-2).type.shape == (4, 3)
    rng = np.random.default_rng(0)
    point = [rng.normal(size=(2, 3)), rng.normal(size=(2, 1)), rng.normal(size=(2, 2))]
    _verify_grad_both_modes(lambda x, y, z: T.concatenate([x, y, z], axis=1) ** 2, point)
    iv = T.ivector("i")
    v = T.vector("v")
    g = symgraph.grad((T.concatenate([v, T.cast(iv, "float64")]) ** 2).sum(), v)
    result = compile_and_run([v, iv], g, [np.array([1.0, 2.0]), np.array([3], np.int32)])
    assert_close(result, [2.0, 4.0])


def test_concatenate_errors_name_the_tensors():
    a = T.tensor("float64", shape=(2, 3), name="left")
    b = T.tensor("float64", shape=(2, 4), name="right")
    with pytest.raises(ValueError) as info:
        T.concatenate([a, b], axis=0)
    message = str(info.value)
    assert "left" in message and "right" in message and "(2, 3)" in message
    with pytest.raises(TypeError) as info:
        T.concatenate([a, T.vector("v")])
    assert "left" in str(info.value) and "'v'" in str(info.value)
    with pytest.raises(ValueError):
        T.concatenate([])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack_matches_numpy(axis):
    a, b = T.vector("a"), T.vector("b")
    values = [np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])]
    out = T.stack([a, b], axis=axis)
    expected = np.stack(values, axis=axis)
    result = compile_and_run([a, b], out, values)
    np.testing.assert_array_equal(result, expected)
    _verify_grad_both_modes(lambda x, y: T.stack([x, y * 2.0], axis=axis) ** 2, values)
    m = T.matrix("m")
    mv = np.arange(6.0).reshape(2, 3)
    out = T.stack([m, m + 1, m], axis=axis)
    np.testing.assert_array_equal(
        compile_and_run([m], out, [mv]), np.stack([mv, mv + 1, mv], axis=axis)
    )


def test_stack_scalars_and_mixed_dtypes():
    x, y = T.scalar("x"), T.iscalar("y")
    out = T.stack([x, y, 2.0])
    assert out.type.shape == (3,) and out.dtype == "float64"
    result = compile_and_run([x, y], out, [np.array(1.5), np.int32(4)])
    np.testing.assert_array_equal(result, [1.5, 4.0, 2.0])
    f32 = T.fscalar("f")
    assert T.stack([f32, f32]).dtype == "float32"
    assert T.stack([f32, 2.0]).dtype == "float32"
    _verify_grad_both_modes(lambda a, b: T.stack([a, b * a]), [np.array(2.0), np.array(3.0)])
    with pytest.raises((TypeError, ValueError)) as info:
        T.stack([T.vector("a"), T.matrix("b")])
    assert "'a'" in str(info.value) and "'b'" in str(info.value)


# --------------------------------------------------------------------------------------
# arange, zeros_like, ones_like, alloc


@pytest.mark.parametrize(
    "args",
    [(5,), (2, 7), (7, 2, -2), (0,), (1, 10, 3), (0.0, 1.0, 0.25), (3.5,), (-3, 3)],
)
def test_arange_constant_arguments(args):
    out = T.arange(*args)
    expected = np.arange(*args)
    assert out.dtype == expected.dtype.name
    assert out.type.shape in ((len(expected),), (None,))
    if all(isinstance(a, int) for a in args):
        assert out.type.shape == (len(expected),)
    result = compile_and_run([], out, [])
    np.testing.assert_array_equal(result, expected)


def test_arange_symbolic_arguments():
    start, stop, step = T.lscalar("start"), T.iscalar("stop"), T.lscalar("step")
    out = T.arange(start, stop, step)
    assert out.dtype == "int64" and out.type.shape == (None,)
    result = compile_and_run([start, stop, step], out, [np.int64(1), np.int32(9), np.int64(3)])
    np.testing.assert_array_equal(result, np.arange(1, 9, 3))
    y = T.ivector("y")
    out = T.arange(y.shape[0])
    np.testing.assert_array_equal(compile_and_run([y], out, [np.zeros(4, np.int32)]), np.arange(4))
    assert T.arange(T.tensor("int32", shape=(6,)).shape[0]).type.shape == (6,)
    assert T.arange(3, dtype="float32").dtype == "float32"
    # float32 stays float32 with the Python-int defaults of start and step (Theano's rule;
    # NumPy's arange would give float64)
    f = T.fscalar("f")
    assert T.arange(f).dtype == "float32"
    np.testing.assert_array_equal(
        compile_and_run([f], T.arange(f), [np.float32(2.5)]), np.arange(2.5, dtype=np.float32)
    )


@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "bool"])
def test_zeros_like_ones_like(dtype):
    x = T.tensor(dtype, shape=(None, 1, 3), name="x")
    value = np.ones((2, 1, 3), dtype=dtype)
    for fn, fill in ((T.zeros_like, 0), (T.ones_like, 1)):
        out = fn(x)
        assert out.dtype == dtype and out.type.shape == (None, 1, 3)
        result = compile_and_run([x], out, [value])
        np.testing.assert_array_equal(result, np.full((2, 1, 3), fill, dtype=dtype))
        other = fn(x, dtype="int16")
        assert other.dtype == "int16"
        np.testing.assert_array_equal(
            compile_and_run([x], other, [value]), np.full((2, 1, 3), fill, dtype=np.int16)
        )


def test_alloc_zeros_ones():
    v = T.vector("v")
    n = T.lscalar("n")
    out = T.alloc(v, n, 3)
    assert out.type.shape == (None, 3)
    vv = np.array([1.0, 2.0, 3.0])
    result = compile_and_run([v, n], out, [vv, np.int64(2)])
    np.testing.assert_array_equal(result, np.broadcast_to(vv, (2, 3)))
    s = T.scalar("s")
    out = T.alloc(s, 2, n)
    assert out.type.shape == (2, None)
    np.testing.assert_array_equal(
        compile_and_run([s, n], out, [np.array(7.0), np.int64(3)]), np.full((2, 3), 7.0)
    )
    assert T.alloc(0.0, 4, 5).type.shape == (4, 5)
    assert T.alloc(s, [2, 3]).type.shape == (2, 3)
    for fn, fill in ((T.zeros, 0.0), (T.ones, 1.0)):
        out = fn((2, 3))
        assert out.dtype == symgraph.config.floatX and out.type.shape == (2, 3)
        np.testing.assert_array_equal(compile_and_run([], out, []), np.full((2, 3), fill))
        out = fn((n, 2), dtype="int32")
        assert out.dtype == "int32"
        np.testing.assert_array_equal(
            compile_and_run([n], out, [np.int64(1)]), np.full((1, 2), fill, dtype=np.int32)
        )
    # the gradient of alloc sums over the axes it broadcast
    _verify_grad_both_modes(lambda x: T.alloc(x, 3, 2) ** 2, [np.array([0.5, -1.5])])
    _verify_grad_both_modes(lambda x: T.alloc(x, 2, 4) * 3.0, [np.array(0.7)])
    c = T.col("c")
    g = symgraph.grad((T.alloc(c, 2, 3) * np.arange(6.0).reshape(2, 3)).sum(), c)
    assert g.ndim == 2 and c.type.is_super(g.type)
    assert_close(compile_and_run([c], g, [np.ones((2, 1))]), [[3.0], [12.0]])


def test_dimshuffle_of_a_shape_entry():
    """A shape entry is a Python int at run time; adding an axis to it must still work."""
    from symgraph.tensor.ops.shape import shape_i

    m = T.dmatrix("m")
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        f = symgraph.function([m], shape_i(m, 1).dimshuffle("x") * 2, mode=mode)
        np.testing.assert_array_equal(f(np.zeros((2, 3))), [6])
