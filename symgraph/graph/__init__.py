"""Graph IR: variables, apply nodes, ops, types and function graphs."""

from symgraph.graph.basic import (
    Apply,
    Constant,
    HasInnerGraph,
    Op,
    SourceLocation,
    Type,
    Variable,
)
from symgraph.graph.check import check_graph
from symgraph.graph.fgraph import FunctionGraph, MissingInputError
from symgraph.graph.traversal import ancestors, clone_graph, clone_replace, graph_inputs, toposort
from symgraph.graph.type import TensorType

__all__ = [
    "Apply",
    "Constant",
    "FunctionGraph",
    "HasInnerGraph",
    "MissingInputError",
    "Op",
    "SourceLocation",
    "TensorType",
    "Type",
    "Variable",
    "ancestors",
    "check_graph",
    "clone_graph",
    "clone_replace",
    "graph_inputs",
    "toposort",
]
