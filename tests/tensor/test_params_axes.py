"""Every function taking an axis treats it as NumPy does: ``-n <= axis < n``, negative
axes counted from the end, anything else an error naming the variable, its rank and the
axis (never a silent wrap-around such as ``softmax(m, axis=5)`` becoming axis 1).

``AXIS_FUNCTIONS`` holds one row per function: how to call it on the matrix ``m`` (or on
the column ``m`` for functions that need a broadcastable axis) with a given axis, and the
NumPy reference for the same call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
from helpers import assert_close, compile_and_run
from numpy.exceptions import AxisError

import symgraph.tensor as T


def _softmax(v, axis):
    e = np.exp(v - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


class AxisCase(NamedTuple):
    build: Callable  # (m, axis) -> variable
    reference: Callable  # (value of m, axis) -> array
    negative: int = -2  # a negative axis to compare with NumPy
    extra: int = 0  # 1 when the axis indexes the result's one more dimension (stack)
    column: bool = False  # m is a (n, 1) column instead of a matrix


VECTOR3 = np.array([1.0, -2.0, 0.5])

AXIS_FUNCTIONS = {
    "sum": AxisCase(lambda m, a: T.sum(m, axis=a), np.sum),
    "sum keepdims": AxisCase(
        lambda m, a: T.sum(m, axis=a, keepdims=True), lambda v, a: v.sum(a, keepdims=True)
    ),
    "sum tuple": AxisCase(lambda m, a: T.sum(m, axis=(a,)), lambda v, a: v.sum(axis=(a,))),
    "prod": AxisCase(lambda m, a: T.prod(m, axis=a), np.prod),
    "max": AxisCase(lambda m, a: T.max(m, axis=a), np.max),
    "min": AxisCase(lambda m, a: m.min(axis=a), np.min),
    "mean": AxisCase(lambda m, a: T.mean(m, axis=a), np.mean),
    "var": AxisCase(lambda m, a: T.var(m, axis=a), np.var),
    "std": AxisCase(lambda m, a: m.std(axis=a), np.std),
    "argmax": AxisCase(lambda m, a: T.argmax(m, axis=a), np.argmax),
    "argmin": AxisCase(lambda m, a: m.argmin(axis=a), np.argmin, negative=-1),
    "any": AxisCase(lambda m, a: T.any(m, axis=a), lambda v, a: np.any(v, axis=a)),
    "all": AxisCase(lambda m, a: m.all(axis=a), lambda v, a: np.all(v, axis=a)),
    "norm": AxisCase(lambda m, a: T.norm(m, 2, axis=a), lambda v, a: np.sqrt((v**2).sum(a))),
    "softmax": AxisCase(lambda m, a: T.nnet.softmax(m, axis=a), _softmax),
    "log_softmax": AxisCase(
        lambda m, a: T.nnet.log_softmax(m, axis=a), lambda v, a: np.log(_softmax(v, a))
    ),
    "concatenate": AxisCase(
        lambda m, a: T.concatenate([m, 2 * m], axis=a),
        lambda v, a: np.concatenate([v, 2 * v], axis=a),
    ),
    "stack": AxisCase(
        lambda m, a: T.stack([m, 2 * m], axis=a),
        lambda v, a: np.stack([v, 2 * v], axis=a),
        negative=-3,
        extra=1,
    ),
    "repeat": AxisCase(lambda m, a: T.repeat(m, 2, axis=a), lambda v, a: np.repeat(v, 2, a)),
    "take": AxisCase(lambda m, a: T.take(m, [1, 0], axis=a), lambda v, a: np.take(v, [1, 0], a)),
    "swapaxes": AxisCase(lambda m, a: T.swapaxes(m, a, 1), lambda v, a: np.swapaxes(v, a, 1)),
    "transpose": AxisCase(
        lambda m, a: m.transpose(a, (a + 1) % 2), lambda v, a: v.transpose(a, (a + 1) % 2)
    ),
    "shape_i": AxisCase(lambda m, a: T.shape_i(m, a), lambda v, a: np.int64(v.shape[a])),
    "tensordot": AxisCase(
        lambda m, a: T.tensordot(m, T.constant(VECTOR3), axes=[[a], [0]]),
        lambda v, a: np.tensordot(v, VECTOR3, axes=[[a], [0]]),
    ),
    "squeeze": AxisCase(lambda m, a: T.squeeze(m, axis=a), np.squeeze, negative=-1, column=True),
    "unbroadcast": AxisCase(
        lambda m, a: T.unbroadcast(m, a), lambda v, a: v, negative=-1, column=True
    ),
    "addbroadcast": AxisCase(
        lambda m, a: T.addbroadcast(m, a), lambda v, a: v, negative=-1, column=True
    ),
}


def _matrix(case: AxisCase):
    shape = (None, 1) if case.column else (None, None)
    return T.tensor("float64", shape=shape, name="m")


def _value(case: AxisCase):
    if case.column:
        return np.array([[1.5], [-0.5], [2.0]])
    return np.array([[1.0, -2.0, 0.5, 3.0], [0.25, 4.0, -1.0, 2.0], [-3.0, 0.5, 1.5, -0.75]])


@pytest.mark.parametrize("name", AXIS_FUNCTIONS)
def test_out_of_range_axes_raise_naming_the_variable_its_rank_and_the_axis(name):
    case = AXIS_FUNCTIONS[name]
    n = 2 + case.extra
    for axis in (n, -n - 1, 5, -7):
        m = _matrix(case)
        with pytest.raises(AxisError) as info:
            case.build(m, axis)
        message = str(info.value)
        assert "'m'" in message and "2 dimensions" in message, message
        assert f"axis {axis} " in message, message
    # an AxisError is both of NumPy's error types for a bad axis
    assert issubclass(AxisError, ValueError) and issubclass(AxisError, IndexError)


@pytest.mark.parametrize("name", AXIS_FUNCTIONS)
def test_negative_axes_count_from_the_end_as_in_numpy(name):
    case = AXIS_FUNCTIONS[name]
    m, value = _matrix(case), _value(case)
    result = compile_and_run([m], case.build(m, case.negative), [value])
    assert_close(result, case.reference(value, case.negative))


# axis=None means all axes (or the flattened tensor), as in NumPy, except for these.
_NONE_IS_NOT_AN_AXIS = ("transpose", "shape_i", "swapaxes", "tensordot")


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        (name, bad)
        for name in AXIS_FUNCTIONS
        for bad in (1.0, "1", True, None, [[1]])
        if bad is not None or name in _NONE_IS_NOT_AN_AXIS
    ],
    ids=repr,
)
def test_axes_must_be_ints(name, bad):
    case = AXIS_FUNCTIONS[name]
    with pytest.raises(TypeError, match="int"):
        case.build(_matrix(case), bad)


def test_softmax_and_concatenate_of_the_issue():
    m, v = T.dmatrix("m"), T.dvector("v")
    with pytest.raises(AxisError, match=r"softmax: axis 5 .*'m'.*2 dimensions"):
        T.nnet.softmax(m, axis=5)
    with pytest.raises(AxisError, match=r"concatenate: axis 3 .*'v'.*1 dimension;"):
        T.concatenate([v, v], axis=3)


def test_concatenate_of_scalars_and_ops_built_with_a_bad_axis():
    from symgraph.tensor.ops.shape import Join

    s = T.dscalar("s")
    with pytest.raises(ValueError, match="zero-dimensional"):
        T.concatenate([s, s])
    with pytest.raises(AxisError, match="out of range"):
        Join(1)(T.dvector("v"), T.dvector("w"))
