"""``debugprint``: Theano's indented tree view of a graph, with ids for shared nodes."""

from __future__ import annotations

import io
import string
import sys
from collections.abc import Sequence

from symgraph.graph.basic import Constant, Variable


def _ids():
    letters = string.ascii_uppercase
    count = 0
    while True:
        n, text = count, ""
        while True:
            text = letters[n % 26] + text
            n = n // 26 - 1
            if n < 0:
                break
        yield text
        count += 1


def debugprint(
    obj, file=None, print_type: bool = True, depth: int = -1, ids: str = "id"
) -> str | None:
    """Print ``obj`` (a variable, a list of them, a compiled function or a FunctionGraph)
    as an indented tree. Each node gets an id; a node seen before is printed once and
    referred to by its id afterwards. With ``file='str'`` the text is returned."""
    from symgraph.compile.function import Function

    lines: list[str] = []
    if isinstance(obj, Function):
        fgraph = obj.fgraph
        n_out = len(obj.outputs)
        roots = list(fgraph.outputs[:n_out])
        updates = list(zip([t for t, _ in obj.updates], fgraph.outputs[n_out:]))
    elif hasattr(obj, "outputs") and hasattr(obj, "clients"):
        roots, updates = list(obj.outputs), []
    elif isinstance(obj, Variable):
        roots, updates = [obj], []
    elif isinstance(obj, Sequence):
        roots, updates = list(obj), []
    else:
        raise TypeError(f"debugprint cannot print {type(obj).__name__}")
    id_source = _ids()
    assigned: dict = {}
    for root in roots:
        _print_variable(root, "", "", lines, assigned, id_source, print_type, depth)
    for target, value in updates:
        lines.append(f"update of {target.name or target}:")
        _print_variable(value, " ", " ", lines, assigned, id_source, print_type, depth)
    text = "\n".join(lines) + "\n"
    if file == "str":
        return text
    (file or sys.stdout).write(text)
    return None


def _print_variable(
    variable, prefix, child_prefix, lines, assigned, id_source, print_type, depth
) -> None:
    node = variable.owner
    key = node if node is not None else variable
    seen = key in assigned
    if not seen:
        assigned[key] = next(id_source)
    label = (
        f"{node.op}"
        if node is not None
        else (str(variable) if isinstance(variable, Constant) else (variable.name or "<input>"))
    )
    if node is not None and len(node.outputs) > 1:
        label += f".{variable.index}"
    parts = [f"{prefix}{label} [id {assigned[key]}]"]
    if variable.name and node is not None:
        parts.append(f"'{variable.name}'")
    if print_type:
        parts.append(str(variable.type))
    lines.append(" ".join(parts))
    if node is None or seen or depth == 0:
        return
    for child in node.inputs:
        _print_variable(
            child,
            child_prefix + " |",
            child_prefix + " |",
            lines,
            assigned,
            id_source,
            print_type,
            depth - 1,
        )


def pprint(variable) -> str:
    """A one-line infix rendering of a small expression."""
    buffer = io.StringIO()
    buffer.write(_infix(variable))
    return buffer.getvalue()


_INFIX = {"add": "+", "sub": "-", "mul": "*", "true_div": "/", "pow": "**"}


def _infix(variable) -> str:
    node = variable.owner
    if node is None:
        return str(variable)
    name = getattr(getattr(node.op, "scalar_op", None), "name", None)
    if name in _INFIX and len(node.inputs) == 2:
        a, b = (_infix(v) for v in node.inputs)
        return f"({a} {_INFIX[name]} {b})"
    return f"{name or node.op}({', '.join(_infix(v) for v in node.inputs)})"
