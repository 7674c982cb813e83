"""``theano.gof``: the graph classes (``Apply``, ``Variable``, ``Constant``), the ``Op``
base class users subclass, and ``graph``'s walks."""

from symgraph.compat.theano.gof import graph, op
from symgraph.compat.theano.gof.graph import Apply
from symgraph.compat.theano.gof.op import Op, PureOp
from symgraph.graph.basic import Constant, Type, Variable

__all__ = ["Apply", "Constant", "Op", "PureOp", "Type", "Variable", "graph", "op"]
