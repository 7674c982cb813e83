"""``theano.tensor.extra_ops``: the functions of it that symgraph has."""

from __future__ import annotations

from symgraph.tensor.ops.extra import repeat, squeeze, to_one_hot

__all__ = ["repeat", "squeeze", "to_one_hot"]
