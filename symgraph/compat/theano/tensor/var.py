"""``theano.tensor.var``: Theano's three kinds of tensor, as ``isinstance`` saw them.

symgraph has one tensor class with two subclasses: a shared variable *is* a
``symgraph.tensor.TensorVariable``, and a constant is a ``TensorConstant``. In Theano the three
were siblings: ``TensorVariable``, ``TensorConstant`` and ``TensorSharedVariable`` each mixed
the operators (``_tensor_py_operators``) into a different graph class, so
``isinstance(shared, T.TensorVariable)`` was False. Layer libraries branch on exactly that
(a parameter given as an expression is used as it is; a shared one is tiled over the batch),
so the classes here answer ``isinstance`` and ``issubclass`` as Theano's did. They are still
the core classes underneath: a subclass built on them is a core tensor.
"""

from __future__ import annotations

from symgraph.tensor import shared as _shared
from symgraph.tensor import variable as _variable


class _TheanoTensorKind(type):
    """Classes whose instance and subclass checks exclude shared variables, as Theano's
    ``TensorVariable`` did. Only the class defined here checks this way; a user subclass of
    it checks as any class does (only its own instances)."""

    def __instancecheck__(cls, instance) -> bool:
        if cls.__dict__.get("_core_kind") is None:
            return super().__instancecheck__(instance)
        return cls.__subclasscheck__(type(instance))

    def __subclasscheck__(cls, subclass) -> bool:
        core = cls.__dict__.get("_core_kind")
        if core is None:
            return super().__subclasscheck__(subclass)
        return issubclass(subclass, core) and not issubclass(subclass, _shared.SharedVariable)


class TensorVariable(_variable.TensorVariable, metaclass=_TheanoTensorKind):
    """``theano.tensor.TensorVariable``: the result of an expression or an input; not a
    shared variable and not a constant."""

    _core_kind = _variable.TensorVariable


class _AnyTensorKind(_TheanoTensorKind):
    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, (_variable.TensorVariable, _variable.TensorConstant))

    def __subclasscheck__(cls, subclass) -> bool:
        return issubclass(subclass, (_variable.TensorVariable, _variable.TensorConstant))


class _tensor_py_operators(metaclass=_AnyTensorKind):  # noqa: N801 - Theano's name
    """``theano.tensor.var._tensor_py_operators``: true of every tensor."""


TensorConstant = _variable.TensorConstant

__all__ = ["TensorConstant", "TensorVariable", "_tensor_py_operators"]
