"""Call overhead of a compiled function against a bare NumPy call.

    python benchmarks/overhead.py

Target: ``function([x, y], x + y)`` on length-10 vectors costs at most 3x a bare
``numpy.add`` call measured in the same run. Also printed: a call of a function reading
and updating four shared variables (what shared storage costs per call).
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import fmt_us, median_seconds  # noqa: E402

import symgraph  # noqa: E402
import symgraph.tensor as T  # noqa: E402


def main() -> None:
    x, y = T.dvector("x"), T.dvector("y")
    f = symgraph.function([x, y], x + y)
    a, b = np.random.default_rng(0).random((2, 10))
    add = np.add
    bare = median_seconds(lambda: add(a, b), repeat=15, number=20000)
    compiled = median_seconds(lambda: f(a, b), repeat=15, number=20000)
    print(f"numpy.add(a, b)            {fmt_us(bare)}")
    print(f"symgraph f(a, b)           {fmt_us(compiled)}")
    print(f"ratio symgraph / numpy     {compiled / bare:8.2f}x   (target <= 3x)")
    shared = [symgraph.shared(np.zeros(10), name=f"w{k}") for k in range(4)]
    g = symgraph.function([x], sum(shared) + x, updates=[(w, w + x) for w in shared])
    with_shared = median_seconds(lambda: g(a), repeat=15, number=20000)
    print(f"4 shared read and updated  {fmt_us(with_shared)}")


if __name__ == "__main__":
    main()
