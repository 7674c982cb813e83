"""Every op computes the same thing however it is run: one table, one or more rows per op.

Each row builds a node of its op on inputs hypothesis draws (dtypes, shapes with 0-d,
empty and broadcast axes, values, views with negative strides, constant and symbolic
parameters) and compares, output by output, the dtype, shape and value of

(a) ``op.perform(node, values)``,
(b) the compiled function in FAST_COMPILE (no passes: the op's own code), bit for bit,
(c) the compiled function in FAST_RUN (after every pass), to a tight tolerance,
(d) a NumPy reference written here, where a short one exists.

When one of them raises, all must raise the same exception type. ``perform`` must not
change an input it does not declare destroyed. Ops that only appear after rewriting (the
in-place variants, ``Fused``, ``GradientOverride``) get rows built directly; an input an
op destroys is, in the compiled functions, a temporary (``x * ones``) holding the same
values, since a function's own inputs are never overwritten.

Op classes are found by walking ``Op.__subclasses__()`` after importing every module of
the package, so a new op without a row fails ``test_every_op_has_a_row``.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import pkgutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from helpers import (
    SETTINGS,
    TOL,
    USER_OP_BASES,
    mrg_reference,
    neighbours_reference,
    static_shape_ok,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import symgraph
import symgraph.tensor as T
from symgraph.compat.theano.compile.ops import FromFunctionOp
from symgraph.compat.theano.gradient import UndefinedGrad
from symgraph.compat.theano.printing import Print
from symgraph.compat.theano.sandbox.rng_mrg import (
    ChoiceFromUniform,
    MRGUniform,
    MultinomialFromUniform,
    substream_states,
)
from symgraph.compat.theano.tensor import raw_random
from symgraph.compat.theano.tensor.opt import Assert
from symgraph.compat.theano.tensor.signal.pool import DownsampleFactorMaxGradGrad
from symgraph.grad import GradientOverride
from symgraph.graph.basic import Apply, Constant, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.rewrite.fused import Fused
from symgraph.scan.op import Scan, build_scan
from symgraph.tensor.ops import pool_kernels
from symgraph.tensor.ops import random as trandom
from symgraph.tensor.ops.blas import Dot
from symgraph.tensor.ops.conv import (
    Conv2d,
    Conv2dGradInputs,
    Conv2dGradWeights,
    Conv3d,
    Conv3dGradInputs,
    Conv3dGradWeights,
)
from symgraph.tensor.ops.dimshuffle import DimShuffle
from symgraph.tensor.ops.elemwise import Elemwise, scalar_op_named
from symgraph.tensor.ops.linalg import (
    QR,
    SVD,
    AllocDiag,
    Cholesky,
    Det,
    Eig,
    Eigh,
    Expm,
    ExtractDiag,
    Lstsq,
    MatrixInverse,
    MatrixPinv,
    Solve,
    SolveTriangular,
)
from symgraph.tensor.ops.math import SCALAR_OPS, Argmax, CumProd, CumSum, LogSumExp, Reduce
from symgraph.tensor.ops.neighbours import Images2Neibs, Neibs2Images
from symgraph.tensor.ops.nnet import LogSoftmax, Softmax, SoftmaxGrad
from symgraph.tensor.ops.pool import (
    AveragePoolGrad,
    MaxPoolGrad,
    MaxPoolGradGrad,
    Pool,
)
from symgraph.tensor.ops.random import RandomVariable
from symgraph.tensor.ops.shape import (
    Alloc,
    ARange,
    Flatten,
    Join,
    MakeVector,
    Rebroadcast,
    Reshape,
    Shape,
    ShapeI,
)
from symgraph.tensor.ops.sort import ArgSort, NonZero, Repeat, Sort
from symgraph.tensor.ops.subtensor import IncSubtensor, Subtensor
from symgraph.tensor.variable import constant


def _import_package() -> None:
    """Import every module of symgraph, so that every op class exists."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated compat modules warn when imported
        for module in pkgutil.walk_packages(symgraph.__path__, "symgraph."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)


_import_package()

FLOATS = ("float64", "float32")
NUMBERS = FLOATS + ("int64", "int32", "int8", "uint8")
DTYPES = NUMBERS + ("bool",)
# Each example compiles two small functions (about 1 ms each): a run of every row stays
# within seconds.
EXAMPLES = 40
# FAST_RUN may compute a float differently (a rewritten formula); it must stay this close.
REWRITE_TOL = {"float64": {"rtol": 1e-12, "atol": 1e-13}, "float32": {"rtol": 1e-5, "atol": 1e-6}}


# --------------------------------------------------------------------------------------
# the check


@dataclass
class Case:
    """A node and a value for each of its inputs (constants' entries are not used);
    ``reference(*values)`` gives the expected outputs, when a short one exists."""

    node: Apply
    values: list
    reference: Callable | None = None


def _copy(value):
    """A copy with the same memory layout (a reversed view stays a reversed view)."""
    if not isinstance(value, np.ndarray):
        return value
    if any(stride < 0 for stride in value.strides):
        return np.flip(np.flip(value).copy())
    return value.copy()


def _outcome(run: Callable):
    try:
        return list(run()), None
    except Exception as error:  # compared with the other paths' errors below
        return None, error


def _call(fn, arguments):
    return fn(*[_copy(a) for a in arguments])


def _compiled(node: Apply, values: list, mode: str):
    """A function of the node's symbolic inputs computing its outputs, and its arguments.
    A destroyed input is replaced by a temporary holding its value."""
    destroyed = {i for positions in node.op.destroy_map.values() for i in positions}
    inputs, arguments, replaced = [], [], []
    for position, (variable, value) in enumerate(zip(node.inputs, values)):
        if isinstance(variable, Constant):
            replaced.append(variable)
            continue
        assert variable.owner is None, f"row error: input {variable} of {node.op} has an owner"
        if variable not in inputs:
            inputs.append(variable)
            arguments.append(value)
        if position in destroyed:  # x * ones: exactly x (-0.0 too), in a new C-order array
            ones = variable.type()
            inputs.append(ones)
            arguments.append(np.ones_like(value))
            replaced.append(T.mul(variable, ones))
        else:
            replaced.append(variable)
    outputs = node.op.make_node(*replaced).outputs if destroyed else node.outputs
    fn = symgraph.function(inputs, outputs, mode=mode, on_unused_input="ignore")
    return fn, arguments


def _assert_same(variable: Variable, expected, actual, what: str, tolerance=None) -> None:
    """``actual`` (from ``what``) has the variable's dtype, a shape its static shape allows,
    and ``expected``'s shape and values: exactly, or within ``tolerance`` for floats."""
    actual = np.asarray(actual)
    dtype = variable.type.numpy_dtype
    assert actual.dtype == dtype, f"{what}: dtype {actual.dtype}, the node says {dtype}"
    assert static_shape_ok(variable.type.shape, actual.shape), (
        f"{what}: shape {actual.shape} does not fit the static shape {variable.type.shape}"
    )
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (
        f"{what}: shape {actual.shape}, expected {expected.shape}"
    )
    if tolerance is None or dtype.kind not in "fc":
        np.testing.assert_array_equal(actual, expected.astype(dtype), err_msg=what)
    else:
        wide = np.complex128 if dtype.kind == "c" else np.float64
        np.testing.assert_allclose(
            actual.astype(wide),
            expected.astype(wide),
            equal_nan=True,
            err_msg=what,
            **tolerance[np.finfo(dtype).dtype.name],  # complex64: float32's tolerance
        )


def _same_error(node, first, second, what: str) -> None:
    if first is not None or second is not None:
        assert type(first) is type(second), (
            f"{node.op}: perform raised {first!r}, {what} {second!r}"
        )


def _run_perform(node: Apply, values: list, destroyed: set):
    """``perform``'s outputs (or error) on copies of ``values``, and its outputs when the
    0-d inputs are NumPy scalars (None when there are none)."""

    # A destroyed input is, in the compiled functions, a temporary in C order: the same
    # here, as NumPy may round differently on other layouts.
    def fresh(position, value):
        return np.array(value, order="C") if position in destroyed else _copy(value)

    given = [fresh(i, v) for i, v in enumerate(values)]
    performed, error = _outcome(lambda: node.op.perform(node, given))
    for position, (before, after) in enumerate(zip(values, given)):
        if position not in destroyed and isinstance(before, np.ndarray):
            np.testing.assert_array_equal(
                after, before, err_msg=f"perform changed input {position} of {node.op}"
            )
    # Generated code holds 0-d values as NumPy scalars (reductions and indexing give them),
    # and an op's code must take them so.
    zero_d = [i for i, v in enumerate(values) if np.ndim(v) == 0 and i not in destroyed]
    if not zero_d:
        return performed, error, None
    scalars = [v[()] if i in zero_d else fresh(i, v) for i, v in enumerate(values)]
    on_scalars, scalars_error = _outcome(lambda: node.op.perform(node, scalars))
    _same_error(node, error, scalars_error, "on NumPy scalars it raised")
    return performed, error, on_scalars


def check(case: Case) -> None:
    """Compare (a) perform, (b) FAST_COMPILE, (c) FAST_RUN and (d) the reference."""
    node = case.node
    values = [
        v.data if isinstance(v, Constant) else value for v, value in zip(node.inputs, case.values)
    ]
    destroyed = {i for positions in node.op.destroy_map.values() for i in positions}
    with np.errstate(all="ignore"):
        performed, error, on_scalars = _run_perform(node, values, destroyed)
        compiled = {}
        for mode in ("FAST_COMPILE", "FAST_RUN"):
            fn, arguments = _compiled(node, values, mode)
            compiled[mode], mode_error = _outcome(functools.partial(_call, fn, arguments))
            _same_error(node, error, mode_error, f"{mode} raised")
        expected, reference_error = None, None
        if case.reference is not None:
            expected, reference_error = _outcome(
                lambda: case.reference(*[_copy(v) for v in values])
            )
        if error is not None:
            # Every path failing alike is no excuse where NumPy computes the value, unless
            # the op refuses the input on purpose (a ValueError naming what is wrong, e.g.
            # a broadcastable axis of length 0, patches that do not fit).
            assert (
                case.reference is None
                or reference_error is not None
                or isinstance(error, ValueError)
            ), f"{node.op} raised {error!r} where the NumPy reference computes a value"
            return
        if reference_error is not None:
            raise reference_error
    for index, variable in enumerate(node.outputs):
        label = f"{node.op} output {index}"
        value = performed[index]
        _assert_same(variable, value, value, f"{label} from perform")
        if on_scalars is not None:
            _assert_same(variable, value, on_scalars[index], f"{label}, perform on scalars")
        _assert_same(variable, value, compiled["FAST_COMPILE"][index], f"{label}, FAST_COMPILE")
        _assert_same(
            variable, value, compiled["FAST_RUN"][index], f"{label}, FAST_RUN", REWRITE_TOL
        )
        if expected is not None:
            _assert_same(variable, expected[index], value, f"{label} against NumPy", TOL)


# --------------------------------------------------------------------------------------
# drawing inputs


def _elements(dtype, low=-3, high=3):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        return st.integers(max(low, 0) if dtype.kind == "u" else low, high)
    return st.floats(low, high, width=8 * dtype.itemsize)


def draw_value(data, dtype, shape, low=-3, high=3, elements=None):
    """An array of ``shape``; sometimes a reversed view (negative strides) of one."""
    if elements is None:
        elements = _elements(dtype, low, high)
    value = data.draw(hnp.arrays(dtype, shape, elements=elements))
    if value.ndim and data.draw(st.booleans(), label="reversed view"):
        value = np.flip(np.flip(value).copy())
    return value


def draw_static(data, shape) -> tuple:
    """A static shape for ``shape``: size-1 axes known (they broadcast), others maybe."""
    return tuple(s if s == 1 or data.draw(st.booleans(), label="static") else None for s in shape)


def draw_input(data, dtype, shape, low=-3, high=3, constant_ok=True, elements=None):
    """A graph input (or sometimes a constant) of ``dtype`` and ``shape``, and its value."""
    value = draw_value(data, dtype, shape, low, high, elements)
    if constant_ok and data.draw(st.integers(0, 3), label="constant") == 0:
        return constant(value.copy(), dtype=dtype), value
    return TensorType(dtype, draw_static(data, shape))(), value


def draw_shape(data, min_dims=0, max_dims=3, min_side=0, max_side=3) -> tuple:
    return data.draw(
        hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)
    )


def scalar_input(data, value, dtype="int64"):
    """A 0-d input holding ``value``: a symbolic scalar or a constant."""
    array = np.array(value, dtype=dtype)
    if data.draw(st.booleans(), label="constant scalar"):
        return constant(array, dtype=dtype), array
    return TensorType(dtype, ())(), array


def vector_input(data, entries):
    """An int64 vector input holding ``entries``: a symbolic vector or a constant."""
    array = np.array(entries, dtype=np.int64).reshape(len(entries))
    if data.draw(st.booleans(), label="constant vector"):
        return constant(array), array
    return TensorType("int64", (len(entries),))(), array


# --------------------------------------------------------------------------------------
# rows: shape ops


def shape_case(data):
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), draw_shape(data))
    return Case(Shape().make_node(x), [value], lambda v: [np.array(v.shape, dtype=np.int64)])


def shape_i_case(data):
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), draw_shape(data, 1))
    i = data.draw(st.integers(0, value.ndim - 1))
    return Case(ShapeI(i).make_node(x), [value], lambda v: [np.int64(v.shape[i])])


def make_vector_case(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    pairs = [draw_input(data, dtype, ()) for _ in range(data.draw(st.integers(1, 3)))]
    node = MakeVector(dtype).make_node(*[p[0] for p in pairs])
    return Case(node, [p[1] for p in pairs], lambda *v: [np.array(v, dtype=dtype)])


def reshape_case(data):
    shape = draw_shape(data, 0, 3)
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), shape)
    size = int(np.prod(shape))
    target = list(data.draw(st.sampled_from([shape[::-1], (size,), (1, size), (size, 1), ()])))
    if int(np.prod(target)) != size:
        target = [size]
    if target and data.draw(st.booleans(), label="-1"):
        target[data.draw(st.integers(0, len(target) - 1))] = -1
    new_shape, new_value = vector_input(data, target)
    node = Reshape(len(target)).make_node(x, new_shape)
    return Case(node, [value, new_value], lambda v, s: [v.reshape(tuple(s))])


def flatten_case(data):
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), draw_shape(data, 1))
    ndim = data.draw(st.integers(1, value.ndim))

    def reference(v):
        return [v.reshape(v.shape[: ndim - 1] + (int(np.prod(v.shape[ndim - 1 :])),))]

    return Case(Flatten(ndim).make_node(x), [value], reference)


def join_case(data):
    shape = draw_shape(data, 1)
    axis = data.draw(st.integers(0, len(shape) - 1))
    pairs = []
    for _ in range(data.draw(st.integers(1, 3))):
        own = list(shape)
        own[axis] = data.draw(st.integers(0, 3))
        pairs.append(draw_input(data, data.draw(st.sampled_from(DTYPES)), tuple(own)))
    node = Join(axis).make_node(*[p[0] for p in pairs])
    dtype = node.outputs[0].dtype
    return Case(
        node,
        [p[1] for p in pairs],
        lambda *v: [np.concatenate([a.astype(dtype) for a in v], axis=axis)],
    )


def arange_case(data):
    kind = data.draw(st.sampled_from(["int64", "float64", "int32"]))
    numbers = (
        st.integers(-5, 5) if kind != "float64" else st.sampled_from([-2.5, -1.0, 0.0, 1.5, 4.0])
    )
    start, stop = data.draw(numbers), data.draw(numbers)
    step = data.draw(st.sampled_from([1, 2, -1, -3] if kind != "float64" else [0.5, -0.75, 1.0]))
    dtype = data.draw(st.sampled_from([kind, "float64", "int64", "float32"]))
    pairs = [scalar_input(data, v, kind) for v in (start, stop, step)]
    node = ARange(dtype).make_node(*[p[0] for p in pairs])
    return Case(node, [p[1] for p in pairs], lambda a, b, c: [np.arange(a, b, c, dtype=dtype)])


def alloc_case(data):
    shape = draw_shape(data, 0, 3)
    value_ndim = data.draw(st.integers(0, len(shape)))
    value_shape = tuple(
        s if data.draw(st.booleans(), label="keep axis") else 1
        for s in shape[len(shape) - value_ndim :]
    )
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), value_shape)
    sizes = [scalar_input(data, s) for s in shape]
    node = Alloc().make_node(x, *[p[0] for p in sizes])
    return Case(
        node,
        [value] + [p[1] for p in sizes],
        lambda v, *s: [np.broadcast_to(v, tuple(int(n) for n in s))],
    )


def dimshuffle_case(data):
    shape = draw_shape(data, 0, 3, max_side=3)
    dtype = data.draw(st.sampled_from(DTYPES))
    value = draw_value(data, dtype, shape)
    static = tuple(1 if s == 1 else None for s in shape)  # size-1 axes may be dropped
    x = TensorType(dtype, static)()
    dropped = [a for a, s in enumerate(shape) if s == 1 and data.draw(st.booleans(), label="drop")]
    kept = data.draw(st.permutations([a for a in range(len(shape)) if a not in dropped]))
    order = list(kept)
    for _ in range(data.draw(st.integers(0, 2))):
        order.insert(data.draw(st.integers(0, len(order))), "x")

    def reference(v):
        v = np.squeeze(v, axis=tuple(dropped))
        remaining = [a for a in range(len(shape)) if a not in dropped]
        v = np.transpose(v, [remaining.index(a) for a in kept])
        return [np.expand_dims(v, tuple(i for i, a in enumerate(order) if a == "x"))]

    return Case(DimShuffle(len(shape), order).make_node(x), [value], reference)


def rebroadcast_case(data):
    shape = draw_shape(data, 1, 3)
    dtype = data.draw(st.sampled_from(DTYPES))
    axis = data.draw(st.integers(0, len(shape) - 1))
    broadcastable = data.draw(st.booleans())
    value = draw_value(data, dtype, shape)  # a length other than 1 must raise at run time
    x = TensorType(dtype, tuple(None for _ in shape))()
    return Case(Rebroadcast([(axis, broadcastable)]).make_node(x), [value], lambda v: [v])


# --------------------------------------------------------------------------------------
# rows: indexing


def draw_index(data, shape):
    """A NumPy index into an array of ``shape`` (ints, slices, None, integer arrays) as
    the symbolic index to build with and the concrete one, plus the symbolic parts'
    (variable, value) pairs."""
    symbolic, concrete, bindings = [], [], []
    array_length = data.draw(st.integers(1, 3))

    def bound(value):
        if data.draw(st.integers(0, 2), label="symbolic bound") == 0:
            dtype = data.draw(st.sampled_from(["int64", "int32", "int8"]))
            variable = TensorType(dtype, ())()
            bindings.append((variable, np.array(value, dtype=dtype)))
            return variable
        return value

    for size in shape[: data.draw(st.integers(0, len(shape)))]:
        if data.draw(st.integers(0, 4), label="newaxis") == 0:
            symbolic.append(None)
            concrete.append(None)
        kind = data.draw(st.sampled_from(["int", "slice", "slice", "array"] if size else ["slice"]))
        if kind == "int":
            i = data.draw(st.integers(-size, size - 1))
            symbolic.append(bound(i))
            concrete.append(i)
        elif kind == "slice":
            ends = st.none() | st.integers(-size - 2, size + 2)
            start, stop = data.draw(ends), data.draw(ends)
            step = data.draw(st.sampled_from([None, 1, 2, -1, -2]))
            parts = [None if p is None else bound(p) for p in (start, stop, step)]
            symbolic.append(slice(*parts))
            concrete.append(slice(start, stop, step))
        else:
            entries = data.draw(
                hnp.arrays(np.int64, (array_length,), elements=st.integers(-size, size - 1))
            )
            if data.draw(st.booleans(), label="constant array"):
                symbolic.append(entries.copy())
            else:
                variable = TensorType("int64", (None,))()
                bindings.append((variable, entries))
                symbolic.append(variable)
            concrete.append(entries)
    return tuple(symbolic), tuple(concrete), bindings


def _values_of(node, bindings):
    values = []
    for variable in node.inputs:
        match = [value for v, value in bindings if v is variable]
        values.append(match[0] if match else None)
    return values


def _indexed(data, min_dims=0):
    shape = draw_shape(data, min_dims, 3, max_side=4)
    dtype = data.draw(st.sampled_from(DTYPES))
    value = draw_value(data, dtype, shape)
    x = TensorType(dtype, draw_static(data, shape))()
    symbolic, concrete, bindings = draw_index(data, shape)
    if symbolic:
        sub = x[symbolic].owner
        idx_list, rest = sub.op.idx_list, sub.inputs[1:]
    else:  # no index at all: x[()] (built directly; getitem returns x itself)
        idx_list, rest = (), []
    return x, value, idx_list, rest, concrete, [(x, value), *bindings]


def subtensor_case(data):
    x, _, idx_list, rest, concrete, bindings = _indexed(data)
    node = Subtensor(idx_list).make_node(x, *rest)
    return Case(node, _values_of(node, bindings), lambda v, *_: [v[concrete]])


def inc_subtensor_case(data, inplace=False):
    # in place only on arrays: a 0-d value may be a NumPy scalar, and the in-place pass
    # never picks one
    x, value, idx_list, rest, concrete, bindings = _indexed(data, 1 if inplace else 0)
    target_shape = np.shape(value[concrete])
    y_shape = tuple(
        1 if data.draw(st.integers(0, 3), label="broadcast y") == 0 else s for s in target_shape
    )[data.draw(st.integers(0, len(target_shape))) :]
    x_dtype = np.dtype(x.dtype)
    y_dtype = data.draw(
        st.sampled_from(
            [x_dtype.name] + [d for d in DTYPES if np.can_cast(d, x_dtype, "same_kind")]
        )
    )
    y, y_value = draw_input(data, y_dtype, y_shape)
    set_instead = data.draw(st.booleans())
    node = IncSubtensor(idx_list, set_instead, inplace).make_node(x, y, *rest)
    advanced = any(isinstance(i, np.ndarray) for i in concrete)

    def reference(v, w, *_):
        out = v.copy()
        if set_instead:
            out[concrete] = w
        elif advanced:
            np.add.at(out, concrete, w)
        else:
            out[concrete] += w
        return [out]

    return Case(node, _values_of(node, bindings + [(y, y_value)]), reference)


# --------------------------------------------------------------------------------------
# rows: element-wise


def _elemwise_inputs(data, scalar_op, shapes, dtypes, constant_ok=True):
    """Inputs for ``scalar_op`` (falling back to dtypes it accepts) and their values."""
    ndim = max(len(s) for s in shapes)
    shapes = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]  # no padding nodes
    float_only = all(np.dtype(d).kind == "f" for d in dtypes)
    specials = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0])
    pairs = []
    for dtype, shape in zip(dtypes, shapes):
        elements = None
        if float_only and not scalar_op.name.startswith("cast"):
            elements = _elements(dtype) | specials
        pairs.append(draw_input(data, dtype, shape, constant_ok=constant_ok, elements=elements))
    return pairs


def _elemwise_node(data, op, shapes, constant_ok=True, same_dtype=False):
    scalar = op.scalar_op
    first = data.draw(st.sampled_from(DTYPES))
    dtypes = [first if same_dtype else data.draw(st.sampled_from(DTYPES)) for _ in shapes]
    for candidate in (
        dtypes,
        ["float64"] * len(shapes),
        ["int64"] * len(shapes),
        ["bool"] * len(shapes),
    ):
        pairs = _elemwise_inputs(data, scalar, shapes, candidate, constant_ok)
        try:
            return op.make_node(*[p[0] for p in pairs]), [p[1] for p in pairs]
        except TypeError:
            continue
    raise AssertionError(f"no dtype fits {scalar.name}")


ELEMWISE_NAMES = sorted(SCALAR_OPS) + ["cast_float32", "cast_int16", "cast_uint8", "cast_bool"]


def elemwise_case(data):
    scalar = scalar_op_named(data.draw(st.sampled_from(ELEMWISE_NAMES)))
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=scalar.nin, max_side=3)
    ).input_shapes
    node, values = _elemwise_node(data, Elemwise(scalar), shapes)
    # the NumPy references of every element-wise op: tests/tensor/test_elemwise.py
    return Case(node, values)


def elemwise_inplace_case(data):
    names = [n for n in ELEMWISE_NAMES if scalar_op_named(n).writes_out]
    scalar = scalar_op_named(data.draw(st.sampled_from(names)))
    shape = draw_shape(data, 1, 3)
    shapes = [shape] + [
        tuple(1 if data.draw(st.booleans(), label="broadcast") else s for s in shape)
        for _ in range(scalar.nin - 1)
    ]
    node, values = _elemwise_node(
        data, Elemwise(scalar), shapes, constant_ok=False, same_dtype=True
    )
    out = node.outputs[0]
    if node.inputs[0].dtype != out.dtype:  # the buffer must hold the result's dtype
        node, values = _elemwise_node(
            data,
            Elemwise(SCALAR_OPS["add"]),
            [shape, shapes[-1]],
            constant_ok=False,
            same_dtype=True,
        )
    node = Elemwise(node.op.scalar_op, inplace=0).make_node(*node.inputs)
    return Case(node, values)


# (symbolic, NumPy) pairs a fused tree is made of
_UNARY = [
    (T.exp, np.exp),
    (T.tanh, np.tanh),
    (T.neg, np.negative),
    (T.sqr, np.square),
    (T.abs, np.abs),
]
_BINARY = [(T.add, np.add), (T.mul, np.multiply), (T.sub, np.subtract), (T.maximum, np.maximum)]


def _evaluate(expression, values):
    """A fused tree's NumPy value; ``expression`` is ``("input", k)``, ``("constant", c)``
    or ``(numpy function, *operand expressions)``."""
    head, *rest = expression
    if isinstance(head, str):
        return values[rest[0]] if head == "input" else rest[0]
    return head(*[_evaluate(e, values) for e in rest])


def _inputs_read(expression) -> set:
    head, *rest = expression
    if isinstance(head, str):
        return {rest[0]} if head == "input" else set()
    return set().union(*[_inputs_read(e) for e in rest])


def fused_case(data, inplace=False):
    shape = draw_shape(data, 1 if inplace else 0, 3, min_side=1 if inplace else 0)
    dtype = data.draw(st.sampled_from(FLOATS))
    shapes = [shape] + [
        tuple(1 if data.draw(st.booleans(), label="broadcast") else s for s in shape)
        for _ in range(data.draw(st.integers(0, 2)))
    ]
    inner = [TensorType(dtype, tuple(1 if s == 1 else None for s in sh))() for sh in shapes]
    trees = [(v, ("input", k)) for k, v in enumerate(inner)]  # (symbolic, NumPy expression)
    for _ in range(data.draw(st.integers(1, 5))):
        a, a_expression = data.draw(st.sampled_from(trees))
        if data.draw(st.booleans(), label="unary"):
            op, fn = data.draw(st.sampled_from(_UNARY))
            trees.append((op(a), (fn, a_expression)))
            continue
        b, b_expression = data.draw(st.sampled_from(trees))
        if data.draw(st.booleans(), label="constant operand"):
            c = data.draw(st.sampled_from([0.5, -2.0, 3.0]))
            b, b_expression = T.as_tensor(c), ("constant", c)
        op, fn = data.draw(st.sampled_from(_BINARY))
        trees.append((op(a, b), (fn, a_expression, b_expression)))
    out, expression = trees[-1]
    for k, variable in enumerate(inner):  # as fusion makes them: every input is read
        if k not in _inputs_read(expression):
            out, expression = T.add(out, variable), (np.add, expression, ("input", k))
    op = Fused(inner, [out])
    if inplace:  # the result fills the destroyed input's buffer: give it that shape
        out, expression = T.add(inner[0], out), (np.add, ("input", 0), expression)
        op = Fused(inner, [out]).with_inplace(0)
    outer = [TensorType(v.type.dtype, v.type.shape)() for v in inner]
    values = [draw_value(data, dtype, s, low=-2, high=2) for s in shapes]
    return Case(
        op.make_node(*outer), values, lambda *v: [np.asarray(_evaluate(expression, v), dtype)]
    )


# --------------------------------------------------------------------------------------
# rows: reductions, products, softmax


def reduce_case(data):
    kind = data.draw(st.sampled_from(["sum", "prod", "max", "min"]))
    shape = draw_shape(data, 0, 3)
    dtype = data.draw(st.sampled_from(DTYPES))
    x, value = draw_input(data, dtype, shape)
    axes = tuple(
        sorted(data.draw(st.sets(st.integers(0, max(len(shape) - 1, 0)), max_size=len(shape))))
    )
    wider = {
        "int8": "int64",
        "int32": "int64",
        "uint8": "uint64",
        "float32": "float64",
        "bool": "int64",
    }
    acc = (
        wider.get(dtype)
        if kind in ("sum", "prod") and data.draw(st.booleans(), label="dtype")
        else None
    )
    node = Reduce(kind, axes, acc).make_node(x)
    out_dtype = node.outputs[0].dtype

    def reference(v):
        if kind in ("max", "min"):
            return [getattr(np, kind)(v, axis=axes)]
        return [getattr(np, kind)(v, axis=axes, dtype=out_dtype)]

    return Case(node, [value], reference)


def logsumexp_case(data):
    shape = draw_shape(data, 0, 3)
    x, value = draw_input(data, data.draw(st.sampled_from(FLOATS)), shape)
    axes = tuple(
        sorted(data.draw(st.sets(st.integers(0, max(len(shape) - 1, 0)), max_size=len(shape))))
    )
    return Case(
        LogSumExp(axes).make_node(x),
        [value],
        lambda v: [np.log(np.sum(np.exp(v.astype(np.float64)), axis=axes))],
    )


def argmax_case(data):
    kind = data.draw(st.sampled_from(["max", "min"]))
    shape = draw_shape(data, 0, 3)
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), shape)
    axis = data.draw(st.none() | st.integers(0, len(shape) - 1)) if shape else None
    fn = np.argmax if kind == "max" else np.argmin
    return Case(Argmax(kind, axis).make_node(x), [value], lambda v: [fn(v, axis=axis)])


def cumsum_case(data):
    shape = draw_shape(data, 0, 3)
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), shape)
    axis = data.draw(st.none() | st.integers(0, len(shape) - 1)) if shape else None
    return Case(CumSum(axis).make_node(x), [value], lambda v: [np.cumsum(v, axis=axis)])


def cumprod_case(data):
    shape = draw_shape(data, 0, 3)
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), shape, low=-2, high=2)
    axis = data.draw(st.none() | st.integers(0, len(shape) - 1)) if shape else None

    def reference(v):  # products of prefixes, one at a time
        flat = axis is None
        moved = np.moveaxis(v.reshape(-1) if flat else v, 0 if flat else axis, -1)
        dtype = np.cumprod(np.zeros(1, v.dtype)).dtype
        out = np.ones(moved.shape, dtype=dtype)
        running = np.ones(moved.shape[:-1], dtype=dtype)
        for k in range(moved.shape[-1]):
            running = running * moved[..., k]
            out[..., k] = running
        return [np.moveaxis(out, -1, 0 if flat else axis)]

    return Case(CumProd(axis).make_node(x), [value], reference)


def _sort_setup(data):
    shape = draw_shape(data, 0, 3)
    dtype = data.draw(st.sampled_from(DTYPES))
    elements = (
        _elements(dtype) | st.sampled_from([np.nan, np.inf, -0.0]) if dtype in FLOATS else None
    )
    x, value = draw_input(data, dtype, shape, elements=elements)
    axis = data.draw(st.none() | st.integers(0, len(shape) - 1)) if shape else None
    kind = data.draw(st.sampled_from(["quicksort", "mergesort", "heapsort", "stable"]))
    return x, value, axis, kind


def sort_case(data):
    x, value, axis, kind = _sort_setup(data)
    return Case(Sort(axis, kind).make_node(x), [value], lambda v: [np.sort(v, axis, kind)])


def argsort_case(data):
    x, value, axis, kind = _sort_setup(data)
    if kind in ("mergesort", "stable"):  # stable: the first of equal values first

        def reference(v):
            flat = v.reshape(-1) if axis is None else np.moveaxis(v, axis, -1)
            keyed = np.empty(flat.shape, dtype=np.int64)
            for index in np.ndindex(*flat.shape[:-1]):
                row = list(flat[index])
                keyed[index] = sorted(
                    range(len(row)),
                    key=lambda k: (np.isnan(row[k]), row[k]) if flat.dtype.kind == "f" else row[k],
                )
            return [keyed if axis is None else np.moveaxis(keyed, -1, axis)]
    else:  # which of equal values comes first is the algorithm's choice
        reference = None
    return Case(ArgSort(axis, kind).make_node(x), [value], reference)


def nonzero_case(data):
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), draw_shape(data, 1, 3))

    def reference(v):
        hits = [index for index in np.ndindex(*v.shape) if v[index] != 0]
        return [np.array(hits, dtype=np.int64).reshape(len(hits), v.ndim).T]

    return Case(NonZero().make_node(x), [value], reference)


def repeat_case(data):
    shape = draw_shape(data, 1, 3)
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), shape)
    axis = data.draw(st.integers(0, len(shape) - 1))
    if data.draw(st.booleans(), label="one count"):
        counts, counts_value = scalar_input(data, data.draw(st.integers(0, 3)))
    else:
        counts, counts_value = vector_input(
            data, data.draw(st.lists(st.integers(0, 3), min_size=shape[axis], max_size=shape[axis]))
        )

    def reference(v, r):
        pieces = [
            np.take(v, [k], axis=axis)
            for k in range(v.shape[axis])
            for _ in range(int(r) if np.ndim(r) == 0 else int(r[k]))
        ]
        empty = v.shape[:axis] + (0,) + v.shape[axis + 1 :]
        return [np.concatenate(pieces, axis=axis) if pieces else np.zeros(empty, v.dtype)]

    return Case(Repeat(axis).make_node(x, counts), [value, counts_value], reference)


def scan_case(data):
    """A loop with a state of one or two taps and an output not fed back, over a sequence
    at least as long as the steps, with a non-sequence; the reference is a plain loop."""
    dtype = data.draw(st.sampled_from(FLOATS))
    length = data.draw(st.integers(0, 4))
    width = data.draw(st.integers(0, 3))
    taps = data.draw(st.sampled_from([(-1,), (-2, -1), (-1, -3)]))
    depth = -min(taps)
    steps, n = scalar_input(data, data.draw(st.integers(0, length)))
    x, x_value = draw_input(data, dtype, (length, width), low=-2, high=2)
    init, init_value = draw_input(data, dtype, (depth, width), low=-2, high=2)
    w, w_value = draw_input(data, dtype, (width,), low=-1, high=1)

    def step(x_row, *rest):
        *earlier, weight = rest
        total = earlier[0]
        for h in earlier[1:]:
            total = total + h
        return [T.tanh(total * weight + x_row), x_row * 2]

    state, doubled = build_scan(step, [x], [(init, taps), None], [w], steps)

    def reference(n, xs, first, weight):
        rows = list(first)
        for t in range(int(n)):
            total = sum(rows[t + depth + tap] for tap in taps)
            rows.append(np.tanh(total * weight + xs[t]))
        return [np.array(rows).reshape(len(rows), width), xs[: int(n)] * 2]

    return Case(state.owner, [n, x_value, init_value, w_value], reference)


def scan_until_case(data):
    """A loop with a stopping condition and an update state (a step counter, as a shared
    variable updated inside the loop gives): the condition fires after a drawn step, or
    never; the reference is a Python while loop. Built from the op, as its inputs must be
    graph inputs here."""
    dtype = data.draw(st.sampled_from(FLOATS))
    length = data.draw(st.integers(0, 4))
    width = data.draw(st.integers(0, 3))
    steps, n = scalar_input(data, data.draw(st.integers(0, length)))
    x, x_value = draw_input(data, dtype, (length, width), low=-2, high=2)
    init, init_value = draw_input(data, dtype, (1, width), low=-2, high=2)
    count, count_value = draw_input(data, "int64", (1,), low=0, high=3)
    w, w_value = draw_input(data, dtype, (width,), low=-1, high=1)
    stop_value = int(count_value[0]) + data.draw(st.integers(0, 5), label="stop after")
    stop, stop_value = scalar_input(data, stop_value)
    x_t, h, c = TensorType(dtype, (None,))(), TensorType(dtype, (None,))(), T.lscalar()
    w_in, stop_in = TensorType(dtype, (None,))(), T.lscalar()
    new_count = c + 1
    op = Scan(
        [x_t, h, c, w_in, stop_in],
        [T.tanh(h * w_in + x_t), x_t * 2, new_count, T.gt(new_count, stop_in)],
        1,
        [(-1,), (), (-1,)],
        2,
        n_updates=1,
        until=True,
    )

    def reference(n, xs, first, counted, weight, stop):
        states, doubled, counts = [first[0]], [], [counted[0]]
        for t in range(int(n)):
            states.append(np.tanh(states[-1] * weight + xs[t]))
            doubled.append(xs[t] * 2)
            counts.append(counts[-1] + 1)
            if counts[-1] > stop:
                break
        ran = len(doubled)
        return [
            np.array(states).reshape(ran + 1, width),
            np.array(doubled).reshape(ran, width),
            np.array(counts, dtype=np.int64),
        ]

    node = op.make_node(steps, x, init, count, w, stop)
    return Case(node, [n, x_value, init_value, count_value, w_value, stop_value], reference)


def dot_case(data):
    rows, inner, cols = (data.draw(st.integers(0, 3)) for _ in range(3))
    a_shape = data.draw(st.sampled_from([(inner,), (rows, inner)]))
    b_shape = data.draw(st.sampled_from([(inner,), (inner, cols)]))
    a, a_value = draw_input(data, data.draw(st.sampled_from(DTYPES)), a_shape)
    b, b_value = draw_input(data, data.draw(st.sampled_from(DTYPES)), b_shape)
    return Case(Dot().make_node(a, b), [a_value, b_value], lambda p, q: [np.matmul(p, q)])


def _softmax_reference(v, axis):
    e = np.exp(v.astype(np.float64) - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_case(data, log=False):
    shape = draw_shape(data, 1, 3, min_side=1)
    x, value = draw_input(data, data.draw(st.sampled_from(FLOATS)), shape)
    axis = data.draw(st.integers(0, len(shape) - 1))
    op = LogSoftmax(axis) if log else Softmax(axis)
    wrap = np.log if log else np.asarray
    return Case(op.make_node(x), [value], lambda v: [wrap(_softmax_reference(v, axis))])


def softmax_grad_case(data):
    shape = draw_shape(data, 1, 3)
    dtype = data.draw(st.sampled_from(FLOATS))
    gz, gz_value = draw_input(data, dtype, shape)
    sm, sm_value = draw_input(data, dtype, shape, low=0, high=1)
    axis = data.draw(st.integers(0, len(shape) - 1))

    def reference(g, s):
        g, s = g.astype(np.float64), s.astype(np.float64)
        return [s * (g - (g * s).sum(axis=axis, keepdims=True))]

    return Case(SoftmaxGrad(axis).make_node(gz, sm), [gz_value, sm_value], reference)


# --------------------------------------------------------------------------------------
# rows: linear algebra (the references are the NumPy calls; the properties of the results,
# a x = b, L L^T = a..., are checked in tests/tensor/ops/test_linalg.py)


def _matrix_input(data, square=True):
    n = data.draw(st.integers(0, 3))
    m = n if square else data.draw(st.integers(0, 3))
    return draw_input(data, data.draw(st.sampled_from(FLOATS)), (n, m))


def _unary_linalg_case(op, reference, square=True):
    def build(data):
        x, value = _matrix_input(data, square)
        return Case(op.make_node(x), [value], lambda v: [reference(v)])

    return build


def _symmetric_positive(data, dtype, n):
    """A positive-definite matrix (a a^T + n I), sometimes with junk above the diagonal,
    which the kernel must not read."""
    a = draw_value(data, "float64", (n, n), low=-2, high=2)
    value = a @ a.T + n * np.eye(n)
    if data.draw(st.booleans(), label="junk above"):
        value = value + np.triu(np.full((n, n), 7.0), 1)
    return value.astype(dtype)


def _exponential_series(v):
    """sum_k v^k / k!, with v halved ten times first and the result squared back."""
    scaled = v.astype(np.float64) / 2**10
    out, term = np.eye(len(v)), np.eye(len(v))
    for k in range(1, 25):
        term = term @ scaled / k
        out = out + term
    for _ in range(10):
        out = out @ out
    return out


def eigh_case(data):
    uplo = data.draw(st.sampled_from(["L", "U"]))
    x, value = _matrix_input(data)
    return Case(Eigh(uplo).make_node(x), [value], lambda v: list(np.linalg.eigh(v, UPLO=uplo)))


def eig_case(data):
    x, value = _matrix_input(data)

    def reference(v):
        w, vectors = np.linalg.eig(v)
        dtype = np.result_type(v.dtype, np.complex64)
        return [w.astype(dtype), vectors.astype(dtype)]

    return Case(Eig().make_node(x), [value], reference)


def lstsq_case(data):
    x, value = _matrix_input(data, square=False)
    dtype = data.draw(st.sampled_from(FLOATS))
    b_shape = data.draw(st.sampled_from([(value.shape[0],), (value.shape[0], 2)]))
    b, b_value = draw_input(data, dtype, b_shape)
    # -1: machine precision; 0.5 drops singular values below half the largest
    rcond, rcond_value = scalar_input(
        data, data.draw(st.sampled_from([-1.0, 1e-6, 0.5])), "float64"
    )

    def reference(p, q, r):
        solution, residuals, rank, singular = np.linalg.lstsq(p, q, rcond=r)
        out = np.result_type(p.dtype, q.dtype)
        return [solution.astype(out), residuals.astype(out), rank, singular.astype(out)]

    return Case(Lstsq().make_node(x, b, rcond), [value, b_value, rcond_value], reference)


def svd_case(data):
    full, uv = data.draw(st.booleans()), data.draw(st.booleans())
    x, value = _matrix_input(data, square=False)

    def reference(v):
        result = np.linalg.svd(v, full_matrices=full, compute_uv=uv)
        return list(result) if uv else [result]

    return Case(SVD(full, uv).make_node(x), [value], reference)


def qr_case(data):
    mode = data.draw(st.sampled_from(["reduced", "complete", "r"]))
    x, value = _matrix_input(data, square=False)

    def reference(v):
        result = np.linalg.qr(v, mode=mode)
        return [result] if mode == "r" else list(result)

    return Case(QR(mode).make_node(x), [value], reference)


def cholesky_case(data):
    lower = data.draw(st.booleans())
    dtype = data.draw(st.sampled_from(FLOATS))
    n = data.draw(st.integers(0, 3))
    value = _symmetric_positive(data, dtype, n)
    if not lower:
        value = value.T.copy()
    x = TensorType(dtype, draw_static(data, (n, n)))()

    def reference(v):
        sym = np.tril(v) + np.tril(v, -1).T if lower else np.triu(v) + np.triu(v, 1).T
        factor = np.linalg.cholesky(sym.astype(np.float64))
        return [factor if lower else factor.T]

    return Case(Cholesky(lower).make_node(x), [value], reference)


def _solve_operands(data):
    n = data.draw(st.integers(0, 3))
    a, a_value = draw_input(data, data.draw(st.sampled_from(FLOATS)), (n, n))
    b_shape = data.draw(st.sampled_from([(n,), (n, data.draw(st.integers(0, 2)))]))
    b, b_value = draw_input(data, data.draw(st.sampled_from(FLOATS)), b_shape)
    return a, a_value, b, b_value


def solve_case(data):
    assume_a = data.draw(st.sampled_from(["gen", "sym", "pos"]))
    a, a_value, b, b_value = _solve_operands(data)
    node = Solve(assume_a).make_node(a, b)
    return Case(node, [a_value, b_value], lambda p, q: [np.linalg.solve(p, q)])


def solve_triangular_case(data):
    lower, unit = data.draw(st.booleans()), data.draw(st.booleans())
    a, a_value, b, b_value = _solve_operands(data)

    def reference(p, q):  # substitution, row by row
        n = p.shape[0]
        p, q = p.astype(np.float64), q.astype(np.float64)
        x = np.zeros(q.shape)
        rows = range(n) if lower else range(n - 1, -1, -1)
        for i in rows:
            known = range(i) if lower else range(i + 1, n)
            total = q[i] - sum((p[i, j] * x[j] for j in known), np.zeros(q.shape[1:]))
            pivot = 1.0 if unit else p[i, i]
            if pivot == 0:
                raise np.linalg.LinAlgError("singular")
            x[i] = total / pivot
        return [x]

    node = SolveTriangular(lower, unit).make_node(a, b)
    return Case(node, [a_value, b_value], reference)


def extract_diag_case(data):
    shape = draw_shape(data, 2, 3)
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), shape)
    axis1, axis2 = data.draw(st.permutations(range(len(shape))))[:2]
    offset = data.draw(st.integers(-3, 3))
    node = ExtractDiag(offset, axis1, axis2).make_node(x)
    return Case(node, [value], lambda v: [np.diagonal(v, offset, axis1, axis2)])


def alloc_diag_case(data):
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), draw_shape(data, 1, 1))
    offset = data.draw(st.integers(-2, 2))

    def reference(v):
        n = len(v) + abs(offset)
        out = np.zeros((n, n), dtype=v.dtype)
        for i, entry in enumerate(v):
            out[i + max(-offset, 0), i + max(offset, 0)] = entry
        return [out]

    return Case(AllocDiag(offset).make_node(x), [value], reference)


# --------------------------------------------------------------------------------------
# rows: convolution and pooling


def _conv_reference(x, w, pads, stride, dilation, flip, groups):
    """Direct convolution over any number of spatial axes: a sum over the kernel's
    offsets of strided slices."""
    nd = x.ndim - 2
    x, w = x.astype(np.float64), w.astype(np.float64)
    if flip:
        w = w[(Ellipsis,) + (slice(None, None, -1),) * nd]
    x = np.pad(x, ((0, 0), (0, 0), *pads))
    out_sizes = [
        (x.shape[2 + a] - (w.shape[2 + a] - 1) * dilation[a] - 1) // stride[a] + 1
        for a in range(nd)
    ]
    cg, og = w.shape[1], w.shape[0] // groups
    out = np.zeros((x.shape[0], w.shape[0], *out_sizes))
    for g, *tap in itertools.product(range(groups), *(range(k) for k in w.shape[2:])):
        window = tuple(
            slice(i * d, i * d + (o - 1) * s + 1, s)
            for i, d, s, o in zip(tap, dilation, stride, out_sizes)
        )
        patch = x[(slice(None), slice(g * cg, (g + 1) * cg), *window)]
        out[:, g * og : (g + 1) * og] += np.einsum(
            "bc...,oc->bo...", patch, w[(slice(g * og, (g + 1) * og), slice(None), *tap)]
        )
    return out


def _pads(border_mode, kernel, dilation):
    if border_mode in ("valid", "full", "half"):
        dk = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
        p = {"valid": [0] * len(dk), "full": [d - 1 for d in dk], "half": [d // 2 for d in dk]}
        return tuple((q, q) for q in p[border_mode])
    if isinstance(border_mode, int):
        return ((border_mode, border_mode),) * len(kernel)
    return tuple((p, p) for p in border_mode)


# Per number of spatial axes: the ops, the drawn padding tuples and the largest spatial
# sizes of the input and the kernel (3-d ones small: the gradient references below run
# one forward pass per element).
_CONV_OPS = {
    2: (Conv2d, Conv2dGradInputs, Conv2dGradWeights),
    3: (Conv3d, Conv3dGradInputs, Conv3dGradWeights),
}
_CONV_DRAWS = {2: ([(0, 2)], 5, 3), 3: ([(0, 2, 1), (1, 0, 0)], 3, 2)}


def _conv_setup(data, spatial_dims=2):
    tuples, max_size, max_kernel = _CONV_DRAWS[spatial_dims]
    groups = data.draw(st.integers(1, 2))
    channels = groups * data.draw(st.integers(1, 2))
    out_channels = groups * data.draw(st.integers(1, 2))
    x_shape = (
        data.draw(st.integers(1, 2)),
        channels,
        *(data.draw(st.integers(1, max_size)) for _ in range(spatial_dims)),
    )
    w_shape = (
        out_channels,
        channels // groups,
        *(data.draw(st.integers(1, max_kernel)) for _ in range(spatial_dims)),
    )
    params = dict(
        border_mode=data.draw(st.sampled_from(["valid", "full", "half", 1, *tuples])),
        subsample=tuple(data.draw(st.integers(1, 2)) for _ in range(spatial_dims)),
        filter_dilation=(data.draw(st.integers(1, 2)),) + (1,) * (spatial_dims - 1),
        filter_flip=data.draw(st.booleans()),
        num_groups=groups,
    )
    pads = _pads(params["border_mode"], w_shape[2:], params["filter_dilation"])
    for size, (before, after), k, d in zip(
        x_shape[2:], pads, w_shape[2:], params["filter_dilation"]
    ):
        if size + before + after < (k - 1) * d + 1:  # no output: 'full' always has one
            params["border_mode"] = "full"
            pads = _pads("full", w_shape[2:], params["filter_dilation"])

    def forward(x, w):
        return _conv_reference(
            x,
            w,
            pads,
            params["subsample"],
            params["filter_dilation"],
            params["filter_flip"],
            groups,
        )

    return x_shape, w_shape, params, forward


def conv_case(data, spatial_dims):
    x_shape, w_shape, params, forward = _conv_setup(data, spatial_dims)
    dtype = data.draw(st.sampled_from(FLOATS))
    x, x_value = draw_input(data, dtype, x_shape, constant_ok=False)
    w, w_value = draw_input(data, dtype, w_shape)
    node = _CONV_OPS[spatial_dims][0](**params).make_node(x, w)
    return Case(node, [x_value, w_value], lambda a, b: [forward(a, b)])


def _by_linearity(forward, shape, other, gy, first):
    """The gradient of ``sum(forward(.) * gy)`` with respect to one argument of ``shape``
    (the other argument fixed): one forward pass per element, for tiny shapes."""
    grad = np.zeros(shape)
    for index in np.ndindex(*shape):
        basis = np.zeros(shape)
        basis[index] = 1
        grad[index] = np.sum((forward(basis, other) if first else forward(other, basis)) * gy)
    return grad


def conv_grad_case(data, spatial_dims, of_inputs):
    x_shape, w_shape, params, forward = _conv_setup(data, spatial_dims)
    _, grad_inputs_op, grad_weights_op = _CONV_OPS[spatial_dims]
    dtype = data.draw(st.sampled_from(FLOATS))
    out_shape = forward(np.zeros(x_shape), np.zeros(w_shape)).shape
    gy, gy_value = draw_input(data, dtype, out_shape)
    if of_inputs:
        w, w_value = draw_input(data, dtype, w_shape)
        spatial, spatial_value = vector_input(data, x_shape[2:])
        node = grad_inputs_op(**params).make_node(gy, w, spatial)

        def grad_inputs(g, b, _):
            return [_by_linearity(forward, x_shape, b, g, True)]

        return Case(node, [gy_value, w_value, spatial_value], grad_inputs)
    x, x_value = draw_input(data, dtype, x_shape)
    spatial, spatial_value = vector_input(data, w_shape[2:])
    node = grad_weights_op(**params).make_node(x, gy, spatial)

    def grad_weights(a, g, _):
        return [_by_linearity(forward, w_shape, a, g, False)]

    return Case(node, [x_value, gy_value, spatial_value], grad_weights)


def _pool_windows(shape, ws, ignore_border, stride, pad):
    """The output's pooled shape (the last ``len(ws)`` axes), and for each output cell:
    its index, the slices of its window's real cells and the size of the window clipped
    to the padded input (Theano's Pool, as ``pool_kernels`` documents it)."""
    nd = len(ws)
    sizes = []
    for n, w, s, p in zip(shape[-nd:], ws, stride, pad):
        v = n + 2 * p
        if ignore_border:
            sizes.append(max((v - w) // s + 1, 0))
        elif v == 0:
            sizes.append(0)
        else:
            sizes.append((v - 1) // s + 1 if s >= w else max(0, (v - 1 - w + s) // s) + 1)
    windows = []
    for index in np.ndindex(*sizes):
        real, clipped = [], 1
        for k, n, w, s, p in zip(index, shape[-nd:], ws, stride, pad):
            start, stop = k * s, min(k * s + w, n + 2 * p)
            real.append(slice(max(start - p, 0), min(stop - p, n)))
            clipped *= stop - start
        windows.append(((Ellipsis, *index), (Ellipsis, *real), clipped))
    return tuple(sizes), windows


def _divisor(mode, real, clipped):
    count = int(np.prod([cells.stop - cells.start for cells in real[1:]]))
    return {"sum": 1, "average_inc_pad": clipped, "average_exc_pad": count}[mode]


def _pool_reference(x, ws, ignore_border, stride, pad, mode):
    sizes, windows = _pool_windows(x.shape, ws, ignore_border, stride, pad)
    axes = tuple(range(-len(ws), 0))
    out = np.zeros(x.shape[: x.ndim - len(ws)] + sizes)
    for at, real, clipped in windows:
        cells = x[real].astype(np.float64)
        if mode == "max":
            out[at] = cells.max(axis=axes)
        else:
            out[at] = cells.sum(axis=axes) / _divisor(mode, real, clipped)
    return out


def _pool_grad_reference(x, y, gy, ws, ignore_border, stride, pad, mode):
    gx = np.zeros(x.shape)
    spread = (Ellipsis,) + (None,) * len(ws)
    for at, real, clipped in _pool_windows(x.shape, ws, ignore_border, stride, pad)[1]:
        g = gy[at].astype(np.float64)[spread]
        if mode == "max":  # every position holding the window's max gets all of g
            gx[real] += g * (x[real] == y[at][spread])
        else:
            gx[real] += g / _divisor(mode, real, clipped)
    return gx


def _pool_grad_grad_reference(x, y, ggx, ws, ignore_border, stride, pad):
    out = np.zeros(y.shape)
    spread, axes = (Ellipsis,) + (None,) * len(ws), tuple(range(-len(ws), 0))
    for at, real, _ in _pool_windows(x.shape, ws, ignore_border, stride, pad)[1]:
        out[at] = np.sum(ggx[real] * (x[real] == y[at][spread]), axis=axes)
    return out


def _pool_setup(data, modes=pool_kernels.POOL_MODES):
    """A pooled shape (1-3 pooled axes after 0-3 leading ones) and the pooling
    parameters ``(ws, ignore_border, stride, pad, mode)``."""
    nd = data.draw(st.integers(1, 3), label="pooled axes")
    sides = st.integers(1, 3)
    ws = data.draw(st.tuples(*[sides] * nd))
    ignore_border = data.draw(st.booleans())
    stride = data.draw(st.none() | st.tuples(*[sides] * nd))
    pad = (0,) * nd
    if ignore_border:
        pad = tuple(data.draw(st.integers(0, w - 1)) for w in ws)
    mode = data.draw(st.sampled_from(modes))
    shape = draw_shape(data, nd, nd + (3 if nd < 3 else 1), min_side=1, max_side=5 - nd)
    return shape, (ws, ignore_border, stride or ws, pad, mode)


def _window_inputs(data, params):
    """``ws``, ``stride`` and ``pad`` as constants or as integer vector inputs, and their
    values."""
    ws, _, stride, pad, _ = params
    inputs = []
    for value in (ws, stride, pad):
        vector, array = constant(np.array(value, dtype="int64")), np.array(value, dtype="int64")
        if data.draw(st.booleans(), label="symbolic window parameter"):
            vector = TensorType("int64", draw_static(data, array.shape))()
        inputs.append(vector)
    return inputs, [np.array(v, dtype="int64") for v in (ws, stride, pad)]


def pool_case(data):
    shape, params = _pool_setup(data)
    ws, ignore_border, _, _, mode = params
    x, value = draw_input(data, data.draw(st.sampled_from(FLOATS)), shape)
    window, window_values = _window_inputs(data, params)
    node = Pool(ignore_border, mode, len(ws)).make_node(x, *window)
    return Case(node, [value, *window_values], lambda v, *_: [_pool_reference(v, *params)])


def _pool_grad_inputs(data, modes):
    shape, params = _pool_setup(data, modes)
    dtype = data.draw(st.sampled_from(FLOATS))
    x_value = draw_value(data, dtype, shape)
    y_value = _pool_reference(x_value, *params).astype(dtype)
    x, y = TensorType(dtype, draw_static(data, shape))(), TensorType(dtype, (None,) * len(shape))()
    return params, dtype, (x, x_value), (y, y_value)


def max_pool_grad_case(data):
    params, dtype, (x, x_value), (y, y_value) = _pool_grad_inputs(data, ("max",))
    gy, gy_value = draw_input(data, dtype, y_value.shape)
    window, window_values = _window_inputs(data, params)
    node = MaxPoolGrad(params[1], len(params[0])).make_node(x, y, gy, *window)
    return Case(
        node,
        [x_value, y_value, gy_value, *window_values],
        lambda a, b, g, *_: [_pool_grad_reference(a, b, g, *params)],
    )


def average_pool_grad_case(data):
    params, dtype, (x, x_value), (_, y_value) = _pool_grad_inputs(
        data, ("sum", "average_inc_pad", "average_exc_pad")
    )
    gy, gy_value = draw_input(data, dtype, y_value.shape)
    window, window_values = _window_inputs(data, params)
    node = AveragePoolGrad(params[1], params[4], len(params[0])).make_node(x, gy, *window)
    return Case(
        node,
        [x_value, gy_value, *window_values],
        lambda a, g, *_: [_pool_grad_reference(a, None, g, *params)],
    )


def _max_pool_grad_grad_case(op_class, data):
    params, dtype, (x, x_value), (y, y_value) = _pool_grad_inputs(data, ("max",))
    ggx, ggx_value = draw_input(data, dtype, x_value.shape)
    window, window_values = _window_inputs(data, params)
    node = op_class(params[1], ndim=len(params[0])).make_node(x, y, ggx, *window)
    return Case(
        node,
        [x_value, y_value, ggx_value, *window_values],
        lambda a, b, g, *_: [_pool_grad_grad_reference(a, b, g, *params[:4])],
    )


def max_pool_grad_grad_case(data):
    return _max_pool_grad_grad_case(MaxPoolGradGrad, data)


def downsample_factor_max_grad_grad_case(data):
    return _max_pool_grad_grad_case(DownsampleFactorMaxGradGrad, data)


# --------------------------------------------------------------------------------------
# rows: patches of images


def _patch_setup(data):
    """Images, patch shape, steps and a mode; shapes that a mode refuses stay possible
    (every path must then raise the same error)."""
    mode = data.draw(st.sampled_from(["valid", "ignore_borders", "half", "full", "wrap_centered"]))
    odd = mode == "wrap_centered" and data.draw(st.integers(0, 4), label="even patch") > 0
    sizes = st.sampled_from([1, 3]) if odd else st.integers(1, 3)
    neib_shape = (data.draw(sizes), data.draw(sizes))
    neib_step = data.draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    shape = (
        data.draw(st.integers(0, 2)),
        data.draw(st.integers(1, 2)),
        data.draw(st.integers(1, 5)),
        data.draw(st.integers(1, 5)),
    )
    return shape, neib_shape, neib_step or neib_shape, mode


def images2neibs_case(data):
    shape, neib_shape, neib_step, mode = _patch_setup(data)
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), shape, constant_ok=False)
    try:
        node = Images2Neibs(neib_shape, neib_step, mode).make_node(x)
    except ValueError:  # a static shape the mode refuses: build with unknown sizes
        node = Images2Neibs(neib_shape, neib_step, mode).make_node(
            TensorType(x.dtype, (None,) * 4)()
        )
    return Case(node, [value], lambda v: [neighbours_reference(v, neib_shape, neib_step, mode)])


def neibs2images_case(data):
    shape, neib_shape, neib_step, mode = _patch_setup(data)
    dtype = data.draw(st.sampled_from(FLOATS + ("int64",)))
    # the patch count when the shape fits the mode (when it does not, every path raises)
    count = len(neighbours_reference(np.zeros(shape), neib_shape, neib_step, mode))
    rows = count if data.draw(st.integers(0, 5), label="wrong count") else count + 1
    neibs, neibs_value = draw_input(data, dtype, (rows, neib_shape[0] * neib_shape[1]))
    size, size_value = vector_input(data, shape)
    node = Neibs2Images(neib_shape, neib_step, mode).make_node(neibs, size)

    def reference(patches, _):  # each patch entry added into the cell it came from
        index_image = np.arange(int(np.prod(shape))).reshape(shape) + 1
        sources = neighbours_reference(index_image, neib_shape, neib_step, mode)
        out = np.zeros(int(np.prod(shape)), dtype=dtype)
        for source_row, patch_row in zip(sources, patches):
            for source, entry in zip(source_row, patch_row):
                if source:
                    out[source - 1] += entry
        return [out.reshape(shape)]

    return Case(node, [neibs_value, size_value], reference)


# --------------------------------------------------------------------------------------
# rows: random numbers, identities


def random_case(data):
    distribution = data.draw(st.sampled_from(["uniform", "normal", "integers", "binomial"]))
    dtype = {"uniform": "float32", "normal": "float64", "integers": "int64", "binomial": "int64"}
    dtype = data.draw(st.sampled_from([dtype[distribution], "float64"]))
    state = TensorType("uint64", (6,))()
    state_value = trandom.state_from_seed(data.draw(st.integers(0, 2**32)))
    size = draw_shape(data, 0, 2)
    size_input, size_value = vector_input(data, size)
    low, high = (0.0, 1.0) if distribution != "integers" else (0, 5)
    if distribution == "binomial":
        low, high = data.draw(st.sampled_from([1, 3])), 0.5
    param_dtype = "int64" if distribution == "integers" or distribution == "binomial" else "float64"
    params = [
        scalar_input(data, low, param_dtype),
        scalar_input(data, high, "float64" if distribution == "binomial" else param_dtype),
    ]
    op = RandomVariable(distribution, dtype, len(size))
    node = op.make_node(state, size_input, *[p[0] for p in params])

    def reference(s, shape, a, b):  # NumPy's generator continuing the same state
        generator = trandom.generator_from_state(s)
        sampler = getattr(generator, distribution)
        sample = sampler(a, b, tuple(int(n) for n in shape)).astype(dtype)
        return [trandom.state_from_generator(generator.bit_generator), sample]

    values = [state_value, size_value] + [p[1] for p in params]
    # binomial with n = 1 draws Bernoulli samples its own (cheaper) way: no short reference
    return Case(node, values, None if distribution == "binomial" else reference)


def random_function_case(data):
    """Theano's RandomState draws: the reference is the RandomState method itself."""
    distribution = data.draw(st.sampled_from(["uniform", "normal", "binomial", "poisson"]))
    dtype = data.draw(st.sampled_from(["float64", "float32", "int64"]))
    state = TensorType("uint32", (628,))()
    state_value = raw_random.state_from_random_state(
        np.random.RandomState(data.draw(st.integers(0, 2**32 - 1)))
    )
    size = draw_shape(data, 0, 2)
    size_input, size_value = vector_input(data, size)
    params = {
        "uniform": [(-1.0, "float64"), (2.0, "float32")],
        "normal": [(0.5, "float32"), (2.0, "float64")],
        "binomial": [(3, "int8"), (0.25, "float64")],
        "poisson": [(4.0, "float64")],
    }[distribution]
    params = [scalar_input(data, value, param_dtype) for value, param_dtype in params]
    op = raw_random.RandomFunction(distribution, dtype, len(size))
    node = op.make_node(state, size_input, *[p[0] for p in params])

    def reference(s, shape, *args):
        random_state = raw_random.random_state_from_state(s)
        method = getattr(random_state, distribution)
        sample = method(*args, tuple(int(n) for n in shape)).astype(dtype)
        return [raw_random.state_from_random_state(random_state), sample]

    values = [state_value, size_value] + [p[1] for p in params]
    return Case(node, values, reference)


def mrg_uniform_case(data):
    dtype = data.draw(st.sampled_from(["float64", "float32"]))
    size = draw_shape(data, 0, 2, max_side=5)
    size_input, size_value = vector_input(data, size)
    seed = data.draw(st.integers(1, 2**31 - 21070))
    rows = substream_states(np.full(6, seed, dtype=np.int32), data.draw(st.integers(1, 4)))
    state = TensorType("int32", (None, 6))()
    node = MRGUniform(dtype, len(size)).make_node(state, size_input)

    def reference(s, shape):
        new_rows, flat = mrg_reference(s, int(np.prod(shape)), dtype)
        return [new_rows, flat.reshape(tuple(int(n) for n in shape))]

    return Case(node, [rows, size_value], reference)


def from_uniform_case(data, choice=False):
    """Theano's categorical draws from given uniforms; the reference is NumPy's
    ``searchsorted`` on float64 running sums (the first category whose sum exceeds u)."""
    dtype = data.draw(st.sampled_from(FLOATS))
    rows, outcomes = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
    n = data.draw(st.integers(1, outcomes if choice else 3))
    pvals = np.random.default_rng(data.draw(st.integers(0, 99))).dirichlet(np.ones(outcomes), rows)
    pvals_value = pvals.astype(dtype)
    if data.draw(st.booleans(), label="constant pvals"):
        pvals_input = constant(pvals_value.copy(), dtype=dtype)
    else:
        pvals_input = TensorType(dtype, draw_static(data, (rows, outcomes)))()
    unis_value = np.array(
        data.draw(st.lists(st.floats(0, 0.999), min_size=rows * n, max_size=rows * n)), dtype
    )
    unis = TensorType(dtype, (None,))()
    n_input, n_value = scalar_input(data, n, "int64")
    op = ChoiceFromUniform("int64") if choice else MultinomialFromUniform("int64")
    node = op.make_node(pvals_input, unis, n_input)

    def reference(p, u, count):
        picks = [
            np.searchsorted(np.cumsum(p[r], dtype=np.float64), float(u[c * rows + r]), "right")
            for c in range(int(count))
            for r in range(rows)
        ]
        if choice:
            return [np.array(picks, dtype=np.int64).reshape(rows, 1)]
        counts = np.zeros(p.shape, dtype=np.int64)
        for i, m in enumerate(picks):
            if m < outcomes:
                counts[i % rows, m] += 1
        return [counts]

    # with more than one pick per row, choice renormalises: checked against Theano's loop
    # in tests/compat/test_rng_mrg.py
    exact = not choice or n == 1
    return Case(node, [pvals_value, unis_value, n_value], reference if exact else None)


def gradient_override_case(data):
    kind, lower, upper = data.draw(
        st.sampled_from([("zero", 0, 0), ("disconnected", 0, 0), ("clip", -1, 1), ("scale", 2, 0)])
    )
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), draw_shape(data))
    return Case(GradientOverride(kind, lower, upper).make_node(x), [value], lambda v: [v])


def undefined_grad_case(data):
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), draw_shape(data))
    return Case(UndefinedGrad().make_node(x), [value], lambda v: [v])


def assert_case(data):
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), draw_shape(data))
    node = Assert("x is fine").make_node(x, constant(np.bool_(True)), constant(np.int8(1)))
    return Case(node, [value], lambda v: [v])


def print_case(data):
    x, value = draw_input(data, data.draw(st.sampled_from(DTYPES)), draw_shape(data))
    return Case(Print("value", attrs=("shape",)).make_node(x), [value], lambda v: [v])


def _reversed_double(value):
    return value[::-1] * 2


def from_function_case(data):
    dtype = data.draw(st.sampled_from(FLOATS + ("int64", "int32")))
    x, value = draw_input(data, dtype, draw_shape(data, min_dims=1))
    op = FromFunctionOp(_reversed_double, [x.type], [TensorType(dtype, (None,) * x.ndim)])
    return Case(op.make_node(x), [value], lambda v: [_reversed_double(v)])


# --------------------------------------------------------------------------------------
# the table


@dataclass(frozen=True)
class Row:
    name: str
    op: type  # the op class the row covers
    build: Callable  # hypothesis data -> Case

    def __str__(self) -> str:
        return self.name


ROWS = [
    Row("shape", Shape, shape_case),
    Row("shape_i", ShapeI, shape_i_case),
    Row("make_vector", MakeVector, make_vector_case),
    Row("reshape", Reshape, reshape_case),
    Row("flatten", Flatten, flatten_case),
    Row("join", Join, join_case),
    Row("arange", ARange, arange_case),
    Row("alloc", Alloc, alloc_case),
    Row("dimshuffle", DimShuffle, dimshuffle_case),
    Row("rebroadcast", Rebroadcast, rebroadcast_case),
    Row("subtensor", Subtensor, subtensor_case),
    Row("inc_subtensor", IncSubtensor, inc_subtensor_case),
    Row("inc_subtensor_inplace", IncSubtensor, lambda data: inc_subtensor_case(data, True)),
    Row("elemwise", Elemwise, elemwise_case),
    Row("elemwise_inplace", Elemwise, elemwise_inplace_case),
    Row("fused", Fused, fused_case),
    Row("fused_inplace", Fused, lambda data: fused_case(data, True)),
    Row("reduce", Reduce, reduce_case),
    Row("logsumexp", LogSumExp, logsumexp_case),
    Row("argmax", Argmax, argmax_case),
    Row("cumsum", CumSum, cumsum_case),
    Row("cumprod", CumProd, cumprod_case),
    Row("sort", Sort, sort_case),
    Row("argsort", ArgSort, argsort_case),
    Row("nonzero", NonZero, nonzero_case),
    Row("repeat", Repeat, repeat_case),
    Row("dot", Dot, dot_case),
    Row("scan", Scan, scan_case),
    Row("scan_until_updates", Scan, scan_until_case),
    Row("softmax", Softmax, softmax_case),
    Row("log_softmax", LogSoftmax, lambda data: softmax_case(data, True)),
    Row("softmax_grad", SoftmaxGrad, softmax_grad_case),
    Row("matrix_inverse", MatrixInverse, _unary_linalg_case(MatrixInverse(), np.linalg.inv)),
    Row("det", Det, _unary_linalg_case(Det(), np.linalg.det)),
    Row("pinv", MatrixPinv, _unary_linalg_case(MatrixPinv(), np.linalg.pinv, square=False)),
    Row("eigh", Eigh, eigh_case),
    Row("eig", Eig, eig_case),
    Row("expm", Expm, _unary_linalg_case(Expm(), _exponential_series)),
    Row("svd", SVD, svd_case),
    Row("qr", QR, qr_case),
    Row("cholesky", Cholesky, cholesky_case),
    Row("solve", Solve, solve_case),
    Row("solve_triangular", SolveTriangular, solve_triangular_case),
    Row("lstsq", Lstsq, lstsq_case),
    Row("extract_diag", ExtractDiag, extract_diag_case),
    Row("alloc_diag", AllocDiag, alloc_diag_case),
    Row("conv2d", Conv2d, lambda data: conv_case(data, 2)),
    Row("conv2d_grad_inputs", Conv2dGradInputs, lambda data: conv_grad_case(data, 2, True)),
    Row("conv2d_grad_weights", Conv2dGradWeights, lambda data: conv_grad_case(data, 2, False)),
    Row("conv3d", Conv3d, lambda data: conv_case(data, 3)),
    Row("conv3d_grad_inputs", Conv3dGradInputs, lambda data: conv_grad_case(data, 3, True)),
    Row("conv3d_grad_weights", Conv3dGradWeights, lambda data: conv_grad_case(data, 3, False)),
    Row("pool", Pool, pool_case),
    Row("max_pool_grad", MaxPoolGrad, max_pool_grad_case),
    Row("average_pool_grad", AveragePoolGrad, average_pool_grad_case),
    Row("max_pool_grad_grad", MaxPoolGradGrad, max_pool_grad_grad_case),
    Row("images2neibs", Images2Neibs, images2neibs_case),
    Row("neibs2images", Neibs2Images, neibs2images_case),
    Row(
        "downsample_factor_max_grad_grad",
        DownsampleFactorMaxGradGrad,
        downsample_factor_max_grad_grad_case,
    ),
    Row("random", RandomVariable, random_case),
    Row("random_function", raw_random.RandomFunction, random_function_case),
    Row("mrg_uniform", MRGUniform, mrg_uniform_case),
    Row("multinomial_from_uniform", MultinomialFromUniform, from_uniform_case),
    Row("choice_from_uniform", ChoiceFromUniform, lambda data: from_uniform_case(data, True)),
    Row("gradient_override", GradientOverride, gradient_override_case),
    Row("print", Print, print_case),
    Row("undefined_grad", UndefinedGrad, undefined_grad_case),
    Row("assert", Assert, assert_case),
    Row("from_function", FromFunctionOp, from_function_case),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
@settings(SETTINGS, max_examples=EXAMPLES)
@given(data=st.data())
def test_perform_and_compiled_code_agree(row, data):
    case = row.build(data)
    assert type(case.node.op) is row.op, f"row {row} built a {type(case.node.op).__name__}"
    check(case)


def _op_classes() -> list[type]:
    """Every op class of the library: subclasses of Op defined in symgraph, except the
    private bases (``_PoolOp``, ``_ConvOp``...) that only share code between ops and the
    bases users subclass (``theano.gof.Op``). Ops defined elsewhere (in tests, in users'
    code) need no row."""
    found, stack = [], [Op]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if (
                sub.__module__.startswith("symgraph.")
                and not sub.__name__.startswith("_")
                and sub not in USER_OP_BASES
            ):
                found.append(sub)
    return sorted(set(found), key=lambda c: (c.__module__, c.__name__))


def test_every_op_has_a_row():
    covered = {row.op for row in ROWS}
    missing = [f"{c.__module__}.{c.__name__}" for c in _op_classes() if c not in covered]
    assert not missing, (
        f"op classes without a row in tests/test_op_kernels.py: {', '.join(missing)}; add a "
        "row building a node of each on drawn inputs (see ROWS)"
    )


def test_each_op_implements_itself_once():
    """An op writes code (``emit``) or implements ``perform``, never both: ``perform`` is
    derived from ``emit``, and a second implementation could disagree with it."""
    for cls in _op_classes():
        overrides = [
            name for name in ("perform", "emit") if getattr(cls, name) is not getattr(Op, name)
        ]
        assert len(overrides) == 1, (
            f"{cls.__name__} implements {' and '.join(overrides) or 'neither'}"
        )


def test_ops_defined_outside_the_package_need_no_row():
    class DefinedInATest(Op):
        def make_node(self, x):
            return Apply(self, [x], [x.type])

        def perform(self, node, inputs):
            return [inputs[0]]

    assert DefinedInATest not in _op_classes()
    assert Op not in _op_classes() and not USER_OP_BASES & set(_op_classes())
