"""``theano.gof.Op``: the base class Theano users subclass to write their own ops.

A Theano op and a symgraph op differ only in the signatures of a few methods; this class
translates, so that an op written for Theano runs on the core unchanged:

=========================================  ================================================
Theano (the user's method)                 what the core calls
=========================================  ================================================
``perform(node, inputs, output_storage     ``perform(node, inputs)`` returning the outputs:
[, params])`` filling ``output_storage``   fresh cells ``[[None], ...]`` are filled by the
                                           user's method and read back
``grad(inputs, output_grads)`` or          ``grad(node, output_grads)``; Theano's markers
``L_op(inputs, outputs, output_grads)``    (``DisconnectedType()()``, ``NullType``) become
(and ``connection_pattern(node)``)         the core's (None, an undefined gradient)
``infer_shape(node, shapes)`` or           ``infer_shape(node, input_shapes)``
``infer_shape(fgraph, node, shapes)``
``R_op(inputs, eval_points)``              ``R_op`` is Theano's name for the core's
                                           forward-mode hook ``jvp(node, eval_points)``
no ``__props__``: equal only to itself     ``__props__`` equality (kept when declared)
=========================================  ================================================

Each method is adapted when a subclass defines it (``__init_subclass__``), and the adapted
method still accepts Theano's own call (``op.perform(node, inputs, storage)``,
``op.grad(inputs, output_grads)``), so user code calling its methods directly keeps
working. ``make_node`` from ``itypes``/``otypes``, ``default_output`` and ``__call__``
follow Theano's ``PureOp``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from symgraph.compat.theano.gradient import DisconnectedType, NullType, _null, disconnected_type
from symgraph.graph.basic import Apply, Type, Variable, variable_label
from symgraph.graph.basic import Op as CoreOp
from symgraph.tensor.variable import as_tensor

__all__ = ["Op", "PureOp"]


class Op(CoreOp):
    """Theano's ``Op`` (and ``PureOp``): subclass it, give ``make_node`` (or ``itypes`` and
    ``otypes``) and ``perform(node, inputs, output_storage)``; optionally ``grad`` or
    ``L_op``, ``R_op``, ``infer_shape``, ``connection_pattern``, ``__props__``,
    ``default_output``, ``view_map`` / ``destroy_map``."""

    default_output: int | None = None
    itypes: Sequence | None = None
    otypes: Sequence | None = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        own = vars(cls)
        if "perform" in own:
            cls.perform = _perform_adapter(own["perform"])
        if "grad" in own:
            cls.grad = _grad_adapter(own["grad"])
        if "infer_shape" in own and _positional_count(own["infer_shape"]) == 4:
            cls.infer_shape = _infer_shape_adapter(own["infer_shape"])
        if "R_op" in own:
            cls.jvp = _jvp_adapter(own["R_op"])

    # -- equality: Theano compares ops without __props__ by identity ----------------------

    def __eq__(self, other: object) -> bool:
        if not _declares_props(type(self)):
            return self is other
        return super().__eq__(other)

    def __hash__(self) -> int:
        if not _declares_props(type(self)):
            return id(self)
        return super().__hash__()

    # -- building nodes ------------------------------------------------------------------

    def __call__(self, *inputs, **kwargs):
        node = self.make_node(*inputs, **kwargs)
        if self.default_output is not None:
            return node.outputs[self.default_output]
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def make_node(self, *inputs) -> Apply:
        """Theano's default: check the inputs against ``itypes``, outputs of ``otypes``."""
        if self.itypes is None or self.otypes is None:
            raise NotImplementedError(
                f"{type(self).__name__}: define itypes and otypes, or implement make_node"
            )
        if len(inputs) != len(self.itypes):
            raise ValueError(f"{self}: expected {len(self.itypes)} inputs, got {len(inputs)}")
        inputs = [as_tensor(x) for x in inputs]
        for position, (variable, expected) in enumerate(zip(inputs, self.itypes)):
            expected = _as_type(expected)
            if variable.type != expected and not expected.is_super(variable.type):
                raise TypeError(
                    f"{self}: input {position} {variable_label(variable)} is "
                    f"{_describe(variable.type)}, expected {_describe(expected)}"
                )
        return Apply(self, inputs, [_as_type(t) for t in self.otypes])

    # -- the defaults the adapters fall back on ------------------------------------------

    def grad(self, *args):
        """Called by the core (``grad(node, output_grads)``): the gradients from the op's
        ``L_op`` (by default its ``grad``), called Theano's way."""
        if _is_core_call(self, args):
            return _core_grad(self, args[0], args[1])
        raise NotImplementedError(f"{self} implements neither grad nor L_op")

    def L_op(self, inputs, outputs, output_grads):
        """Theano's default ``L_op``: the op's ``grad``, which ignores the outputs."""
        return self.grad(inputs, output_grads)

    def R_op(self, inputs, eval_points):
        raise NotImplementedError(f"{self} does not implement R_op")


PureOp = Op


def _declares_props(cls: type) -> bool:
    """Whether a class between ``cls`` and this module's ``Op`` declares ``__props__``."""
    for klass in cls.__mro__:
        if klass is Op:
            return False
        if "__props__" in vars(klass):
            return True
    return False


def _as_type(spec: Any) -> Type:
    """A type from Theano's ``itypes``/``otypes`` entries: a type (``TensorType(...)``) or a
    constructor such as ``T.dmatrix`` (symgraph's are functions, Theano's were types)."""
    if isinstance(spec, Type):
        return spec
    if callable(spec):
        made = spec()
        if isinstance(made, Variable):
            return made.type
    raise TypeError(f"itypes and otypes hold types such as T.dmatrix, not {spec!r}")


def _describe(ttype: Type) -> str:
    describe = getattr(ttype, "describe", None)
    return describe() if describe is not None else str(ttype)


def _positional_count(function: Callable) -> int:
    return sum(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        for p in inspect.signature(function).parameters.values()
    )


def _perform_adapter(theano_perform: Callable) -> Callable:
    """``perform`` for the core (``perform(node, inputs)`` returning the outputs) from a
    Theano one that fills ``output_storage``; called with storage, it is Theano's."""
    takes_params = _positional_count(theano_perform) >= 5

    def perform(self, node, inputs, output_storage=None, params=None):
        if output_storage is not None:  # called Theano's way
            extra = (params,) if params is not None else ()
            return theano_perform(self, node, inputs, output_storage, *extra)
        storage = [[None] for _ in node.outputs]
        if takes_params and hasattr(self, "params_type"):
            theano_perform(self, node, inputs, storage, self.get_params(node))
        else:
            theano_perform(self, node, inputs, storage)
        for index, cell in enumerate(storage):
            if cell[0] is None:
                raise TypeError(
                    f"{self}.perform did not set output_storage[{index}][0] "
                    f"(output {index}, {_describe(node.outputs[index].type)})"
                )
        return [cell[0] for cell in storage]

    perform.__doc__ = theano_perform.__doc__
    perform.__wrapped__ = theano_perform
    return perform


def _is_core_call(op: Op, args: tuple) -> bool:
    """Whether ``grad`` was called by the core (with the op's node) rather than Theano's
    way (with the node's inputs)."""
    return len(args) == 2 and isinstance(args[0], Apply) and args[0].op is op


def _grad_adapter(theano_grad: Callable) -> Callable:
    """The core's ``grad(node, output_grads)`` from Theano's ``grad(inputs, output_grads)``;
    called Theano's way, it is Theano's."""

    def grad(self, *args):
        if _is_core_call(self, args):
            return _core_grad(self, args[0], args[1])
        return theano_grad(self, *args)

    grad.__doc__ = theano_grad.__doc__
    grad.__wrapped__ = theano_grad
    return grad


def _core_grad(op: Op, node: Apply, output_grads: Sequence) -> list:
    """Theano's gradient of ``node``'s inputs, in the core's terms."""
    theano_grads = [
        disconnected_type() if g is None else g for g in output_grads
    ]  # Theano marks outputs nothing flows into
    grads = list(op.L_op(list(node.inputs), list(node.outputs), theano_grads))
    pattern = getattr(op, "connection_pattern", None)
    connected = pattern(node) if pattern is not None else None
    result = []
    for position, (variable, g) in enumerate(zip(node.inputs, grads)):
        if connected is not None and not any(connected[position]):
            result.append(None)
        elif g is None or isinstance(getattr(g, "type", None), DisconnectedType):
            result.append(None)
        elif isinstance(getattr(g, "type", None), NullType):
            result.append(_null(g.type.why_null, variable))
        else:
            result.append(g)
    return result + grads[len(node.inputs) :]


def _infer_shape_adapter(theano_infer_shape: Callable) -> Callable:
    """``infer_shape(node, input_shapes)`` from the later Theano signature
    ``infer_shape(fgraph, node, input_shapes)`` (the core has no fgraph to give)."""

    def infer_shape(self, *args):
        if len(args) == 2:
            return theano_infer_shape(self, None, *args)
        return theano_infer_shape(self, *args)

    infer_shape.__wrapped__ = theano_infer_shape
    return infer_shape


def _jvp_adapter(theano_r_op: Callable) -> Callable:
    """The core's forward-mode hook ``jvp(node, eval_points)`` from Theano's
    ``R_op(inputs, eval_points)`` (None for an input that does not move)."""

    def jvp(self, node, eval_points):
        return list(theano_r_op(self, list(node.inputs), list(eval_points)))

    return jvp
