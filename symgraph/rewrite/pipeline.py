"""The one ordered list of named passes every compiled function goes through."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from symgraph.graph.fgraph import FunctionGraph
from symgraph.rewrite import fusion, passes, rules, scan


@dataclass(frozen=True)
class Pass:
    """A named graph pass; ``run`` edits the graph and returns rule-name -> fire count."""

    name: str
    run: Callable[[FunctionGraph], Counter]
    doc: str


PIPELINE: tuple[Pass, ...] = (
    Pass("merge", passes.merge, "compute equal constants and subexpressions once"),
    Pass("constant_fold", passes.constant_fold, "evaluate subgraphs of constants now"),
    # Loops whose rewrites add outer nodes come before the algebra, which then rewrites
    # those nodes like the rest; the ones that only shrink loops come after it, which may
    # leave loop outputs unread (a buffer read for its shape alone).
    Pass("scan_trivial", scan.inline_trivial_loops, "loops of a constant 0 or 1 steps inlined"),
    Pass(
        "scan_hoist",
        scan.hoist_invariants,
        "what a loop's step computes from non-sequences alone, computed once before it",
    ),
    Pass("canonicalize", passes.rule_pass(rules.CANONICALIZE), "algebraic normal forms"),
    Pass(
        "scan_prune",
        scan.drop_unused_outputs,
        "loop outputs nothing reads and non-sequences no step reads, removed",
    ),
    Pass("scan_merge", scan.merge_loops, "independent loops of the same steps run as one"),
    Pass(
        "scan_equal_outputs",
        scan.merge_equal_outputs,
        "loop outputs equal at every step to another (a gradient's copy of the loop, once "
        "merged with it) computed once",
    ),
    Pass(
        "scan_keep_last",
        scan.keep_only_read_rows,
        "loop outputs read only at their last rows keep those rows, not one per step",
    ),
    Pass("stabilize", passes.rule_pass(rules.STABILIZE), "numerically stable forms"),
    Pass("specialize", passes.rule_pass(rules.SPECIALIZE), "cheaper kernels"),
    Pass("fusion", fusion.fusion, "run trees of element-wise ops as one node"),
    Pass("inplace", passes.inplace, "write element-wise results into dead temporaries"),
)


def list_passes() -> list[str]:
    """The names of all passes, in the order they run."""
    return [p.name for p in PIPELINE]


def pass_named(name: str) -> Pass:
    for p in PIPELINE:
        if p.name == name:
            return p
    raise ValueError(f"unknown pass {name!r}; the passes are: {', '.join(list_passes())}")


@dataclass
class PassRecord:
    """What one pass did to a graph: time, rules fired and, when the pipeline was run with
    ``describe``, the graph's text before and after."""

    name: str
    seconds: float
    rewrites: Counter
    before: str | None = None
    after: str | None = None


def run_pipeline(
    fgraph: FunctionGraph, pipeline: tuple[Pass, ...], describe=None
) -> list[PassRecord]:
    """Run the passes in order; ``describe(fgraph) -> str`` records each one's effect."""
    records = []
    text = describe(fgraph) if describe else None
    for p in pipeline:
        start = time.perf_counter()
        fired = p.run(fgraph)
        seconds = time.perf_counter() - start
        after = describe(fgraph) if describe else None
        records.append(PassRecord(p.name, seconds, Counter(fired), text, after))
        text = after
    return records
