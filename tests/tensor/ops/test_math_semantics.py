"""Element-wise and reduction definitions taken from Theano 1.0 where they differ from
NumPy's: ``clip`` with ``low > high`` or a bound that is the clipped variable itself, the
float dtypes of ``floor``/``ceil``/``inv`` of integers, and the float32 accumulator of a
float16 ``mean``. References are written here with NumPy; gradients are checked by finite
differences of the forward computation."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import MODES, assert_close, compile_and_run

import symgraph
import symgraph.tensor as T


def theano_clip(x, low, high):
    """Theano's definition: low where x < low, else high where x > high, else x."""
    return np.where(x < low, low, np.where(x > high, high, x))


def away_from(values, *kinks, margin=1e-2):
    """``values`` moved off the points where a piecewise function has a kink, so that
    finite differences with a small step do not straddle one."""
    values = np.array(values, dtype=np.float64)
    for kink in kinks:
        near = np.abs(values - kink) < margin
        values[near] += 3 * margin
    return values


# --------------------------------------------------------------------------------------
# clip


def test_clip_with_low_above_high_follows_theano():
    x, low, high = T.dvector("x"), T.dvector("low"), T.dvector("high")
    xv = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
    lv = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 2.5, -1.0])
    hv = np.array([-1.0, -1.0, -1.0, -1.0, 2.0, 0.0, 0.0])  # low > high except at 4
    expected = theano_clip(xv, lv, hv)
    assert_close(expected, [1.0, 1.0, 1.0, 1.0, 1.0, 2.5, 0.0])  # the rule, spelled out
    # x * 1.0 gives fusion a dead temporary to write into, as the in-place passes do
    outputs = [T.clip(x, low, high), T.clip(x * 1.0, low, high), T.clip(x, 1.0, -1.0)]
    results = compile_and_run([x, low, high], outputs, [xv, lv, hv])
    assert_close(results[0], expected)
    assert_close(results[1], expected)
    assert_close(results[2], theano_clip(xv, 1.0, -1.0))


def test_clip_of_a_scalar_with_low_above_high():
    x = T.dscalar("x")
    assert_close(compile_and_run([x], T.clip(x, 1.0, -1.0), [np.float64(-5.0)]), 1.0)
    assert_close(compile_and_run([x], T.clip(x, 1.0, -1.0), [np.float64(5.0)]), -1.0)


CLIP_OF_ITSELF = {
    # a bound that is the clipped variable itself, or depends on it
    "high is x": (lambda x: T.clip(x, 0.0, x), lambda v: theano_clip(v, 0.0, v), [0.0]),
    "low is 2x": (
        lambda x: T.clip(x, 2 * x, 1.0),
        lambda v: theano_clip(v, 2 * v, 1.0),
        [0.0, 1.0],
    ),
    "low > high": (lambda x: T.clip(x, 1.0, -1.0), lambda v: theano_clip(v, 1.0, -1.0), [1.0]),
}


@pytest.mark.parametrize("case", CLIP_OF_ITSELF)
def test_clip_forward_and_gradient_when_a_bound_involves_x(case):
    build, reference, kinks = CLIP_OF_ITSELF[case]
    xv = away_from(np.linspace(-2.0, 2.0, 9), *kinks)
    x = T.dvector("x")
    assert_close(compile_and_run([x], build(x), [xv]), reference(xv))
    for mode in MODES:
        symgraph.verify_grad(build, [xv], mode=mode, rng=np.random.default_rng(0))


def test_clip_gradients_for_all_three_inputs_agree_with_finite_differences():
    rng = np.random.default_rng(7)
    lv = rng.uniform(-2, 2, size=12)
    hv = lv + rng.choice([-1.5, 1.5], size=12)  # half of the bounds crossed
    xv = away_from(rng.uniform(-4, 4, size=12), *np.concatenate([lv, hv]))
    xv = np.where(np.isclose(xv, lv, atol=1e-2) | np.isclose(xv, hv, atol=1e-2), 5.0, xv)
    assert (lv > hv).any() and (lv < hv).any()
    for mode in MODES:
        symgraph.verify_grad(T.clip, [xv, lv, hv], mode=mode, rng=np.random.default_rng(1))


def test_clip_gradient_at_ties_goes_to_x_as_theano_documents():
    x = T.dvector("x")
    xv = np.array([-2.0, 0.0, 0.5, 1.0, 3.0])  # ties with both bounds
    low, high = T.dscalar("low"), T.dscalar("high")
    cost = T.clip(x, low, high).sum()
    grads = compile_and_run(
        [x, low, high], symgraph.grad(cost, [x, low, high]), [xv, np.float64(0), np.float64(1)]
    )
    assert_close(grads[0], [0.0, 1.0, 1.0, 1.0, 0.0])
    assert_close(grads[1], 1.0)
    assert_close(grads[2], 1.0)


# --------------------------------------------------------------------------------------
# floor, ceil and inv of integers: Theano's upcast to float

# Theano 1.0's table for integer inputs; floats keep their dtype.
THEANO_FLOAT_OF = {
    "bool": "float32",
    "int8": "float32",
    "int16": "float32",
    "uint8": "float32",
    "uint16": "float32",
    "int32": "float64",
    "int64": "float64",
    "uint32": "float64",
}
ROUNDING = {"floor": np.floor, "ceil": np.ceil, "inv": lambda v: 1.0 / v}


@pytest.mark.parametrize("dtype", THEANO_FLOAT_OF)
@pytest.mark.parametrize("name", ROUNDING)
def test_integer_inputs_give_theano_float_dtypes(name, dtype):
    x = T.tensor(dtype, shape=(None,), name="x")
    out = getattr(T, name)(x)
    assert out.dtype == THEANO_FLOAT_OF[dtype]
    xv = np.array([True, True] if dtype == "bool" else [1, 2, 5], dtype=dtype)
    expected = ROUNDING[name](xv.astype(np.float64)).astype(THEANO_FLOAT_OF[dtype])
    assert_close(compile_and_run([x], out, [xv]), expected)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_floor_ceil_inv_keep_float_dtypes_and_inv_has_a_gradient(dtype):
    x = T.tensor(dtype, shape=(None,), name="x")
    xv = np.array([-1.5, 0.25, 2.0], dtype=dtype)
    results = compile_and_run([x], [T.floor(x), T.ceil(x), T.inv(x)], [xv])
    for result, name in zip(results, ROUNDING):
        assert result.dtype == dtype
        assert_close(result, ROUNDING[name](xv.astype(np.float64)).astype(dtype))
    symgraph.verify_grad(T.inv, [xv.astype(np.float64)])


def test_theano_compat_inv_is_the_same_op():
    import symgraph.compat.theano.tensor as TT

    assert TT.inv(T.bvector()).dtype == "float32"


# --------------------------------------------------------------------------------------
# mean of float16


def test_mean_of_float16_accumulates_in_float32():
    x = T.tensor("float16", shape=(None,), name="x")
    ones = np.ones(100000, dtype=np.float16)
    result = compile_and_run([x], T.mean(x), [ones])
    assert result.dtype == np.float16 and result == 1.0


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_mean_of_float16_matches_a_float32_reference(axis):
    rng = np.random.default_rng(5)
    xv = rng.uniform(700, 1000, size=(200, 100)).astype(np.float16)  # sums past 65504
    x = T.tensor("float16", shape=(None, None), name="x")
    count = xv.size if axis is None else np.prod([xv.shape[a] for a in np.atleast_1d(axis)])
    expected = (xv.astype(np.float32).sum(axis=axis) / np.float32(count)).astype(np.float16)
    result = compile_and_run([x], T.mean(x, axis=axis), [xv])
    assert result.dtype == np.float16
    np.testing.assert_allclose(result.astype(np.float32), expected.astype(np.float32), rtol=1e-3)


def test_is_zeros_like_recognises_only_zeros_like_of_that_variable():
    x, y = T.matrix("x"), T.matrix("y")
    assert T.is_zeros_like(T.zeros_like(x), x)
    assert not T.is_zeros_like(T.zeros_like(x), y)
    assert not T.is_zeros_like(T.ones_like(x), x)
    assert not T.is_zeros_like(x * 0, x)
    assert not T.is_zeros_like(x, x)
