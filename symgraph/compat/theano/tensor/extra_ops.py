"""``theano.tensor.extra_ops``: the functions of it that symgraph has."""

from __future__ import annotations

from symgraph.tensor.ops.extra import squeeze, to_one_hot
from symgraph.tensor.ops.linalg import diag
from symgraph.tensor.ops.math import CumProd, CumSum, cumprod, cumsum
from symgraph.tensor.ops.sort import repeat

__all__ = ["CumProd", "CumSum", "cumprod", "cumsum", "diag", "repeat", "squeeze", "to_one_hot"]
