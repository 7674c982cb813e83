"""``DimShuffle``: reorder, add and drop broadcastable axes (a view of its input)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from symgraph.graph.basic import Apply, Op, Variable
from symgraph.graph.type import TensorType
from symgraph.tensor.variable import as_tensor, constant


class DimShuffle(Op):
    """Reorder axes, insert broadcastable axes (``'x'``) and drop broadcastable ones.

    ``new_order`` lists, for each output axis, the input axis it comes from or ``'x'``.
    Input axes not listed are dropped; they must have static size 1 (Theano's rule).
    The output is a view of the input.
    """

    __props__ = ("input_ndim", "new_order")
    view_map = {0: [0]}

    def __init__(self, input_ndim: int, new_order: Sequence) -> None:
        self.input_ndim = input_ndim
        self.new_order = tuple(new_order)
        kept = [a for a in self.new_order if a != "x"]
        if len(set(kept)) != len(kept) or any(
            not isinstance(a, (int, np.integer)) or not 0 <= a < input_ndim for a in kept
        ):
            raise ValueError(
                f"dimshuffle pattern {self.new_order} is invalid for a {input_ndim}-d input"
            )
        self.dropped = tuple(a for a in range(input_ndim) if a not in kept)

    def __str__(self) -> str:
        return f"DimShuffle{{{','.join(str(a) for a in self.new_order)}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor(x)
        if x.ndim != self.input_ndim:
            raise TypeError(
                f"dimshuffle{self.new_order} expects a {self.input_ndim}-d input, got "
                f"{x.type.describe()}"
            )
        for axis in self.dropped:
            if x.type.shape[axis] != 1:
                raise ValueError(
                    f"dimshuffle{self.new_order} drops axis {axis} of {x} ({x.type}), which "
                    "is not broadcastable (static size 1); only such axes can be dropped"
                )
        shape = tuple(1 if a == "x" else x.type.shape[a] for a in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def _index_steps(self) -> tuple[tuple | None, tuple | None, tuple | None]:
        drop = tuple(0 if a in self.dropped else slice(None) for a in range(self.input_ndim))
        kept = [a for a in self.new_order if a != "x"]
        remaining = [a for a in range(self.input_ndim) if a not in self.dropped]
        perm = tuple(remaining.index(a) for a in kept)
        expand = tuple(None if a == "x" else slice(None) for a in self.new_order)
        return (
            drop if self.dropped else None,
            perm if perm != tuple(range(len(perm))) else None,
            expand if "x" in self.new_order else None,
        )

    def emit(self, node, inputs, ctx):
        (code,) = inputs
        if self.input_ndim == 0:
            # a 0-d value may be a Python int (Shape_i gives one), which takes no indices
            code = f"np.asarray({code})"
        drop, perm, expand = self._index_steps()
        if drop is not None:
            code += "[" + ", ".join(_index_code(i) for i in drop) + "]"
        if perm is not None:
            code += f".transpose({perm})"
        if expand is not None:
            code += "[" + ", ".join(_index_code(i) for i in expand) + "]"
        return code if code != inputs[0] else f"{code}.view()"

    def jax(self, node, inputs, jx):
        x = jx.numpy.asarray(inputs[0])
        drop, perm, expand = self._index_steps()
        if drop is not None:
            x = x[drop]
        if perm is not None:
            x = x.transpose(perm)
        if expand is not None:
            x = x[expand]
        return x

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [tuple(constant(1, dtype="int64") if a == "x" else shape[a] for a in self.new_order)]

    def grad(self, node, output_grads):
        (gz,) = output_grads
        (x,) = node.inputs
        gz = as_tensor(gz)

        # An output 'x' axis must be droppable from the gradient; make it static size 1.
        loose = [
            axis for axis, a in enumerate(self.new_order) if a == "x" and gz.type.shape[axis] != 1
        ]
        if loose:
            gz = gz.sum(axis=tuple(loose), keepdims=True)
        inverse = []
        for axis in range(self.input_ndim):
            inverse.append("x" if axis in self.dropped else self.new_order.index(axis))
        return [dimshuffle(gz, inverse)]


def _index_code(index) -> str:
    if index is None:
        return "None"
    if isinstance(index, slice):
        return ":"
    return str(index)


def dimshuffle(x, pattern: Sequence) -> Variable:
    """Theano's ``x.dimshuffle(*pattern)``: permute, add ('x') and drop broadcastable axes."""
    x = as_tensor(x)
    pattern = tuple(pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    return DimShuffle(x.ndim, pattern)(x)
