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


def _sigmoid(v):
    v = _longdouble(v)
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + e), e / (1 + e))


def _assert_accurate(got, expected, dtype):
    assert got.dtype == dtype
    assert np.all(np.isfinite(got)), got
    np.testing.assert_allclose(
        got.astype(np.longdouble),
        expected,
        rtol=TOL[dtype],
        atol=np.finfo(dtype).tiny,  # results that underflow (sigmoid(-1000)) are 0
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_keeps_its_relative_precision_below_zero(dtype):
    # 0.5 * tanh(x / 2) + 0.5 gave 0 at -50 (float64) and 4 digits at -10 (float32)
    x = T.vector("x", dtype=dtype)
    points = np.array([-1000.0, -80.0, -50.0, -20.0, -10.0, -1.0, 0.0, 10.0, 50.0], dtype=dtype)
    for mode in MODES:
        _assert_accurate(
            symgraph.function([x], T.sigmoid(x), mode=mode)(points), _sigmoid(points), dtype
        )
