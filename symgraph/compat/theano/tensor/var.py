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

from symgraph.compat.theano._util import CoversCoreClass
from symgraph.tensor import shared as _shared
from symgraph.tensor import variable as _variable


class TensorVariable(_variable.TensorVariable, metaclass=CoversCoreClass):
    """``theano.tensor.TensorVariable``: the result of an expression or an input; not a
    shared variable and not a constant."""

    core_class = _variable.TensorVariable
    excluded_class = _shared.SharedVariable


class _tensor_py_operators(metaclass=CoversCoreClass):  # noqa: N801 - Theano's name
    """``theano.tensor.var._tensor_py_operators``: true of every tensor."""

    core_class = (_variable.TensorVariable, _variable.TensorConstant)


TensorConstant = _variable.TensorConstant

__all__ = ["TensorConstant", "TensorVariable", "_tensor_py_operators"]
