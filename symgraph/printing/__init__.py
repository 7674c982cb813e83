"""Seeing graphs: debugprint, text form, networkx export, pass traces, profiles."""

from symgraph.graph.text import graph_to_text
from symgraph.printing.debugprint import debugprint, pprint
from symgraph.printing.export import to_dot, to_networkx

__all__ = ["debugprint", "graph_to_text", "pprint", "to_dot", "to_networkx"]
