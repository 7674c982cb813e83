"""``theano.scan_module``: where Theano kept ``scan`` and its views."""

from symgraph.scan import foldl, foldr, map, reduce, scan

__all__ = ["foldl", "foldr", "map", "reduce", "scan"]
