"""Seeing graphs: debugprint, pprint, networkx and DOT export, SVG pictures drawn without
Graphviz (``to_svg``), the pass explorer page (``f.trace.to_html``), and the text form
(defined with the graph in ``symgraph.graph.text``). Pass traces (``f.trace``) and
profiles (``f.profile``) print themselves; in Jupyter, variables, functions and traces
show their pictures."""

from symgraph.graph.text import graph_to_text
from symgraph.printing.debugprint import debugprint, pprint
from symgraph.printing.explorer import functions_to_html, trace_to_html
from symgraph.printing.export import to_dot, to_networkx
from symgraph.printing.picture import to_svg

__all__ = [
    "debugprint",
    "functions_to_html",
    "graph_to_text",
    "pprint",
    "to_dot",
    "to_networkx",
    "to_svg",
    "trace_to_html",
]
