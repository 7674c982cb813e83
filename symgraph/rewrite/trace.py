"""Recording what each pass did: ``function(..., trace=True)`` then ``f.trace``."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from symgraph.graph.fgraph import FunctionGraph
from symgraph.graph.text import graph_to_text, make_namer
from symgraph.rewrite.pipeline import PassRecord, run_pipeline


class PassTraceRecord(PassRecord):
    """One pass: its name, the graph before and after (text form), time and rules fired."""

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
    records = run_pipeline(fgraph, passes, describe=lambda g: graph_to_text(g, namer=namer))
    return PassTrace(PassTraceRecord(**vars(record)) for record in records)
