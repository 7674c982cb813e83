"""Graph export: a networkx DiGraph of variables and apply nodes, and DOT text.

networkx is imported by the first ``to_networkx`` call, not by ``import symgraph`` (its
import takes about 70 ms, which every compiled function's process would pay)."""

from __future__ import annotations

import importlib
import shutil
import subprocess

from symgraph.compile.function import Function
from symgraph.graph.basic import Constant, Variable
from symgraph.graph.traversal import ancestors, toposort


def _roots(obj):
    if isinstance(obj, Function):
        return list(obj.fgraph.outputs), list(obj.fgraph.inputs)
    if hasattr(obj, "outputs") and hasattr(obj, "clients"):
        return list(obj.outputs), list(obj.inputs)
    if isinstance(obj, Variable):
        return [obj], []
    return list(obj), []


def to_networkx(obj):
    """A bipartite DiGraph: variable nodes (``kind='variable'``) and apply nodes
    (``kind='apply'``, with ``op``), edges in the direction data flows. Node keys are stable
    strings (``v0``, ``a0``...) in topological order; ``label`` holds readable text."""
    outputs, inputs = _roots(obj)
    input_set, output_set = set(inputs), set(outputs)
    graph = importlib.import_module("networkx").DiGraph()
    keys: dict = {}

    def variable_key(v: Variable) -> str:
        if v not in keys:
            keys[v] = f"v{len(keys)}"
            graph.add_node(
                keys[v],
                kind="variable",
                label=str(v) if (v.name or isinstance(v, Constant) or v.owner is None) else "",
                type=str(v.type),
                name=v.name,
                constant=isinstance(v, Constant),
                is_input=v.owner is None or v in input_set,
                is_output=v in output_set,
            )
        return keys[v]

    for v in ancestors(outputs, blockers=inputs):
        if v.owner is None or v in input_set:
            variable_key(v)
    for index, node in enumerate(toposort(outputs, blockers=inputs)):
        key = f"a{index}"
        source = node.source
        graph.add_node(
            key,
            kind="apply",
            label=str(node.op),
            op=node.op,
            source=str(source) if source else None,
        )
        for position, v in enumerate(node.inputs):
            graph.add_edge(variable_key(v), key, position=position)
        for position, v in enumerate(node.outputs):
            graph.add_edge(key, variable_key(v), position=position)
    for v in outputs:
        graph.nodes[variable_key(v)]["is_output"] = True
    return graph


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(obj, filename: str | None = None, format: str | None = None) -> str:
    """Graphviz DOT text of a graph or compiled function: boxes for ops, ellipses for
    variables (inputs green, outputs blue, constants grey).

    With ``filename``, the text is written there; when ``format`` ('svg', 'png'...) is
    given too and the ``dot`` program is installed, it is rendered to that format beside
    it (``filename`` with the format's extension). Returns the DOT text.
    """
    graph = to_networkx(obj)
    lines = ["digraph symgraph {", "  rankdir=TB;", '  node [fontname="monospace"];']
    for key, data in graph.nodes(data=True):
        if data["kind"] == "apply":
            lines.append(f'  {key} [shape=box, label="{_dot_escape(data["label"])}"];')
        else:
            label = data["label"] or ""
            label = f"{label}\n{data['type']}" if label else data["type"]
            color = (
                "lightgrey"
                if data["constant"]
                else "palegreen"
                if data["is_input"]
                else "lightblue"
                if data["is_output"]
                else "white"
            )
            lines.append(
                f"  {key} [shape=ellipse, style=filled, fillcolor={color}, "
                f'label="{_dot_escape(label)}"];'.replace("\n", "\\n")
            )
    for a, b in graph.edges():
        lines.append(f"  {a} -> {b};")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    if filename is not None:
        with open(filename, "w") as handle:
            handle.write(text)
        if format is not None:
            if shutil.which("dot") is None:
                raise RuntimeError("rendering needs Graphviz's 'dot' program on the PATH")
            target = filename.rsplit(".", 1)[0] + "." + format
            subprocess.run(["dot", f"-T{format}", filename, "-o", target], check=True)
    return text
