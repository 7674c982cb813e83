"""What the per-function lock costs a call that has updates.

    python benchmarks/update_lock.py

A call of a function with updates holds the function's lock, so two threads calling it
lose no update. This times the smallest such function (a counter increment) with the
lock and with it removed, interleaved, and prints the difference per call; a function
without updates takes no lock and is timed for reference.
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
    counter = symgraph.shared(np.int64(0), name="counter")
    locked = symgraph.function([], [], updates=[(counter, counter + 1)])
    unlocked = symgraph.function([], [], updates=[(counter, counter + 1)])
    unlocked._lock = None  # what the call costs without the lock
    x = T.dscalar("x")
    no_updates = symgraph.function([x], x + 1)
    one = np.float64(1.0)
    with_lock, without_lock = [], []
    for _ in range(5):
        with_lock.append(median_seconds(locked, repeat=9, number=20000))
        without_lock.append(median_seconds(unlocked, repeat=9, number=20000))
    a, b = min(with_lock), min(without_lock)
    print(f"update call, with lock        {fmt_us(a)}")
    print(f"update call, lock removed     {fmt_us(b)}")
    print(f"lock overhead per call        {fmt_us(a - b)}  ({(a - b) / b:+.1%})")
    print(f"call without updates (x + 1)  {fmt_us(median_seconds(lambda: no_updates(one)))}")


if __name__ == "__main__":
    main()
