"""``debugprint``: Theano's indented tree view of a graph, with ids for shared nodes."""

from __future__ import annotations

import string
import sys
from collections.abc import Sequence

from symgraph.compile.function import Function
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


def debugprint(obj, file=None, print_type: bool = True, depth: int = -1) -> str | None:
    """Print ``obj`` (a variable, a list of them, a compiled function or a FunctionGraph)
    as an indented tree. Each node gets an id; a node seen before is printed once and
    referred to by its id afterwards. Lines nested deeper than 50 levels show the first and
    last 10 bars and how many lie between (`` | | ~123 levels~ | |``). With ``file='str'``
    the text is returned."""
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
    inner: list = []  # nodes whose inner graph is listed at the end, in order of first sight
    for root in roots:
        _print_tree(root, "", lines, assigned, id_source, print_type, depth, inner)
    for target, value in updates:
        lines.append(f"update of {target.name or target}:")
        _print_tree(value, " ", lines, assigned, id_source, print_type, depth, inner)
    if inner:
        lines += ["", "Inner graphs:"]
    listed = 0
    while listed < len(inner):  # an inner graph may hold loops of its own: listed after it
        node = inner[listed]
        listed += 1
        lines += ["", f"{node.op} [id {assigned[node]}]"]
        for output in node.op.inner_outputs:
            _print_tree(output, " >", lines, assigned, id_source, print_type, depth, inner)
    text = "\n".join(lines) + "\n"
    if file == "str":
        return text
    (file or sys.stdout).write(text)
    return None


# Bars shown in full up to this nesting level; deeper lines show the first and last
# ``_KEPT_BARS`` and how many levels lie between, so a line stays short however deep the
# graph (a chain 100,000 nodes deep would otherwise print 10^10 characters).
_MAX_BARS = 50
_KEPT_BARS = 10


def _indent(base: str, level: int) -> str:
    if level <= _MAX_BARS:
        return base + " |" * level
    hidden = level - 2 * _KEPT_BARS
    return f"{base}{' |' * _KEPT_BARS} ~{hidden} levels~{' |' * _KEPT_BARS}"


def _print_tree(root, base, lines, assigned, id_source, print_type, depth, inner) -> None:
    """Append the lines of ``root``'s tree: each node, then its inputs one level deeper
    (an explicit stack, not recursion: graphs may be far deeper than Python's stack).
    Nodes of ops that show their inner graph (loops) are appended to ``inner``."""
    stack = [(root, 0)]
    while stack:
        variable, level = stack.pop()
        node = variable.owner
        key = node if node is not None else variable
        seen = key in assigned
        if not seen:
            assigned[key] = next(id_source)
            if node is not None and getattr(node.op, "show_inner_graph", False):
                inner.append(node)
        if node is not None:
            label = f"{node.op}"
            if len(node.outputs) > 1:
                label += f".{variable.index}"
        elif isinstance(variable, Constant):
            label = str(variable)
        else:
            label = variable.name or "<input>"
        parts = [f"{_indent(base, level)}{label} [id {assigned[key]}]"]
        if variable.name and node is not None:
            parts.append(f"'{variable.name}'")
        if print_type:
            parts.append(str(variable.type))
        lines.append(" ".join(parts))
        if node is None or seen or depth == level:
            continue
        stack.extend((child, level + 1) for child in reversed(node.inputs))


def pprint(variable) -> str:
    """A one-line infix rendering of an expression (shared subexpressions are written out
    at each use)."""
    # Written from an explicit stack of pending pieces (text, or a variable to expand), so
    # deep graphs need no recursion and the text is joined once, in time linear in its size.
    pieces: list[str] = []
    stack: list = [variable]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            pieces.append(item)
            continue
        node = item.owner
        if node is None:
            pieces.append(str(item))
            continue
        name = getattr(getattr(node.op, "scalar_op", None), "name", None)
        if name in _INFIX and len(node.inputs) == 2:
            a, b = node.inputs
            stack.extend((")", b, f" {_INFIX[name]} ", a, "("))
            continue
        stack.append(")")
        for position in range(len(node.inputs) - 1, -1, -1):
            stack.append(node.inputs[position])
            if position:
                stack.append(", ")
        stack.append(f"{name or node.op}(")
    return "".join(pieces)


_INFIX = {"add": "+", "sub": "-", "mul": "*", "true_div": "/", "pow": "**"}
