"""Compile time against graph size: does ``function()`` stay linear on big graphs?

    python benchmarks/compile_scale.py            # 4k, 8k, 16k, 50k nodes, 3 runs each
    python benchmarks/compile_scale.py --quick    # 2k, 4k, 8k nodes, 1 run each
    python benchmarks/compile_scale.py --sizes 4000 8000 --kinds chain --repeat 5

Target: compile time linear in graph size; 50,000 nodes in under 10 s.

For each graph family, size and mode it prints the median seconds of ``symgraph.function``
over the runs, split into the passes, code generation (``generate`` plus compiling the
generated source) and the rest (cloning into a ``FunctionGraph``, checks); ``(gc)`` is the
part of the total spent in Python's cyclic garbage collector, whichever phase it
interrupted; ``growth`` is the time's factor per doubling of the node count against the
previous size (``x2.00`` is linear). ``nodes`` counts the Apply nodes handed to
``function`` (for ``grad``, the gradient graph's). Families:

- ``chain``: ``x = x * 1.0001 + 0.5`` repeated (deep; fusion makes one kernel of it);
- ``mixed``: layers of dot, add, tanh, transposes, slicing and a reduction (deep, with
  views and reductions that cut fusion);
- ``wide``: many short independent outputs (``exp(x * i) + i``);
- ``grad``: the gradient of a ``chain`` (forward and backward graphs together).

Runs in this process one after another; the load of the machine (``uptime``) is printed
before and after, as other work on it slows every figure.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import statistics
import sys
import time

import numpy as np

import symgraph
import symgraph.tensor as T
from symgraph.graph.traversal import toposort

# Modules, not the names ``symgraph.compile`` re-exports (``function`` is also a function).
codegen = importlib.import_module("symgraph.compile.codegen")
function_module = importlib.import_module("symgraph.compile.function")


def build_chain(n: int):
    x = T.dvector("x")
    y = x
    for _ in range(n // 2):
        y = y * 1.0001 + 0.5
    return [x], [y]


def build_mixed(n: int):
    x = T.dmatrix("x")
    w = symgraph.shared(np.eye(3) * 0.5, name="W")
    b = symgraph.shared(np.zeros(3), name="b")
    h = x
    for _ in range(max(1, n // 11)):
        h = T.tanh(T.dot(h, w) + b)
        h = h.T.T
        h = h + h.sum(axis=0) * 0.01
        h = h[:, ::1] * 0.9
    return [x], [h.sum()]


def build_wide(n: int):
    x = T.dvector("x")
    return [x], [T.exp(x * float(i)) + float(i) for i in range(max(1, n // 3))]


def build_grad(n: int):
    # The gradient graph of a chain has about 1.5 times the chain's nodes.
    (x,), (y,) = build_chain(max(2, int(n / 1.5)))
    return [x], [symgraph.grad(y.sum(), x)]


FAMILIES = {"chain": build_chain, "mixed": build_mixed, "wide": build_wide, "grad": build_grad}


class PhaseTimer:
    """Adds up the seconds spent in code generation and in the passes during ``function``,
    and in Python's cyclic garbage collector (whichever phase it interrupts)."""

    def __init__(self) -> None:
        self.codegen = 0.0
        self.passes = 0.0
        self.gc = 0.0
        self._gc_start = 0.0
        self._generate = function_module.generate
        self._run_pipeline = function_module.run_pipeline
        self._build = codegen.Program.build

    def __enter__(self) -> PhaseTimer:
        def timed(original, slot):
            def wrapper(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    setattr(self, slot, getattr(self, slot) + time.perf_counter() - start)

            return wrapper

        function_module.generate = timed(self._generate, "codegen")
        function_module.run_pipeline = timed(self._run_pipeline, "passes")
        codegen.Program.build = timed(self._build, "codegen")
        gc.callbacks.append(self._on_gc)
        return self

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc += time.perf_counter() - self._gc_start

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._on_gc)
        function_module.generate = self._generate
        function_module.run_pipeline = self._run_pipeline
        codegen.Program.build = self._build


def measure(family: str, n: int, mode: str) -> tuple[int, float, float, float, float]:
    """Nodes, and seconds of ``function`` in total, in the passes, in code generation and
    in the garbage collector."""
    inputs, outputs = FAMILIES[family](n)
    nodes = len(toposort(outputs))
    gc.collect()
    with PhaseTimer() as phases:
        start = time.perf_counter()
        symgraph.function(inputs, outputs, mode=mode)
        total = time.perf_counter() - start
    return nodes, total, phases.passes, phases.codegen, phases.gc


def uptime() -> str:
    try:
        with open("/proc/loadavg") as handle:
            return "load average " + " ".join(handle.read().split()[:3])
    except OSError:
        return "load average unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2k, 4k, 8k nodes, one run")
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument("--kinds", nargs="+", choices=list(FAMILIES), default=list(FAMILIES))
    parser.add_argument("--modes", nargs="+", default=["FAST_RUN", "FAST_COMPILE"])
    parser.add_argument("--repeat", type=int)
    args = parser.parse_args()
    sizes = args.sizes or ([2000, 4000, 8000] if args.quick else [4000, 8000, 16000, 50000])
    repeat = args.repeat or (1 if args.quick else 3)
    sys.setrecursionlimit(1000)  # the default: big graphs must not need more
    print(f"symgraph from {os.path.dirname(symgraph.__file__)}")
    print(f"{uptime()}; median of {repeat} run(s) per row; seconds")
    header = (
        f"{'graph':6} {'mode':12} {'nodes':>7} {'compile':>8} {'passes':>8} "
        f"{'codegen':>8} {'other':>7} {'(gc)':>6} {'growth':>7} {'us/node':>8}"
    )
    print(header)
    print("-" * len(header))
    for family in args.kinds:
        for mode in args.modes:
            previous = None
            for n in sizes:
                runs = [measure(family, n, mode) for _ in range(repeat)]
                nodes = runs[0][0]
                total, passes, gen, collector = (
                    statistics.median(r[k] for r in runs) for k in (1, 2, 3, 4)
                )
                growth = ""
                if previous is not None:
                    # Time ratio normalised to a doubling of the node count.
                    ratio = (total / previous[1]) ** (np.log(2) / np.log(nodes / previous[0]))
                    growth = f"x{ratio:.2f}"
                print(
                    f"{family:6} {mode:12} {nodes:7d} {total:8.2f} {passes:8.2f} {gen:8.2f} "
                    f"{total - passes - gen:7.2f} {collector:6.2f} {growth:>7} "
                    f"{total / nodes * 1e6:8.1f}",
                    flush=True,
                )
                previous = (nodes, total)
    print(uptime())


if __name__ == "__main__":
    main()
