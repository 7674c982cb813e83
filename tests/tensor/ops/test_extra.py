"""Functions built from other ops (``repeat``, ``tile``, ``norm``, ``eye``...) against NumPy,
with gradients checked by finite differences; ``addbroadcast`` and friends."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SETTINGS, assert_close, compile_and_run
from hypothesis import given
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T


@SETTINGS
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    repeats=st.integers(0, 3),
    axis_seed=st.integers(0, 10),
    use_none=st.booleans(),
)
def test_repeat_matches_numpy(shape, repeats, axis_seed, use_none):
    xv = np.random.default_rng(0).normal(size=shape)
    axis = None if use_none else axis_seed % len(shape) - (axis_seed % 2) * len(shape)
    x = T.tensor("float64", shape=(None,) * len(shape), name="x")
    (result,) = compile_and_run([x], [T.repeat(x, repeats, axis=axis)], [xv])
    assert_close(result, np.repeat(xv, repeats, axis=axis))
    assert_close(compile_and_run([x], [x.repeat(repeats, axis)], [xv])[0], result)


@SETTINGS
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    repeats=st.integers(0, 3),
    axis_seed=st.integers(0, 10),
    use_none=st.booleans(),
)
def test_repeat_with_a_symbolic_count_matches_numpy(shape, repeats, axis_seed, use_none):
    xv = np.random.default_rng(0).normal(size=shape)
    axis = None if use_none else axis_seed % len(shape)
    x = T.tensor("float64", shape=(None,) * len(shape), name="x")
    count = T.lscalar("count")
    (result,) = compile_and_run([x, count], [T.repeat(x, count, axis=axis)], [xv, repeats])
    assert_close(result, np.repeat(xv, repeats, axis=axis))


def test_repeat_with_a_symbolic_count_gradient():
    rng = np.random.default_rng(3)
    count = T.iscalar("count")
    x = T.matrix("x", dtype="float64")
    y = T.repeat(x, count, axis=1)
    g = symgraph.function([x, count], symgraph.grad((y * y).sum(), x))
    xv = rng.normal(size=(2, 3))
    # each element appears `count` times: d/dx sum(y^2) = 2 * count * x
    assert_close(g(xv, 3), 2 * 3 * xv)
    symgraph.verify_grad(lambda v: T.repeat(v, T.constant(2, dtype="int32") + 0), [xv], rng=rng)


def test_repeat_takes_a_count_per_element_and_refuses_a_float_count():
    x, counts = T.vector("x"), T.lvector("counts")
    f = symgraph.function([x, counts], T.repeat(x, counts))
    assert_close(f([1.0, 2.0, 3.0], [2, 0, 1]), np.repeat([1.0, 2.0, 3.0], [2, 0, 1]))
    with pytest.raises(TypeError, match="repeats must be an int scalar or vector"):
        T.repeat(x, T.dscalar("r"))


@SETTINGS
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    reps=st.lists(st.integers(0, 3), min_size=1, max_size=4),
)
def test_tile_matches_numpy(shape, reps):
    xv = np.random.default_rng(0).normal(size=shape)
    x = T.tensor("float64", shape=(None,) * len(shape), name="x")
    (result,) = compile_and_run([x], [T.tile(x, reps)], [xv])
    assert_close(result, np.tile(xv, reps))


def test_repeat_tile_and_norm_gradients():
    rng = np.random.default_rng(1)
    xv = rng.normal(size=(2, 3)) + 0.5
    symgraph.verify_grad(lambda x: T.repeat(x, 2, axis=0) * 1.5, [xv], rng=rng)
    symgraph.verify_grad(lambda x: T.repeat(x, 3), [xv], rng=rng)
    symgraph.verify_grad(lambda x: T.tile(x, (2, 1, 3)), [xv], rng=rng)
    for L in (1, 2, 3, np.inf):
        symgraph.verify_grad(lambda x, L=L: T.norm(x, L, axis=1), [xv], rng=rng)


def test_norm_squeeze_swapaxes_any_all_eye_one_hot_match_numpy():
    rng = np.random.default_rng(2)
    xv = rng.normal(size=(2, 1, 3))
    x = T.tensor("float64", shape=(None, 1, None), name="x")
    i = T.ivector("i")
    n = T.lscalar("n")
    outputs = [
        x.norm(2),
        x.norm(1, axis=2, keepdims=True),
        T.norm(x, np.inf, axis=0),
        T.norm(x, 3),
        x.squeeze(),
        T.squeeze(x, axis=1),
        x.swapaxes(0, 2),
        x.transpose(),
        x.transpose(1, 0, 2),
        (x > 0).any(axis=2),
        T.all(x > -10),
        T.eye(n, 4, k=1),
        T.to_one_hot(i, 5),
    ]
    iv = np.array([0, 4, 2], dtype=np.int32)
    results = compile_and_run([x, i, n], outputs, [xv, iv, 3])
    a = np.abs(xv)
    expected = [
        np.sqrt((xv**2).sum()),
        a.sum(axis=2, keepdims=True),
        a.max(axis=0),
        (a**3).sum() ** (1 / 3),
        xv.reshape(2, 3),
        xv.reshape(2, 3),
        xv.swapaxes(0, 2),
        xv.transpose(),
        xv.transpose(1, 0, 2),
        (xv > 0).any(axis=2),
        np.True_,
        np.eye(3, 4, k=1),
        np.eye(5)[iv],
    ]
    for result, reference in zip(results, expected):
        assert_close(result, reference)
    with pytest.raises(ValueError, match="not known to have length 1"):
        T.squeeze(x, axis=0)
    with pytest.raises(TypeError, match="int vector"):
        T.to_one_hot(T.dvector("y"), 3)


def test_addbroadcast_lets_a_shared_bias_broadcast_and_checks_at_run_time():
    bias = symgraph.shared(np.arange(3.0).reshape(1, 3), name="bias")
    assert bias.broadcastable == (False, False)
    x = T.dmatrix("x")
    b = T.addbroadcast(bias, 0)
    assert b.broadcastable == (True, False)
    f = symgraph.function([x], [x + b, symgraph.grad((x + b).sum(), bias)])
    value, gradient = f(np.ones((4, 3)))
    assert_close(value, 1 + np.arange(3.0) + np.zeros((4, 1)))
    assert_close(gradient, np.full((1, 3), 4.0))  # summed over the broadcast rows
    bias.set_value(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="declared broadcastable but has length 2"):
        f(np.ones((4, 3)))
    assert T.unbroadcast(b, 0).broadcastable == (False, False)
    assert T.patternbroadcast(x, (False, True)).broadcastable == (False, True)
    with pytest.raises(ValueError, match="length 3"):
        T.addbroadcast(T.tensor("float64", shape=(3,)), 0)
