"""A compact, deterministic text form of graphs (one line per node), for reading and for
golden tests:

    x:f64[?], y:f64[?] ->
      t0:f64[?] = add(x, y)
      t1:f64[] = Sum{axis=[0]}(t0)
    -> t1
"""

from __future__ import annotations

from collections.abc import Sequence

from symgraph.graph.basic import Constant, Variable
from symgraph.graph.traversal import toposort


def make_namer():
    """A function giving each variable a stable short name (its own name when it has one,
    else t0, t1, ... in order of first request). Share one between texts to keep names
    stable across them (as a pass trace does)."""
    names: dict[Variable, str] = {}
    used: set[str] = set()
    counter = [0]

    def name(variable: Variable) -> str:
        if variable in names:
            return names[variable]
        if isinstance(variable, Constant):
            text = str(variable)
        elif variable.name and variable.name not in used:
            text = variable.name
        else:
            text = f"t{counter[0]}"
            counter[0] += 1
            while text in used:
                text = f"t{counter[0]}"
                counter[0] += 1
        used.add(text)
        names[variable] = text
        return text

    return name


def graph_to_text(graph, outputs: Sequence[Variable] | None = None, namer=None) -> str:
    """The text form of a FunctionGraph, or of the graph computing ``outputs``."""
    if outputs is None and hasattr(graph, "outputs") and hasattr(graph, "inputs"):
        inputs, outputs = list(graph.inputs), list(graph.outputs)
    else:
        outputs = list(
            outputs if outputs is not None else ([graph] if isinstance(graph, Variable) else graph)
        )
        # In order of first use, so the text is stable.
        found = {
            v: None
            for node in toposort(outputs)
            for v in node.inputs
            if v.owner is None and not isinstance(v, Constant)
        }
        inputs = list(found)
    name = namer or make_namer()
    header = ", ".join(f"{name(v)}:{v.type}" for v in inputs)
    lines = [f"{header} ->"]
    for node in toposort(outputs, blockers=inputs):
        outs = ", ".join(f"{name(v)}:{v.type}" for v in node.outputs)
        args = ", ".join(name(v) for v in node.inputs)
        lines.append(f"  {outs} = {node.op}({args})")
    lines.append(f"-> {', '.join(name(v) for v in outputs)}")
    return "\n".join(lines)
