"""``grad`` (consider_constant, known_grads, disconnected inputs), grad of grad
(Hessian-vector products of an MLP). ``jacobian`` and ``hessian`` are in the scan layer
(``tests/scan/test_derivatives.py``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import MODES, assert_close, assert_no_float64, compile_and_run
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph
import symgraph.tensor as T
from symgraph.graph import Apply, Op


def _numeric_grad(f, x, eps=1e-6):
    """Central differences of the scalar function f at the array x."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


# --------------------------------------------------------------------------------------
# Hessian-vector products of a small MLP


def _mlp_cost(x, y, params):
    w1, b1, w2, b2 = params
    hidden = T.tanh(T.dot(x, w1) + b1)
    probs = T.nnet.softmax(T.dot(hidden, w2) + b2)
    l2 = (w1**2).sum() + (w2**2).sum()
    return T.nnet.categorical_crossentropy(probs, y).mean() + 0.01 * l2


def _mlp_setup():
    rng = np.random.default_rng(0)
    shapes = [(4, 5), (5,), (5, 3), (3,)]
    values = [rng.normal(scale=0.5, size=s) for s in shapes]
    xv = rng.normal(size=(6, 4))
    yv = np.array([0, 1, 2, 2, 1, 0], dtype=np.int32)
    return values, xv, yv, rng


@pytest.mark.parametrize("mode", MODES)
def test_hessian_vector_product_of_mlp_matches_finite_differences(mode):
    values, xv, yv, rng = _mlp_setup()
    x, y = T.matrix("x"), T.ivector("y")
    params = [T.matrix("W1"), T.vector("b1"), T.matrix("W2"), T.vector("b2")]
    directions = [T.tensor("float64", shape=(None,) * p.ndim, name=f"v_{p.name}") for p in params]
    cost = _mlp_cost(x, y, params)
    grads = symgraph.grad(cost, params)
    dot_gv = sum((g * v).sum() for g, v in zip(grads, directions))
    hvp = symgraph.grad(dot_gv, params)
    for h, p in zip(hvp, params):
        assert h.dtype == p.dtype and h.ndim == p.ndim
    vv = [rng.normal(size=v.shape) for v in values]
    f_hvp = symgraph.function([x, y, *params, *directions], hvp, mode=mode)
    f_grad = symgraph.function([x, y, *params], grads, mode=mode)
    analytic = f_hvp(xv, yv, *values, *vv)
    eps = 1e-5
    plus = f_grad(xv, yv, *[p + eps * v for p, v in zip(values, vv)])
    minus = f_grad(xv, yv, *[p - eps * v for p, v in zip(values, vv)])
    for a, gp, gm in zip(analytic, plus, minus):
        assert_close(a, (gp - gm) / (2 * eps), rtol=1e-5, atol=1e-7)
    # the inputs given to the compiled functions were not modified
    again = f_hvp(xv, yv, *values, *vv)
    for a, b in zip(analytic, again):
        np.testing.assert_array_equal(a, b)


def test_grad_of_grad_of_scalar_function():
    x = T.scalar("x")
    f = T.sin(x) * x**2
    d1 = symgraph.grad(f, x)
    d2 = symgraph.grad(d1, x)
    d3 = symgraph.grad(d2, x)
    xv = np.array(0.7)
    results = compile_and_run([x], [d1, d2, d3], [xv])
    s, c, v = np.sin(xv), np.cos(xv), float(xv)
    assert_close(results[0], c * v**2 + 2 * v * s)
    assert_close(results[1], -s * v**2 + 4 * v * c + 2 * s)
    assert_close(results[2], -c * v**2 - 6 * v * s + 6 * c)


# --------------------------------------------------------------------------------------
# grad options


def test_grad_returns_one_or_a_list_and_accumulates_uses():
    x, y = T.vector("x"), T.vector("y")
    cost = (x * y).sum() + (x**2).sum()
    gx = symgraph.grad(cost, x)
    assert not isinstance(gx, list) and gx.type == x.type
    gx2, gy = symgraph.grad(cost, [x, y])
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    results = compile_and_run([x, y], [gx, gx2, gy], [xv, yv])
    assert_close(results[0], yv + 2 * xv)
    assert_close(results[1], yv + 2 * xv)
    assert_close(results[2], xv)
    gcost = symgraph.grad(cost, cost)
    assert_close(compile_and_run([x, y], gcost, [xv, yv]), 1.0)


def test_grad_with_respect_to_an_intermediate_variable():
    x = T.vector("x")
    h = T.exp(x)
    cost = (h**2).sum()
    gh, gx = symgraph.grad(cost, [h, x])
    xv = np.array([0.1, -0.3])
    results = compile_and_run([x], [gh, gx], [xv])
    assert_close(results[0], 2 * np.exp(xv))
    assert_close(results[1], 2 * np.exp(2 * xv))


def test_consider_constant():
    x = T.vector("x")
    h = x**2
    cost = (h * x).sum()  # x**3
    g_full = symgraph.grad(cost, x)
    g_const = symgraph.grad(cost, x, consider_constant=[h])
    xv = np.array([1.0, -2.0, 0.5])
    results = compile_and_run([x], [g_full, g_const], [xv])
    assert_close(results[0], 3 * xv**2)
    assert_close(results[1], xv**2)  # h is treated as a constant
    # everything flows through the constant: disconnected
    with pytest.raises(symgraph.DisconnectedInputError):
        symgraph.grad(h.sum(), x, consider_constant=[h])


def test_known_grads():
    x = T.vector("x")
    h = T.tanh(x)
    g_h = T.vector("g_h")
    gx = symgraph.grad(None, x, known_grads={h: g_h})
    xv, gv = np.array([0.3, -1.2]), np.array([2.0, 0.5])
    assert_close(compile_and_run([x, g_h], gx, [xv, gv]), gv * (1 - np.tanh(xv) ** 2))
    # with a cost too, h's gradient is the known one: what the cost sends back is not added
    cost = (h * 3.0).sum()
    gx = symgraph.grad(cost, x, known_grads={h: g_h})
    assert_close(compile_and_run([x, g_h], gx, [xv, gv]), gv * (1 - np.tanh(xv) ** 2))
    # a float32 known gradient for a float64 variable is cast
    f32 = T.fvector("f")
    gx = symgraph.grad(None, x, known_grads={h: f32})
    assert gx.dtype == "float64"
    with pytest.raises(TypeError, match="rank"):
        symgraph.grad(None, x, known_grads={h: T.matrix()})
    with pytest.raises(ValueError):
        symgraph.grad(None, x)


def test_known_grads_replace_the_gradient_flowing_from_the_cost():
    # Theano: a variable in known_grads has exactly the given gradient.
    x = T.dvector("x")
    y = 2 * x
    gx = symgraph.grad(y.sum(), x, known_grads={y: [10, 20]})
    assert_close(compile_and_run([], gx, []), 2 * np.array([10.0, 20.0]))
    # asked for y itself, the gradient is the known one, not known + ones
    g = T.dvector("g")
    gy = symgraph.grad(y.sum(), y, known_grads={y: g})
    gv = np.array([3.0, -4.0])
    assert_close(compile_and_run([g], gy, [gv]), gv)


def test_known_grads_only_fix_their_variable_other_paths_still_add_up():
    x, g = T.dvector("x"), T.dvector("g")
    y = x**2
    cost = (y + 3 * x).sum()  # x reaches the cost through y and directly
    gx = symgraph.grad(cost, x, known_grads={y: g})
    xv, gv = np.array([0.5, -2.0]), np.array([1.5, 0.25])
    assert_close(compile_and_run([x, g], gx, [xv, gv]), gv * 2 * xv + 3)
    # a known gradient for the cost itself replaces its seed of ones
    gx = symgraph.grad(cost, x, known_grads={cost: np.float64(4.0)})
    assert_close(compile_and_run([x], gx, [xv]), 4 * (2 * xv + 3))


def test_lop_of_expressions_depending_on_each_other_adds_both_products():
    # Lop(f, w, u) is u . J_f: for f = [y, 2y] both terms count, whichever depends on which.
    rng = np.random.default_rng(3)
    wv, u0, u1 = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    w = T.dvector("w")
    y = T.tanh(w)
    vjp = symgraph.Lop([y, 2 * y], w, [T.constant(u0), T.constant(u1)])
    expected = _numeric_grad(lambda v: np.tanh(v) @ u0 + 2 * np.tanh(v) @ u1, wv)
    assert_close(compile_and_run([w], vjp, [wv]), expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("floatx", ["float32", "float64"])
def test_integer_wrt_zeros_take_the_cost_dtype_not_floatx(floatx):
    x, labels = T.dvector("x"), T.ivector("labels")
    xf = T.fvector("xf")
    with symgraph.config.change_flags(floatX=floatx):
        g64 = symgraph.grad((x * labels).sum(), labels, disconnected_inputs="ignore")
        cost32 = (xf * T.cast(labels, "float32")).sum()
        g32 = symgraph.grad(cost32, labels, disconnected_inputs="ignore")
        g_known = symgraph.grad(
            None, labels, known_grads={xf: T.fvector("g")}, disconnected_inputs="ignore"
        )
    assert (g64.dtype, g32.dtype, g_known.dtype) == ("float64", "float32", "float32")
    assert_close(compile_and_run([labels], g64, [np.array([1, 2], np.int32)]), np.zeros(2))


def test_disconnected_inputs_modes():
    x, unused = T.vector("x"), T.matrix("unused")
    i = T.ivector("labels")
    cost = (x**2).sum()
    with pytest.raises(symgraph.DisconnectedInputError) as info:
        symgraph.grad(cost, [x, unused])
    assert "'unused'" in str(info.value)
    with pytest.raises(symgraph.DisconnectedInputError, match="'labels'"):
        symgraph.grad(cost + T.cast(i.sum(), "float64"), i)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gx, gu = symgraph.grad(cost, [x, unused], disconnected_inputs="warn")
    assert any("unused" in str(w.message) for w in caught)
    assert gu.type == unused.type
    gx, gu = symgraph.grad(cost, [x, unused], disconnected_inputs="ignore")
    results = compile_and_run([x, unused], [gx, gu], [np.ones(2), np.ones((2, 3))])
    assert_close(results[1], np.zeros((2, 3)))
    gx, gu = symgraph.grad(
        cost, [x, unused], disconnected_inputs="ignore", return_disconnected="None"
    )
    assert gu is None and gx is not None
    with pytest.raises(ValueError):
        symgraph.grad(cost, x, disconnected_inputs="maybe")


def test_grad_argument_errors():
    x = T.vector("x")
    with pytest.raises(TypeError, match="scalar"):
        symgraph.grad(x * 2, x)
    with pytest.raises(TypeError, match="float"):
        symgraph.grad(T.ivector("i").sum(), x)
    with pytest.raises(TypeError, match="symbolic"):
        symgraph.grad(x.sum(), np.ones(2))


def test_float32_gradients_stay_float32():
    x = T.fmatrix("x")
    w = T.fvector("w")
    cost = (T.tanh(T.dot(x, w)) ** 2).mean() * 0.5 + (w**2).sum() * 1e-3
    assert cost.dtype == "float32"
    gw, gx = symgraph.grad(cost, [w, x])
    assert gw.dtype == gx.dtype == "float32"
    hv = symgraph.grad((gw * w).sum(), w)
    assert hv.dtype == "float32"
    assert_no_float64([cost, gw, gx, hv])


# --------------------------------------------------------------------------------------
# Jacobian products (Rop / Lop) and gradient overrides


def test_rop_and_lop_match_finite_differences():
    rng = np.random.default_rng(1)
    wv, vv = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    xv, uv = rng.normal(size=3), rng.normal(size=4)
    w, v, x, u = T.dmatrix("W"), T.dmatrix("V"), T.dvector("x"), T.dvector("u")
    y = T.tanh(T.dot(x, w)) * T.exp(x.sum())
    jv, vj = compile_and_run(
        [w, v, x, u], [symgraph.Rop(y, w, v), symgraph.Lop(y, w, u)], [wv, vv, xv, uv]
    )

    def f(wm):
        return np.tanh(xv @ wm) * np.exp(xv.sum())

    eps = 1e-6
    assert_close(jv, (f(wv + eps * vv) - f(wv - eps * vv)) / (2 * eps), rtol=1e-6, atol=1e-8)
    assert_close(vj, _numeric_grad(lambda wm: f(wm) @ uv, wv), rtol=1e-6, atol=1e-8)
    # lists in, lists out; several wrt add up
    both = symgraph.Rop([y, y * 2], [w, x], [v, x * 0])
    assert isinstance(both, list) and len(both) == 2
    jv2, jv4 = compile_and_run([w, v, x], both, [wv, vv, xv])
    assert_close(jv2, jv, rtol=1e-12)
    assert_close(jv4, 2 * jv, rtol=1e-12)
    with pytest.raises(ValueError, match="evaluation points"):
        symgraph.Rop(y, [w, x], [v])


def test_gradient_overrides():
    rng = np.random.default_rng(2)
    xv = rng.normal(size=5)
    x = T.dvector("x")
    cases = {
        "zero": (symgraph.zero_grad(x) * x, xv),  # only the second factor's gradient
        "disconnected": (symgraph.disconnected_grad(x) * x, xv),
        "clip": (symgraph.grad_clip(x, -0.5, 0.25) * 3.0, np.clip(np.full(5, 3.0), -0.5, 0.25)),
        "scale": (symgraph.grad_scale(x, -2.0) * 3.0, np.full(5, -6.0)),
    }
    for name, (expression, expected) in cases.items():
        f = symgraph.function([x], [expression, symgraph.grad(expression.sum(), x)])
        value, gradient = f(xv)
        assert_close(gradient, expected, rtol=1e-12)
        # forward unchanged, and nothing of the override is left in the compiled graph
        assert_close(value, (xv * xv) if name in ("zero", "disconnected") else 3.0 * xv)
        assert "GradientOverride" not in str(f.maker.fgraph), name
    with pytest.raises(symgraph.DisconnectedInputError):
        symgraph.grad(symgraph.disconnected_grad(x).sum(), x)
    zero = symgraph.grad(symgraph.zero_grad(x).sum(), x)  # connected, with a zero gradient
    assert_close(compile_and_run([x], zero, [xv]), np.zeros(5))
    with pytest.raises(ValueError, match="above"):
        symgraph.grad_clip(x, 1.0, -1.0)


class _CubeWithoutGrad(Op):
    """``x**3`` with a forward-mode rule only: ``Rop`` must use ``jvp``."""

    def make_node(self, x):
        x = T.as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0] ** 3]

    def jvp(self, node, eval_points):
        (x,), (v,) = node.inputs, eval_points
        return [3 * x**2 * v]


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(-2, 2)),
    st.floats(-2, 2),
)
def test_rop_uses_an_ops_jvp_and_matches_finite_differences(xv, direction):
    x, v = T.dvector("x"), T.dvector("v")
    y = T.tanh(_CubeWithoutGrad()(T.exp(x) * 0.5))
    vv = np.full_like(xv, direction)
    (jv,) = compile_and_run([x, v], [symgraph.Rop(y, x, v)], [xv, vv])

    def f(a):
        return np.tanh((np.exp(a) * 0.5) ** 3)

    eps = 1e-6
    assert_close(jv, (f(xv + eps * vv) - f(xv - eps * vv)) / (2 * eps), rtol=1e-5, atol=1e-7)
    with pytest.raises(NotImplementedError, match="gradient of _CubeWithoutGrad"):
        symgraph.grad(y.sum(), x)


def test_rop_of_an_expression_not_depending_on_wrt():
    x, w = T.dvector("x"), T.dvector("w")
    y = T.exp(w)
    y.name = "y"
    with pytest.raises(symgraph.DisconnectedInputError, match="'y' does not depend"):
        symgraph.Rop(y, x, x)
    zero = symgraph.Rop(T.exp(w), x, x, disconnected_outputs="ignore")
    assert compile_and_run([w], [zero], [np.ones(2)])[0].tolist() == [0.0, 0.0]
