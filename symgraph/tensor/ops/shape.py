"""Shape ops: shape, reshape, flatten, concatenate/stack, arange, alloc, and
``Rebroadcast`` (behind ``addbroadcast`` / ``unbroadcast`` / ``patternbroadcast``)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from symgraph.config import config
from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.ops.dimshuffle import dimshuffle
from symgraph.tensor.ops.elemwise import _describe, _unify_weak_constants
from symgraph.tensor.params import AxisError, as_bool, as_dtype_name, as_int, normalize_axis
from symgraph.tensor.variable import TensorConstant, as_tensor, constant


class Shape(Op):
    """The shape of a tensor as an int64 vector."""

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [TensorType("int64", (x.ndim,))])

    def emit(self, node, inputs, ctx):
        return f"np.array({inputs[0]}.shape, dtype=np.int64)"

    def jax(self, node, inputs, jx):
        return np.array(np.shape(inputs[0]), dtype=np.int64)  # known while tracing

    def grad(self, node, output_grads):
        return [None]


class ShapeI(Op):
    """The length of axis ``i`` of a tensor, an int64 scalar."""

    __props__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = as_int(i, "Shape_i: i")

    def __str__(self) -> str:
        return f"Shape_i{{{self.i}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        if not 0 <= self.i < x.ndim:
            raise AxisError(f"Shape_i: axis {self.i} out of range for {_describe(x)}")
        return Apply(self, [x], [TensorType("int64", ())])

    def emit(self, node, inputs, ctx):
        return f"{inputs[0]}.shape[{self.i}]"

    def jax(self, node, inputs, jx):
        return np.int64(np.shape(inputs[0])[self.i])  # known while tracing

    def grad(self, node, output_grads):
        return [None]


def shape_i(x, i: int) -> Variable:
    """Length of axis ``i`` of ``x``; a constant when statically known."""
    x = as_tensor(x)
    i = normalize_axis(i, x, "shape_i")
    static = x.type.shape[i]
    if static is not None:
        return constant(static, dtype="int64")
    return ShapeI(i)(x)


def shape(x) -> Variable:
    """The symbolic shape of ``x`` (an int64 vector; ``x.shape[i]`` is a scalar)."""
    x = as_tensor(x)
    return make_vector([shape_i(x, i) for i in range(x.ndim)])


class MakeVector(Op):
    """A vector built from scalars of one dtype."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str) -> None:
        self.dtype = as_dtype_name(dtype, "MakeVector: dtype")

    def __str__(self) -> str:
        return "MakeVector"

    def make_node(self, *scalars) -> Apply:
        scalars = [as_tensor(s) for s in scalars]
        for s in scalars:
            if s.ndim != 0:
                raise TypeError(f"MakeVector takes scalars, got {s.type.describe()}")
        scalars = [s if s.dtype == self.dtype else s.astype(self.dtype) for s in scalars]
        return Apply(self, scalars, [TensorType(self.dtype, (len(scalars),))])

    def emit(self, node, inputs, ctx):
        comma = "," if len(inputs) == 1 else ""
        return f"np.array(({', '.join(inputs)}{comma}), dtype=np.{self.dtype})"

    def jax(self, node, inputs, jx):
        return jx.numpy.stack([jx.numpy.asarray(v) for v in inputs]).astype(self.dtype)

    def infer_shape(self, node, input_shapes):
        return [(constant(len(node.inputs), dtype="int64"),)]

    def grad(self, node, output_grads):
        (gz,) = output_grads
        if np.dtype(self.dtype).kind not in "fc":
            return [None] * len(node.inputs)
        return [gz[i] for i in range(len(node.inputs))]


def make_vector(scalars: Sequence, dtype: str = "int64") -> Variable:
    """A vector from scalar variables or numbers."""
    node_inputs = [as_tensor(s) for s in scalars]
    vector = MakeVector(dtype)(*node_inputs)
    return vector


def _vector_entries(shape_var: Variable) -> list | None:
    """The scalars a shape vector was built from, when visible; for constants, ints."""
    if isinstance(shape_var, TensorConstant):
        return [int(v) for v in shape_var.data]
    if shape_var.owner is not None and isinstance(shape_var.owner.op, MakeVector):
        return list(shape_var.owner.inputs)
    return None


def static_value(x) -> int | None:
    """The integer a scalar variable is known to hold at build time, else None."""
    if isinstance(x, (numbers.Integral, np.integer)):
        return int(x)
    if isinstance(x, TensorConstant) and x.ndim == 0:
        return int(x.data)
    if isinstance(x, Variable) and x.owner is not None and isinstance(x.owner.op, ShapeI):
        return x.owner.inputs[0].type.shape[x.owner.op.i]
    return None


def as_shape_vector(shape) -> Variable:
    """A tuple/list of ints or scalar variables, or a vector variable, as an int64 vector."""
    if isinstance(shape, Variable):
        shape = as_tensor(shape)
        if shape.ndim == 0:
            return make_vector([shape])
        if shape.ndim != 1 or shape.type.numpy_dtype.kind not in "iu":
            raise TypeError(f"a shape must be an integer vector, got {shape.type.describe()}")
        return shape if shape.dtype == "int64" else shape.astype("int64")
    if isinstance(shape, (numbers.Integral, np.integer)):
        shape = (shape,)
    entries = list(shape)
    if all(isinstance(s, (numbers.Integral, np.integer)) for s in entries):
        return constant(np.array(entries, dtype=np.int64))
    return make_vector(entries)


class Reshape(Op):
    """Reshape to a symbolic shape vector (entries may be -1 once)."""

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim: int) -> None:
        self.ndim = as_int(ndim, "Reshape: ndim")
        if self.ndim < 0:
            raise ValueError(f"Reshape: ndim must be >= 0, got {self.ndim}")

    def __str__(self) -> str:
        return f"Reshape{{{self.ndim}}}"

    def make_node(self, x, shape) -> Apply:
        x = as_tensor(x)
        shape = as_shape_vector(shape)
        if shape.type.shape[0] is not None and shape.type.shape[0] != self.ndim:
            raise ValueError(f"reshape: shape has {shape.type.shape[0]} entries, ndim={self.ndim}")
        entries = _vector_entries(shape)
        static = [None] * self.ndim
        if entries is not None:
            static = [static_value(e) for e in entries]
            known_in = x.type.shape
            if static.count(-1) == 1 and all(s is not None for s in known_in):
                rest = int(np.prod([s for s in static if s not in (-1, None)], dtype=np.int64))
                if None not in static and rest:
                    total = int(np.prod(known_in, dtype=np.int64))
                    if total % rest:
                        raise ValueError(f"cannot reshape {_describe(x)} to shape {tuple(static)}")
                    static[static.index(-1)] = total // rest
            static = [None if s == -1 else s for s in static]
            if None not in static and all(s is not None for s in known_in):
                if int(np.prod(static, dtype=np.int64)) != int(np.prod(known_in, dtype=np.int64)):
                    raise ValueError(f"cannot reshape {_describe(x)} to shape {tuple(static)}")
        return Apply(self, [x, shape], [TensorType(x.dtype, tuple(static))])

    def emit(self, node, inputs, ctx):
        return f"{inputs[0]}.reshape({inputs[1]})"

    def jax(self, node, inputs, jx):
        return jx.numpy.reshape(inputs[0], tuple(_static_ints(inputs[1], self)))

    def infer_shape(self, node, input_shapes):
        x, shape = node.inputs
        entries = _vector_entries(shape)
        if entries is not None and all(static_value(e) != -1 for e in entries):
            return [tuple(as_tensor(e) for e in entries)]
        return [tuple(shape_of_output(node)[i] for i in range(self.ndim))]

    def grad(self, node, output_grads):
        x, _ = node.inputs
        (gz,) = output_grads
        return [reshape(gz, shape(x), ndim=x.ndim), None]


def shape_of_output(node: Apply) -> Variable:
    return Shape()(node.outputs[0])


def reshape(x, newshape, ndim: int | None = None) -> Variable:
    """Reshape ``x``; ``newshape`` may mix ints and scalar variables, or be a vector."""
    x = as_tensor(x)
    vector = as_shape_vector(newshape)
    if ndim is None:
        ndim = vector.type.shape[0]
        if ndim is None:
            raise ValueError("reshape to a shape vector of unknown length needs ndim=")
    return Reshape(ndim)(x, vector)


class Flatten(Op):
    """Keep the first ``ndim - 1`` axes and merge the rest into one."""

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim: int) -> None:
        self.ndim = as_int(ndim, "Flatten: ndim")

    def __str__(self) -> str:
        return f"Flatten{{{self.ndim}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        if not 1 <= self.ndim <= max(x.ndim, 1):
            raise ValueError(f"flatten to {self.ndim} dims is invalid for {_describe(x)}")
        kept = x.type.shape[: self.ndim - 1]
        rest = x.type.shape[self.ndim - 1 :]
        merged = int(np.prod(rest, dtype=np.int64)) if None not in rest else None
        return Apply(self, [x], [TensorType(x.dtype, (*kept, merged))])

    # The merged size is given explicitly: NumPy cannot resolve -1 for an empty array.
    def emit(self, node, inputs, ctx):
        prod = ctx.bind(math.prod, "prod")
        x, k = inputs[0], self.ndim - 1
        return f"{x}.reshape({x}.shape[:{k}] + ({prod}({x}.shape[{k}:]),))"

    def jax(self, node, inputs, jx):
        (x,) = inputs
        k = self.ndim - 1
        return jx.numpy.reshape(x, tuple(x.shape[:k]) + (math.prod(x.shape[k:]),))

    def grad(self, node, output_grads):
        (x,) = node.inputs
        return [reshape(output_grads[0], shape(x), ndim=x.ndim)]


def flatten(x, ndim: int = 1) -> Variable:
    """Theano's flatten: keep the first ``ndim - 1`` axes, merge the others. (The old
    ``outdim=`` spelling is accepted by ``x.flatten`` and the Theano compat layer.)"""
    x = as_tensor(x)
    ndim = as_int(ndim, "flatten: ndim")
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(
            f"flatten: ndim={ndim} is invalid for {_describe(x)}; it must be between 1 and "
            f"{max(x.ndim, 1)}"
        )
    if x.ndim == ndim:
        return x
    return Flatten(ndim)(x)


class Join(Op):
    """Concatenate tensors of equal rank along ``axis``."""

    __props__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = as_int(axis, "Join: axis")

    def __str__(self) -> str:
        return f"Join{{axis={self.axis}}}"

    def make_node(self, *tensors) -> Apply:
        tensors = [as_tensor(t) for t in tensors]
        if not tensors:
            raise ValueError("concatenate needs at least one tensor")
        ndim = tensors[0].ndim
        if any(t.ndim != ndim for t in tensors):
            raise TypeError(
                "concatenate: all tensors need the same rank, got "
                + ", ".join(map(_describe, tensors))
            )
        if not 0 <= self.axis < ndim:
            raise AxisError(
                f"{self}: axis {self.axis} is out of range for "
                + ", ".join(map(_describe, tensors))
                + f" (rank {ndim}; valid axes are 0 to {ndim - 1})"
            )
        dtype = np.result_type(*[t.dtype for t in tensors]).name
        shape = []
        for axis in range(ndim):
            sizes = [t.type.shape[axis] for t in tensors]
            if axis == self.axis:
                shape.append(None if None in sizes else sum(sizes))
            else:
                known = {s for s in sizes if s is not None}
                if len(known) > 1:
                    raise ValueError(
                        f"concatenate along axis {self.axis}: the sizes of axis {axis} differ "
                        f"({', '.join('?' if s is None else str(s) for s in sizes)}) in "
                        + ", ".join(map(_describe, tensors))
                    )
                shape.append(known.pop() if known else None)
        return Apply(self, tensors, [TensorType(dtype, tuple(shape))])

    def emit(self, node, inputs, ctx):
        return f"np.concatenate(({', '.join(inputs)},), axis={self.axis})"

    def jax(self, node, inputs, jx):
        return jx.numpy.concatenate(inputs, axis=self.axis)

    def grad(self, node, output_grads):
        (gz,) = output_grads
        grads = []
        start = constant(0, dtype="int64")
        for t in node.inputs:
            stop = start + shape_i(t, self.axis)
            index = [slice(None)] * self.axis + [slice(start, stop)]
            g = gz[tuple(index)]
            grads.append(g if t.type.numpy_dtype.kind in "fc" else None)
            start = stop
        return grads


def concatenate(tensors: Sequence, axis: int = 0) -> Variable:
    """Join tensors along an existing axis."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate needs at least one tensor")
    if tensors[0].ndim == 0:
        raise ValueError(
            f"concatenate: zero-dimensional tensors cannot be concatenated ({_describe(tensors[0])}"
            "); use stack"
        )
    axis = normalize_axis(axis, tensors[0], "concatenate")
    return Join(axis)(*tensors)


def stack(tensors: Sequence, axis: int = 0) -> Variable:
    """Join tensors along a new axis."""
    tensors = _unify_weak_constants([as_tensor(t) for t in tensors])  # [f32, 2.0] is f32
    if any(t.ndim != tensors[0].ndim for t in tensors):
        raise TypeError(
            "stack: all tensors need the same rank, got " + ", ".join(map(_describe, tensors))
        )
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    ndim = tensors[0].ndim
    axis = normalize_axis(axis, tensors[0], "stack", extra=1)
    if ndim == 0:
        dtype = np.result_type(*[t.dtype for t in tensors]).name
        return MakeVector(dtype)(*tensors)
    pattern = list(range(ndim))
    pattern.insert(axis, "x")
    return concatenate([dimshuffle(t, pattern) for t in tensors], axis=axis)


class ARange(Op):
    """``arange(start, stop, step)`` of the given dtype."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str) -> None:
        self.dtype = as_dtype_name(dtype, "ARange: dtype")

    def make_node(self, start, stop, step) -> Apply:
        start, stop, step = (as_tensor(v) for v in (start, stop, step))
        length = None
        values = [
            static_value(v) if v.type.numpy_dtype.kind in "iu" else None
            for v in (start, stop, step)
        ]
        if None not in values and values[2] != 0:
            length = len(range(*values))
        return Apply(self, [start, stop, step], [TensorType(self.dtype, (length,))])

    def emit(self, node, inputs, ctx):
        return f"np.arange({', '.join(inputs)}, dtype=np.{self.dtype})"

    def jax(self, node, inputs, jx):
        start, stop, step = (_static_ints(v, self)[0] for v in inputs)
        return jx.numpy.arange(start, stop, step, dtype=self.dtype)

    def grad(self, node, output_grads):
        return [None, None, None]


def arange(start, stop=None, step=1, dtype=None) -> Variable:
    """Evenly spaced values, like NumPy's ``arange``."""
    if stop is None:
        start, stop = 0, start
    start, stop, step = (as_tensor(v) for v in (start, stop, step))
    if dtype is None:
        dtype = np.result_type(
            *[
                v.data.item() if isinstance(v, TensorConstant) and v.weak else v.dtype
                for v in (start, stop, step)
            ]
        )
        dtype = np.dtype(dtype).name
        if dtype == "int32":
            dtype = "int64"
    return ARange(np.dtype(dtype).name)(start, stop, step)


class Alloc(Op):
    """A new tensor of a given shape filled with (a broadcast of) ``value``."""

    def make_node(self, value, *shape) -> Apply:
        value = as_tensor(value)
        shape = [as_tensor(s) for s in shape]
        if len(shape) < value.ndim:
            raise ValueError("alloc: the shape has fewer axes than the value")
        static = [static_value(s) for s in shape]
        return Apply(self, [value, *shape], [TensorType(value.dtype, tuple(static))])

    def emit(self, node, inputs, ctx):
        shape = ", ".join(inputs[1:]) + ("," if len(inputs) == 2 else "")
        return f"np.full(({shape}), {inputs[0]}, dtype=np.{node.outputs[0].dtype})"

    def jax(self, node, inputs, jx):
        shape = tuple(_static_ints(v, self)[0] for v in inputs[1:])
        return jx.numpy.full(shape, inputs[0], dtype=node.outputs[0].type.numpy_dtype)

    def grad(self, node, output_grads):
        value = node.inputs[0]
        (gz,) = output_grads
        extra = gz.ndim - value.ndim
        g = gz.sum(axis=tuple(range(extra))) if extra else gz
        axes = tuple(i for i, s in enumerate(value.type.shape) if s == 1 and g.type.shape[i] != 1)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        return [g] + [None] * (len(node.inputs) - 1)


def _static_ints(value, op) -> list[int]:
    """The ints of a shape or bound the JAX lowering of ``op`` needs while tracing; a
    value computed from the inputs' values (not their shapes) is refused clearly."""
    if not isinstance(value, (np.ndarray, np.generic, int)):
        raise ValueError(
            f"the JAX backend needs the sizes of {op} while tracing, but they depend on the "
            "inputs' values: XLA compiles for fixed shapes (use the NumPy backend, or make "
            "the sizes constants or shapes of inputs)"
        )
    return [int(v) for v in np.ravel(value)]


def alloc(value, *shape) -> Variable:
    """A tensor of ``shape`` filled with ``value``."""
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    return Alloc()(value, *shape)


def zeros(shape, dtype=None) -> Variable:
    shape = (shape,) if not isinstance(shape, (list, tuple)) else shape
    return alloc(constant(0, dtype=dtype or config.floatX), *shape)


def ones(shape, dtype=None) -> Variable:
    shape = (shape,) if not isinstance(shape, (list, tuple)) else shape
    return alloc(constant(1, dtype=dtype or config.floatX), *shape)


class Rebroadcast(Op):
    """``x`` with axes declared broadcastable (length 1, checked when run) or not.

    ``axes`` is a tuple of ``(axis, broadcastable)`` pairs.  Needed where a variable's
    type does not say what the user knows, e.g. a shared ``(1, n)`` bias that should
    broadcast over rows: shared variables make no promise about their lengths.
    """

    __props__ = ("axes",)
    view_map = {0: [0]}

    def __init__(self, axes: Sequence[tuple[int, bool]]) -> None:
        self.axes = tuple(
            sorted(
                (as_int(a, "Rebroadcast: axis"), as_bool(b, "Rebroadcast: broadcastable"))
                for a, b in axes
            )
        )

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        shape = list(x.type.shape)
        for axis, broadcastable in self.axes:
            if not 0 <= axis < x.ndim:
                raise ValueError(f"Rebroadcast: axis {axis} is out of range for {x} ({x.type})")
            if broadcastable:
                if shape[axis] not in (None, 1):
                    raise ValueError(
                        f"cannot make axis {axis} of {x} broadcastable: it has length "
                        f"{shape[axis]} ({x.type})"
                    )
                shape[axis] = 1
            elif shape[axis] == 1:
                shape[axis] = None
        return Apply(self, [x], [TensorType(x.dtype, tuple(shape))])

    def perform(self, node, inputs):
        (x,) = inputs
        for axis, broadcastable in self.axes:
            if broadcastable and x.shape[axis] != 1:
                raise ValueError(
                    f"axis {axis} of {node.inputs[0]} was declared broadcastable but has "
                    f"length {x.shape[axis]} (shape {x.shape})"
                )
        return [x]

    def infer_shape(self, node, input_shapes):
        shape = list(input_shapes[0])
        for axis, broadcastable in self.axes:
            if broadcastable:
                shape[axis] = 1
        return [tuple(shape)]

    def jax(self, node, inputs, jx):
        return self.perform(node, inputs)[0]  # checks the shape (known while tracing)

    def grad(self, node, output_grads):
        (g,) = output_grads
        x = node.inputs[0]
        back = [(axis, x.broadcastable[axis]) for axis, _ in self.axes]
        return [Rebroadcast(back)(g)]


def addbroadcast(x, *axes: int) -> Variable:
    """``x`` with ``axes`` declared of length 1 (checked when run), so they broadcast."""
    x = as_tensor(x)
    return Rebroadcast([(normalize_axis(a, x, "addbroadcast"), True) for a in axes])(x)


def unbroadcast(x, *axes: int) -> Variable:
    """``x`` with ``axes`` no longer known to be of length 1."""
    x = as_tensor(x)
    return Rebroadcast([(normalize_axis(a, x, "unbroadcast"), False) for a in axes])(x)


def patternbroadcast(x, broadcastable: Sequence[bool]) -> Variable:
    """``x`` with each axis broadcastable or not as ``broadcastable`` says."""
    x = as_tensor(x)
    if len(broadcastable) != x.ndim:
        raise ValueError(
            f"patternbroadcast: {len(broadcastable)} flags for {x}, which has {x.ndim} axes"
        )
    return Rebroadcast(list(enumerate(broadcastable)))(x)
