"""Recording what each pass did: ``function(..., trace=True)`` then ``f.trace``."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from symgraph.graph.basic import Apply, Variable
from symgraph.graph.fgraph import FunctionGraph
from symgraph.graph.text import graph_to_text, make_namer
from symgraph.graph.traversal import toposort
from symgraph.rewrite.pipeline import PassRecord, run_pipeline


@dataclass(frozen=True, eq=False)
class NodeSnapshot:
    """One apply node as it was when the snapshot was taken: passes edit ``inputs`` of the
    nodes they keep, so the node alone does not say what it read then."""

    node: Apply
    inputs: tuple[Variable, ...]
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]

    @property
    def op(self):
        return self.node.op

    @property
    def outputs(self) -> list[Variable]:
        return self.node.outputs

    def line(self) -> str:
        """What the text form shows for this node (its outputs, op and arguments)."""
        return f"{', '.join(self.output_names)} = {self.node.op}({', '.join(self.input_names)})"


@dataclass
class GraphSnapshot:
    """A graph's structure at one moment: its inputs, outputs and nodes in order, with the
    names the text form gives them (one namer is shared by the snapshots of a trace, so a
    variable keeps its name from pass to pass and a node is known by its outputs' names)."""

    inputs: list[Variable]
    outputs: list[Variable]
    nodes: list[NodeSnapshot]
    names: dict[Variable, str] = field(default_factory=dict)

    def name(self, variable: Variable) -> str:
        return self.names[variable]


def snapshot_graph(
    inputs: Sequence[Variable], outputs: Sequence[Variable], namer: Callable | None = None
) -> GraphSnapshot:
    """The snapshot of the graph from ``inputs`` to ``outputs`` (ownerless variables it
    reads are inputs too), naming variables with ``namer`` (``make_namer()``)."""
    namer = namer or make_namer()
    names: dict[Variable, str] = {}

    def name(variable: Variable) -> str:
        if variable not in names:
            names[variable] = namer(variable)
        return names[variable]

    for variable in inputs:
        name(variable)
    nodes = []
    for node in toposort(list(outputs), blockers=list(inputs)):
        nodes.append(
            NodeSnapshot(
                node,
                tuple(node.inputs),
                tuple(name(v) for v in node.inputs),
                tuple(name(v) for v in node.outputs),
            )
        )
    for variable in outputs:
        name(variable)
    return GraphSnapshot(list(inputs), list(outputs), nodes, names)


@dataclass(frozen=True)
class NodeChanges:
    """What a pass did to the nodes: those it added and removed, and those it kept but
    rewired (``rewritten``: same outputs, other arguments). Nodes are ``NodeSnapshot``s,
    of the graph after the pass for ``added``/``rewritten`` and before it for ``removed``."""

    added: list[NodeSnapshot]
    removed: list[NodeSnapshot]
    rewritten: list[NodeSnapshot]


def node_changes(before: GraphSnapshot, after: GraphSnapshot) -> NodeChanges:
    """Compare two snapshots of one graph: nodes are matched by identity (a pass that keeps
    a node keeps its outputs), and a kept node whose arguments differ was rewritten."""
    old = {entry.node: entry for entry in before.nodes}
    new = {entry.node: entry for entry in after.nodes}
    return NodeChanges(
        added=[entry for entry in after.nodes if entry.node not in old],
        removed=[entry for entry in before.nodes if entry.node not in new],
        rewritten=[
            entry
            for entry in after.nodes
            if entry.node in old and old[entry.node].input_names != entry.input_names
        ],
    )


@dataclass
class PassTraceRecord(PassRecord):
    """One pass: its name, the graph before and after (text form; ``graph_before`` and
    ``graph_after`` hold their structure), time and rules fired."""

    graph_before: GraphSnapshot | None = None
    graph_after: GraphSnapshot | None = None

    def changes(self) -> NodeChanges:
        """The nodes this pass added, removed and rewired."""
        return node_changes(self.graph_before, self.graph_after)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        """A unified diff from the graph before this pass to the graph after it."""
        return "".join(
            difflib.unified_diff(
                (self.before + "\n").splitlines(True),
                (self.after + "\n").splitlines(True),
                f"before {self.name}",
                f"after {self.name}",
            )
        )

    def __str__(self) -> str:
        fired = ", ".join(f"{k} x{v}" for k, v in sorted(self.rewrites.items())) or "nothing"
        return f"{self.name}: {self.seconds * 1e3:.2f} ms, fired {fired}"


class PassTrace(list):
    """The records of every pass in order; index by position or by pass name.

    ``inner`` holds the traces of the inner graphs (loop bodies) compiled with the
    function, in the order they were compiled, nested ones included.
    """

    def __init__(self, records=()) -> None:
        super().__init__(records)
        self.inner: list[InnerTrace] = []
        # The compiled program (``symgraph.compile.codegen.Program``), set by ``function``
        # so that views of the trace can show the generated source next to the graph.
        self.program = None

    def __getitem__(self, key):
        if isinstance(key, str):
            for record in self:
                if record.name == key:
                    return record
            names = ", ".join(r.name for r in self)
            raise KeyError(f"no pass named {key!r} in this trace; it has: {names}")
        return super().__getitem__(key)

    def __str__(self) -> str:
        lines = ["pass trace:"]
        for record in self:
            lines.append(f"  {record}")
            if record.changed:
                lines.extend("    " + line for line in record.diff().splitlines()[2:])
        for inner in self.inner:
            lines.append(f"inner graph of {inner.label}:")
            lines.extend("  " + line for line in str(inner.trace).splitlines())
        return "\n".join(lines)


@dataclass
class InnerTrace:
    """The pass trace of one inner graph, and what owns it (``Scan{rnn} (scan_step)``)."""

    label: str
    trace: PassTrace


def trace_pipeline(fgraph: FunctionGraph, passes) -> PassTrace:
    """Run ``passes`` on ``fgraph`` recording each one's before/after text."""
    namer = make_namer()  # one namer: a variable keeps its name from pass to pass
    snapshots: list[GraphSnapshot] = []

    def describe(graph: FunctionGraph) -> str:
        text = graph_to_text(graph, namer=namer)
        snapshots.append(snapshot_graph(graph.inputs, graph.outputs, namer))
        return text

    records = run_pipeline(fgraph, passes, describe=describe)
    return PassTrace(
        PassTraceRecord(
            **vars(record), graph_before=snapshots[index], graph_after=snapshots[index + 1]
        )
        for index, record in enumerate(records)
    )
