"""``theano.tensor.opt``: the ``Assert`` op (Theano's rewrites live in ``symgraph.rewrite``)."""

from __future__ import annotations

from symgraph.graph.basic import Apply, Op
from symgraph.tensor.variable import as_tensor

__all__ = ["Assert", "assert_op"]


class Assert(Op):
    """Theano's ``Assert(msg)(value, *conditions)``: ``value`` unchanged, after checking
    at run time that every condition is true (``AssertionError(msg)`` otherwise)."""

    __props__ = ("msg",)
    view_map = {0: [0]}
    nondeterministic = True  # the check is the point: constant folding must keep it

    def __init__(self, msg: str = "Theano Assert failed!") -> None:
        self.msg = str(msg)

    def make_node(self, value, *conditions) -> Apply:
        value = as_tensor(value)
        conditions = [as_tensor(c) for c in conditions]
        for c in conditions:
            if c.ndim != 0:
                raise TypeError(f"Assert: conditions must be scalars, got {c.type}")
        return Apply(self, [value, *conditions], [value.type])

    def perform(self, node, inputs):
        value, *conditions = inputs
        if not all(bool(c) for c in conditions):
            raise AssertionError(self.msg)
        return [value]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, node, output_grads):
        return [output_grads[0]] + [None] * (len(node.inputs) - 1)


assert_op = Assert()
