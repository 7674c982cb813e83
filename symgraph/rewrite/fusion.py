"""The fusion pass: trees of element-wise ops become one ``Fused`` node."""

from __future__ import annotations

from collections import Counter

import numpy as np

from symgraph.graph.basic import Constant
from symgraph.graph.fgraph import OUTPUT, FunctionGraph
from symgraph.graph.traversal import clone_graph
from symgraph.rewrite.fused import Fused
from symgraph.tensor.ops.elemwise import Elemwise

# The most element-wise nodes one kernel takes. Longer runs (a chain of 50,000 ``x * a + b``)
# become several kernels, each fed by the last: a kernel's text (its ``Fused{...}`` name,
# its signature) grows with its size, and building the nested name costs the square of
# it, so unbounded kernels made compiling deep chains quadratic (a 16,000-node chain:
# 18 of 24 s in naming one kernel). Cutting every 256 nodes adds one array and one call
# per 256 element-wise ops, which measured no slower at run time.
MAX_FUSED_NODES = 256


def _fusable(node) -> bool:
    return isinstance(node.op, Elemwise) and node.op.inplace is None and len(node.outputs) == 1


def fusion(fgraph: FunctionGraph) -> Counter:
    """Fuse each maximal tree of element-wise nodes whose inner results have no other use.

    Roots are visited from the outputs backwards; a node joins its consumer's tree when it
    is element-wise and the tree is its only client, so no value is computed twice. A tree
    stops growing at ``MAX_FUSED_NODES`` nodes; what is left becomes trees of its own.
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
        while frontier and len(group) < MAX_FUSED_NODES:
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
                if len(group) == MAX_FUSED_NODES:
                    break
        if len(group) < 2:
            continue
        outer: dict = {}  # an ordered set
        for node in sorted(group, key=position.__getitem__):  # deterministic input order
            for variable in node.inputs:
                # Single-value constants are written into the kernel; larger ones are
                # inputs, so that they count in the output's shape and are cut into the
                # same row blocks as the other inputs.
                embedded = isinstance(variable, Constant) and np.size(variable.data) == 1
                if variable.owner not in group and not embedded:
                    outer[variable] = None
        outer_inputs = list(outer)
        inner_inputs = [v.type.make_variable(f"i{k}") for k, v in enumerate(outer_inputs)]
        # Copied node by node, not rebuilt (``clone_replace`` would infer every type
        # again): the inner inputs have the outer inputs' types, so nothing changes.
        (inner_output,), copies = clone_graph(root.outputs, outer_inputs)
        substitute = dict(zip(outer_inputs, inner_inputs))
        for node in {copy.owner for copy in copies.values()}:
            node.inputs = [substitute.get(v, v) for v in node.inputs]
        fused = Fused(inner_inputs, [inner_output]).make_node(*outer_inputs)
        fused.source = root.source
        absorbed |= group
        fgraph.replace(root.outputs[0], fused.outputs[0], reason="fusion")
        fired[f"fuse_{len(group)}_ops"] += 1
    return fired
