"""Walking and copying graphs: ancestors, toposort, clone and replace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from symgraph.graph.basic import Apply, Constant, Variable
from symgraph.graph.collector import collector_paused


def ancestors(
    outputs: Iterable[Variable], blockers: Iterable[Variable] = (), first_input_first: bool = False
) -> list[Variable]:
    """All variables the outputs depend on (the outputs included), stopping at blockers,
    depth first from the last output; below each variable its owner's inputs are visited
    from the last (or, with ``first_input_first``, from the first: Theano's order)."""
    blocked = set(blockers)
    seen: set[Variable] = set()
    order: list[Variable] = []
    stack = list(outputs)
    while stack:
        variable = stack.pop()
        if variable in seen:
            continue
        seen.add(variable)
        order.append(variable)
        if variable.owner is not None and variable not in blocked:
            inputs = variable.owner.inputs
            stack.extend(reversed(inputs) if first_input_first else inputs)
    return order


def graph_inputs(outputs: Iterable[Variable], blockers: Iterable[Variable] = ()) -> list[Variable]:
    """The ownerless variables (and blockers) the outputs depend on."""
    blocked = set(blockers)
    return [v for v in ancestors(outputs, blocked) if v.owner is None or v in blocked]


def toposort(outputs: Iterable[Variable], blockers: Iterable[Variable] = ()) -> list[Apply]:
    """Apply nodes computing ``outputs``, each after the nodes it depends on.

    Deterministic: inputs are visited in order, so the same graph always sorts the same way.
    """
    blocked = set(blockers)
    order: list[Apply] = []
    done: set[Apply] = set()
    for output in outputs:
        if output.owner is None or output in blocked or output.owner in done:
            continue
        stack: list[tuple[Apply, int]] = [(output.owner, 0)]
        on_stack = {output.owner}
        while stack:
            node, position = stack[-1]
            if position < len(node.inputs):
                stack[-1] = (node, position + 1)
                parent = node.inputs[position].owner
                if (
                    parent is not None
                    and parent not in done
                    and node.inputs[position] not in blocked
                ):
                    if parent in on_stack:
                        raise ValueError(f"the graph has a cycle through {parent}")
                    stack.append((parent, 0))
                    on_stack.add(parent)
            else:
                stack.pop()
                on_stack.discard(node)
                done.add(node)
                order.append(node)
    return order


@collector_paused()
def clone_replace(
    outputs: Sequence[Variable],
    replace: Mapping[Variable, Variable] | None = None,
    strict: bool = False,
) -> list[Variable]:
    """Copies of ``outputs`` with each key of ``replace`` swapped for its value.

    Nodes between the replaced variables and the outputs are rebuilt (their ops re-infer
    output types); nodes that depend on no replaced variable are shared with the original.
    """
    memo: dict[Variable, Variable] = dict(replace or {})
    for node in toposort(outputs, blockers=memo):
        new_inputs = [memo.get(v, v) for v in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs)):
            continue
        new_node = node.clone_with_new_inputs(new_inputs, strict=strict)
        for old, new in zip(node.outputs, new_node.outputs):
            memo[old] = new
    return [memo.get(v, v) for v in outputs]


@collector_paused()
def clone_graph(
    outputs: Sequence[Variable], inputs: Iterable[Variable] = ()
) -> tuple[list[Variable], dict[Variable, Variable]]:
    """Fresh copies of every Apply node computing ``outputs``; ownerless variables are kept.

    Returns the new outputs and the memo mapping each old variable to its copy.
    """
    memo: dict[Variable, Variable] = {}
    for node in toposort(outputs, blockers=inputs):
        new_node = Apply.__new__(Apply)
        new_node.op = node.op
        new_node.inputs = [memo.get(v, v) for v in node.inputs]
        new_node.outputs = []
        for old in node.outputs:
            new = type(old)(old.type, owner=new_node, index=old.index, name=old.name)
            new.tag = old.tag.without_caches()
            new_node.outputs.append(new)
            memo[old] = new
        new_node.source = node.source
    return [memo.get(v, v) for v in outputs], memo


def graph_signature(inputs: Sequence[Variable], outputs: Sequence[Variable]) -> tuple:
    """The graph from ``inputs`` to ``outputs`` as a value: equal signatures mean the same
    computation (ops holding an inner graph compare by it).

    One entry per node in topological order: its op (ops compare by their ``__props__``),
    where each input comes from (an input by position, an earlier node's output, or a
    constant by type and value) and its output types; then where each output comes from
    and the inputs' types."""
    position: dict[Variable, tuple] = {v: ("input", k) for k, v in enumerate(inputs)}
    nodes = []
    for index, node in enumerate(toposort(outputs, blockers=inputs)):
        sources = tuple(
            ("constant", v.signature()) if isinstance(v, Constant) else position[v]
            for v in node.inputs
        )
        nodes.append((node.op, sources, tuple(v.type for v in node.outputs)))
        for k, output in enumerate(node.outputs):
            position[output] = ("node", index, k)
    results = tuple(
        ("constant", v.signature()) if isinstance(v, Constant) else position[v] for v in outputs
    )
    return (tuple(nodes), results, tuple(v.type for v in inputs))
