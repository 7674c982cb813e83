"""Ops whose output order or length depends on the values: ``sort``, ``argsort``,
``nonzero`` and ``repeat`` with counts known only at run time."""

from __future__ import annotations

import numpy as np

from symgraph.graph.basic import Apply, Constant, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.ops import extra, math
from symgraph.tensor.ops.dimshuffle import dimshuffle
from symgraph.tensor.ops.shape import _static_ints, arange, flatten, reshape
from symgraph.tensor.ops.subtensor import inc_subtensor, set_subtensor
from symgraph.tensor.params import AxisError, as_choice, as_int, normalize_axis
from symgraph.tensor.variable import as_tensor

__all__ = ["argsort", "flatnonzero", "nonzero", "nonzero_values", "repeat", "sort"]

SORT_KINDS = ("quicksort", "mergesort", "heapsort", "stable")


def _axis_last(x: Variable, axis: int) -> tuple[Variable, list[int]]:
    """``x`` with ``axis`` moved last, and the order that moves it back."""
    order = [i for i in range(x.ndim) if i != axis] + [axis]
    return dimshuffle(x, order), [order.index(i) for i in range(x.ndim)]


class _SortOp(Op):
    __props__ = ("axis", "kind")

    def __init__(self, axis: int | None = -1, kind: str = "quicksort") -> None:
        self.axis = None if axis is None else as_int(axis, f"{self._name}: axis")
        self.kind = as_choice(kind, SORT_KINDS, f"{self._name}: kind")

    def __str__(self) -> str:
        return f"{type(self).__name__}{{axis={self.axis}, kind={self.kind!r}}}"

    def _output_shape(self, x: Variable) -> tuple:
        if self.axis is None:
            known = None not in x.type.shape
            return (int(np.prod(x.type.shape, dtype=np.int64)) if known else None,)
        if not 0 <= self.axis < x.ndim:
            raise AxisError(f"{self}: axis out of range for {x} ({x.type.describe()})")
        return x.type.shape

    def emit(self, node, inputs, ctx):
        return f"np.{self._name}({inputs[0]}, axis={self.axis}, kind={self.kind!r})"

    def jax(self, node, inputs, jx):
        # a stable sort: NumPy's other kinds order equal keys as they happen to
        return getattr(jx.numpy, self._name)(inputs[0], axis=self.axis, stable=True)

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        if self.axis is not None:
            return [shape]
        size = math.prod(node.inputs[0].shape)
        return [(size,)]


class Sort(_SortOp):
    """The values of ``x`` sorted along ``axis`` (of the flattened ``x`` when None), as
    ``np.sort``."""

    _name = "sort"

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [TensorType(x.dtype, self._output_shape(x))])

    def grad(self, node, output_grads):
        # Sorting permutes: each output gradient goes back to the position its value came
        # from. The rows along the axis are laid end to end, so one flat scatter does it.
        (x,) = node.inputs
        (gz,) = output_grads
        if x.type.numpy_dtype.kind not in "fc":
            return [None]
        source = x if self.axis is not None else flatten(x, 1)
        axis = 0 if self.axis is None else self.axis
        moved_order, back = _axis_last(ArgSort(axis, self.kind)(source), axis)
        moved_gz, _ = _axis_last(gz, axis)
        length = moved_order.shape[-1]
        rows = reshape(moved_order, (-1, length), ndim=2)
        offsets = dimshuffle(arange(rows.shape[0]) * length, (0, "x"))
        flat_gz = flatten(moved_gz, 1)
        flat = set_subtensor(math.zeros_like(flat_gz)[flatten(rows + offsets, 1)], flat_gz)
        g = dimshuffle(reshape(flat, moved_gz.shape, ndim=source.ndim), back)
        if self.axis is None:
            g = reshape(g, x.shape, ndim=x.ndim)
        return [g]


class ArgSort(_SortOp):
    """The indices that sort ``x`` along ``axis`` (of the flattened ``x`` when None), as
    ``np.argsort``; int64."""

    _name = "argsort"

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [TensorType("int64", self._output_shape(x))])

    def grad(self, node, output_grads):
        return [None]


def _sort_axis(x: Variable, axis, what: str):
    return None if axis is None else normalize_axis(axis, x, what)


def sort(a, axis: int | None = -1, kind: str = "quicksort") -> Variable:
    """``a`` sorted along ``axis`` (the flattened ``a`` when None), as ``np.sort``."""
    a = as_tensor(a)
    return Sort(_sort_axis(a, axis, "sort"), kind)(a)


def argsort(a, axis: int | None = -1, kind: str = "quicksort") -> Variable:
    """The indices sorting ``a`` along ``axis``, as ``np.argsort``."""
    a = as_tensor(a)
    return ArgSort(_sort_axis(a, axis, "argsort"), kind)(a)


class NonZero(Op):
    """The indices of the nonzero entries of ``x`` as an int64 matrix, one row per axis of
    ``x`` (``np.nonzero`` stacked); its length is known only at run time."""

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        if x.ndim == 0:
            raise TypeError(f"nonzero needs at least one axis, got {x} ({x.type.describe()})")
        return Apply(self, [x], [TensorType("int64", (x.ndim, None))])

    def emit(self, node, inputs, ctx):
        ndim = node.inputs[0].ndim
        return f"np.array(np.nonzero({inputs[0]}), dtype=np.int64).reshape({ndim}, -1)"

    def grad(self, node, output_grads):
        return [None]


def nonzero(a) -> tuple[Variable, ...]:
    """One int64 vector per axis of ``a``: the indices of its nonzero entries, as
    ``np.nonzero``."""
    a = as_tensor(a)
    indices = NonZero()(a)
    return tuple(indices[i] for i in range(a.ndim))


def flatnonzero(a) -> Variable:
    """The indices of the nonzero entries of the flattened ``a``."""
    return NonZero()(flatten(as_tensor(a), 1))[0]


def nonzero_values(a) -> Variable:
    """The nonzero entries of the flattened ``a``, in order."""
    flat = flatten(as_tensor(a), 1)
    return flat[flatnonzero(flat)]


class Repeat(Op):
    """``np.repeat(x, repeats, axis)`` with ``repeats`` a symbolic int: a scalar (every
    entry the same number of times) or a vector (one count per entry along ``axis``)."""

    __props__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = as_int(axis, "repeat: axis")

    def make_node(self, x, repeats) -> Apply:
        x, repeats = as_tensor(x), as_tensor(repeats)
        if repeats.ndim > 1 or repeats.type.numpy_dtype.kind not in "iu":
            raise TypeError(
                f"repeat: repeats must be an int scalar or vector, got {repeats} "
                f"({repeats.type.describe()})"
            )
        if not 0 <= self.axis < x.ndim:
            raise AxisError(f"{self}: axis out of range for {x} ({x.type.describe()})")
        shape = list(x.type.shape)
        shape[self.axis] = None
        return Apply(self, [x, repeats], [TensorType(x.dtype, tuple(shape))])

    def emit(self, node, inputs, ctx):
        return f"np.repeat({inputs[0]}, {inputs[1]}, axis={self.axis})"

    def jax(self, node, inputs, jx):
        # Counts known while tracing (a constant, or sizes of inputs) fix the output's
        # shape, as XLA needs; counts read from an input's values are refused by name.
        x, repeats = inputs
        counts = _static_ints(repeats, self)
        if min(counts, default=0) < 0:
            raise ValueError(f"{self}: the counts must not be negative, got {counts}")
        return jx.numpy.repeat(x, np.asarray(repeats), axis=self.axis)

    def infer_shape(self, node, input_shapes):
        shape = list(input_shapes[0])
        repeats = node.inputs[1]
        total = repeats * shape[self.axis] if repeats.ndim == 0 else math.sum(repeats)
        shape[self.axis] = total.astype("int64")
        return [tuple(shape)]

    def grad(self, node, output_grads):
        # Output row k along the axis is input row source[k], source = repeat(arange(n)):
        # each input row gets the sum of its copies' gradients.
        x, repeats = node.inputs
        (gz,) = output_grads
        if x.type.numpy_dtype.kind not in "fc":
            return [None, None]
        source = Repeat(0)(arange(x.shape[self.axis]), repeats)
        order = [self.axis] + [i for i in range(x.ndim) if i != self.axis]
        back = [order.index(i) for i in range(x.ndim)]
        moved = dimshuffle(math.zeros_like(x), order)
        summed = inc_subtensor(moved[source], dimshuffle(gz, order))
        return [dimshuffle(summed, back), None]


def repeat(x, repeats, axis: int | None = None) -> Variable:
    """Each entry of ``x`` repeated along ``axis`` (of the flattened ``x`` when None), as
    ``np.repeat``. A Python int count builds the broadcast-and-reshape graph of
    ``extra.repeat``, which the shape rewrites see through; a symbolic count or a vector
    of counts builds the ``Repeat`` op."""
    x = as_tensor(x)
    if isinstance(repeats, Constant) and np.ndim(repeats.data) == 0:
        repeats = repeats.data
    if isinstance(repeats, (int, np.integer)) and not isinstance(repeats, (bool, np.bool_)):
        return extra.repeat(x, int(repeats), axis)
    if axis is None:
        x, axis = flatten(x, 1), 0
    return Repeat(normalize_axis(axis, x, "repeat"))(x, repeats)
