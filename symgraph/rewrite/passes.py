"""Graph passes that need no pattern language: merging and in-place destruction."""

from __future__ import annotations

from collections import Counter

import numpy as np

from symgraph.graph.aliasing import buffer_roots, shares_buffer_with_other_input
from symgraph.graph.basic import Apply, Constant
from symgraph.graph.fgraph import OUTPUT, FunctionGraph
from symgraph.graph.perform import run_perform
from symgraph.rewrite.pattern import rewrite_to_equilibrium
from symgraph.tensor.ops.elemwise import Elemwise
from symgraph.tensor.variable import TensorConstant


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
            # A rewrite that gave an input a more precise type leaves its readers' output
            # types as they were: of two equal nodes, keep the one whose types are precise.
            if not _can_stand_for(kept, node):
                if not _can_stand_for(node, kept):
                    continue
                kept, node = node, kept
                seen[key] = kept
            for old, new in zip(node.outputs, kept.outputs):
                fgraph.replace(old, new, reason="merge")
            fired["merge_nodes"] += 1
    return fired


def _can_stand_for(new: Apply, old: Apply) -> bool:
    """Whether ``new``'s outputs may replace ``old``'s (equal or more precise types)."""
    return all(
        o.type == n.type or o.type.is_super(n.type) for o, n in zip(old.outputs, new.outputs)
    )


# Ops whose folded result could be large and is cheap to recompute (broadcasts, allocations).
_MAX_FOLDED_ELEMENTS = 100_000


def constant_fold(fgraph: FunctionGraph) -> Counter:
    """Evaluate, at compile time, every node whose inputs are all constants.

    A folded value is what the node computes at run time: the same kernel on the same
    values and dtypes, so an overflow, a subnormal or a wrapped integer comes out as in
    unoptimized code, and folding needs no numerical guard (rules that fold constants of
    *different* nodes together, such as ``(x * c1) * c2``, are the ones that do). A node
    whose evaluation raises (``2 ** -1`` in integers) is left to raise at run time, as the
    unoptimized function does, instead of failing the compilation.
    """
    fired: Counter = Counter()
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes or not node.inputs:
            continue
        if not all(isinstance(v, Constant) for v in node.inputs):
            continue
        if getattr(node.op, "nondeterministic", False):
            continue
        try:
            values = run_perform(node, [v.data for v in node.inputs], owns_inputs=False)
        except Exception:  # raised again when the function runs, as without folding
            continue
        if any(np.size(v) > _MAX_FOLDED_ELEMENTS for v in values):
            continue
        for output, value in zip(node.outputs, values):
            value = np.asarray(value, dtype=output.type.numpy_dtype)
            if output.type.shape != value.shape and not output.type.is_super(
                type(output.type)(output.dtype, value.shape)
            ):
                continue
            folded = TensorConstant(type(output.type)(output.dtype, output.type.shape), value)
            fgraph.replace(output, folded, reason="constant_fold")
        fired[f"fold_{_op_name(node.op)}"] += 1
    return fired


def _op_name(op) -> str:
    scalar = getattr(op, "scalar_op", None)
    return scalar.name if scalar is not None else type(op).__name__


def rule_pass(rules):
    """A pass applying ``rules`` to equilibrium, then merging the duplicates they made."""

    def run(fgraph: FunctionGraph) -> Counter:
        fired = rewrite_to_equilibrium(fgraph, rules)
        if fired:
            fired.update(merge(fgraph))
        return fired

    run.rules = rules
    return run


def inplace(fgraph: FunctionGraph) -> Counter:
    """Let element-wise and fused ops write into an input buffer nothing reads afterwards.

    A buffer may be destroyed only if it is a temporary this function allocated (not an
    input, shared value, constant or output, nor a view of one), the node reads it through
    no other input (a transposed or reversed view would be read after being overwritten),
    no later node reads it or a view of it, and it has the output's dtype and full
    (non-broadcast) shape.
    """
    fired: Counter = Counter()
    order = fgraph.toposort()
    roots = buffer_roots(order)
    protected = set(fgraph.inputs) | {v for v in fgraph.clients if isinstance(v, Constant)}
    protected |= {roots.get(v, v) for v in fgraph.outputs}
    last_reader: dict = {}
    for position, node in enumerate(order):
        for variable in node.inputs:
            last_reader[roots.get(variable, variable)] = position
    # Every choice is made on the graph as it was (its buffer roots, readers and outputs);
    # the replacements come after. Replacing while scanning left the next node reading a
    # new variable that the tables did not know, and every other kernel of a chain stayed
    # out of place.
    chosen = []
    for position, node in enumerate(order):
        op = node.op
        # Ops that can write into an input say so with ``with_inplace``; ``inplace`` is
        # None or False until they do (an index, or True, once they do).
        inplace = getattr(op, "inplace", None)
        if not hasattr(op, "with_inplace") or (inplace is not None and inplace is not False):
            continue
        writable = getattr(op, "writable_inputs", None)  # None: any input
        if isinstance(op, Elemwise) and not op.scalar_op.writes_out:
            continue
        out = node.outputs[0]
        for index, candidate in enumerate(node.inputs):
            root = roots.get(candidate, candidate)
            if (
                (writable is not None and index not in writable)
                or candidate.owner is None
                or candidate.ndim == 0  # 0-d results are NumPy scalars, not writable arrays
                or root in protected
                or root is not candidate
                or last_reader.get(root) != position
                or shares_buffer_with_other_input(node, index, roots)
                or candidate.dtype != out.dtype
                or any(c == 1 and o != 1 for c, o in zip(candidate.type.shape, out.type.shape))
                or any(client[0] == OUTPUT for client in fgraph.clients.get(candidate, ()))
            ):
                continue
            chosen.append((node, index))
            break
    for node, index in chosen:
        # node.inputs are current: an earlier replacement may have rewired them
        new_node = node.op.with_inplace(index).make_node(*node.inputs)
        new_node.source = node.source
        fgraph.replace(node.outputs[0], new_node.outputs[0], reason="inplace")
        name = getattr(getattr(node.op, "scalar_op", None), "name", type(node.op).__name__)
        fired[f"inplace_{name}"] += 1
    return fired
