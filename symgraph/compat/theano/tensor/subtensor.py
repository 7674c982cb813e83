"""``theano.tensor.subtensor``: the indexing op classes Theano code tests for.

The core has one ``Subtensor`` op for basic and integer-array indexing; Theano had
``Subtensor`` for slices and ints and ``AdvancedSubtensor1``/``AdvancedSubtensor`` for
integer arrays. Here ``isinstance(node.op, AdvancedSubtensor)`` holds for a core
``Subtensor`` whose index holds an integer array, and calling one indexes like Theano's
(``AdvancedSubtensor1()(x, ilist)`` is ``x[ilist]``).
"""

from __future__ import annotations

from symgraph.tensor.ops.subtensor import (
    IncSubtensor,
    Subtensor,
    getitem,
    inc_subtensor,
    set_subtensor,
)
from symgraph.tensor.variable import as_tensor

__all__ = [
    "AdvancedSubtensor",
    "AdvancedSubtensor1",
    "IncSubtensor",
    "Subtensor",
    "inc_subtensor",
    "set_subtensor",
]


def _has_array_index(op) -> bool:
    return isinstance(op, Subtensor) and any(entry[0] == "array" for entry in op.idx_list)


class _AdvancedMeta(type):
    def __instancecheck__(cls, instance) -> bool:
        return type.__instancecheck__(cls, instance) or _has_array_index(instance)


class AdvancedSubtensor(metaclass=_AdvancedMeta):
    """Integer-array indexing, ``x[i, j]`` with index arrays (Theano's op class)."""

    def __call__(self, x, *indices):
        return getitem(as_tensor(x), tuple(indices))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __str__(self) -> str:
        return type(self).__name__


class AdvancedSubtensor1(AdvancedSubtensor):
    """``x[ilist]``: rows of ``x`` picked by an integer vector (Theano's op class)."""

    def __call__(self, x, ilist):
        return getitem(as_tensor(x), as_tensor(ilist))


# Theano's IncSubtensor took the same role for every kind of index; so does the core's.
AdvancedIncSubtensor = AdvancedIncSubtensor1 = IncSubtensor
