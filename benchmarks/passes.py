"""Where the LeNet and MLP training steps spend their time, with and without the passes,
and the most the passes could possibly gain.

    python benchmarks/passes.py [--steps 20]

For each step function compiled with FAST_COMPILE (no passes) and FAST_RUN (all passes)
it prints the per-class node time (``profile=True``) and the share spent in the heavy
kernels that no pass rewrites (GEMM, convolutions, pooling).  If the passes made every
other node free, FAST_COMPILE / FAST_RUN could reach at most

    bound = FAST_COMPILE time / FAST_COMPILE time in those kernels

(Amdahl's law); the target is 1.3x.  Profiled times include a timer call per node.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tutorials"))

import symgraph  # noqa: E402

# Op classes that no pass rewrites or removes: both modes run the same kernels for them.
HEAVY = {
    "Dot",
    "Conv2d",
    "Conv2dGradInputs",
    "Conv2dGradWeights",
    "Pool",
    "MaxPoolGrad",
    "AveragePoolGrad",
}


def profiled(build, mode: str, steps: int):
    """Compile ``build(mode)`` with profiling, run ``steps`` steps after a warm-up one."""
    original = symgraph.function
    compiled = []

    def function(*args, **kwargs):
        compiled.append(original(*args, profile=True, **kwargs))
        return compiled[-1]

    symgraph.function = function
    try:
        step = build(mode)
    finally:
        symgraph.function = original
    step()
    profile = compiled[-1].profile
    profile.reset()  # drop the warm-up step
    for _ in range(steps):
        step()
    return {name: seconds / steps for name, seconds in profile.by_class().items()}


def benchmark_step(script: str):
    """``build(mode)`` for the step of ``benchmarks/<script>.py`` (loaded by path: the
    tutorials have modules of the same names)."""
    path = os.path.join(HERE, script + ".py")
    spec = importlib.util.spec_from_file_location(f"bench_{script}", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return lambda mode: bench.symgraph_step(bench.make_data(np.random.default_rng(0)), mode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    for name, build in [("LeNet", benchmark_step("lenet")), ("MLP", benchmark_step("mlp"))]:
        totals = {}
        for mode in ("FAST_COMPILE", "FAST_RUN"):
            by_class = profiled(build, mode, args.steps)
            total = sum(by_class.values())
            heavy = sum(s for c, s in by_class.items() if c in HEAVY)
            totals[mode] = (total, heavy)
            classes = ", ".join(f"{c} {s * 1e3:.1f}" for c, s in by_class.items() if s > 1e-4)
            print(f"{name} {mode:12s} {total * 1e3:7.1f} ms in nodes per step; "
                  f"heavy kernels {heavy / total:5.1%}  [{classes}]")  # fmt: skip
        (fc_total, fc_heavy), (fr_total, _) = totals["FAST_COMPILE"], totals["FAST_RUN"]
        print(f"{name} FAST_COMPILE / FAST_RUN (profiled node time): {fc_total / fr_total:.2f}x; "
              f"most any pass could give: {fc_total / fc_heavy:.2f}x\n")  # fmt: skip


if __name__ == "__main__":
    main()
