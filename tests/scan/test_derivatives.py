"""``jacobian`` and ``hessian``: against NumPy formulas and finite differences written here,
for lengths known when the graph is built (rows unrolled) and known only when it runs (a
scan over the rows), through max pooling, convolution and a loop."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import MODES, SETTINGS, assert_close, compile_and_run
from hypothesis import given
from hypothesis import strategies as st

import symgraph
import symgraph.tensor as T
from symgraph.graph.traversal import toposort
from symgraph.scan import Scan
from symgraph.scan.derivatives import UNROLL_LIMIT


def numeric_jacobian(f, x, eps=1e-6):
    """Central differences of the array function f at the array x: shape f(x).shape + x.shape."""
    x = np.array(x, dtype=np.float64)
    columns = []
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    out_shape = np.shape(f(x))
    return (
        np.stack(columns, axis=-1).reshape(out_shape + x.shape)
        if columns
        else np.zeros(out_shape + x.shape)
    )


def loops_in(f) -> list:
    return [node for node in f.fgraph.toposort() if isinstance(node.op, Scan)]


def vector(name, length, static):
    return T.tensor("float64", shape=(length if static else None,), name=name)


# --------------------------------------------------------------------------------------
# jacobian


@SETTINGS
@given(
    n=st.integers(0, UNROLL_LIMIT + 3),
    m=st.integers(1, 4),
    static=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_jacobian_wrt_a_scalar_a_vector_and_a_matrix(n, m, static, seed):
    rng = np.random.default_rng(seed)
    s = T.scalar("s")
    x = vector("x", m, static)
    W = T.tensor("float64", shape=(n, m) if static else (None, None), name="W")
    y = T.tanh(T.dot(W, x)) * s
    js, jx, jW = symgraph.jacobian(y, [s, x, W])
    sv, xv, Wv = rng.uniform(0.5, 2), rng.normal(size=m), rng.normal(size=(n, m))
    got_s, got_x, got_W = compile_and_run([s, x, W], [js, jx, jW], [np.array(sv), xv, Wv])

    t = np.tanh(Wv @ xv)
    d = sv * (1 - t**2)
    assert_close(got_s, t)
    assert_close(got_x, d[:, None] * Wv)
    expected_W = np.zeros((n, n, m))
    for i in range(n):
        expected_W[i, i] = d[i] * xv
    assert_close(got_W, expected_W)
    assert_close(got_x, numeric_jacobian(lambda v: sv * np.tanh(Wv @ v), xv), rtol=1e-6, atol=1e-8)
    assert_close(got_W, numeric_jacobian(lambda v: sv * np.tanh(v @ xv), Wv), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "length, static, loops",
    [(3, True, 0), (UNROLL_LIMIT, True, 0), (UNROLL_LIMIT + 1, True, 1), (3, False, 1)],
)
def test_rows_are_unrolled_when_the_length_is_known_and_small(length, static, loops):
    x = vector("x", length, static)
    f = symgraph.function([x], symgraph.jacobian(T.exp(x) * x.sum(), x))
    assert len(loops_in(f)) == loops
    xv = np.linspace(-1, 1, length)
    expected = np.diag(np.exp(xv)) * xv.sum() + np.exp(xv)[:, None]
    assert_close(f(xv), expected)


def test_the_loop_does_not_recompute_what_every_row_shares():
    # The forward pass (the dot, the tanh) runs once, before the loop; each step only
    # backpropagates its row's seed.
    x, W = T.vector("x"), T.matrix("W")
    f = symgraph.function([W, x], symgraph.jacobian(T.tanh(T.dot(W, x)), x))
    (loop,) = loops_in(f)
    inner = [str(node.op) for node in toposort(loop.op.inner_outputs)]
    # One dot: the row's gradient (seed * tanh') . W; the forward dot(W, x) is not there.
    assert inner.count("Dot") == 1 and not any("tanh" in op for op in inner), inner


def test_a_scalar_expression_gives_its_gradient():
    x = T.vector("x")
    j = symgraph.jacobian((x**2).sum(), x)
    xv = np.array([1.0, -2.0, 0.5])
    assert_close(compile_and_run([x], j, [xv]), 2 * xv)


def test_one_wrt_gives_one_result_a_list_gives_a_list():
    x, y = T.vector("x"), T.vector("y")
    expression = x * y.sum()
    assert isinstance(symgraph.jacobian(expression, x), symgraph.graph.basic.Variable)
    both = symgraph.jacobian(expression, (x, y))
    assert isinstance(both, list) and len(both) == 2
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    jx, jy = compile_and_run([x, y], both, [xv, yv])
    assert_close(jx, np.eye(2) * yv.sum())
    assert_close(jy, np.tile(xv[:, None], (1, 3)))


def test_an_empty_expression_has_no_rows_but_the_shape_of_wrt():
    x, W = T.vector("x"), T.matrix("W")
    jx, jW = symgraph.jacobian(T.dot(W, x), [x, W])
    got_x, got_W = symgraph.function([W, x], [jx, jW])(np.zeros((0, 3)), np.ones(3))
    assert got_x.shape == (0, 3) and got_W.shape == (0, 0, 3)


def test_consider_constant_and_disconnected_inputs_reach_each_row():
    x, y = T.vector("x"), T.vector("y")
    z = x * y
    with pytest.raises(symgraph.DisconnectedInputError):
        symgraph.jacobian(x * 2, [x, y])
    jx, jy = symgraph.jacobian(z * x, [x, y], consider_constant=[z], disconnected_inputs="ignore")
    xv, yv = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])
    got_x, got_y = compile_and_run([x, y], [jx, jy], [xv, yv])
    assert_close(got_x, np.diag(xv * yv))
    assert_close(got_y, np.zeros((3, 3)))


def test_the_jacobian_loop_is_differentiable():
    # Second derivatives through the loop over the rows, against finite differences.
    symgraph.verify_grad(
        lambda x: symgraph.jacobian(T.sin(x) * (x**2).sum(), x),
        [np.array([0.3, -0.7, 1.1, 0.4])],
        rng=np.random.default_rng(0),
    )


def test_errors_name_the_variable_and_its_type():
    m = T.matrix("m")
    with pytest.raises(TypeError, match=r"'m' is .*matrix.*flatten"):
        symgraph.jacobian(m, m)
    with pytest.raises(TypeError, match=r"wrt must be vectors, but 'm' is .*matrix"):
        symgraph.hessian(m.sum(), m)
    v = T.vector("v")
    with pytest.raises(TypeError, match=r"cost must be a scalar, but 'v'"):
        symgraph.hessian(v, v)


# --------------------------------------------------------------------------------------
# hessian


def _cubic_cost(x, a):
    return (x**3).sum() + T.dot(x, T.dot(a, x)) + T.exp(x[0] * x[1])


def _cubic_grad(v, a):
    g = 3 * v**2 + (a + a.T) @ v
    e = np.exp(v[0] * v[1])
    g[0] += v[1] * e
    g[1] += v[0] * e
    return g


@pytest.mark.parametrize("static", [True, False], ids=["static", "symbolic"])
def test_hessian_matches_finite_differences_of_the_gradient(static):
    rng = np.random.default_rng(3)
    n = 5
    av = rng.normal(size=(n, n))
    x, a = vector("x", n, static), T.matrix("a")
    h = symgraph.hessian(_cubic_cost(x, a), x)
    xv = rng.uniform(-0.8, 0.8, n)
    result = compile_and_run([x, a], h, [xv, av])
    numeric = numeric_jacobian(lambda v: _cubic_grad(v, av), xv)
    assert_close(result, numeric, rtol=1e-6, atol=1e-8)
    assert_close(result, result.T)


def test_hessian_of_several_vectors():
    x, y = T.vector("x"), T.vector("y")
    hx, hy = symgraph.hessian((x**2).sum() * (y**2).sum(), [x, y])
    xv, yv = np.array([0.5, -0.3, 0.8]), np.array([1.0, 2.0])
    got_x, got_y = compile_and_run([x, y], [hx, hy], [xv, yv])
    assert_close(got_x, 2 * float((yv**2).sum()) * np.eye(3))
    assert_close(got_y, 2 * float((xv**2).sum()) * np.eye(2))


def _max_pool_selection(image, ws):
    """For each pooling window (ignore_border), the flat index of its maximum."""
    rows, cols = image.shape[0] // ws, image.shape[1] // ws
    chosen = np.zeros((rows, cols), dtype=np.int64)
    for i in range(rows):
        for j in range(cols):
            window = image[i * ws : (i + 1) * ws, j * ws : (j + 1) * ws]
            r, c = np.unravel_index(np.argmax(window), window.shape)
            chosen[i, j] = (i * ws + r) * image.shape[1] + j * ws + c
    return chosen


@pytest.mark.parametrize("mode", MODES)
def test_hessian_through_max_pooling(mode):
    # cost = sum(tanh(max_pool(x))): the pool picks one input per window, so the Hessian
    # is diagonal, tanh'' of the window's maximum at the picked input and zero elsewhere.
    side = T.lscalar("side")
    x = T.vector("x")
    pooled = T.pool_2d(x.reshape((1, 1, side, side)), ws=(2, 2), ignore_border=True)
    cost = T.tanh(pooled).sum()
    f = symgraph.function([x, side], symgraph.hessian(cost, x), mode=mode)
    g = symgraph.function([x, side], symgraph.grad(cost, x), mode=mode)
    rng = np.random.default_rng(7)
    for n in (4, 5):
        xv = rng.permutation(n * n) / (n * n) + rng.uniform(0, 1e-3, n * n)  # no ties
        result = f(xv, n)
        expected = np.zeros((n * n, n * n))
        for k in _max_pool_selection(xv.reshape(n, n), 2).ravel():
            t = np.tanh(xv[k])
            expected[k, k] = -2 * t * (1 - t**2)
        assert_close(result, expected)
        numeric = numeric_jacobian(lambda v, n=n: g(v, n), xv, eps=1e-7)
        assert_close(result, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("mode", MODES)
def test_hessian_through_a_convolution_of_symbolic_shape(mode):
    rng = np.random.default_rng(11)
    filters = rng.normal(scale=0.5, size=(2, 1, 3, 3))
    side = T.lscalar("side")
    x = T.vector("x")
    W = T.tensor4("W")
    out = T.nnet.conv2d(x.reshape((1, 1, side, side)), W)
    cost = (T.tanh(out) ** 2).sum()
    f = symgraph.function([x, W, side], symgraph.hessian(cost, x), mode=mode)
    g = symgraph.function([x, W, side], symgraph.grad(cost, x), mode=mode)
    assert len(loops_in(f)) == 1
    for n in (4, 6):
        xv = rng.normal(size=n * n)
        result = f(xv, filters, n)
        assert result.shape == (n * n, n * n)
        assert_close(
            result, numeric_jacobian(lambda v, n=n: g(v, filters, n), xv), rtol=1e-5, atol=1e-7
        )
        assert_close(result, result.T)


def test_hessian_through_a_loop():
    # A Hessian of symbolic length whose cost is itself a scan: a loop over the rows, each
    # differentiating a loop twice (a backward scan of the backward scan).
    h0, W = T.vector("h0"), T.matrix("W")
    hs, _ = symgraph.scan(
        lambda h, W: T.tanh(T.dot(W, h)), outputs_info=h0, non_sequences=W, n_steps=3
    )
    cost = (hs[-1] ** 2).sum()
    rng = np.random.default_rng(5)
    Wv, hv = rng.normal(scale=0.6, size=(4, 4)), rng.normal(size=4)

    def grad_np(h):
        states = [h]
        for _ in range(3):
            states.append(np.tanh(Wv @ states[-1]))
        g = 2 * states[-1]
        for t in range(3, 0, -1):
            g = Wv.T @ (g * (1 - states[t] ** 2))
        return g

    result = compile_and_run([h0, W], symgraph.hessian(cost, h0), [hv, Wv])
    assert_close(result, numeric_jacobian(grad_np, hv), rtol=1e-6, atol=1e-8)
