"""``check_graph``: the invariants every pass must keep, for tests and debugging."""

from __future__ import annotations

from collections import Counter

from symgraph.graph.aliasing import buffer_roots, check_destroys
from symgraph.graph.basic import Constant
from symgraph.graph.fgraph import OUTPUT, FunctionGraph


def check_graph(fgraph: FunctionGraph) -> None:
    """Raise AssertionError if ``fgraph`` is inconsistent.

    Checked: every node is reachable and sorted after its inputs; the clients map matches
    the nodes' inputs; each node's outputs have the types its op infers today from its
    inputs; ownerless variables are inputs or constants; no buffer is overwritten
    (``destroy_map``) while something still reads it later, and inputs, constants and
    outputs are never overwritten.
    """
    order = fgraph.toposort()
    assert set(order) == fgraph.apply_nodes, "apply_nodes differs from what the outputs need"
    position = {node: i for i, node in enumerate(order)}
    inputs = set(fgraph.inputs)
    uses: dict = {}
    for node in order:
        for index, variable in enumerate(node.inputs):
            uses.setdefault(variable, []).append((node, index))
            if variable.owner is None:
                assert variable in inputs or isinstance(variable, Constant), (
                    f"{node.op} reads {variable}, which is neither an input nor a constant"
                )
            else:
                assert position[variable.owner] < position[node], f"{node.op} is misordered"
        rebuilt = node.op.make_node(*node.inputs)
        for old, new in zip(node.outputs, rebuilt.outputs):
            assert old.type == new.type or new.type.is_super(old.type), (
                f"{node.op}: output type {old.type} but its inputs give {new.type}"
            )
    for i, output in enumerate(fgraph.outputs):
        uses.setdefault(output, []).append((OUTPUT, i))
    for variable, clients in uses.items():
        # Compared as multisets of (node, position) pairs: nodes compare by identity.
        assert Counter(iter(fgraph.clients.get(variable, ()))) == Counter(clients), (
            f"clients of {variable} are out of date"
        )
    roots = buffer_roots(order)
    external = inputs | {v for v in uses if isinstance(v, Constant)}
    check_destroys(order, roots, external, set(fgraph.outputs))
