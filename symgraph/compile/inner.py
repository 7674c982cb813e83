"""Compiling inner graphs (a loop body) into callables, with the outer function's passes.

An op holding an inner graph asks its emit context for a callable
(``ctx.inner_function``); the code generator hands the context a compiler for its own
mode, and this module installs the default one (every pass) for contexts that have none,
such as a node's derived ``perform``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from symgraph.compile.codegen import Parameter, generate
from symgraph.compile.mode import Mode
from symgraph.graph.basic import Variable
from symgraph.graph.emit import register_inner_compiler
from symgraph.graph.fgraph import FunctionGraph
from symgraph.rewrite.pipeline import run_pipeline
from symgraph.rewrite.trace import InnerTrace, trace_pipeline


def _as_array(value):
    """Values reaching an inner function come from the loop (slices of arrays of the
    right dtype); a 0-d slice is a NumPy scalar, made an array again here."""
    return np.asarray(value)


def compile_inner(
    inputs: Sequence[Variable],
    outputs: Sequence[Variable],
    label: str = "inner graph",
    mode: Mode | None = None,
    traces: list[InnerTrace] | None = None,
) -> Callable:
    """A callable returning the list of ``outputs``' values from ``inputs``' values, its
    graph rewritten by ``mode``'s passes (every pass by default) like any function's.
    With a ``traces`` list (a function compiled with ``trace=True``), each pass is
    recorded there under ``label``, and so are the passes of graphs nested inside."""
    mode = mode or Mode("FAST_RUN")
    fgraph = FunctionGraph(list(inputs), list(outputs))
    if traces is None:
        run_pipeline(fgraph, mode.passes)
    else:
        traces.append(InnerTrace(label, trace_pipeline(fgraph, mode.passes)))
    parameters = [Parameter(v, None, _as_array) for v in inputs]
    program = generate(
        fgraph,
        parameters,
        [],
        n_outputs=len(outputs),
        output_borrow=[False] * len(outputs),
        update_targets=[],
        unpack_single=False,
        defaults=[],
        name="inner",
        compile_inner=partial(compile_inner, mode=mode, traces=traces),
    )
    fn = program.build()
    fn.program = program  # kept with the callable: its source is what a reader looks for
    return fn


register_inner_compiler(compile_inner)
