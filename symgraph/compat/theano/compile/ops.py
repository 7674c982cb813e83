"""``theano.compile.ops``: ``as_op``, which turns a Python function into an op."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from symgraph.compat.theano.gof.op import Op

__all__ = ["FromFunctionOp", "as_op"]


class FromFunctionOp(Op):
    """The op ``as_op`` makes: ``fn`` applied to the inputs' values, giving one value per
    output (a single value when there is one output). Two are equal when they wrap the
    same function."""

    __props__ = ("fn",)

    def __init__(
        self,
        fn: Callable,
        itypes: Sequence,
        otypes: Sequence,
        infer_shape: Callable | None = None,
    ) -> None:
        self.fn = fn
        self.itypes = list(itypes)
        self.otypes = list(otypes)
        self._infer_shape = infer_shape

    def __str__(self) -> str:
        return f"FromFunctionOp{{{getattr(self.fn, '__name__', self.fn)}}}"

    def perform(self, node, inputs, output_storage):
        results = self.fn(*inputs)
        if len(node.outputs) == 1:
            results = [results]
        elif not isinstance(results, (list, tuple)) or len(results) != len(node.outputs):
            raise TypeError(
                f"{self}: {getattr(self.fn, '__name__', 'the function')} must return "
                f"{len(node.outputs)} values (one per output type), got {results!r}"
            )
        for cell, value in zip(output_storage, results):
            cell[0] = value

    def infer_shape(self, node, input_shapes):
        if self._infer_shape is None:
            return None  # shapes are then computed by running the op
        return self._infer_shape(node, input_shapes)

    def __reduce__(self):
        # ``@as_op(...)`` puts the op, not the function, under the function's name: the
        # op is stored as that name. An op made from a function still reachable by its own
        # name stores the function (the usual way).
        module, name = getattr(self.fn, "__module__", None), getattr(self.fn, "__qualname__", "")
        if module is not None and _find(module, name) is self:
            return (_find, (module, name))
        return (FromFunctionOp, (self.fn, self.itypes, self.otypes, self._infer_shape))


def _find(module: str, qualname: str):
    """The object named ``qualname`` in ``module`` (how a pickled ``as_op`` op comes back)."""
    found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found


def as_op(itypes: Sequence, otypes: Sequence, infer_shape: Callable | None = None):
    """Decorator making an op of a Python function of NumPy arrays: ``itypes`` and
    ``otypes`` are the types of its inputs and outputs (``[T.dmatrix]``), ``infer_shape``
    optionally ``infer_shape(node, input_shapes)`` giving the output shapes."""
    if not isinstance(itypes, (list, tuple)):
        itypes = [itypes]
    if not isinstance(otypes, (list, tuple)):
        otypes = [otypes]
    if infer_shape is not None and not callable(infer_shape):
        raise TypeError("as_op: infer_shape must be callable")

    def make_op(fn: Callable) -> FromFunctionOp:
        return FromFunctionOp(fn, itypes, otypes, infer_shape)

    return make_op
