"""``theano.tensor.elemwise``: the core's ``Elemwise`` and ``DimShuffle`` op classes
(``isinstance(node.op, T.Elemwise)``; ``T.Elemwise(theano.scalar.add)`` builds an op)."""

from __future__ import annotations

from symgraph.tensor.ops.dimshuffle import DimShuffle
from symgraph.tensor.ops.elemwise import Elemwise

__all__ = ["DimShuffle", "Elemwise"]
