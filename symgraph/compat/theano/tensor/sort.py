"""``theano.tensor.sort``: ``sort`` and ``argsort`` with Theano's signatures."""

from __future__ import annotations

from symgraph.tensor.ops import sort as _sort
from symgraph.tensor.ops.sort import ArgSort as ArgSortOp
from symgraph.tensor.ops.sort import Sort as SortOp

__all__ = ["ArgSortOp", "SortOp", "argsort", "sort"]


def _no_order(order) -> None:
    if order is not None:
        raise NotImplementedError("sort: order (fields of structured arrays) is not supported")


def sort(a, axis=-1, kind="quicksort", order=None):
    """``a`` sorted along ``axis`` (the flattened ``a`` when None)."""
    _no_order(order)
    return _sort.sort(a, axis, kind)


def argsort(a, axis=-1, kind="quicksort", order=None):
    """The indices sorting ``a`` along ``axis``."""
    _no_order(order)
    return _sort.argsort(a, axis, kind)
