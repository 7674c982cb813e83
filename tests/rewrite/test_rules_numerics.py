"""Rewrites keep finite results finite and change them by rounding only; the stabilize rules
make overflowing forms, and the gradients ``grad`` builds for them, finite and accurate.

References are independent of symgraph: exact rational arithmetic (``fractions``) for the
guarded constant folds, the stable formulas evaluated in ``np.longdouble`` for the
stabilized functions, and central finite differences for the gradients.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import symgraph
import symgraph.tensor as T

MODES = ("FAST_RUN", "FAST_COMPILE")

# --- guards: rewrites that fold or invert constants ---------------------------------------


def _exact(*factors, divide_by=None):
    """The exact product of ``factors`` (over ``divide_by``), as a Fraction."""
    result = Fraction(1)
    for f in factors:
        result *= Fraction(float(f))
    return result / Fraction(float(divide_by)) if divide_by is not None else result


# name, input dtype, graph of x, x, exact result (a Fraction, or a float for inf)
GUARDED = [
    # (x * 1e200) * 1e200 must not become x * inf
    (
        "mul_overflow",
        "float64",
        lambda x: (x * 1e200) * 1e200,
        1e-300,
        _exact(1e-300, 1e200, 1e200),
    ),
    # nor (x * 1e-200) * 1e-200 become x * 0: 0 (not 1e-200) at 1e200, nan (not inf) at inf
    (
        "mul_to_zero",
        "float64",
        lambda x: (x * 1e-200) * 1e-200,
        1e200,
        _exact(1e200, 1e-200, 1e-200),
    ),
    ("mul_to_zero_inf", "float64", lambda x: (x * 1e-200) * 1e-200, np.inf, np.inf),
    # 1e-160 * 1e-160 is a subnormal with 11 significant bits
    (
        "mul_to_subnormal",
        "float64",
        lambda x: (x * 1e-160) * 1e-160,
        1e300,
        _exact(1e300, 1e-160, 1e-160),
    ),
    ("add_overflow", "float64", lambda x: (x + 1e308) + 1e308, -1e308, Fraction(1e308)),
    ("float16_mul_overflow", "float16", lambda x: (x * 300) * 300, 0.5, _exact(0.5, 300, 300)),
    # typed float32 constants folded in float32 overflowed before meeting the float64 x
    (
        "float32_constants_float64_graph",
        "float64",
        lambda x: (x * np.float32(1e30)) * np.float32(1e30),
        1e-300,
        _exact(1e-300, np.float32(1e30), np.float32(1e30)),
    ),
    # float16 power is C's pow: x ** 0.5 is inf at -inf, where sqrt(x) is nan
    ("pow_half_float16", "float16", lambda x: x**0.5, -np.inf, np.inf),
    # x / c -> x * (1 / c) must not invert c into inf or a subnormal
    ("div_tiny", "float64", lambda x: x / 1e-310, 1e-300, _exact(1e-300, divide_by=1e-310)),
    ("div_float32_subnormal", "float32", lambda x: x / 1e-39, 1e-39, Fraction(1)),
    # 1 / 3.3999e38 is subnormal in float32 (21 bits): x * (1 / c) was off by 2.2 ulp
    (
        "div_float32_huge",
        "float32",
        lambda x: x / np.float32(3.3999e38),
        np.float32(1.7017652e38),
        _exact(np.float32(1.7017652e38), divide_by=np.float32(3.3999e38)),
    ),
    # and inverts a float32 c in float64 when the division is in float64
    (
        "div_float32_constant_float64_graph",
        "float64",
        lambda x: x / np.float32(3),
        1.0,
        _exact(1.0, divide_by=3),
    ),
]


@pytest.mark.parametrize(
    "dtype, build, value, exact", [c[1:] for c in GUARDED], ids=[c[0] for c in GUARDED]
)
def test_guarded_rewrites_keep_results(dtype, build, value, exact):
    x = T.scalar("x", dtype=dtype)
    value = np.asarray(value, dtype=dtype)
    out = build(x)
    assert out.dtype == dtype
    expected = float(exact) if isinstance(exact, Fraction) else exact
    eps = np.finfo(dtype).eps
    for mode in MODES:
        got = symgraph.function([x], out, mode=mode)(value)
        # two roundings at most in either graph, each within eps / 2 (the reference is exact)
        np.testing.assert_allclose(got, expected, rtol=eps, atol=0, err_msg=mode)


def test_integer_constants_fold_in_the_graphs_dtype():
    # int8 100 * 100 wraps to 16: folding it in int8 gave x * 16, not x * 10000 in int16
    x = T.scalar("x", dtype="int16")
    out = (x * np.int8(100)) * np.int8(100)
    assert out.dtype == "int16"
    for mode in MODES:
        assert symgraph.function([x], out, mode=mode)(np.int16(3)) == 30000, mode


# --- stabilize: softplus, logaddexp, log1mexp and their gradients ---------------------------

POINTS = [-1000.0, -50.0, 0.0, 50.0, 800.0, 1e4]
# a few units in the last place of each dtype (the references are exact to float64 and
# beyond); values below the smallest normal number compare with an absolute tolerance
TOL = {"float32": 4 * np.finfo(np.float32).eps, "float64": 8 * np.finfo(np.float64).eps}


def _longdouble(v):
    return np.asarray(v, dtype=np.longdouble)


def _softplus(v):
    v = _longdouble(v)
    return np.maximum(v, 0) + np.log1p(np.exp(-np.abs(v)))


def _sigmoid(v):
    v = _longdouble(v)
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + e), e / (1 + e))


def _logaddexp(a, b):
    a, b = _longdouble(a), _longdouble(b)
    return np.maximum(a, b) + np.log1p(np.exp(-np.abs(a - b)))


def _log1mexp(v):
    v = _longdouble(v)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(v > -np.log(2), np.log(-np.expm1(v)), np.log1p(-np.exp(v)))


def _assert_accurate(got, expected, dtype):
    assert got.dtype == dtype
    assert np.all(np.isfinite(got)), got
    np.testing.assert_allclose(
        got.astype(np.longdouble),
        expected,
        rtol=TOL[dtype],
        atol=np.finfo(dtype).tiny,  # results that underflow (sigmoid(-1000)) are 0
    )


def _assert_agrees_where_unoptimized_is_finite(fast, slow, dtype):
    """Where the unoptimized graph is finite, the optimized one computes it up to rounding
    (of the unoptimized graph: 1 + exp(-50) rounds to 1, so absolutely)."""
    finite = np.isfinite(slow)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(fast[finite], slow[finite], rtol=4 * eps, atol=4 * eps)


def _central_difference(f, points, h):
    return (f(points + h) - f(points - h)) / (2 * h)


# A central difference resolves a derivative to about eps * |f| / h in absolute terms:
# d/dx logaddexp(x, 50) at x = -50 (1.9e-22) reads as 0.
FD_TOL = {"rtol": 1e-6, "atol": 1e-9}


def _run_both(inputs, outputs, *values):
    with np.errstate(all="ignore"):  # the unoptimized graphs overflow on purpose
        return [symgraph.function(inputs, outputs, mode=m)(*values) for m in MODES]


SOFTPLUS_FORMS = {
    "log(1 + exp(x))": lambda x: T.log(1 + T.exp(x)),
    "log(exp(x) + 1)": lambda x: T.log(T.exp(x) + 1),
    "log1p(exp(x))": lambda x: T.log1p(T.exp(x)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("form", SOFTPLUS_FORMS)
def test_softplus_forms_and_their_gradients_are_finite_and_exact(form, dtype):
    x = T.vector("x", dtype=dtype)
    cost = SOFTPLUS_FORMS[form](x)
    grad = symgraph.grad(cost.sum(), x)
    points = np.array(POINTS, dtype=dtype)
    (fast_value, fast_grad), (slow_value, slow_grad) = _run_both([x], [cost, grad], points)
    _assert_accurate(fast_value, _softplus(points), dtype)
    _assert_accurate(fast_grad, _sigmoid(points), dtype)  # d/dx softplus = sigmoid
    _assert_agrees_where_unoptimized_is_finite(fast_value, slow_value, dtype)
    _assert_agrees_where_unoptimized_is_finite(fast_grad, slow_grad, dtype)
    if dtype == "float64":
        forward = symgraph.function([x], cost)
        fd = _central_difference(forward, points, 1e-6 * np.maximum(1, np.abs(points)))
        np.testing.assert_allclose(fast_grad, fd, **FD_TOL)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logaddexp_and_its_gradient_are_finite_and_exact(dtype):
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    cost = T.log(T.exp(x) + T.exp(y))
    gx, gy = symgraph.grad(cost.sum(), [x, y])
    a, b = (np.array(v, dtype=dtype).ravel() for v in np.meshgrid(POINTS, POINTS))
    fast, slow = _run_both([x, y], [cost, gx, gy], a, b)
    _assert_accurate(fast[0], _logaddexp(a, b), dtype)
    # the gradient is the softmax of the pair: sigmoid(x - y), sigmoid(y - x)
    _assert_accurate(fast[1], _sigmoid(_longdouble(a) - _longdouble(b)), dtype)
    _assert_accurate(fast[2], _sigmoid(_longdouble(b) - _longdouble(a)), dtype)
    for f, s in zip(fast, slow):
        _assert_agrees_where_unoptimized_is_finite(f, s, dtype)
    if dtype == "float64":
        forward = symgraph.function([x, y], cost)
        step = 1e-6 * np.maximum(1, np.maximum(np.abs(a), np.abs(b)))
        fd_x = _central_difference(lambda p: forward(p, b), a, step)
        fd_y = _central_difference(lambda p: forward(a, p), b, step)
        np.testing.assert_allclose(fast[1], fd_x, **FD_TOL)
        np.testing.assert_allclose(fast[2], fd_y, **FD_TOL)


def test_logaddexp_from_the_issue():
    x, y = T.dscalars("x", "y")
    assert symgraph.function([x, y], T.log(T.exp(x) + T.exp(y)))(1e4, 1e4) == pytest.approx(
        1e4 + np.log(2), rel=1e-15
    )


LOG1MEXP_POINTS = [-1000.0, -50.0, -1.0, -0.5, -1e-5, -1e-20]
LOG1MEXP_FORMS = {
    "log(1 - exp(x))": lambda x: T.log(1 - T.exp(x)),
    "log1p(-exp(x))": lambda x: T.log1p(-T.exp(x)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("form", LOG1MEXP_FORMS)
def test_log1mexp_forms_and_their_gradients_are_finite_and_exact(form, dtype):
    x = T.vector("x", dtype=dtype)
    cost = LOG1MEXP_FORMS[form](x)
    grad = symgraph.grad(cost.sum(), x)
    points = np.array(LOG1MEXP_POINTS, dtype=dtype)
    (fast_value, fast_grad), (slow_value, slow_grad) = _run_both([x], [cost, grad], points)
    _assert_accurate(fast_value, _log1mexp(points), dtype)
    # d/dx log(1 - e^x) = -e^x / (1 - e^x) = -1 / expm1(-x)
    _assert_accurate(fast_grad, -1 / np.expm1(-_longdouble(points)), dtype)
    assert not np.isfinite(slow_value[-1])  # 1 - exp(-1e-20) is 0 unoptimized
    if dtype == "float64":
        forward = symgraph.function([x], cost)
        inner = points[:-1]  # -1e-20 +- a step that x can resolve would cross 0
        fd = _central_difference(forward, inner, 1e-6 * np.minimum(1, np.abs(inner)))
        np.testing.assert_allclose(fast_grad[:-1], fd, **FD_TOL)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_exp_over_one_plus_exp_is_sigmoid(dtype):
    x = T.vector("x", dtype=dtype)
    points = np.array(POINTS, dtype=dtype)
    fast, slow = _run_both([x], T.exp(x) / (1 + T.exp(x)), points)
    _assert_accurate(fast, _sigmoid(points), dtype)
    _assert_agrees_where_unoptimized_is_finite(fast, slow, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_keeps_its_relative_precision_below_zero(dtype):
    # 0.5 * tanh(x / 2) + 0.5 gave 0 at -50 (float64) and 4 digits at -10 (float32)
    x = T.vector("x", dtype=dtype)
    points = np.array([-1000.0, -80.0, -50.0, -20.0, -10.0, -1.0, 0.0, 10.0, 50.0], dtype=dtype)
    for mode in MODES:
        _assert_accurate(
            symgraph.function([x], T.sigmoid(x), mode=mode)(points), _sigmoid(points), dtype
        )


# --- sigmoid's gradient ---------------------------------------------------------------------


def _sigmoid_derivative(v):
    return _sigmoid(v) * _sigmoid(-_longdouble(v))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_gradient_keeps_its_relative_precision(dtype):
    # g * s * (1 - s) was 0 at 50 (1 - s rounds to 0), not 1.9e-22, in both modes
    x = T.vector("x", dtype=dtype)
    points = np.array([-1000.0, -80.0, -50.0, -10.0, 0.0, 10.0, 20.0, 50.0, 80.0, 800.0], dtype)
    grad = symgraph.grad(T.sigmoid(x).sum(), x)
    for mode in MODES:
        got = symgraph.function([x], grad, mode=mode)(points)
        _assert_accurate(got, _sigmoid_derivative(points), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_sigmoid_gradients_stay_finite_and_exact(dtype):
    # log_sigmoid_grad cancels the 1 / s of log's gradient against sigmoid's derivative
    x = T.vector("x", dtype=dtype)
    points = np.array(POINTS, dtype=dtype)
    cost = T.log(T.sigmoid(x)).sum() + 2 * T.log(1 - T.sigmoid(x)).sum()
    got = symgraph.function([x], symgraph.grad(cost, x))(points)
    # d/dx log(s) = sigmoid(-x), d/dx log(1 - s) = -sigmoid(x)
    _assert_accurate(got, _sigmoid(-_longdouble(points)) - 2 * _sigmoid(points), dtype)


# --- stabilize: hand-written sigmoids and their gradients -----------------------------------


# Moderate points, where central differences resolve these derivatives (|f| <= 1)
MODERATE = np.array([-6.0, -2.5, -0.3, 0.0, 0.7, 3.0, 6.0])


def _squares_fit(points, dtype):
    """Where the square of 1 + e^|x| is finite. Beyond it (float32: |x| > 44) the quotient
    rule's gradients are finite but wrong (float32 exp(x) / (1 + exp(x)) at 50: 1, not
    1.9e-22): those points are checked against the references only."""
    return np.abs(points.astype(np.float64)) < np.log(np.finfo(dtype).max) / 2


SIGMOID_FORMS = {
    "exp(x) / (1 + exp(x))": lambda x: T.exp(x) / (1 + T.exp(x)),
    "e / (e + 1), one exp node": lambda x: (lambda e: e / (e + 1))(T.exp(x)),
    "1 / (1 + exp(-x))": lambda x: 1 / (1 + T.exp(-x)),
    "1 / (exp(-x) + 1)": lambda x: 1 / (T.exp(-x) + 1),
    "sigmoid(x)": T.sigmoid,
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("form", SIGMOID_FORMS)
def test_sigmoid_forms_and_their_gradients_are_finite_and_exact(form, dtype):
    x = T.vector("x", dtype=dtype)
    out = SIGMOID_FORMS[form](x)
    grad = symgraph.grad(out.sum(), x)
    points = np.array(POINTS, dtype=dtype)
    (fast_value, fast_grad), (slow_value, slow_grad) = _run_both([x], [out, grad], points)
    _assert_accurate(fast_value, _sigmoid(points), dtype)
    _assert_accurate(fast_grad, _sigmoid_derivative(points), dtype)
    _assert_agrees_where_unoptimized_is_finite(fast_value, slow_value, dtype)
    fit = _squares_fit(points, dtype)
    _assert_agrees_where_unoptimized_is_finite(fast_grad[fit], slow_grad[fit], dtype)
    if dtype == "float64":
        forward = symgraph.function([x], out)
        fd = _central_difference(forward, MODERATE, 1e-6)
        np.testing.assert_allclose(symgraph.function([x], grad)(MODERATE), fd, **FD_TOL)


# A 0-d cost of a 0-d x seeds the gradient with the constant 1, which canonicalize then
# multiplies away: these gradient graphs have other shapes than those of a vector's sum.
# each family: its forms, the exact value and the exact derivative
SCALAR_FAMILIES = {
    "sigmoid": (SIGMOID_FORMS, lambda p: _sigmoid(p), lambda p: _sigmoid_derivative(p)),
    "softplus": (SOFTPLUS_FORMS, lambda p: _softplus(p), lambda p: _sigmoid(p)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("family", "form"),
    [(family, form) for family, (forms, _, _) in SCALAR_FAMILIES.items() for form in forms],
)
def test_sigmoid_and_softplus_forms_of_a_scalar(family, form, dtype):
    forms, value_of, derivative_of = SCALAR_FAMILIES[family]
    x = T.scalar("x", dtype=dtype)
    out = forms[form](x)
    f = symgraph.function([x], [out, symgraph.grad(out, x)])
    for point in np.array(POINTS, dtype=dtype):
        value, grad = f(point)
        _assert_accurate(value, value_of(point), dtype)
        _assert_accurate(grad, derivative_of(point), dtype)


# --- stabilize: logsumexp and its gradient --------------------------------------------------


def _logsumexp(v, axis):
    v = _longdouble(v)
    top = np.max(v, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(v - top), axis=axis))


def _softmax(v, axis):
    v = _longdouble(v)
    e = np.exp(v - np.max(v, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


# Every pair of POINTS as a row, and a row that exp(x - logsumexp(x)) alone would get 5e-4
# wrong in float32 (logsumexp is rounded to its size there)
PAIRS = np.array([[a, b] for a in POINTS for b in POINTS] + [[1e4, 1e4 + 1]])
LOGSUMEXP_FORMS = {
    # name: graph of m, axis, keepdims, matrices
    "axis=1": (lambda m: T.log(T.exp(m).sum(axis=1)), 1, False, [PAIRS]),
    "axis=1, keepdims": (lambda m: T.log(T.exp(m).sum(axis=1, keepdims=True)), 1, True, [PAIRS]),
    "axis=0": (lambda m: T.log(T.sum(T.exp(m), axis=0)), 0, False, [PAIRS.T]),
    "axis=None": (
        lambda m: T.log(T.exp(m).sum()),
        None,
        False,
        [np.array([[800.0, -50.0], [799.5, 0.0]]), np.array([[-800.0, -801.0], [-1000.0, -800.5]])],
    ),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("form", LOGSUMEXP_FORMS)
def test_logsumexp_and_its_gradient_are_finite_and_exact(form, dtype):
    build, axis, keepdims, matrices = LOGSUMEXP_FORMS[form]
    m = T.matrix("m", dtype=dtype)
    out = build(m)
    grad = symgraph.grad(out.sum(), m)
    for value in matrices:
        value = value.astype(dtype)
        (fast_value, fast_grad), (slow_value, slow_grad) = _run_both([m], [out, grad], value)
        expected = _logsumexp(value, axis)
        _assert_accurate(
            fast_value, np.expand_dims(expected, axis) if keepdims else expected, dtype
        )
        _assert_accurate(fast_grad, _softmax(value, axis), dtype)  # the gradient is softmax
        _assert_agrees_where_unoptimized_is_finite(fast_value, slow_value, dtype)
        _assert_agrees_where_unoptimized_is_finite(fast_grad, slow_grad, dtype)
    if dtype == "float64":
        value = np.array([[-3.0, 0.5, 2.0], [1.0, 1.0, -0.5]])
        forward = symgraph.function([m], out.sum())
        fd = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            step = np.zeros_like(value)
            step[index] = 1e-6
            fd[index] = (forward(value + step) - forward(value - step)) / 2e-6
        np.testing.assert_allclose(symgraph.function([m], grad)(value), fd, **FD_TOL)


def test_logsumexp_rewrite_keeps_infinite_and_empty_results():
    # log(sum(exp(x))) is -inf for a row of -inf and for no elements, inf with an inf and
    # nan with a nan: shifting by an infinite maximum (inf - inf) or taking the maximum of
    # nothing (an error) would change that
    m = T.dmatrix("m")
    out = T.log(T.exp(m).sum(axis=1))
    f = symgraph.function([m], out)
    assert any(type(n.op).__name__ == "LogSumExp" for n in f.maker.fgraph.toposort())
    special = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 1.0], [-np.inf, 2.0]])
    for value in (special, np.zeros((3, 0))):
        fast, slow = _run_both([m], out, value)
        np.testing.assert_allclose(fast, slow, rtol=4 * np.finfo(np.float64).eps)
    np.testing.assert_array_equal(f(np.zeros((3, 0))), [-np.inf] * 3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsumexp_function(dtype):
    m = T.matrix("m", dtype=dtype)
    value = PAIRS.astype(dtype)
    for axis, keepdims in [(1, False), (-1, True), (0, False), (None, False), ((0, 1), True)]:
        out = T.logsumexp(m, axis=axis, keepdims=keepdims)
        grad = symgraph.grad(out.sum(), m)
        axes = tuple(range(2)) if axis is None else axis
        expected = _logsumexp(value, axes)
        if keepdims:
            expected = np.expand_dims(expected, axes)
        for mode in MODES:
            got, got_grad = symgraph.function([m], [out, grad], mode=mode)(value)
            assert got.shape == expected.shape
            _assert_accurate(got, expected, dtype)
            _assert_accurate(got_grad, _softmax(value, axes), dtype)


def test_stabilized_through_broadcasting():
    """``log(exp(a) + exp(b))`` with ``a`` of lower rank than ``b``: element-wise patterns
    match through the padding of ``exp(a)``, so logaddexp is found, even when the sum is
    itself an output and ``exp(a)`` has another reader."""
    a, b = T.dmatrix("a"), T.dtensor3("b")
    exp_a = T.exp(a)
    total = exp_a + T.exp(b)
    f = symgraph.function([a, b], [T.log(total), total, T.dot(exp_a, exp_a.T)])
    a_value = np.zeros((3, 4))
    a_value[2, 1] = 800.0
    b_value = np.full((2, 3, 4), -1.0)
    with np.errstate(over="ignore"):
        result = f(a_value, b_value)[0]
    expected = np.logaddexp(a_value, b_value)
    np.testing.assert_allclose(result, expected, rtol=1e-13)


def test_padding_is_looked_through_only_on_the_left():
    """A dimshuffle that inserts a broadcastable axis in the middle is not what an
    element-wise op inserts: matching through it would change which axes line up."""
    a, b = T.dmatrix("a"), T.dtensor3("b")
    total = T.exp(a.dimshuffle(0, "x", 1)) + T.exp(b)
    f = symgraph.function([a, b], T.log(total))
    a_value = np.arange(6.0).reshape(2, 3)
    b_value = np.full((2, 4, 3), -1.0)
    expected = np.logaddexp(a_value[:, None, :], b_value)
    np.testing.assert_allclose(f(a_value, b_value), expected, rtol=1e-13)
