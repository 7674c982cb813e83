"""Symbolic loops: ``scan`` and its views ``map``, ``reduce``, ``foldl``, ``foldr``.

The layer sits after ``grad`` (the op's gradient is a second scan built with ``grad``)
and before ``rewrite`` (loop rewrites need to see the op). ``op`` holds the ``Scan`` op
and its gradient, ``loop`` Theano's ``scan`` arguments, ``views`` the shortcuts, and
``derivatives`` ``jacobian`` and ``hessian`` (a loop over the rows when their number is
only known at run time).
"""

from symgraph.scan.derivatives import hessian, jacobian
from symgraph.scan.loop import scan
from symgraph.scan.op import Scan, until
from symgraph.scan.views import foldl, foldr, map, reduce

__all__ = ["Scan", "foldl", "foldr", "hessian", "jacobian", "map", "reduce", "scan", "until"]
