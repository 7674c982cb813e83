"""Element-wise ops: one ``Elemwise`` op parametrised by a ``ScalarOp``.

A ``ScalarOp`` says what one element-wise function is: its NumPy kernel, how its output
dtype follows from the inputs', and its gradient. The table of them lives in
``symgraph.tensor.ops.math``; adding an element-wise op is one row there.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType, shape_text
from symgraph.tensor.ops.dimshuffle import dimshuffle
from symgraph.tensor.variable import TensorConstant, as_tensor, constant


@dataclass(frozen=True, eq=False)
class ScalarOp:
    """The element-wise function behind an ``Elemwise`` node.

    ``impl`` is a NumPy ufunc or a function with a ufunc's signature (including ``out=``).
    ``dtype_rule`` maps input dtypes to the output dtype (default: NumPy's own rule for the
    ufunc). ``grad(inputs, output, output_grad)`` returns symbolic gradients, ``None`` for
    inputs without one. ``code`` is how generated source names the kernel.
    ``writes_out`` says the kernel accepts ``out=`` (so passes may reuse a buffer for it).
    ``jax(jnp, *inputs)`` is the JAX lowering of a kernel that is not a NumPy ufunc (a
    ufunc lowers to ``jax.numpy``'s function of the same name).
    """

    name: str
    nin: int
    impl: Callable
    grad: Callable | None = None
    dtype_rule: Callable[[Sequence[np.dtype]], np.dtype] | None = None
    code: str | None = None
    commutative: bool = False
    writes_out: bool = True
    jax: Callable | None = None

    def __eq__(self, other: object) -> bool:
        return type(other) is ScalarOp and other.name == self.name

    def __hash__(self) -> int:
        return hash(("ScalarOp", self.name))

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self):
        # Kernels and gradients are lambdas, which pickle cannot store: a pickle holds the
        # name and loading looks the op up in the table again.
        try:
            registered = scalar_op_named(self.name)
        except (KeyError, TypeError):
            registered = None
        if registered is not self:
            raise TypeError(f"cannot pickle ScalarOp {self.name!r}: it is not in SCALAR_OPS")
        return (scalar_op_named, (self.name,))

    def output_dtype(self, dtypes: Sequence[np.dtype]) -> np.dtype:
        if self.dtype_rule is not None:
            return np.dtype(self.dtype_rule(dtypes))
        result = np.dtype(self.impl.resolve_dtypes((*dtypes, None))[-1])
        if result == np.float16 and not any(d == np.float16 for d in dtypes):
            result = np.dtype(np.float32)  # NumPy sends int8 -> float16; Theano said float32
        return result

    def natural_dtype(self, dtypes: Sequence[np.dtype]) -> np.dtype | None:
        """The dtype the kernel returns by itself, when it is a ufunc."""
        if isinstance(self.impl, np.ufunc):
            return np.dtype(self.impl.resolve_dtypes((*dtypes, None))[-1])
        return None


# Every ScalarOp by name: the element-wise table (``symgraph.tensor.ops.math``) registers
# its rows here, so a pickled ScalarOp (stored by name) loads as the very same object.
_REGISTERED: dict[str, ScalarOp] = {}


def register_scalar_op(op: ScalarOp) -> ScalarOp:
    """Make ``op`` findable by name (for pickles); names are unique."""
    if op.name in _REGISTERED or op.name.startswith("cast_"):
        raise ValueError(f"a ScalarOp named {op.name!r} is already registered")
    _REGISTERED[op.name] = op
    return op


def scalar_op_named(name: str) -> ScalarOp:
    """The registered ``ScalarOp`` called ``name`` (``cast_<dtype>`` too)."""
    if name.startswith("cast_"):
        return cast_scalar_op(name[len("cast_") :])
    return _REGISTERED[name]


def _cast_kernel(dtype: str):
    numpy_dtype = np.dtype(dtype)

    def cast(x, out=None, dtype=None):
        if out is not None:
            np.copyto(out, x, casting="unsafe")
            return out
        return np.asarray(x).astype(numpy_dtype)

    cast.__name__ = f"cast_{dtype}"
    return cast


@functools.cache
def cast_scalar_op(dtype: str) -> ScalarOp:
    """The element-wise conversion to ``dtype`` (one per dtype)."""
    return ScalarOp(
        f"cast_{dtype}",
        1,
        _cast_kernel(dtype),
        grad=lambda i, o, g: [g],
        dtype_rule=lambda dtypes: np.dtype(dtype),
    )


def broadcast_static_shapes(shapes: Sequence[tuple], context: str) -> tuple:
    """Static shape of the broadcast of equal-rank static shapes (None = unknown)."""
    result = []
    for axis, sizes in enumerate(zip(*shapes)):
        known = {s for s in sizes if s is not None and s != 1}
        if len(known) > 1:
            raise ValueError(
                f"{context}: shapes {' and '.join(map(shape_text, shapes))} cannot be "
                f"broadcast (axis {axis} has sizes {sorted(known)})"
            )
        if known:
            result.append(known.pop())
        elif all(s == 1 for s in sizes):
            result.append(1)
        else:
            result.append(None)
    return tuple(result)


def _unify_weak_constants(inputs: list[Variable]) -> list[Variable]:
    """Give Python-scalar constants the dtype NumPy would (NEP 50: weak scalars)."""
    weak = [isinstance(x, TensorConstant) and x.weak for x in inputs]
    if not any(weak) or all(weak):
        return inputs
    dtypes = [np.dtype(x.dtype) for x, w in zip(inputs, weak) if not w]
    values = [x.data.item() for x, w in zip(inputs, weak) if w]
    common = np.result_type(*dtypes, *values)
    result = []
    for x, is_weak in zip(inputs, weak):
        if is_weak:
            value = x.data.item()
            if isinstance(value, float) and common.kind in "biu":
                dtype = np.result_type(common, value)
            elif isinstance(value, int) and not isinstance(value, bool) and common.kind == "b":
                # a Python int meeting bools is int64, a Python bool stays bool (NumPy)
                dtype = np.dtype("int64")
            else:
                dtype = common
            try:
                x = TensorConstant(TensorType(dtype, ()), np.array(value, dtype=dtype))
            except OverflowError as error:
                raise OverflowError(f"Python scalar {value} does not fit in {dtype}") from error
        result.append(x)
    return result


class Elemwise(Op):
    """Apply a ``ScalarOp`` element by element, with NumPy broadcasting.

    Inputs of lower rank are padded on the left with broadcastable axes. ``inplace`` names
    the input whose buffer the output reuses (set by the ``inplace`` pass), or None.
    """

    __props__ = ("scalar_op", "inplace")

    def __init__(self, scalar_op: ScalarOp, inplace: int | None = None) -> None:
        self.scalar_op = scalar_op
        self.inplace = inplace
        self.destroy_map = {} if inplace is None else {0: [inplace]}

    def __str__(self) -> str:
        name = self.scalar_op.name
        return name if self.inplace is None else f"{name}[inplace={self.inplace}]"

    def with_inplace(self, index: int) -> Elemwise:
        """The same op writing its result into input ``index``."""
        return Elemwise(self.scalar_op, inplace=index)

    def make_node(self, *inputs) -> Apply:
        if len(inputs) != self.scalar_op.nin:
            raise TypeError(
                f"{self.scalar_op.name} takes {self.scalar_op.nin} inputs, got {len(inputs)}"
            )
        inputs = _unify_weak_constants([as_tensor(x) for x in inputs])
        given = inputs
        ndim = max(x.ndim for x in inputs)
        inputs = [x if x.ndim == ndim else _left_pad(x, ndim) for x in inputs]
        name = self.scalar_op.name
        try:
            shape = broadcast_static_shapes([x.type.shape for x in inputs], name)
        except ValueError as error:
            # name the user's variables, not the padded copies the shapes came from
            detail = str(error).rpartition("(")[2].rstrip(")")
            raise ValueError(
                f"{name}: cannot broadcast {' with '.join(map(_describe, given))}: {detail}"
            ) from None
        try:
            dtype = self.scalar_op.output_dtype([np.dtype(x.dtype) for x in inputs])
        except TypeError as error:  # NumPy has no loop for these dtypes
            raise TypeError(
                f"{name} is not defined for {' and '.join(map(_describe, given))}: {error}"
            ) from None
        return Apply(self, inputs, [TensorType(dtype, shape)])

    def expression(self, node, inputs, ctx, out: str | None = None) -> str:
        """The kernel call computing this node from input names (into ``out`` if given)."""
        op = self.scalar_op
        fn = op.code or ctx.bind(op.impl, op.name)
        args = list(inputs)
        out_dtype = node.outputs[0].type.numpy_dtype
        natural = op.natural_dtype([np.dtype(x.dtype) for x in node.inputs])
        # A kernel that is not a ufunc (sigmoid, softplus) returns whatever its NumPy calls
        # give (float64, or float16 for int8); it gets dtype= when it takes one.
        if natural != out_dtype and (natural is not None or _takes_dtype(op.impl)):
            args.append(f"dtype={ctx.bind(out_dtype, out_dtype.name)}")
        if out is None and self.inplace is not None:
            out = inputs[self.inplace]
        if out is not None:
            args.append(f"out={out}")
        return f"{fn}({', '.join(args)})"

    def emit(self, node, inputs, ctx):
        check = runtime_broadcast_check(node.inputs, inputs, ctx)
        expression = self.expression(node, inputs, ctx)
        return expression if check is None else [check, f"{ctx.outputs[0]} = {expression}"]

    def jax(self, node, inputs, jx):
        _check_broadcast_while_tracing(node.inputs, inputs)
        op, jnp = self.scalar_op, jx.numpy
        out_dtype = node.outputs[0].type.numpy_dtype
        if op.name.startswith("cast_"):
            return jnp.asarray(inputs[0]).astype(out_dtype)
        if out_dtype.kind in "fc" and op.name not in ("switch", "second"):
            # compute in the result's float type, as the NumPy kernel does with dtype=
            inputs = [
                jnp.asarray(x).astype(out_dtype) if np.dtype(v.dtype).kind in "biu" else x
                for v, x in zip(node.inputs, inputs)
            ]
        if op.jax is not None:
            return op.jax(jnp, *inputs)
        return getattr(jnp, op.impl.__name__)(*inputs)

    def infer_shape(self, node, input_shapes):
        return [broadcast_shape_symbolic(node.inputs, input_shapes)]

    def grad(self, node, output_grads):
        (gz,) = output_grads
        out = node.outputs[0]
        if gz is None or out.type.numpy_dtype.kind not in "fc" or self.scalar_op.grad is None:
            if self.scalar_op.grad is None and out.type.numpy_dtype.kind in "fc":
                raise NotImplementedError(f"no gradient for element-wise {self.scalar_op.name}")
            return [None] * len(node.inputs)
        grads = self.scalar_op.grad(node.inputs, out, gz)
        return [
            None if g is None or x.type.numpy_dtype.kind not in "fc" else _reduce_to(g, x)
            for x, g in zip(node.inputs, grads)
        ]


def runtime_broadcast_check(variables, names, ctx) -> str | None:
    """A statement raising a clear error when inputs whose sizes along an axis are unknown
    differ at run time. As in Theano, only axes of static size 1 broadcast: silently
    broadcasting another axis would make gradients the wrong shape. None when the static
    shapes already guarantee agreement."""
    conditions = []
    for axis in range(max((v.ndim for v in variables), default=0)):
        sized = [
            (v, n)
            for v, n in zip(variables, names)
            if not isinstance(v, TensorConstant) and v.ndim > axis and v.type.shape[axis] != 1
        ]
        if len(sized) < 2 or all(v.type.shape[axis] is not None for v, _ in sized):
            continue
        first = sized[0][1]
        conditions += [f"{first}.shape[{axis}] != {n}.shape[{axis}]" for _, n in sized[1:]]
    if not conditions:
        return None
    # The variables' names are user text: bound as an object, never written into the code.
    labels = ctx.bind([str(v) for v in variables], "labels")
    raise_error = ctx.bind(_broadcast_error, "broadcast_error")
    return f"if {' or '.join(conditions)}: {raise_error}({labels}, ({', '.join(names)},))"


def _check_broadcast_while_tracing(variables, values) -> None:
    """The JAX lowering's form of ``runtime_broadcast_check``: shapes are known while
    JAX traces, so the same error is raised then."""
    for axis in range(max((v.ndim for v in variables), default=0)):
        sizes = {
            np.shape(x)[axis]
            for v, x in zip(variables, values)
            if not isinstance(v, TensorConstant) and v.ndim > axis and v.type.shape[axis] != 1
        }
        if len(sizes) > 1:
            _broadcast_error([str(v) for v in variables], values)


def _broadcast_error(labels, values):
    shapes = ", ".join(f"{label} {np.shape(value)}" for label, value in zip(labels, values))
    raise ValueError(
        f"element-wise shapes do not match: {shapes}; only axes declared broadcastable (static "
        "size 1, e.g. with dimshuffle('x', ...) or T.row) may broadcast"
    )


def _left_pad(x: Variable, ndim: int) -> Variable:
    """``x`` with broadcastable axes added on the left up to ``ndim`` (constants directly)."""
    if isinstance(x, TensorConstant):
        data = x.data.reshape((1,) * (ndim - x.ndim) + x.data.shape)
        return TensorConstant(TensorType(x.dtype, data.shape), data, weak=x.weak)
    return dimshuffle(x, ["x"] * (ndim - x.ndim) + list(range(x.ndim)))


def _describe(x: Variable) -> str:
    """ "'x' (float64 matrix of shape (2, 3))" for error messages."""
    label = f"'{x.name}'" if x.name else str(x)
    return f"{label} ({x.type.describe()})"


@functools.cache
def _takes_dtype(kernel: Callable) -> bool:
    try:
        return "dtype" in inspect.signature(kernel).parameters
    except (TypeError, ValueError):
        return False


def _reduce_to(grad: Variable, x: Variable) -> Variable:
    """Sum ``grad`` over the axes along which ``x`` was broadcast; match x's dtype."""

    grad = as_tensor(grad)
    if grad.ndim > x.ndim:
        grad = grad.sum(axis=tuple(range(grad.ndim - x.ndim)))
    axes = tuple(
        axis
        for axis, (xs, gs) in enumerate(zip(x.type.shape, grad.type.shape))
        if xs == 1 and gs != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.dtype != x.dtype:
        grad = grad.astype(x.dtype)
    if grad.ndim < x.ndim:
        grad = dimshuffle(grad, ["x"] * (x.ndim - grad.ndim) + list(range(grad.ndim)))
    return grad


def broadcast_shape_symbolic(inputs: Sequence[Variable], shapes: Sequence[tuple]) -> tuple:
    """Symbolic broadcast shape from the inputs' symbolic shapes (non-broadcast axes win)."""
    result = []
    for axis in range(inputs[0].ndim):
        chosen = None
        for x, s in zip(inputs, shapes):
            if x.type.shape[axis] != 1:
                chosen = s[axis]
                break
        result.append(chosen if chosen is not None else constant(1, dtype="int64"))
    return tuple(result)
