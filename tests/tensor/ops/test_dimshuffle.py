"""``dimshuffle`` (Theano's rules) and ``.T`` against NumPy, with gradients."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import MODES, SETTINGS, compile_and_run
from hypothesis import given
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T


def _verify_grad_both_modes(fun, point):
    for mode in MODES:
        symgraph.verify_grad(fun, point, rng=np.random.default_rng(0), mode=mode)


@st.composite
def dimshuffle_cases(draw):
    ndim = draw(st.integers(0, 3))
    static = [1 if draw(st.integers(0, 2)) == 0 else None for _ in range(ndim)]
    shape = tuple(1 if s == 1 else draw(st.integers(2, 4)) for s in static)
    dropped = [a for a in range(ndim) if static[a] == 1 and draw(st.booleans())]
    kept = draw(st.permutations([a for a in range(ndim) if a not in dropped]))
    pattern = list(kept)
    for _ in range(draw(st.integers(0, 2))):
        pattern.insert(draw(st.integers(0, len(pattern))), "x")
    return tuple(static), shape, tuple(pattern), tuple(dropped)


def _np_dimshuffle(array, pattern, dropped):
    """Theano's dimshuffle written with plain NumPy calls."""
    squeezed = np.squeeze(array, axis=dropped) if dropped else array
    remaining = [a for a in range(array.ndim) if a not in dropped]
    kept = [remaining.index(a) for a in pattern if a != "x"]
    result = np.transpose(squeezed, kept) if kept else squeezed
    for position, item in enumerate(pattern):
        if item == "x":
            result = np.expand_dims(result, position)
    return result


@SETTINGS
@given(case=dimshuffle_cases(), dtype=st.sampled_from(["float64", "float32", "int16"]))
def test_dimshuffle_matches_numpy(case, dtype):
    static, shape, pattern, dropped = case
    value = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    x = T.tensor(dtype, shape=static, name="x")
    out = x.dimshuffle(*pattern)
    expected = _np_dimshuffle(value, pattern, dropped)
    assert out.dtype == dtype
    assert out.type.shape == tuple(1 if p == "x" else static[p] for p in pattern)
    assert out.broadcastable == tuple(p == "x" or static[p] == 1 for p in pattern)
    result = compile_and_run([x], out, [value])
    np.testing.assert_array_equal(result, expected)
    assert T.dimshuffle(x, pattern).type == out.type
    if dtype == "float64":
        # verify_grad's inputs have unknown static shapes: restore the static 1s first
        point = np.random.default_rng(0).normal(size=shape)
        symgraph.verify_grad(lambda v: _restatic(v, static).dimshuffle(*pattern) * 1.0, [point])


def _restatic(v, static):
    """``v`` (all axes unknown) with the given static-1 axes, via reshape to its own shape."""
    entries = [1 if s == 1 else v.shape[i] for i, s in enumerate(static)]
    return v.reshape(entries, ndim=len(static)) if static else v


def test_dimshuffle_theano_examples():
    x = T.matrix("x")
    value = np.arange(6.0).reshape(2, 3)
    cases = [
        (x.dimshuffle(1, 0), value.T),
        (x.dimshuffle("x", 0, 1), value[None]),
        (x.dimshuffle(0, "x", 1), value[:, None, :]),
        (x.dimshuffle(1, "x", 0, "x"), value.T[:, None, :, None]),
    ]
    for out, expected in cases:
        np.testing.assert_array_equal(compile_and_run([x], out, [value]), expected)
    r = T.row("r")  # (1, None): axis 0 may be dropped
    out = r.dimshuffle(1)
    assert out.type.shape == (None,)
    np.testing.assert_array_equal(compile_and_run([r], out, [np.array([[1.0, 2.0]])]), [1.0, 2.0])
    c = T.col("c")
    assert c.dimshuffle(0).type.shape == (None,)
    assert c.dimshuffle("x", 0, 1).broadcastable == (True, False, True)
    _verify_grad_both_modes(lambda v: v.dimshuffle(1, "x", 0) * 2.0, [value])


def test_dimshuffle_to_a_scalar():
    x = T.tensor("float64", shape=(1, 1), name="x")
    out = x.dimshuffle()
    assert out.type.shape == ()
    result = compile_and_run([x], out, [np.array([[4.0]])])
    assert result.shape == () and float(result) == 4.0


def test_dimshuffle_dropping_a_non_broadcastable_axis_names_the_variable():
    x = T.matrix("features")
    with pytest.raises(ValueError) as info:
        x.dimshuffle(0)
    message = str(info.value)
    assert "features" in message and "axis 1" in message and "1" in message
    assert "f64[?,?]" in message or "matrix" in message
    y = T.tensor("float64", shape=(3, 4), name="w")
    with pytest.raises(ValueError, match="'?w'?"):
        y.dimshuffle(1)


def test_dimshuffle_invalid_patterns():
    x = T.matrix("x")
    for pattern in [(0, 0), (0, 2), (0, 1, 2), (0, -1)]:
        with pytest.raises(ValueError, match="invalid"):
            x.dimshuffle(*pattern)


@pytest.mark.parametrize("static", [(), (None,), (2, None), (None, 1, 3)])
def test_transpose_T(static):
    shape = tuple(s or 2 for s in static)
    value = np.arange(float(np.prod(shape))).reshape(shape)
    x = T.tensor("float64", shape=static, name="x")
    assert x.T.type.shape == tuple(reversed(static))
    result = compile_and_run([x], x.T, [value])
    np.testing.assert_array_equal(result, value.T)
