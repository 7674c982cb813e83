"""``theano.tensor.elemwise``: the core's ``Elemwise`` op class and Theano's ``DimShuffle``
(``isinstance(node.op, T.Elemwise)``; ``T.Elemwise(theano.scalar.add)`` builds an op)."""

from __future__ import annotations

from collections.abc import Sequence

from symgraph.compat.theano._util import CoversCoreClass
from symgraph.tensor.ops import dimshuffle as _dimshuffle
from symgraph.tensor.ops.elemwise import Elemwise

__all__ = ["DimShuffle", "Elemwise"]


class DimShuffle(metaclass=CoversCoreClass):
    """Theano's ``DimShuffle(input_broadcastable, new_order, inplace=True)``: makes the core
    op (``DimShuffle(input_ndim, new_order)``) from the input's broadcastable pattern, so
    it equals, merges and pickles as the core's; every core ``DimShuffle`` node is one.
    ``inplace`` is accepted: the core's dimshuffle is always a view."""

    core_class = _dimshuffle.DimShuffle

    def __new__(cls, input_broadcastable: Sequence[bool], new_order, inplace=True):
        if isinstance(input_broadcastable, int):
            raise TypeError(
                "DimShuffle(input_broadcastable, new_order): the first argument is the input's "
                f"broadcastable pattern (a tuple of bools), got the int {input_broadcastable}"
            )
        return _dimshuffle.DimShuffle(len(input_broadcastable), new_order)
