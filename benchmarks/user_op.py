"""What the checks around an op written in Python cost per call.

    python benchmarks/user_op.py

A perform-only op (``2 * x`` on a length-10 vector) called through its ``PerformGuard``
(read-only input views, output type and aliasing checks) against its bare ``perform``,
in the same run; and the compiled function around it.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import fmt_us, median_seconds  # noqa: E402

import symgraph  # noqa: E402
import symgraph.tensor as T  # noqa: E402
from symgraph.graph import Apply, Op  # noqa: E402
from symgraph.graph.perform import PerformGuard  # noqa: E402


class Double(Op):
    def make_node(self, x):
        x = T.as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0] * 2]


def main() -> None:
    x = T.dvector("x")
    y = Double()(x)
    value = np.random.default_rng(0).random(10)
    op, node, guard = y.owner.op, y.owner, PerformGuard(y.owner)
    f = symgraph.function([x], y, mode="FAST_COMPILE")
    bare = median_seconds(lambda: op.perform(node, [value]), repeat=15, number=20000)
    guarded = median_seconds(lambda: guard([value]), repeat=15, number=20000)
    compiled = median_seconds(lambda: f(value), repeat=15, number=20000)
    print(f"op.perform(node, [x])      {fmt_us(bare)}")
    print(f"PerformGuard(node)([x])    {fmt_us(guarded)}")
    print(f"compiled f(x)              {fmt_us(compiled)}")
    print(f"checks per call            {fmt_us(guarded - bare)}")


if __name__ == "__main__":
    main()
