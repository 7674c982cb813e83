"""Matrix products: ``dot`` (every vector/matrix case, higher ranks as NumPy's dot),
``tensordot`` and ``outer``, against NumPy, with gradients."""

from __future__ import annotations

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

import symgraph
import symgraph.tensor as T

DOT_RANKS = [(1, 1), (2, 1), (1, 2), (2, 2), (0, 2), (1, 0), (3, 2), (3, 1), (2, 3), (3, 3)]


def _value(rng, shape, dtype):
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-3, 4, size=shape).astype(dtype)
    return rng.uniform(-1, 1, size=shape).astype(dtype)


@pytest.mark.parametrize("ranks", DOT_RANKS, ids=[f"{a}d.{b}d" for a, b in DOT_RANKS])
@SETTINGS
@given(data=st.data())
def test_dot_matches_numpy(ranks, data):
    ra, rb = ranks
    n = data.draw(st.integers(1, 4), label="inner")
    a_shape = tuple(data.draw(st.integers(1, 3)) for _ in range(ra - 1)) + ((n,) if ra else ())
    if rb >= 2:
        b_shape = tuple(data.draw(st.integers(1, 3)) for _ in range(rb - 2)) + (
            n,
            data.draw(st.integers(1, 3)),
        )
    else:
        b_shape = (n,) if rb == 1 else ()
    dtypes = data.draw(
        st.sampled_from(
            [
                ("float64", "float64"),
                ("float32", "float32"),
                ("float32", "float64"),
                ("int32", "float32"),
                ("int64", "int64"),
            ]
        ),
        label="dtypes",
    )
    static_a = tuple(s if data.draw(st.booleans()) else None for s in a_shape)
    static_b = tuple(s if data.draw(st.booleans()) else None for s in b_shape)
    rng = np.random.default_rng(data.draw(st.integers(0, 100)))
    av, bv = _value(rng, a_shape, dtypes[0]), _value(rng, b_shape, dtypes[1])
    a = T.tensor(dtypes[0], shape=static_a, name="a")
    b = T.tensor(dtypes[1], shape=static_b, name="b")
    out = T.dot(a, b)
    expected = np.dot(av, bv)
    assert out.dtype == np.asarray(expected).dtype.name
    assert out.ndim == np.ndim(expected)
    if ra <= 2 and rb <= 2 and ra and rb:  # the Dot op knows its static shape
        assert out.type.shape == static_a[:-1] + static_b[1:]
    result = compile_and_run([a, b], out, [av, bv])
    upcast = np.dot(av.astype(np.float64), bv.astype(np.float64))
    assert_close(result, upcast if out.dtype.startswith("float") else expected, out.dtype)
    assert_close(compile_and_run([a, b], a @ b, [av, bv]), result, out.dtype)
    assert_close(compile_and_run([a, b], a.dot(b), [av, bv]), result, out.dtype)


@pytest.mark.parametrize(
    "ranks",
    [
        pytest.param(
            r,
            id=f"{r[0]}d.{r[1]}d",
        )
        for r in DOT_RANKS
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dot_grad(ranks, dtype):
    rng = np.random.default_rng(1)
    ra, rb = ranks
    a_shape = {0: (), 1: (3,), 2: (2, 3), 3: (2, 2, 3)}[ra]
    b_shape = {0: (), 1: (3,), 2: (3, 2), 3: (2, 3, 2)}[rb]
    point = [_value(rng, a_shape, dtype), _value(rng, b_shape, dtype)]
    modes = MODES if dtype == "float64" else MODES[:1]
    for mode in modes:
        symgraph.verify_grad(T.dot, point, rng=rng, mode=mode)
    a = T.tensor(dtype, shape=(None,) * ra)
    b = T.tensor(dtype, shape=(None,) * rb)
    grads = symgraph.grad(T.dot(a, b).sum(), [a, b])
    for g in grads:
        assert g.dtype == dtype
    if dtype == "float32":
        assert_no_float64(grads)


def test_dot_with_broadcastable_operands():
    r = T.row("r")
    m = T.matrix("m")
    c = T.col("c")
    assert T.dot(r, m).type.shape == (1, None)
    assert T.dot(m, c).type.shape == (None, 1)
    assert T.dot(c, r).type.shape == (None, None)
    rv, mv, cv = np.ones((1, 3)), np.arange(6.0).reshape(3, 2), np.ones((2, 1))
    results = compile_and_run([r, m, c], [T.dot(r, m), T.dot(m, c), T.dot(c, r)], [rv, mv, cv])
    for result, expected in zip(results, [rv @ mv, mv @ cv, cv @ rv]):
        assert_close(result, expected)
    gr = symgraph.grad(T.dot(r, m).sum(), r)
    assert gr.type.shape == (1, None)  # the gradient keeps the broadcastable axis
    assert_close(compile_and_run([r, m], gr, [rv, mv]), mv.sum(axis=1)[None, :])


def test_dot_shape_mismatch_error_names_both_operands():
    a = T.tensor("float64", shape=(2, 3), name="W")
    b = T.tensor("float64", shape=(4, 5), name="x")
    with pytest.raises(ValueError) as info:
        T.dot(a, b)
    message = str(info.value)
    assert "W" in message and "x" in message and "(2, 3)" in message and "(4, 5)" in message
    v = T.tensor("float64", shape=(4,), name="v")
    with pytest.raises(ValueError) as info:
        T.dot(a, v)
    assert "(4,)" in str(info.value) and "v" in str(info.value)
    p, q = T.matrix("p"), T.matrix("q")
    g = symgraph.function([p, q], T.dot(p, q))
    with pytest.raises(ValueError):
        g(np.ones((2, 3)), np.ones((2, 3)))


@pytest.mark.parametrize(
    "a_shape, b_shape, axes",
    [
        ((2, 3, 4), (3, 4, 5), 2),
        ((2, 3), (3, 4), 1),
        ((2, 3), (4, 5), 0),
        ((2, 3, 4), (4, 3, 5), [[1, 2], [1, 0]]),
        ((2, 3, 4), (5, 3), [[1], [1]]),
        ((2, 3, 4), (4, 2), (-1, 0)),
        ((3, 4), (3, 4), [[0, 1], [0, 1]]),
        ((4,), (4, 2), 1),
    ],
)
def test_tensordot_matches_numpy(a_shape, b_shape, axes):
    rng = np.random.default_rng(0)
    av, bv = rng.normal(size=a_shape), rng.normal(size=b_shape)
    a = T.tensor("float64", shape=(None,) * len(a_shape), name="a")
    b = T.tensor("float64", shape=(None,) * len(b_shape), name="b")
    out = T.tensordot(a, b, axes=axes)
    expected = np.tensordot(av, bv, axes=axes)
    assert out.ndim == expected.ndim and out.dtype == "float64"
    assert_close(compile_and_run([a, b], out, [av, bv]), expected)
    for mode in MODES:
        symgraph.verify_grad(
            lambda x, y: T.tensordot(x, y, axes=axes), [av, bv], rng=rng, mode=mode
        )


def test_tensordot_static_shapes_and_dtypes():
    a = T.tensor("float32", shape=(2, 3, 4), name="a")
    b = T.tensor("float32", shape=(3, 4, 5), name="b")
    out = T.tensordot(a, b, axes=2)
    assert out.dtype == "float32"
    assert all(s in (e, None) for s, e in zip(out.type.shape, (2, 5)))
    with pytest.raises(ValueError, match="differ"):
        T.tensordot(a, b, axes=[[0, 1], [0]])


def test_outer():
    a, b = T.vector("a"), T.fvector("b")
    av, bv = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0], dtype=np.float32)
    out = T.outer(a, b)
    expected = np.outer(av, bv)
    assert out.dtype == expected.dtype.name and out.type.shape == (None, None)
    assert_close(compile_and_run([a, b], out, [av, bv]), expected)
    m = T.matrix("m")
    mv = np.arange(4.0).reshape(2, 2)
    assert_close(compile_and_run([m, a], T.outer(m, a), [mv, av]), np.outer(mv, av))
    for mode in MODES:
        symgraph.verify_grad(T.outer, [av, bv.astype(np.float64)], mode=mode)
    f32 = T.fvector("f")
    assert T.outer(f32, f32).dtype == "float32"
