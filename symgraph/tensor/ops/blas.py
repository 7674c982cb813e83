"""Matrix products: ``dot`` (lowered to BLAS through NumPy), ``tensordot``, ``outer``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType, shape_text
from symgraph.tensor.ops.dimshuffle import dimshuffle
from symgraph.tensor.ops.math import cast, prod
from symgraph.tensor.ops.shape import reshape, shape_i
from symgraph.tensor.params import as_int, normalize_axis
from symgraph.tensor.variable import as_tensor


class Dot(Op):
    """Product of vectors and matrices (1-d or 2-d operands), NumPy's ``dot``."""

    def make_node(self, a, b) -> Apply:
        a, b = as_tensor(a), as_tensor(b)
        if a.ndim not in (1, 2) or b.ndim not in (1, 2):
            raise TypeError(f"Dot takes vectors or matrices, got {a.type} and {b.type}")
        inner_a = a.type.shape[-1]
        inner_b = b.type.shape[0]
        if inner_a is not None and inner_b is not None and inner_a != inner_b:
            raise ValueError(
                f"dot: shapes {shape_text(a.type.shape)} and {shape_text(b.type.shape)} are not "
                "aligned "
                f"({inner_a} != {inner_b}) for {a} . {b}"
            )
        shape = a.type.shape[:-1] + b.type.shape[1:]
        dtype = np.result_type(a.dtype, b.dtype)
        return Apply(self, [a, b], [TensorType(dtype, shape)])

    def emit(self, node, inputs, ctx):
        return f"np.dot({inputs[0]}, {inputs[1]})"

    def jax(self, node, inputs, jx):
        # in the output's dtype, as NumPy does (int64 . float32 is a float64 product)
        dtype = node.outputs[0].type.numpy_dtype
        return jx.numpy.dot(*(v.astype(dtype) for v in inputs))

    def infer_shape(self, node, input_shapes):
        sa, sb = input_shapes
        return [tuple(sa[:-1]) + tuple(sb[1:])]

    def grad(self, node, output_grads):
        a, b = node.inputs
        (gz,) = output_grads
        if a.ndim == 2 and b.ndim == 2:
            ga, gb = dot(gz, b.T), dot(a.T, gz)
        elif a.ndim == 1 and b.ndim == 2:
            ga, gb = dot(b, gz), outer(a, gz)
        elif a.ndim == 2 and b.ndim == 1:
            ga, gb = outer(gz, b), dot(gz, a)
        else:
            ga, gb = gz * b, gz * a
        return [
            cast(ga, a.dtype) if a.type.numpy_dtype.kind in "fc" else None,
            cast(gb, b.dtype) if b.type.numpy_dtype.kind in "fc" else None,
        ]


_dot = Dot()


def dot(a, b) -> Variable:
    """NumPy's ``dot``: inner product, matrix-vector or matrix-matrix product; for higher
    ranks, a sum over the last axis of ``a`` and the second-to-last of ``b``."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return _dot(a, b)
    return tensordot(a, b, axes=[[a.ndim - 1], [max(b.ndim - 2, 0)]])


def outer(a, b) -> Variable:
    """Outer product of two vectors."""
    a, b = as_tensor(a), as_tensor(b)
    return dimshuffle(a.flatten(), (0, "x")) * dimshuffle(b.flatten(), ("x", 0))


def tensordot(a, b, axes=2) -> Variable:
    """Sum products over the given axes, like NumPy's ``tensordot``; lowered to one
    matrix product between reshaped operands."""
    a, b = as_tensor(a), as_tensor(b)
    if isinstance(axes, np.ndarray):
        axes = axes.tolist()
    if not isinstance(axes, Sequence):
        count = as_int(axes, "tensordot: axes")
        if not 0 <= count <= min(a.ndim, b.ndim):
            raise ValueError(
                f"tensordot: axes={count} needs that many axes in both operands, but they "
                f"have {a.ndim} and {b.ndim}"
            )
        axes_a = list(range(a.ndim - count, a.ndim))
        axes_b = list(range(count))
    else:
        if len(axes) != 2:
            raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, got {axes}")
        axes_a, axes_b = (list(ax) if isinstance(ax, Sequence) else [ax] for ax in axes)
        axes_a = [normalize_axis(x, a, "tensordot") for x in axes_a]
        axes_b = [normalize_axis(x, b, "tensordot") for x in axes_b]
    if len(axes_a) != len(axes_b):
        raise ValueError(f"tensordot: axes {axes_a} and {axes_b} differ in length")
    if len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
        raise ValueError(f"tensordot: repeated axis in {axes_a} or {axes_b}")
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [i for i in range(b.ndim) if i not in axes_b]
    a_t = dimshuffle(a, free_a + axes_a)
    b_t = dimshuffle(b, axes_b + free_b)
    free_a_shape = [shape_i(a, i) for i in free_a]
    free_b_shape = [shape_i(b, i) for i in free_b]
    summed = prod([shape_i(a, i) for i in axes_a]) if axes_a else 1
    a_m = reshape(a_t, (prod(free_a_shape) if free_a else 1, summed))
    b_m = reshape(b_t, (summed, prod(free_b_shape) if free_b else 1))
    result = dot(a_m, b_m)
    return reshape(result, free_a_shape + free_b_shape, ndim=len(free_a) + len(free_b))
