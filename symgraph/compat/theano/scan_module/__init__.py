"""``theano.scan_module``: where Theano kept ``scan``, its views, ``until`` and ``clone``."""

from symgraph.compat.theano.scan_module import scan_utils
from symgraph.compat.theano.scan_module.scan_utils import clone, until
from symgraph.scan import foldl, foldr, map, reduce, scan

__all__ = ["clone", "foldl", "foldr", "map", "reduce", "scan", "scan_utils", "until"]
