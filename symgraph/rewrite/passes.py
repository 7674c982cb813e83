"""Graph passes that need no pattern language: merging and in-place destruction."""

from __future__ import annotations

from collections import Counter

from symgraph.graph.basic import Constant
from symgraph.graph.fgraph import OUTPUT, FunctionGraph


def merge(fgraph: FunctionGraph) -> Counter:
    """Compute equal constants and equal subexpressions once.

    Two nodes are equal when their ops are equal (by value) and their inputs are the same
    variables, so one pass in topological order finds every duplicate.
    """
    fired: Counter = Counter()
    constants: dict = {}
    for variable in list(fgraph.clients):
        if isinstance(variable, Constant) and variable in fgraph.clients:
            key = variable.signature()
            kept = constants.setdefault(key, variable)
            if kept is not variable:
                fgraph.replace(variable, kept, reason="merge")
                fired["merge_constants"] += 1
    seen: dict = {}
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes:
            continue
        key = (node.op, tuple(node.inputs))
        kept = seen.setdefault(key, node)
        if kept is not node:
            for old, new in zip(node.outputs, kept.outputs):
                fgraph.replace(old, new, reason="merge")
            fired["merge_nodes"] += 1
    return fired


def inplace(fgraph: FunctionGraph) -> Counter:
    """Let element-wise ops write into an input buffer that nothing reads afterwards.

    A buffer may be destroyed only if it is a temporary this function allocated (not an
    input, shared value, constant or output, nor a view of one), no later node reads it or a
    view of it, and it has the output's dtype and full (non-broadcast) shape.
    """
    from symgraph.compile.codegen import buffer_roots
    from symgraph.tensor.elemwise import Elemwise

    fired: Counter = Counter()
    order = fgraph.toposort()
    roots = buffer_roots(order)
    protected = set(fgraph.inputs) | {v for v in fgraph.clients if isinstance(v, Constant)}
    protected |= {roots.get(v, v) for v in fgraph.outputs}
    last_reader: dict = {}
    for position, node in enumerate(order):
        for variable in node.inputs:
            last_reader[roots.get(variable, variable)] = position
    for position, node in enumerate(order):
        op = node.op
        if not isinstance(op, Elemwise) or op.inplace is not None:
            continue
        if not _supports_out(op):
            continue
        out = node.outputs[0]
        for index, candidate in enumerate(node.inputs):
            root = roots.get(candidate, candidate)
            if (
                candidate.owner is None
                or candidate.ndim == 0  # 0-d results are NumPy scalars, not writable arrays
                or root in protected
                or root is not candidate
                or last_reader.get(root) != position
                or candidate.dtype != out.dtype
                or any(c == 1 and o != 1 for c, o in zip(candidate.type.shape, out.type.shape))
                or any(client[0] == OUTPUT for client in fgraph.clients.get(candidate, ()))
            ):
                continue
            new_node = type(op)(op.scalar_op, inplace=index).make_node(*node.inputs)
            new_node.source = node.source
            fgraph.replace(out, new_node.outputs[0], reason="inplace")
            fired[f"inplace_{op.scalar_op.name}"] += 1
            break
    return fired


def _supports_out(op) -> bool:
    scalar = op.scalar_op
    return scalar.name not in ("switch",) and (scalar.code is None or "{" not in scalar.code)
