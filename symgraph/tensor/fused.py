"""``Fused``: a tree of element-wise ops run as one node.

The fusion pass (``symgraph.rewrite.fusion``) collects element-wise nodes whose
intermediate results nobody else reads into one ``Fused`` node carrying that subgraph.
Its generated code computes the tree with as few new arrays as possible: each step writes
(``out=``) into a buffer of the right dtype and shape that no later step reads, so
``tanh(x W + b)`` allocates once, not twice, and an SGD update ``p - lr * g`` allocates
once. With ``inplace=k`` the outer input ``k`` (a dead temporary) is such a buffer too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from symgraph.graph.basic import Apply, Constant, HasInnerGraph, Op, Variable
from symgraph.graph.traversal import clone_replace, toposort
from symgraph.graph.type import TensorType


def _full(variable: Variable, output: Variable) -> bool:
    """Whether ``variable`` has the output's dtype and is broadcast along no axis (0-d
    values are NumPy scalars, which cannot be written into)."""
    if variable.ndim == 0:
        return False
    return (
        variable.dtype == output.dtype
        and variable.ndim == output.ndim
        and not any(v == 1 and o != 1 for v, o in zip(variable.type.shape, output.type.shape))
    )


class Fused(Op, HasInnerGraph):
    """Element-wise subgraph ``inner_outputs[0] = f(inner_inputs)`` applied as one node."""

    __props__ = ("signature", "inplace")

    def __init__(
        self,
        inner_inputs: Sequence[Variable],
        inner_outputs: Sequence[Variable],
        inplace: int | None = None,
    ) -> None:
        from symgraph.printing.text import graph_to_text

        self.inner_inputs = list(inner_inputs)
        self.inner_outputs = list(inner_outputs)
        self.inplace = inplace
        self.destroy_map = {} if inplace is None else {0: [inplace]}
        self.signature = graph_to_text(self._inner_text_graph(), self.inner_outputs)
        self.order = toposort(self.inner_outputs, blockers=self.inner_inputs)

    def _inner_text_graph(self):
        return self.inner_outputs

    def with_inplace(self, index: int) -> Fused:
        return Fused(self.inner_inputs, self.inner_outputs, inplace=index)

    def __str__(self) -> str:
        names = {v: f"i{k}" for k, v in enumerate(self.inner_inputs)}

        def text(v):
            if v in names:
                return names[v]
            if isinstance(v, Constant) or v.owner is None:
                return str(v)
            op = v.owner.op
            label = getattr(op, "scalar_op", op)
            return f"{label}({', '.join(text(i) for i in v.owner.inputs)})"

        suffix = "" if self.inplace is None else f"[inplace={self.inplace}]"
        return f"Fused{{{text(self.inner_outputs[0])}}}{suffix}"

    def make_node(self, *inputs) -> Apply:
        from symgraph.tensor.variable import as_tensor

        inputs = [as_tensor(v) for v in inputs]
        if len(inputs) != len(self.inner_inputs):
            raise TypeError(f"{self} takes {len(self.inner_inputs)} inputs")
        for outer, inner in zip(inputs, self.inner_inputs):
            if outer.dtype != inner.dtype or outer.ndim != inner.ndim:
                raise TypeError(f"{self}: input {outer} ({outer.type}) does not fit {inner.type}")
        out = self.inner_outputs[0]
        return Apply(self, inputs, [TensorType(out.dtype, out.type.shape)])

    def perform(self, node, inputs):
        values = dict(zip(self.inner_inputs, inputs))
        for inner in self.order:
            args = [v.data if isinstance(v, Constant) else values[v] for v in inner.inputs]
            for variable, value in zip(inner.outputs, inner.op.perform(inner, args)):
                values[variable] = value
        return [np.asarray(values[self.inner_outputs[0]])]

    def emit(self, node, inputs, ctx):
        """Statements computing the tree, reusing dead buffers through ``out=``."""
        output = self.inner_outputs[0]
        names: dict[Variable, str] = dict(zip(self.inner_inputs, inputs))
        last_read: dict[Variable, int] = {}
        for position, inner in enumerate(self.order):
            for variable in inner.inputs:
                last_read[variable] = position
        reusable = set()  # inner variables whose buffer may be overwritten once dead
        if self.inplace is not None:
            reusable.add(self.inner_inputs[self.inplace])
        free: list[str] = []
        temporaries: list[str] = []
        lines = [f"# {self}"]
        from symgraph.tensor.elemwise import runtime_broadcast_check

        check = runtime_broadcast_check(node.inputs, inputs, ctx)
        if check is not None:
            lines.append(check)
        for position, inner in enumerate(self.order):
            (result,) = inner.outputs
            dying = [
                v
                for v in dict.fromkeys(inner.inputs)
                if last_read.get(v) == position and v in reusable and _full(v, output)
            ]
            target = None
            if _full(result, output) and _supports_out(inner.op):
                if dying:
                    target = names[dying.pop(0)]
                elif free:
                    target = free.pop()
            if result is output:
                name = ctx.outputs[0]
            else:
                name = ctx.fresh(f"f{position}")
                temporaries.append(name)
            code = inner.op.expression(
                inner, [_name(v, names, ctx) for v in inner.inputs], ctx, out=target
            )
            lines.append(f"{name} = {code}")
            names[result] = name
            if result is not output and _full(result, output):
                reusable.add(result)
            free.extend(names[v] for v in dying)
        if temporaries:
            lines.append(f"del {', '.join(temporaries)}")
        return lines

    def grad(self, node, output_grads):
        from symgraph.grad import grad

        (out,) = clone_replace(self.inner_outputs, dict(zip(self.inner_inputs, node.inputs)))
        return grad(
            None,
            list(node.inputs),
            known_grads={out: output_grads[0]},
            disconnected_inputs="ignore",
            return_disconnected="None",
        )


def _name(variable: Variable, names: dict, ctx) -> str:
    if variable in names:
        return names[variable]
    if isinstance(variable, Constant):
        names[variable] = ctx.bind(variable.data, "c")
        return names[variable]
    raise KeyError(f"fused kernel input {variable} has no name")


def _supports_out(op) -> bool:
    scalar = getattr(op, "scalar_op", None)
    return scalar is not None and scalar.name != "switch" and not scalar.name.startswith("cast")
