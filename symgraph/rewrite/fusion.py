"""The fusion pass: trees of element-wise ops become one ``Fused`` node."""

from __future__ import annotations

from collections import Counter

import numpy as np

from symgraph.graph.basic import Constant
from symgraph.graph.fgraph import OUTPUT, FunctionGraph
from symgraph.graph.traversal import clone_replace
from symgraph.tensor.elemwise import Elemwise
from symgraph.tensor.fused import Fused


def _fusable(node) -> bool:
    return isinstance(node.op, Elemwise) and node.op.inplace is None and len(node.outputs) == 1


def fusion(fgraph: FunctionGraph) -> Counter:
    """Fuse each maximal tree of element-wise nodes whose inner results have no other use.

    Roots are visited from the outputs backwards; a node joins its consumer's tree when it
    is element-wise and the tree is its only client, so no value is computed twice.
    """
    fired: Counter = Counter()
    absorbed: set = set()
    order = fgraph.toposort()
    position = {node: i for i, node in enumerate(order)}
    for root in reversed(order):
        if root in absorbed or root not in fgraph.apply_nodes or not _fusable(root):
            continue
        group = {root}
        frontier = [root]
        while frontier:
            node = frontier.pop()
            for variable in node.inputs:
                producer = variable.owner
                if producer is None or producer in group or not _fusable(producer):
                    continue
                clients = fgraph.clients.get(variable, [])
                if any(client == OUTPUT or client not in group for client, _ in clients):
                    continue
                group.add(producer)
                frontier.append(producer)
        if len(group) < 2:
            continue
        outer_inputs = []
        for node in sorted(group, key=position.__getitem__):  # deterministic input order
            for variable in node.inputs:
                # Single-value constants are written into the kernel; larger ones are
                # inputs, so that they count in the output's shape and are cut into the
                # same row blocks as the other inputs.
                embedded = isinstance(variable, Constant) and np.size(variable.data) == 1
                if variable.owner not in group and not embedded and variable not in outer_inputs:
                    outer_inputs.append(variable)
        inner_inputs = [v.type.make_variable(f"i{k}") for k, v in enumerate(outer_inputs)]
        (inner_output,) = clone_replace(root.outputs, dict(zip(outer_inputs, inner_inputs)))
        fused = Fused(inner_inputs, [inner_output]).make_node(*outer_inputs)
        fused.source = root.source
        absorbed |= group
        fgraph.replace(root.outputs[0], fused.outputs[0], reason="fusion")
        fired[f"fuse_{len(group)}_ops"] += 1
    return fired
