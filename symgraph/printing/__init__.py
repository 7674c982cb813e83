"""Seeing graphs: debugprint, pprint, networkx and DOT export, and the text form (defined
with the graph in ``symgraph.graph.text``). Pass traces (``f.trace``) and profiles
(``f.profile``) print themselves."""

from symgraph.graph.text import graph_to_text
from symgraph.printing.debugprint import debugprint, pprint
from symgraph.printing.export import to_dot, to_networkx

__all__ = ["debugprint", "graph_to_text", "pprint", "to_dot", "to_networkx"]
