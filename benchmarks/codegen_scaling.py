"""Compile time of function() as graphs grow, and the share spent in code generation.

    python benchmarks/codegen_scaling.py [chain|wide|layers...] [sizes...]

Three shapes: a long element-wise chain (each node uses the previous one), a wide graph
(independent branches, each with its own constant, summed by a balanced tree of adds),
and a deep stack of small layers whose shared variables all have the names W and b
(the case where looking for a free name made code generation quadratic).
For each mode and size it prints function()'s wall time, the seconds in ``generate``
(lowering to source) and in ``Program.build`` (Python's own compile() and exec of that
source), and the share of both under cProfile. Code generation must stay linear in the
number of nodes.
"""

from __future__ import annotations

import cProfile
import importlib
import pstats
import sys
import time

import numpy as np

import symgraph
import symgraph.tensor as T
from symgraph.compile.codegen import Program

# The module, not the function symgraph.compile re-exports under the same name.
function_module = importlib.import_module("symgraph.compile.function")


def chain(nodes: int):
    x, y = T.dvector("x"), T.dvector("y")
    out = x
    for k in range(nodes // 2):
        out = T.tanh(out) * y if k % 2 else T.exp(out) - y
    return [x, y], out


def wide(nodes: int):
    x = T.dvector("x")
    terms = [T.tanh(x * (1.0 + k / nodes)) for k in range(nodes // 3)]
    while len(terms) > 1:
        pairs = [a + b for a, b in zip(terms[::2], terms[1::2])]
        terms = pairs + terms[len(terms) // 2 * 2 :]
    return [x], terms[0]


def layers(nodes: int):
    x = T.dmatrix("x")
    out = x
    for _ in range(nodes // 4):  # dot, bias dimshuffle, add, tanh
        w = symgraph.shared(np.eye(2) * 0.5, name="W")
        b = symgraph.shared(np.zeros(2), name="b")
        out = T.tanh(T.dot(out, w) + b)
    return [x], out


class Timed:
    """Wraps ``function``'s calls of generate and Program.build with a stopwatch."""

    def __init__(self) -> None:
        self.seconds = {"generate": 0.0, "build": 0.0}

    def __enter__(self):
        self._generate, self._build = function_module.generate, Program.build
        seconds = self.seconds

        def generate(*args, **kwargs):
            start = time.perf_counter()
            try:
                return self._generate(*args, **kwargs)
            finally:
                seconds["generate"] += time.perf_counter() - start

        def build(program):
            start = time.perf_counter()
            try:
                return self._build(program)
            finally:
                seconds["build"] += time.perf_counter() - start

        function_module.generate, Program.build = generate, build
        return self

    def __exit__(self, *exc) -> None:
        function_module.generate, Program.build = self._generate, self._build


def profiled_share(inputs, output, mode: str) -> float:
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    symgraph.function(inputs, output, mode=mode)
    profiler.disable()
    total = time.perf_counter() - start
    inside = 0.0
    for (filename, _, name), row in pstats.Stats(profiler).stats.items():
        if filename.endswith("codegen.py") and name in ("generate", "build"):
            inside += row[3]  # cumulative seconds
    return inside / total


def main() -> None:
    shapes = {"chain": chain, "wide": wide, "layers": layers}
    chosen = [shapes[a] for a in sys.argv[1:] if a in shapes] or list(shapes.values())
    sizes = [int(a) for a in sys.argv[1:] if a.isdigit()] or [4000, 8000, 16000, 50000]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * max(sizes)))
    print(
        f"{'graph':6} {'mode':12} {'nodes':>6} {'function()':>10} {'generate':>9} "
        f"{'build':>8} {'share':>6} {'cProfile share':>14}"
    )
    for shape in chosen:
        for mode in ("FAST_COMPILE", "FAST_RUN"):
            for size in sizes:
                inputs, output = shape(size)
                with Timed() as timed:
                    start = time.perf_counter()
                    symgraph.function(inputs, output, mode=mode)
                    total = time.perf_counter() - start
                gen, build = timed.seconds["generate"], timed.seconds["build"]
                share = profiled_share(inputs, output, mode)
                print(
                    f"{shape.__name__:6} {mode:12} {size:6d} {total:9.2f}s {gen:8.2f}s "
                    f"{build:7.2f}s {(gen + build) / total:6.1%} {share:14.1%}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
