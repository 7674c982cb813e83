"""``theano.tensor.extra_ops``: the functions of it that symgraph has."""

from __future__ import annotations

from symgraph.tensor.ops.extra import repeat, squeeze, to_one_hot
from symgraph.tensor.ops.math import CumSum, cumsum

__all__ = ["CumSum", "cumsum", "repeat", "squeeze", "to_one_hot"]
